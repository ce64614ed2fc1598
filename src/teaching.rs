//! A model a person teaches: a start model and a log of lessons, and a classifier that is
//! always the start model with the log's lessons learned in log order.
//!
//! The log is the source of truth: it lives in storage that several copies of the page share,
//! and each copy's classifier must come out the same, bit for bit, whatever the history of
//! reloads and tabs. Learning is order-sensitive, so a copy learns new lessons on top only
//! when they come after everything it has learned; otherwise (a lesson recorded by another
//! tab before its own, a lesson deleted) it starts over from the start model and replays the
//! log. A saved model is only a cache of "start + the first lessons".

use std::rc::Rc;

use crate::classifier::Classifier;
use crate::label::Label;
use crate::learn::LearnError;
use crate::model::{Model, ModelError};

/// The model teaching starts from, with the bytes of its file, which identify it.
#[derive(Debug)]
pub struct Start {
    bytes: Vec<u8>,
    classifier: Classifier,
}

impl Start {
    /// The start model a model file describes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Start, ModelError> {
        let classifier = Classifier::from_bytes(&bytes)?;
        Ok(Start { bytes, classifier })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// What identifies this start model in a saved model's record: its file's checksum.
    pub fn id(&self) -> u32 {
        Model::checksum_of(&self.bytes).unwrap_or_default()
    }
}

/// One lesson of the log, by its key (keys ascend in log order).
#[derive(Clone, Copy, Debug)]
pub struct Lesson<'a> {
    pub key: u32,
    pub text: &'a str,
    pub label: Label,
}

/// What bringing a classifier up to the log did.
#[derive(Debug, Default, PartialEq)]
pub struct CatchUp {
    /// Lessons learned.
    pub learned: usize,
    /// Whether it started over from the start model.
    pub rebuilt: bool,
    /// Lessons in the log that could not be learned (see [`LearnError::OutOfBounds`]); they
    /// are passed over, the same way in every copy.
    pub refused: usize,
}

/// A start model, the lessons learned on it, and the classifier they make.
#[derive(Clone, Debug)]
pub struct Teaching {
    start: Rc<Start>,
    classifier: Classifier,
    /// Keys of the lessons learned, ascending.
    applied: Vec<u32>,
    /// Whether the classifier holds a lesson out of its log place, or one the log does not
    /// have: the next catch-up starts over.
    misplaced: bool,
}

impl Teaching {
    /// Nothing taught yet.
    pub fn new(start: Rc<Start>) -> Teaching {
        Teaching {
            classifier: start.classifier.clone(),
            start,
            applied: Vec::new(),
            misplaced: false,
        }
    }

    /// Resumes from a saved classifier that learned the lessons `keys` (ascending) on `start`.
    pub fn resume(start: Rc<Start>, saved: &[u8], keys: Vec<u32>) -> Result<Teaching, ModelError> {
        Ok(Teaching {
            classifier: Classifier::from_bytes(saved)?,
            start,
            applied: keys,
            misplaced: false,
        })
    }

    pub fn start(&self) -> &Rc<Start> {
        &self.start
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Keys of the lessons learned, ascending.
    pub fn applied(&self) -> &[u32] {
        &self.applied
    }

    /// Brings the classifier to the log (lessons in ascending key order): learns the lessons
    /// after those already learned, or starts over when those are not the log's first.
    pub fn catch_up(&mut self, log: &[Lesson]) -> CatchUp {
        let is_prefix = !self.misplaced
            && self.applied.len() <= log.len()
            && self
                .applied
                .iter()
                .zip(log)
                .all(|(&applied, lesson)| applied == lesson.key);
        let mut outcome = CatchUp::default();
        if !is_prefix {
            *self = Teaching::new(self.start.clone());
            outcome.rebuilt = true;
        }
        for lesson in &log[self.applied.len()..] {
            match self.classifier.teach(lesson.text, lesson.label) {
                Ok(()) => outcome.learned += 1,
                Err(_) => outcome.refused += 1,
            }
            self.applied.push(lesson.key);
        }
        outcome
    }

    /// Learns a lesson that is about to be recorded; then say where it went with
    /// [`Teaching::recorded`] or [`Teaching::misplaced`]. A lesson that cannot be learned
    /// changes nothing and should not be recorded.
    pub fn teach(&mut self, text: &str, label: Label) -> Result<(), LearnError> {
        self.classifier.teach(text, label)
    }

    /// The lesson just taught was recorded under `key`, right after the lessons learned.
    pub fn recorded(&mut self, key: u32) {
        self.applied.push(key);
    }

    /// Whether the classifier holds a lesson out of its log place (see
    /// [`Teaching::misplaced`]).
    pub fn is_misplaced(&self) -> bool {
        self.misplaced
    }

    /// The lesson just taught was not recorded right after the lessons learned (other
    /// lessons came first, or it was not recorded at all): the next catch-up starts over.
    pub fn misplaced(&mut self) {
        self.misplaced = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Recipe;

    fn start() -> Rc<Start> {
        let mut classifier = Classifier::new(Recipe::site().config).expect("valid config");
        classifier
            .partial_fit(
                &["a fine film", "a dull film"],
                &[Label::Positive, Label::Negative],
            )
            .expect("learns");
        Rc::new(Start::from_bytes(classifier.to_bytes()).expect("valid model"))
    }

    fn lesson(key: u32, text: &str) -> Lesson<'_> {
        Lesson {
            key,
            text,
            label: if key % 2 == 0 {
                Label::Positive
            } else {
                Label::Negative
            },
        }
    }

    fn bytes(teaching: &Teaching) -> Vec<u8> {
        teaching.classifier().to_lossless_bytes()
    }

    #[test]
    fn two_copies_teaching_at_once_end_with_the_same_model() {
        let start = start();
        let log = [
            lesson(1, "dull plot"),
            lesson(2, "lovely score"),
            lesson(3, "not good"),
        ];
        // One copy recorded lesson 2 right after 1; the other taught lesson 3 while 2 was
        // being recorded, so its lesson 3 landed after a lesson it had not learned.
        let mut first = Teaching::new(start.clone());
        first.catch_up(&log[..1]);
        first.teach(log[1].text, log[1].label).expect("learns");
        first.recorded(2);
        let mut second = Teaching::new(start.clone());
        second.catch_up(&log[..1]);
        second.teach(log[2].text, log[2].label).expect("learns");
        second.misplaced();

        assert_eq!(first.catch_up(&log).learned, 1);
        let outcome = second.catch_up(&log);
        assert!(outcome.rebuilt);
        let mut fresh = Teaching::new(start);
        fresh.catch_up(&log);
        assert_eq!(bytes(&first), bytes(&fresh));
        assert_eq!(bytes(&second), bytes(&fresh));
    }

    #[test]
    fn a_saved_model_resumes_exactly_and_a_deleted_lesson_rebuilds() {
        let start = start();
        let log = [lesson(1, "dull plot"), lesson(2, "lovely score")];
        let mut taught = Teaching::new(start.clone());
        taught.catch_up(&log[..1]);
        let saved = bytes(&taught);
        let mut resumed =
            Teaching::resume(start.clone(), &saved, vec![1]).expect("reads its own save");
        taught.catch_up(&log);
        assert_eq!(resumed.catch_up(&log).learned, 1);
        assert_eq!(bytes(&resumed), bytes(&taught));

        let without_first = [log[1]];
        assert!(resumed.catch_up(&without_first).rebuilt);
        let mut fresh = Teaching::new(start);
        fresh.catch_up(&without_first);
        assert_eq!(bytes(&resumed), bytes(&fresh));
    }
}
