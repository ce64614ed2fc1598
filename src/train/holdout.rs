//! Holding out the last rows of a stream, which a stream only knows at its end.

use std::collections::VecDeque;

/// A window of the `size` latest items: each new item pushes out the oldest, which is then
/// free to learn from; whatever is left at the end is the held-out set. Memory is the window,
/// whatever the length of the stream.
#[derive(Debug)]
pub struct HoldOut<T> {
    window: VecDeque<T>,
    size: usize,
}

impl<T> HoldOut<T> {
    pub fn new(size: usize) -> Self {
        HoldOut {
            window: VecDeque::with_capacity(size.min(1 << 16) + 1),
            size,
        }
    }

    /// Takes `item` in and gives back the item that is now certain not to be held out.
    pub fn push(&mut self, item: T) -> Option<T> {
        self.window.push_back(item);
        (self.window.len() > self.size)
            .then(|| self.window.pop_front())
            .flatten()
    }

    pub fn len(&self) -> usize {
        self.window.len()
    }

    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// The held-out items, in stream order.
    pub fn into_items(self) -> Vec<T> {
        self.window.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_items_are_held_out() {
        let mut hold_out = HoldOut::new(2);
        let released: Vec<u32> = (1..=5).filter_map(|n| hold_out.push(n)).collect();
        assert_eq!(released, [1, 2, 3]);
        assert_eq!(hold_out.into_items(), [4, 5]);
        let mut none = HoldOut::new(0);
        assert_eq!(none.push(7), Some(7));
        assert!(none.is_empty());
    }
}
