//! The training loop: rows in, mini-batches to the learner, a finished [`Classifier`] out.
//!
//! In the spirit of linfa: a [`Recipe`] is checked into a [`Training`], which learns row by
//! row (`partial_fit` on each full batch) for as many passes as the recipe asks, then
//! `finish` averages, prunes and hands back the classifier. A recipe that scales features by
//! their log-count ratios first takes one pass that only counts; a recipe that prunes by use
//! counts in its first pass how often each feature occurs.

use thiserror::Error;

use super::ratios::{ClassCounts, LogCountRatios};
use super::recipe::{Pruning, Recipe, RecipeError};
use crate::classifier::{Classifier, Featurizer};
use crate::label::Label;
use crate::learn::{ColumnSlots, LearnError, SgdClassifier};
use crate::model::{Provenance, MAX_STORED_WEIGHTS};
use crate::vectorize::SparseRow;

#[derive(Debug, Error, PartialEq)]
pub enum TrainError {
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    #[error(transparent)]
    Learn(#[from] LearnError),
    #[error("no rows were learned")]
    NothingLearned,
    #[error(
        "the model has {0} non-zero weights, more than the {MAX_STORED_WEIGHTS} a model file \
         stores; keep fewer (the recipe's keep_weights)"
    )]
    TooManyWeights(usize),
}

/// A training run in progress.
#[derive(Debug)]
pub struct Training {
    recipe: Recipe,
    slots: ColumnSlots,
    learner: SgdClassifier,
    batch: Vec<SparseRow>,
    labels: Vec<Label>,
    /// The pass being learned, from 1.
    pass: u32,
    rows_learned: u64,
    batches: u64,
    /// When averaging: the sum of the weights and intercepts after each batch.
    average: Option<Average>,
    /// How often each slot occurs, counted in the first pass when the recipe needs it.
    counts: ClassCounts,
    /// With log-count ratios, each slot's scale, by which its values are multiplied before
    /// learning: set when the counting pass ends, and one for every slot met since.
    scales: Vec<f64>,
}

/// A running sum of weight vectors, for Polyak averaging at batch granularity: the mean of
/// the noisy SGD iterates generalises better than the last one.
#[derive(Debug)]
struct Average {
    weights: Vec<f64>,
    intercept: f64,
    count: u64,
}

impl Training {
    /// Checks `recipe` and starts a run with an untrained model.
    pub fn new(recipe: Recipe) -> Result<Training, RecipeError> {
        recipe.check()?;
        let learner = SgdClassifier::new(recipe.config.learner.clone());
        let mut training = Training {
            batch: Vec::with_capacity(recipe.batch_size),
            labels: Vec::with_capacity(recipe.batch_size),
            recipe,
            slots: ColumnSlots::default(),
            learner,
            pass: 1,
            rows_learned: 0,
            batches: 0,
            average: None,
            counts: ClassCounts::default(),
            scales: Vec::new(),
        };
        training.start_averaging_if_due();
        Ok(training)
    }

    pub fn recipe(&self) -> &Recipe {
        &self.recipe
    }

    /// Turns review text into the rows this run learns.
    pub fn featurizer(&self) -> Featurizer {
        Featurizer::new(&self.recipe.config)
    }

    /// The pass over the rows being taken, from 1 (the counting pass, if the recipe has one,
    /// is the first).
    pub fn pass(&self) -> u32 {
        self.pass
    }

    /// Passes over the rows the whole run takes, the counting pass included.
    pub fn passes(&self) -> u32 {
        self.recipe.passes + u32::from(self.recipe.ratios.is_some())
    }

    /// Rows taken so far, each pass counted.
    pub fn rows_learned(&self) -> u64 {
        self.rows_learned
    }

    /// `partial_fit` calls made so far.
    pub fn batches(&self) -> u64 {
        self.batches
    }

    /// Learns one vectorised row (from [`Training::featurizer`]); the learner sees it when
    /// its batch is full.
    pub fn learn(&mut self, row: SparseRow, label: Label) -> Result<(), TrainError> {
        let mut row = row;
        let n_features = self.recipe.config.n_features;
        if let Some(&column) = row.indices.iter().find(|&&column| column >= n_features) {
            return Err(LearnError::ColumnOutOfRange { column, n_features }.into());
        }
        self.slots.slots_or_insert(&mut row.indices);
        if self.pass == 1 && self.recipe.needs_counts() {
            self.counts.count(&row, label);
        }
        if let Some(LogCountRatios { floor, .. }) = self.recipe.ratios {
            if self.pass == 1 {
                self.rows_learned += 1;
                return Ok(());
            }
            // A feature the counting pass never met carries no evidence: the floor.
            self.scales.resize(self.slots.len(), floor);
            for (value, slot) in row.values.iter_mut().zip(&row.indices) {
                *value *= self.scales[*slot as usize];
            }
        }
        self.batch.push(row);
        self.labels.push(label);
        self.rows_learned += 1;
        if self.batch.len() == self.recipe.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    /// Ends a pass: learns the last, partial batch. The caller then feeds the same rows, in
    /// the same order, for the next pass, if [`Training::pass`] is still within the recipe's.
    pub fn end_pass(&mut self) -> Result<(), TrainError> {
        self.flush()?;
        if let (Some(ratios), 1) = (self.recipe.ratios, self.pass) {
            self.scales = self.counts.scales(self.slots.len(), ratios);
        }
        self.pass += 1;
        self.start_averaging_if_due();
        Ok(())
    }

    /// Whether the recipe wants another pass.
    pub fn wants_another_pass(&self) -> bool {
        self.pass <= self.passes()
    }

    /// Learns what is left, averages and prunes as the recipe says, and hands back the
    /// classifier (give it its provenance with [`Classifier::with_provenance`] once it has
    /// been scored).
    pub fn finish(mut self) -> Result<Classifier, TrainError> {
        self.flush()?;
        if self.batches == 0 {
            return Err(TrainError::NothingLearned);
        }
        if let Some(average) = self.average.take() {
            let count = average.count as f64;
            let weights = average.weights.into_iter().map(|w| w / count).collect();
            self.learner
                .replace_weights(weights, average.intercept / count)?;
        }
        if self.recipe.ratios.is_some() {
            self.learner.fold_scales(&self.scales)?;
        }
        if let Some(keep) = self.recipe.keep_weights {
            let weights = self.learner.weights();
            let importance: Vec<f64> = match self.recipe.prune_by {
                Pruning::Magnitude => weights.iter().map(|w| w.abs()).collect(),
                Pruning::Use => weights
                    .iter()
                    .zip(self.counts.occurrences(weights.len()))
                    .map(|(w, rows)| w.abs() * rows.sqrt())
                    .collect(),
            };
            self.learner
                .keep_largest(keep, &importance, self.slots.columns());
        }
        let stored = self.learner.weights().iter().filter(|w| **w != 0.0).count();
        if stored > MAX_STORED_WEIGHTS {
            return Err(TrainError::TooManyWeights(stored));
        }
        let mut config = self.recipe.config;
        config.learner = self.learner.config().clone();
        Ok(Classifier::from_parts(
            config,
            self.slots,
            self.learner,
            Provenance::default(),
        ))
    }

    fn start_averaging_if_due(&mut self) {
        let averages_from = self.passes() - self.recipe.average_last + 1;
        if self.recipe.average_last > 0 && self.pass >= averages_from {
            self.average.get_or_insert(Average {
                weights: Vec::new(),
                intercept: 0.0,
                count: 0,
            });
        }
    }

    fn flush(&mut self) -> Result<(), TrainError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.learner.grow_to(self.slots.len());
        self.learner.partial_fit(&self.batch, &self.labels)?;
        self.batches += 1;
        if let Some(average) = &mut self.average {
            let weights = self.learner.weights();
            average.weights.resize(weights.len(), 0.0);
            for (sum, w) in average.weights.iter_mut().zip(weights) {
                *sum += w;
            }
            average.intercept += self.learner.intercept();
            average.count += 1;
        }
        self.batch.clear();
        self.labels.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn rows(featurizer: &Featurizer) -> Vec<(SparseRow, Label)> {
        [
            ("a great film", Label::Positive),
            ("a dull film", Label::Negative),
            ("lovely acting", Label::Positive),
            ("boring plot", Label::Negative),
            ("great acting", Label::Positive),
        ]
        .iter()
        .map(|&(text, label)| (featurizer.vectorize(text), label))
        .collect()
    }

    #[test]
    fn training_is_partial_fit_in_batches() {
        let recipe = Recipe {
            batch_size: 2,
            ..Recipe::notebook()
        };
        let mut training = Training::new(recipe).expect("valid recipe");
        let featurizer = training.featurizer();
        let examples = rows(&featurizer);
        for (row, label) in examples.clone() {
            training.learn(row, label).expect("learns");
        }
        training.end_pass().expect("ends");
        assert!(!training.wants_another_pass());
        assert_eq!(training.batches(), 3);
        let trained = training.finish().expect("finishes");

        let mut by_hand = Classifier::new(Config::notebook()).expect("valid config");
        for pair in examples.chunks(2) {
            let (batch, labels): (Vec<SparseRow>, Vec<Label>) = pair.iter().cloned().unzip();
            by_hand.partial_fit_rows(&batch, &labels).expect("learns");
        }
        assert_eq!(trained, by_hand);
    }

    #[test]
    fn averaging_and_pruning_follow_the_recipe() {
        let recipe = Recipe {
            batch_size: 1,
            passes: 2,
            average_last: 1,
            keep_weights: Some(3),
            ..Recipe::site()
        };
        let mut training = Training::new(recipe).expect("valid recipe");
        let featurizer = training.featurizer();
        while training.wants_another_pass() {
            for (row, label) in rows(&featurizer) {
                training.learn(row, label).expect("learns");
            }
            training.end_pass().expect("ends");
            if training.pass() == 2 {
                assert_eq!(training.batches(), 0, "the first pass only counts");
            }
        }
        assert_eq!(training.passes(), 3);
        assert_eq!(training.rows_learned(), 15);
        let trained = training.finish().expect("finishes");
        assert_eq!(trained.weights().len(), 3);
        assert!(trained.predict_proba("great acting") > trained.predict_proba("dull plot"));
    }

    #[test]
    fn a_feature_the_counting_pass_never_met_is_learned_at_the_floor() {
        let recipe = Recipe {
            batch_size: 1,
            passes: 1,
            average_last: 0,
            keep_weights: None,
            ..Recipe::site()
        };
        let floor = recipe.ratios.expect("the site recipe has ratios").floor;
        let mut training = Training::new(recipe).expect("valid recipe");
        let featurizer = training.featurizer();
        for (row, label) in rows(&featurizer) {
            training.learn(row, label).expect("counts");
        }
        training.end_pass().expect("ends");
        let unseen = featurizer.vectorize("unseen");
        let column = unseen.indices[0];
        training.learn(unseen, Label::Positive).expect("learns");
        training.end_pass().expect("ends");
        let trained = training.finish().expect("finishes");
        // AdaGrad's first step moves a weight by eta0 (1) whatever the value's size; folded
        // back, it is that step times the feature's scale, the floor.
        let weight = trained.weight(column).abs();
        assert!((weight - floor).abs() < 1e-3, "{weight}");
    }

    #[test]
    fn nothing_learned_is_an_error() {
        let training = Training::new(Recipe::notebook()).expect("valid recipe");
        assert_eq!(training.finish().err(), Some(TrainError::NothingLearned));
    }
}
