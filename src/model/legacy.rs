//! Model files of format version 2, as visitors' browsers and earlier exports hold them.
//!
//! Version 2 had no place for AdaGrad's sums and recorded a base checksum that nothing used;
//! its configuration is encoded as today's.

use serde::Deserialize;

use super::{Model, ModelError, Provenance, SparseWeights};
use crate::config::Config;

#[derive(Deserialize)]
struct ModelV2 {
    config: Config,
    weights: SparseWeights,
    intercept: f64,
    t: f64,
    provenance: ProvenanceV2,
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
    Ok(Model {
        config: old.config,
        weights: old.weights,
        intercept: old.intercept,
        t: old.t,
        squared_sums: None,
        provenance: Provenance {
            data: old.provenance.data,
            rows: old.provenance.rows,
            held_out_accuracy: old.provenance.held_out_accuracy,
            taught: old.provenance.taught,
        },
    })
}
