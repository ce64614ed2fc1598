//! movieclassifier: the reference notebook's sentiment pipeline as one small library.
//!
//! The pipeline reads top to bottom, one module a stage:
//!
//! 0. [`read`]: reviews from CSV, TSV, text and tar files, pushed in chunks;
//! 1. [`tokenize`]: the notebook's tokenizer, with CPython's Unicode rules;
//! 2. [`vectorize`]: scikit-learn's `HashingVectorizer` (signed MurmurHash3, L2 rows);
//! 3. [`learn`]: scikit-learn's `SGDClassifier(loss='log_loss')` and its `partial_fit`;
//! 4. [`model`]: the model file, a checked postcard encoding of all of the above.
//!
//! [`Classifier`] ties the stages together for callers that think in review texts; [`train`]
//! turns a stream of labelled rows into a classifier by a recipe; [`teaching`] keeps a model
//! a person teaches equal to its start model with their lessons replayed; [`queue`] offers
//! them the reviews the model is least sure of. The library does
//! no I/O and starts no threads, so the same code serves the native trainer, the browser page
//! and its workers; the `wasm` module is a thin binding compiled only for wasm32.

pub mod batch;
mod classifier;
mod config;
mod label;
pub mod learn;
pub mod model;
pub mod pickle;
pub mod queue;
pub mod read;
pub mod sklearn;
pub mod teaching;
pub mod tokenize;
pub mod train;
pub mod vectorize;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use classifier::{
    Classifier, Explanation, Featurizer, Prediction, Scratch, TermContribution, TermSpan,
};
pub use config::{
    Config, ConfigError, LearnerConfig, LogLoss, StepSize, StopWords, TokenizerConfig,
    WeightPrecision, MAX_T, MAX_WEIGHT,
};
pub use label::Label;
