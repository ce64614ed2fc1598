//! The order rows are learned in.
//!
//! Stochastic gradient descent learns the order it is given: 12,500 positive reviews and then
//! 12,500 negative ones (the order of the aclImdb download) make a model that calls almost
//! everything negative. These pieces let a reader mix a stream with bounded memory, and
//! notice when it was not mixed. They are seeded, so a run can be repeated to the byte, on
//! any platform, in the trainer or in the page.

use rand_mt::Mt;

/// A seeded source of uniform choices.
#[derive(Clone, Debug)]
pub struct Draws {
    rng: Mt,
}

impl Draws {
    pub fn new(seed: u32) -> Draws {
        Draws { rng: Mt::new(seed) }
    }

    /// A uniform integer in `0..n` (`n` at least 1), by rejection: no bias toward small ones.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let mask = u64::MAX >> (n - 1).leading_zeros().min(63);
        loop {
            let value =
                (u64::from(self.rng.next_u32()) << 32 | u64::from(self.rng.next_u32())) & mask;
            if value < n {
                return value;
            }
        }
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// Which of several streams to take the next item from: stream `k` with probability
    /// proportional to `remaining[k]`, so that streams of any lengths are mixed evenly from
    /// start to end. `None` once every stream is spent.
    pub fn pick(&mut self, remaining: &[u64]) -> Option<usize> {
        let total: u64 = remaining.iter().sum();
        if total == 0 {
            return None;
        }
        let mut at = self.below(total);
        remaining.iter().position(|&count| {
            if at < count {
                true
            } else {
                at -= count;
                false
            }
        })
    }
}

/// The shuffle buffer a person gets who asks for one without a size: 20,000 rows, about 25 MB
/// of reviews, which mixes a file sorted by label well enough to learn from.
pub const DEFAULT_SHUFFLE_ROWS: usize = 20_000;

/// Mixes a stream through a buffer of `capacity` items: each item that arrives once the
/// buffer is full sends out a randomly chosen one, and the rest leave in random order at the
/// end. Items move at most about `capacity` places, in memory of `capacity` items.
#[derive(Debug)]
pub struct Shuffler<T> {
    buffer: Vec<T>,
    capacity: usize,
    draws: Draws,
}

impl<T> Shuffler<T> {
    pub fn new(capacity: usize, seed: u32) -> Shuffler<T> {
        Shuffler {
            buffer: Vec::with_capacity(capacity.min(1 << 16)),
            capacity: capacity.max(1),
            draws: Draws::new(seed),
        }
    }

    /// Takes `item` in; gives one out once the buffer is full.
    pub fn push(&mut self, item: T) -> Option<T> {
        if self.buffer.len() < self.capacity {
            self.buffer.push(item);
            return None;
        }
        let at = self.draws.below(self.buffer.len() as u64) as usize;
        Some(std::mem::replace(&mut self.buffer[at], item))
    }

    /// The items left, in random order.
    pub fn drain(mut self) -> Vec<T> {
        self.draws.shuffle(&mut self.buffer);
        self.buffer
    }
}

/// Notices labels that arrive in long runs, the mark of data sorted by label.
#[derive(Clone, Debug, Default)]
pub struct LabelRuns {
    current: Option<(bool, u64)>,
    longest: u64,
}

impl LabelRuns {
    /// A run this long in learned rows means the data is not mixed: even a 90/10 split of
    /// labels, mixed, makes a run of 1,000 once in 10^45 rows.
    pub const SORTED: u64 = 1000;

    pub fn push(&mut self, positive: bool) {
        let run = match self.current {
            Some((label, length)) if label == positive => length + 1,
            _ => 1,
        };
        self.current = Some((positive, run));
        self.longest = self.longest.max(run);
    }

    /// The longest run of one label so far.
    pub fn longest(&self) -> u64 {
        self.longest
    }

    /// Whether the rows look sorted by label.
    pub fn looks_sorted(&self) -> bool {
        self.longest >= Self::SORTED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_and_repeatable() {
        let mut draws = Draws::new(7);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[draws.below(3) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
        let first: Vec<u64> = (0..5).map(|_| Draws::new(1).below(1 << 40)).collect();
        assert!(first.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn picks_follow_what_remains() {
        let mut draws = Draws::new(3);
        let mut remaining = [700u64, 300];
        let mut taken = Vec::new();
        while let Some(k) = draws.pick(&remaining) {
            remaining[k] -= 1;
            taken.push(k);
        }
        assert_eq!(taken.len(), 1000);
        // Even from start to end: the first half holds about half of each stream.
        let first_half = taken[..500].iter().filter(|&&k| k == 1).count();
        assert!((120..180).contains(&first_half), "{first_half}");
    }

    #[test]
    fn a_shuffler_is_a_bounded_permutation() {
        let mut shuffler = Shuffler::new(100, 5);
        let mut out: Vec<u32> = (0..1000).filter_map(|n| shuffler.push(n)).collect();
        out.extend(shuffler.drain());
        let mut sorted = out.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_ne!(out, sorted);
    }

    #[test]
    fn sorted_labels_are_noticed() {
        let mut runs = LabelRuns::default();
        for n in 0..2000 {
            runs.push(n % 3 == 0);
        }
        assert!(!runs.looks_sorted());
        for _ in 0..LabelRuns::SORTED {
            runs.push(true);
        }
        assert!(runs.looks_sorted());
    }
}
