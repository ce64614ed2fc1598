//! Model files of format version 2, as visitors' browsers and earlier exports hold them.
//!
//! Version 2 kept no AdaGrad sums but one `resume_sum` in its configuration, which every sum,
//! the intercept's too, resumed from; it also recorded a base checksum that nothing used.

use serde::Deserialize;

use super::{Model, ModelError, Provenance, SparseWeights, StoredSums};
use crate::config::{Config, LearnerConfig, LogLoss, StepSize, TokenizerConfig, WeightPrecision};

#[derive(Deserialize)]
struct ModelV2 {
    config: ConfigV2,
    weights: SparseWeights,
    intercept: f64,
    t: f64,
    provenance: ProvenanceV2,
}

#[derive(Deserialize)]
struct ConfigV2 {
    tokenizer: TokenizerConfig,
    n_features: u32,
    learner: LearnerConfigV2,
    precision: WeightPrecision,
}

#[derive(Deserialize)]
struct LearnerConfigV2 {
    alpha: f64,
    random_state: u32,
    step: StepSizeV2,
}

#[derive(Deserialize)]
enum StepSizeV2 {
    Optimal,
    AdaGrad { eta0: f64, resume_sum: f64 },
}

#[derive(Deserialize)]
struct ProvenanceV2 {
    data: String,
    rows: u64,
    held_out_accuracy: Option<f64>,
    taught: u64,
    _base_checksum: Option<u32>,
}

/// A version 2 body as today's model.
pub(super) fn decode_v2(body: &[u8]) -> Result<Model, ModelError> {
    let old: ModelV2 =
        postcard::from_bytes(body).map_err(|err| ModelError::Malformed(err.to_string()))?;
    let (step, squared_sums) = match old.config.learner.step {
        StepSizeV2::Optimal => (StepSize::Optimal, None),
        StepSizeV2::AdaGrad { eta0, resume_sum } => {
            let fresh = if old.t > 1.0 { resume_sum } else { 0.0 };
            let sums = StoredSums {
                per_weight: Vec::new(),
                intercept: fresh,
                fresh,
            };
            (StepSize::AdaGrad { eta0 }, Some(sums))
        }
    };
    Ok(Model {
        config: Config {
            tokenizer: old.config.tokenizer,
            n_features: old.config.n_features,
            learner: LearnerConfig {
                alpha: old.config.learner.alpha,
                random_state: old.config.learner.random_state,
                step,
                loss: LogLoss::HalfBinomial,
            },
            precision: old.config.precision,
        },
        weights: old.weights,
        intercept: old.intercept,
        t: old.t,
        squared_sums,
        provenance: Provenance {
            data: old.provenance.data,
            rows: old.provenance.rows,
            held_out_accuracy: old.provenance.held_out_accuracy,
            taught: old.provenance.taught,
        },
    })
}
