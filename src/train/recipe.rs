//! A recipe: everything that decides what a training run makes.

use thiserror::Error;

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
    /// Keep only this many weights, the largest (`None`: every non-zero weight).
    pub keep_weights: Option<usize>,
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
        }
    }

    /// The model the site ships: every word kept, word bigrams, AdaGrad steps, one pass, the
    /// 120,000 largest weights kept at 8 bits on a logarithmic scale.
    ///
    /// Chosen on validation rows carved from the 45,000 training rows (the last 5,000 of
    /// them): 150,000 weights at 16 bits scored 0.9176 (log loss 0.2243) in 364 KB gzip'd; at
    /// 8 bits the same, in 214 KB; 120,000 at 8 bits 0.9178 (0.2252) in 180 KB; 100,000,
    /// 0.9174 (0.2266).
    pub fn site() -> Recipe {
        let mut config = Config::notebook();
        config.tokenizer.stop_words = StopWords::None;
        config.tokenizer.ngram_range = (1, 2);
        config.learner.alpha = 1e-6;
        config.learner.step = StepSize::AdaGrad { eta0: 0.6 };
        config.precision = WeightPrecision::Log8;
        Recipe {
            config,
            batch_size: 1000,
            passes: 1,
            average_last: 0,
            keep_weights: Some(120_000),
        }
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
                format!("the {keep} largest weights kept")
            });
        format!(
            "batches of {}, {} {passes}{averaged}, {kept}",
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
        let mut recipe = Recipe::site();
        recipe.average_last = 2;
        assert!(recipe.check().is_err());
        assert_eq!(
            Recipe::site().schedule(),
            "batches of 1000, 1 pass, the 120000 largest weights kept"
        );
    }
}
