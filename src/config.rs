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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopWords {
    /// Keep every word.
    None,
    /// NLTK's English list, as the notebook's tokenizer drops it.
    Nltk,
    /// NLTK's list without its negations ("no", "nor", "not" and the stems of its "n't"
    /// forms, such as "didn"): they carry sentiment, above all in bigrams like "not good".
    NltkKeepingNegations,
    /// A list of its own, as a notebook's `stopwords.pkl` can carry (another NLTK version's,
    /// or one its owner edited); a token is dropped when it equals one of them.
    Custom(Vec<String>),
}

/// The most words a list of stop words of its own may hold, and the longest word: far more
/// than any language's list.
pub const MAX_STOP_WORDS: usize = 10_000;
pub const MAX_STOP_WORD_BYTES: usize = 256;

/// How a model file stores its weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WeightPrecision {
    /// Exactly, as 64-bit floats: what the bit-exact `seed` model needs.
    F64,
    /// As 16-bit integers times one scale (the largest magnitude / 32767): a quarter of the
    /// size, and fine enough that one taught example still moves the weights it touches.
    Scaled16,
    /// As one byte each: a sign and 127 steps of the logarithm of the magnitude between the
    /// smallest and the largest kept, so every weight is kept to within half a step of its
    /// size (a few percent), whatever its size.
    Log8,
}

/// Settings of `SGDClassifier(loss='log_loss', penalty='l2', learning_rate='optimal')`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnerConfig {
    /// Strength of the L2 penalty (`alpha`).
    pub alpha: f64,
    /// Seed of the per-call shuffle (`random_state`), as numpy's `RandomState` takes it.
    pub random_state: u32,
    pub step: StepSize,
    /// How the gradient of the loss is computed.
    pub loss: LogLoss,
}

/// Which of scikit-learn's two codings of the logistic loss's gradient a model goes on
/// learning with: they agree to within rounding, and a model imported from an older
/// scikit-learn continues as that version would, to the bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogLoss {
    /// `loss='log_loss'` (scikit-learn 1.1 on): `CyHalfBinomialLoss`, targets 0 and 1.
    HalfBinomial,
    /// `loss='log'` (scikit-learn before 1.3): `_sgd_fast.Log`, targets -1 and 1.
    Log,
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
    /// The sums go with the model (see `model::StoredSums`).
    AdaGrad { eta0: f64 },
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
                loss: LogLoss::HalfBinomial,
            },
            precision: WeightPrecision::F64,
        }
    }
}

/// The largest feature space a model may declare: 2^24 columns. Memory follows the weights a
/// model stores, not this number, but no review needs more columns.
pub const MAX_FEATURES: u32 = 1 << 24;

/// The longest n-gram a model may ask for: the literature's uni+bi+trigrams. Each longer
/// n-gram costs another pass over every review's tokens.
pub const MAX_NGRAM: u8 = 3;

/// The L2 penalties a model may use: scikit-learn's default is 1e-4, the shipped model's 1e-6.
pub const ALPHA_RANGE: (f64, f64) = (1e-10, 1.0);

/// AdaGrad's base step: each step moves a weight by at most `eta0`, so a taught example can
/// never move a weight by more than this (the shipped model uses 0.6).
pub const ETA0_RANGE: (f64, f64) = (1e-6, 10.0);

/// The largest of AdaGrad's squared-gradient sums: one example adds at most
/// `(1 + alpha * MAX_WEIGHT)^2`, 1e12, so no model taught fewer than 1e18 examples comes near.
pub const MAX_SQUARED_SUM: f64 = 1e30;

/// The largest magnitude of a weight or of the intercept. Trained models stay below 100; a
/// taught example that would pass this is refused.
pub const MAX_WEIGHT: f64 = 1e6;

/// The largest step counter `t`: 2^53, where counting in floats stops being exact.
pub const MAX_T: f64 = 9_007_199_254_740_992.0;

#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("n_features is {0}; it must be between 1 and {MAX_FEATURES}")]
    FeatureCount(u32),
    #[error("ngram_range is ({0}, {1}); it needs 1 <= min <= max <= {MAX_NGRAM}")]
    NgramRange(u8, u8),
    #[error("the stop-word list has {count} words, the longest of {longest} bytes; at most {MAX_STOP_WORDS} words of {MAX_STOP_WORD_BYTES} bytes are allowed")]
    StopWordList { count: usize, longest: usize },
    #[error("{field} is {value:e}; it must be between {min:e} and {max:e}")]
    OutOfRange {
        field: &'static str,
        value: f64,
        min: f64,
        max: f64,
    },
}

/// Checks that `value` lies in `range` (a NaN never does), naming `field` if not.
pub(crate) fn check_range(
    field: &'static str,
    value: f64,
    (min, max): (f64, f64),
) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

impl Config {
    /// Checks the invariants the pipeline relies on, and that every setting lies where a
    /// trained model's does: a hand-made file cannot ask for a learner that overflows.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.n_features == 0 || self.n_features > MAX_FEATURES {
            return Err(ConfigError::FeatureCount(self.n_features));
        }
        let (min_n, max_n) = self.tokenizer.ngram_range;
        if min_n == 0 || min_n > max_n || max_n > MAX_NGRAM {
            return Err(ConfigError::NgramRange(min_n, max_n));
        }
        if let StopWords::Custom(words) = &self.tokenizer.stop_words {
            let longest = words.iter().map(String::len).max().unwrap_or(0);
            if words.len() > MAX_STOP_WORDS || longest > MAX_STOP_WORD_BYTES {
                return Err(ConfigError::StopWordList {
                    count: words.len(),
                    longest,
                });
            }
        }
        check_range("alpha", self.learner.alpha, ALPHA_RANGE)?;
        if let StepSize::AdaGrad { eta0 } = self.learner.step {
            check_range("eta0", eta0, ETA0_RANGE)?;
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
        config.learner.step = StepSize::AdaGrad { eta0: 0.0 };
        assert_eq!(
            config.validate(),
            Err(ConfigError::OutOfRange {
                field: "eta0",
                value: 0.0,
                min: ETA0_RANGE.0,
                max: ETA0_RANGE.1,
            })
        );
    }

    #[test]
    fn settings_no_trained_model_has_are_refused_by_name() {
        let mut crafted = Config::notebook();
        crafted.n_features = MAX_FEATURES;
        crafted.tokenizer.ngram_range = (1, 8);
        let message = crafted.validate().expect_err("refused").to_string();
        assert!(message.starts_with("ngram_range is (1, 8)"), "{message}");

        crafted.tokenizer.ngram_range = (1, 2);
        crafted.learner.step = StepSize::AdaGrad { eta0: 1e308 };
        let message = crafted.validate().expect_err("refused").to_string();
        assert!(message.starts_with("eta0 is 1e308"), "{message}");

        crafted.learner.alpha = f64::NAN;
        let message = crafted.validate().expect_err("refused").to_string();
        assert!(message.starts_with("alpha is NaN"), "{message}");
    }
}
