//! Training itself: recipes, the out-of-core training loop and the figures that judge a model.
//!
//! The native trainer and the page's file jobs both train through this module, so the same
//! file, recipe and options give the same model bytes in either. It does no I/O and starts no
//! threads: callers read their data however their platform allows (a reader thread and
//! featurizing workers natively, streams and workers in the browser) and hand it rows in
//! order.

mod holdout;
mod metrics;
mod ratios;
mod recipe;
mod training;

pub use holdout::HoldOut;
pub use metrics::{Confusion, RocPoint, Scores, Summary};
pub use ratios::{LogCountRatios, RatiosError};
pub use recipe::{Pruning, Recipe, RecipeError};
pub use training::{TrainError, Training};
