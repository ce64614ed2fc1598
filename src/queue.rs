//! A labelling queue: reviews waiting for a person's label, offered least sure first.
//!
//! Each answer teaches the model, which changes how sure it is of the reviews still waiting.
//! Scoring every waiting review again after every answer would cost a second for 50,000 of
//! them, so each answer re-scores a pool: the [`POOL`] least sure by their last scores, where
//! the next review comes from, and [`SWEEP`] more in turn, so that every score is refreshed
//! every so many answers. With fewer than `POOL + SWEEP` reviews waiting, every one is
//! re-scored each time.

use crate::classifier::{Classifier, Scratch};

/// Reviews re-scored after each answer, taken least sure first.
pub const POOL: usize = 192;

/// Reviews re-scored after each answer in turn, whatever their score.
pub const SWEEP: usize = 64;

/// What became of a review in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Waiting,
    Answered,
    Skipped,
}

#[derive(Debug)]
struct Item {
    text: String,
    /// How sure the model was of it when last scored: the distance of its decision from 0.
    margin: f64,
    state: State,
}

/// Reviews to label, and how sure the model is of each.
#[derive(Debug, Default)]
pub struct Queue {
    items: Vec<Item>,
    /// Where the next sweep starts.
    sweep: usize,
    scratch: Scratch,
}

impl Queue {
    /// Adds reviews to the queue, scored by `classifier`, in states as kept.
    pub fn add(
        &mut self,
        entries: impl IntoIterator<Item = (String, State)>,
        classifier: &Classifier,
    ) {
        for (text, state) in entries {
            let margin = self.margin(&text, classifier);
            self.items.push(Item {
                text,
                margin,
                state,
            });
        }
    }

    fn margin(&mut self, text: &str, classifier: &Classifier) -> f64 {
        let row = classifier
            .featurizer()
            .vectorize_reusing(text, &mut self.scratch);
        classifier.decision_function(&row).abs()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn count(&self, state: State) -> usize {
        self.items.iter().filter(|item| item.state == state).count()
    }

    pub fn text(&self, index: usize) -> Option<&str> {
        self.items.get(index).map(|item| item.text.as_str())
    }

    pub fn state(&self, index: usize) -> Option<State> {
        self.items.get(index).map(|item| item.state)
    }

    /// The waiting review the model is least sure of (the first of equals).
    pub fn next(&self) -> Option<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.state == State::Waiting)
            .min_by(|(_, a), (_, b)| a.margin.total_cmp(&b.margin))
            .map(|(index, _)| index)
    }

    /// Records what became of review `index`.
    pub fn mark(&mut self, index: usize, state: State) {
        if let Some(item) = self.items.get_mut(index) {
            item.state = state;
        }
    }

    /// Scores again, with `classifier`, the waiting reviews most likely to come next (see the
    /// module's doc).
    pub fn refresh(&mut self, classifier: &Classifier) {
        let mut waiting: Vec<usize> = (0..self.items.len())
            .filter(|&index| self.items[index].state == State::Waiting)
            .collect();
        let mut chosen = Vec::with_capacity(POOL + SWEEP);
        if waiting.len() <= POOL + SWEEP {
            chosen.append(&mut waiting);
        } else {
            let by_margin = |a: &usize, b: &usize| {
                self.items[*a]
                    .margin
                    .total_cmp(&self.items[*b].margin)
                    .then(a.cmp(b))
            };
            waiting.select_nth_unstable_by(POOL, by_margin);
            chosen.extend_from_slice(&waiting[..POOL]);
            for step in 0..SWEEP {
                chosen.push((self.sweep + step) % self.items.len());
            }
            self.sweep = (self.sweep + SWEEP) % self.items.len();
        }
        for index in chosen {
            let text = std::mem::take(&mut self.items[index].text);
            self.items[index].margin = self.margin(&text, classifier);
            self.items[index].text = text;
        }
    }

    /// Scores every review again, after the model changed all over (a rebuild, a new model).
    pub fn rescore(&mut self, classifier: &Classifier) {
        for index in 0..self.items.len() {
            let text = std::mem::take(&mut self.items[index].text);
            self.items[index].margin = self.margin(&text, classifier);
            self.items[index].text = text;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::Label;
    use crate::train::Recipe;

    fn classifier() -> Classifier {
        let mut classifier = Classifier::new(Recipe::site().config).expect("valid");
        classifier
            .partial_fit(
                &["a great film", "an awful film"],
                &[Label::Positive, Label::Negative],
            )
            .expect("learns");
        classifier
    }

    #[test]
    fn the_least_sure_review_comes_first_and_answers_move_on() {
        let model = classifier();
        let mut queue = Queue::default();
        let texts = [
            "a great great great film",
            "an ordinary evening",
            "awful awful",
        ];
        queue.add(
            texts.iter().map(|t| (t.to_string(), State::Waiting)),
            &model,
        );
        assert_eq!(queue.next(), Some(1));
        queue.mark(1, State::Answered);
        queue.refresh(&model);
        assert_ne!(queue.next(), Some(1));
        assert_eq!(queue.count(State::Waiting), 2);
        queue.mark(0, State::Skipped);
        queue.mark(2, State::Answered);
        assert_eq!(queue.next(), None);
    }

    #[test]
    fn a_long_queue_refreshes_a_pool_and_a_sweep() {
        let model = classifier();
        let mut queue = Queue::default();
        let texts: Vec<(String, State)> = (0..1000)
            .map(|n| {
                (
                    format!("review {n} is great {}", "and fine ".repeat(n % 7)),
                    State::Waiting,
                )
            })
            .collect();
        queue.add(texts, &model);
        let first = queue.next();
        queue.refresh(&model);
        assert_eq!(
            queue.next(),
            first,
            "nothing changed, so neither did the choice"
        );
        assert_eq!(queue.sweep, SWEEP);
    }
}
