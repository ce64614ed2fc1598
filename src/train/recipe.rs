//! A recipe: everything that decides what a training run makes.

use thiserror::Error;

use super::ratios::{LogCountRatios, RatiosError};
use crate::config::{Config, ConfigError, StepSize, StopWords, WeightPrecision};
use crate::model::MAX_STORED_WEIGHTS;

/// The pipeline to build and how to train it.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    pub config: Config,
    /// Rows per `partial_fit` call.
    pub batch_size: usize,
    /// Passes over the training rows.
    pub passes: u32,
    /// Average the weights after every batch of the last N passes and keep the average
    /// (0: keep the last weights).
    pub average_last: u32,
    /// Keep only this many weights, the most important (`None`: every non-zero weight).
    pub keep_weights: Option<usize>,
    /// What makes a weight important when pruning.
    pub prune_by: Pruning,
    /// Scale each feature by its Naive Bayes log-count ratio, counted in a first pass of its
    /// own (`None`: learn the features as they are).
    pub ratios: Option<LogCountRatios>,
}

/// How the weights a pruned model keeps are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pruning {
    /// The largest in magnitude.
    Magnitude,
    /// The largest magnitude times the square root of the number of training rows the feature
    /// occurs in: a weight that moves many decisions a little outranks one that moves a rare
    /// review a lot.
    Use,
}

#[derive(Debug, Error, PartialEq)]
pub enum RecipeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the batch size is 0; a batch needs at least one row")]
    EmptyBatch,
    #[error("passes is 0; training needs at least one pass")]
    NoPass,
    #[error("averaging over the last {average_last} passes, but there are only {passes}")]
    AverageBeyondPasses { average_last: u32, passes: u32 },
    #[error(transparent)]
    Ratios(#[from] RatiosError),
    #[error(
        "keeping {0} weights; a model file stores at most {MAX_STORED_WEIGHTS}, so keep fewer"
    )]
    TooManyWeights(usize),
}

impl Recipe {
    /// The names a person picks a recipe by, the default first.
    pub const NAMES: [&'static str; 2] = ["site", "notebook"];

    /// The recipe called `name` (see [`Recipe::NAMES`]).
    pub fn named(name: &str) -> Option<Recipe> {
        match name {
            "site" => Some(Recipe::site()),
            "notebook" => Some(Recipe::notebook()),
            _ => None,
        }
    }

    /// The reference notebook exactly: its tokenizer, 2^21 features,
    /// `SGDClassifier(loss='log_loss', random_state=1)`, batches of 1,000, one pass.
    pub fn notebook() -> Recipe {
        Recipe {
            config: Config::notebook(),
            batch_size: 1000,
            passes: 1,
            average_last: 0,
            keep_weights: None,
            prune_by: Pruning::Magnitude,
            ratios: None,
        }
    }

    /// The model the site ships: every word kept, word bigrams and trigrams hashed into 2^22
    /// columns, each scaled by its log-count ratio, AdaGrad steps, three passes with the
    /// weights averaged over the last two, and the 120,000 weights that move the most
    /// decisions kept at 8 bits on a logarithmic scale.
    ///
    /// Chosen by 5-fold cross-validation on the standard split's training reviews
    /// (`scripts/validation_report.py`; the table is in `model/variants.md`).
    pub fn site() -> Recipe {
        let mut config = Config::notebook();
        config.tokenizer.stop_words = StopWords::None;
        config.tokenizer.ngram_range = (1, 3);
        config.n_features = 1 << 22;
        config.learner.alpha = 1e-6;
        config.learner.step = StepSize::AdaGrad { eta0: 1.0 };
        config.precision = WeightPrecision::Log8;
        Recipe {
            config,
            batch_size: 1000,
            passes: 3,
            average_last: 2,
            // The first visit's budget: the most weights, in thousands, whose shipped file gzips
            // to under 200,000 bytes with GNU gzip -9 (198,999 B; 120,000 made 201,750 B). On
            // the folds, 120,000 scored no better (model/variants.md).
            keep_weights: Some(118_000),
            prune_by: Pruning::Use,
            ratios: Some(LogCountRatios {
                smoothing: 5.0,
                floor: 0.1,
            }),
        }
    }

    /// Whether training must count how often each feature occurs, in its first pass: for
    /// the log-count ratios or to prune by use. (The notebook's recipe needs neither; counting
    /// anyway made it learn the standard split's 25,000 reviews in 0.27 s instead of 0.25 s,
    /// medians of 5 runs side by side.)
    pub fn needs_counts(&self) -> bool {
        self.ratios.is_some() || (self.keep_weights.is_some() && self.prune_by == Pruning::Use)
    }

    /// Checks that the recipe can be trained.
    pub fn check(&self) -> Result<(), RecipeError> {
        self.config.validate()?;
        if self.batch_size == 0 {
            return Err(RecipeError::EmptyBatch);
        }
        if self.passes == 0 {
            return Err(RecipeError::NoPass);
        }
        if self.average_last > self.passes {
            return Err(RecipeError::AverageBeyondPasses {
                average_last: self.average_last,
                passes: self.passes,
            });
        }
        if let Some(ratios) = self.ratios {
            ratios.check()?;
        }
        if let Some(keep) = self.keep_weights.filter(|&keep| keep > MAX_STORED_WEIGHTS) {
            return Err(RecipeError::TooManyWeights(keep));
        }
        Ok(())
    }

    /// The training schedule in one line, for a model card.
    pub fn schedule(&self) -> String {
        let passes = if self.passes == 1 { "pass" } else { "passes" };
        let averaged = match self.average_last {
            0 => String::new(),
            n => format!(", weights averaged over the last {n}"),
        };
        let kept = self
            .keep_weights
            .map_or("every non-zero weight kept".to_owned(), |keep| {
                match self.prune_by {
                    Pruning::Magnitude => format!("the {keep} largest weights kept"),
                    Pruning::Use => format!("the {keep} weights of most use kept"),
                }
            });
        let scaled = match self.ratios {
            None => String::new(),
            Some(LogCountRatios { smoothing, floor }) => format!(
                "features scaled by log-count ratios (smoothing {smoothing}, floor {floor}), "
            ),
        };
        format!(
            "{scaled}batches of {}, {} {passes}{averaged}, {kept}",
            self.batch_size, self.passes
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_recipes_check() {
        for name in Recipe::NAMES {
            let recipe = Recipe::named(name).expect("known name");
            assert_eq!(recipe.check(), Ok(()), "{name}");
        }
        assert_eq!(Recipe::named("seed"), None);
        assert!(Recipe::site().needs_counts());
        assert!(!Recipe::notebook().needs_counts());
        let mut recipe = Recipe::site();
        recipe.average_last = 4;
        assert!(recipe.check().is_err());
        let recipe = Recipe {
            ratios: Some(LogCountRatios {
                smoothing: 0.0,
                floor: 0.0,
            }),
            ..Recipe::site()
        };
        assert!(recipe.check().is_err());
        assert_eq!(
            Recipe::site().schedule(),
            "features scaled by log-count ratios (smoothing 5, floor 0.1), batches of 1000, \
             3 passes, \
             weights averaged over the last 2, the 118000 weights of most use kept"
        );
    }
}
