//! The pipeline's options, in one struct that every model file records.
//!
//! A model is only meaningful with the exact tokenizer, feature count and learner settings it
//! was trained with, so they travel inside the model file instead of living in code. The
//! notebook's settings are the one place where those defaults are written down.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Everything that decides how a review becomes a prediction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub tokenizer: TokenizerConfig,
    /// Columns of the hashed feature space (`HashingVectorizer(n_features=...)`).
    pub n_features: u32,
    pub learner: LearnerConfig,
    pub precision: WeightPrecision,
}

/// How text becomes tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerConfig {
    /// Which words are dropped before n-grams are made.
    pub stop_words: StopWords,
    /// Smallest and largest n-gram of words (`HashingVectorizer(ngram_range=...)`).
    pub ngram_range: (u8, u8),
}

/// The words a tokenizer drops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopWords {
    /// Keep every word.
    None,
    /// NLTK's English list, as the notebook's tokenizer drops it.
    Nltk,
    /// NLTK's list without its negations ("no", "nor", "not" and the stems of its "n't"
    /// forms, such as "didn"): they carry sentiment, above all in bigrams like "not good".
    NltkKeepingNegations,
}

/// How a model file stores its weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WeightPrecision {
    /// Exactly, as 64-bit floats: what the bit-exact `seed` model needs.
    F64,
    /// As 16-bit integers times one scale (the largest magnitude / 32767): a quarter of the
    /// size, and fine enough that one taught example still moves the weights it touches.
    Scaled16,
}

/// Settings of `SGDClassifier(loss='log_loss', penalty='l2', learning_rate='optimal')`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnerConfig {
    /// Strength of the L2 penalty (`alpha`).
    pub alpha: f64,
    /// Seed of the per-call shuffle (`random_state`), as numpy's `RandomState` takes it.
    pub random_state: u32,
    pub step: StepSize,
}

/// How big each learning step is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum StepSize {
    /// scikit-learn's `learning_rate='optimal'`: one step size for all features, shrinking
    /// as `1 / (alpha * (t0 + t))`.
    Optimal,
    /// AdaGrad: each feature's step is `eta0 / sqrt(sum of its squared gradients)`, so rare
    /// words (most of the bigrams) keep learning fast while common ones settle. The L2
    /// penalty applies to the features of each row as it is learned.
    AdaGrad {
        eta0: f64,
        /// The squared-gradient sum every feature starts from when a model file is loaded:
        /// the sums themselves are not stored (they would double the file), so a loaded
        /// model resumes with this typical value, chosen by the trainer.
        resume_sum: f64,
    },
}

impl Config {
    /// The reference notebook's pipeline: `HashingVectorizer(n_features=2**21,
    /// tokenizer=tokenizer)` and `SGDClassifier(loss='log_loss', random_state=1)`.
    pub const fn notebook() -> Self {
        Config {
            tokenizer: TokenizerConfig {
                stop_words: StopWords::Nltk,
                ngram_range: (1, 1),
            },
            n_features: 1 << 21,
            learner: LearnerConfig {
                alpha: 0.0001,
                random_state: 1,
                step: StepSize::Optimal,
            },
            precision: WeightPrecision::F64,
        }
    }
}

/// The largest feature space a model may declare: 2^24 columns, 128 MiB of weights. Larger
/// spaces gain nothing for reviews and would let a hostile file ask for any allocation.
pub const MAX_FEATURES: u32 = 1 << 24;

/// The longest n-gram a model may ask for.
pub const MAX_NGRAM: u8 = 8;

#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("n_features is {0}; it must be between 1 and {MAX_FEATURES}")]
    FeatureCount(u32),
    #[error("n-gram range ({0}, {1}) is invalid; it needs 1 <= min <= max <= {MAX_NGRAM}")]
    NgramRange(u8, u8),
    #[error("alpha is {0}; it must be a positive finite number")]
    Alpha(f64),
    #[error("AdaGrad's eta0 {eta0} and resume_sum {resume_sum} must be positive finite numbers")]
    AdaGrad { eta0: f64, resume_sum: f64 },
}

impl Config {
    /// Checks the invariants the pipeline relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.n_features == 0 || self.n_features > MAX_FEATURES {
            return Err(ConfigError::FeatureCount(self.n_features));
        }
        let (min_n, max_n) = self.tokenizer.ngram_range;
        if min_n == 0 || min_n > max_n || max_n > MAX_NGRAM {
            return Err(ConfigError::NgramRange(min_n, max_n));
        }
        let alpha = self.learner.alpha;
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(ConfigError::Alpha(alpha));
        }
        if let StepSize::AdaGrad { eta0, resume_sum } = self.learner.step {
            if !(eta0.is_finite() && eta0 > 0.0 && resume_sum.is_finite() && resume_sum > 0.0) {
                return Err(ConfigError::AdaGrad { eta0, resume_sum });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adagrad_settings_are_checked() {
        let mut config = Config::notebook();
        assert_eq!(config.validate(), Ok(()));
        config.learner.step = StepSize::AdaGrad {
            eta0: 0.6,
            resume_sum: 0.0,
        };
        assert_eq!(
            config.validate(),
            Err(ConfigError::AdaGrad {
                eta0: 0.6,
                resume_sum: 0.0
            })
        );
    }
}
