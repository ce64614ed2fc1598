//! The model file: everything needed to predict and to go on learning, checked on the way in.
//!
//! Layout, little-endian:
//!
//! | bytes | what |
//! | --- | --- |
//! | 8 | [`MAGIC`] |
//! | 2 | [`FORMAT_VERSION`] |
//! | 8 | length of the body |
//! | body | postcard encoding of [`Model`] |
//! | 4 | CRC-32 of everything before it |
//!
//! The tag and version come first and unencoded so that a foreign or newer file is named as
//! such before anything is decoded; the length tells a truncated file from a corrupted one;
//! the checksum catches a flipped byte that would otherwise decode into plausible weights.
//! Weights are stored sparsely (column gaps as varints), since most of the 2^21 are zero.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::{Config, ConfigError, WeightPrecision};

/// The first bytes of every model file.
pub const MAGIC: [u8; 8] = *b"MOVIECLF";

/// The version of the layout and of [`Model`] this library writes and reads.
pub const FORMAT_VERSION: u16 = 2;

const HEADER_LEN: usize = MAGIC.len() + 2 + 8;
const CHECKSUM_LEN: usize = 4;

/// A trained model with the pipeline that produced it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub config: Config,
    pub weights: SparseWeights,
    pub intercept: f64,
    /// scikit-learn's `t_`, so that learning resumes with the right step size.
    pub t: f64,
    pub provenance: Provenance,
}

/// Where a model came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// What it was trained on, as a person would name it.
    pub data: String,
    /// Rows learned from that data.
    pub rows: u64,
    /// Accuracy on held-out rows, when measured.
    pub held_out_accuracy: Option<f64>,
    /// Examples taught one at a time after the pretrained model was loaded.
    pub taught: u64,
    /// Checksum of the pretrained model file this one grew from, if any.
    pub base_checksum: Option<u32>,
}

/// The non-zero weights: each column as the gap from the previous one, and its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SparseWeights {
    gaps: Vec<u32>,
    values: WeightValues,
}

/// The values of the non-zero weights, at a [`WeightPrecision`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum WeightValues {
    F64(Vec<f64>),
    /// Each weight is `scale * value`.
    Scaled16 {
        scale: f64,
        values: Vec<i16>,
    },
}

impl Default for SparseWeights {
    fn default() -> Self {
        SparseWeights {
            gaps: Vec::new(),
            values: WeightValues::F64(Vec::new()),
        }
    }
}

impl SparseWeights {
    /// The non-zero weights of `dense`, stored at `precision`. At `Scaled16`, weights that
    /// round to zero are left out.
    pub fn from_dense(dense: &[f64], precision: WeightPrecision) -> Self {
        let mut gaps = Vec::new();
        let mut previous = 0;
        let mut keep = |column: usize| {
            let column = column as u32;
            gaps.push(column - previous);
            previous = column;
        };
        let values = match precision {
            WeightPrecision::F64 => {
                let mut values = Vec::new();
                for (column, &value) in dense.iter().enumerate() {
                    if value != 0.0 {
                        keep(column);
                        values.push(value);
                    }
                }
                WeightValues::F64(values)
            }
            WeightPrecision::Scaled16 => {
                let largest = dense.iter().fold(0.0f64, |max, w| max.max(w.abs()));
                let scale = if largest > 0.0 {
                    largest / f64::from(i16::MAX)
                } else {
                    1.0
                };
                let mut values = Vec::new();
                for (column, &value) in dense.iter().enumerate() {
                    // |value / scale| <= 32767 by the choice of scale.
                    let quantized = (value / scale).round() as i16;
                    if quantized != 0 {
                        keep(column);
                        values.push(quantized);
                    }
                }
                WeightValues::Scaled16 { scale, values }
            }
        };
        SparseWeights { gaps, values }
    }

    /// The weights as a vector of `n_features`, or `None` if a column falls outside it.
    pub fn to_dense(&self, n_features: u32) -> Option<Vec<f64>> {
        let mut dense = vec![0.0; n_features as usize];
        for (column, value) in self.iter() {
            *dense.get_mut(column as usize)? = value;
        }
        Some(dense)
    }

    /// Non-zero weights as (column, value), columns ascending.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        let columns = self.gaps.iter().scan(0u32, |column, &gap| {
            *column = column.saturating_add(gap);
            Some(*column)
        });
        let values: Box<dyn Iterator<Item = f64> + '_> = match &self.values {
            WeightValues::F64(values) => Box::new(values.iter().copied()),
            WeightValues::Scaled16 { scale, values } => {
                Box::new(values.iter().map(move |&v| scale * f64::from(v)))
            }
        };
        columns.zip(values)
    }

    pub fn len(&self) -> usize {
        match &self.values {
            WeightValues::F64(values) => values.len(),
            WeightValues::Scaled16 { values, .. } => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn validate(&self, n_features: u32) -> Result<(), ModelError> {
        if self.gaps.len() != self.len() {
            return Err(ModelError::Malformed(
                "weight columns and values differ in number".into(),
            ));
        }
        if let WeightValues::Scaled16 { scale, .. } = self.values {
            if !(scale.is_finite() && scale > 0.0) {
                return Err(ModelError::Malformed(format!(
                    "the weight scale is {scale}; it must be a positive finite number"
                )));
            }
        }
        let mut previous: Option<u32> = None;
        let mut column = 0u32;
        for (gap, (_, value)) in self.gaps.iter().zip(self.iter()) {
            column = column
                .checked_add(*gap)
                .filter(|&c| c < n_features && previous.is_none_or(|p| c > p))
                .ok_or_else(|| {
                    ModelError::Malformed(format!(
                        "weight columns are not ascending within {n_features} features"
                    ))
                })?;
            previous = Some(column);
            if !value.is_finite() {
                return Err(ModelError::Malformed(format!(
                    "the weight of column {column} is not a finite number"
                )));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum ModelError {
    #[error("this is not a movieclassifier model file (it does not start with the MOVIECLF tag)")]
    Foreign,
    #[error("the model file is truncated: {expected} bytes expected, {actual} present")]
    Truncated { expected: usize, actual: usize },
    #[error(
        "the model file has format version {found}, newer than the version {supported} this \
         program reads; use a newer movieclassifier"
    )]
    NewerVersion { found: u16, supported: u16 },
    #[error(
        "the model file has format version {found}, older than the version {supported} this \
         program reads; retrain it with this version"
    )]
    OlderVersion { found: u16, supported: u16 },
    #[error("the model file is corrupted: its checksum does not match its contents")]
    Checksum,
    #[error("the model file is corrupted: {0}")]
    Malformed(String),
    #[error("the model file has an invalid configuration: {0}")]
    Config(#[from] ConfigError),
}

impl Model {
    /// The model file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Encoding plain data into a Vec cannot fail; an empty body would be refused on
        // decoding rather than written silently wrong.
        let body = postcard::to_allocvec(self).unwrap_or_default();
        let mut bytes = Vec::with_capacity(HEADER_LEN + body.len() + CHECKSUM_LEN);
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&body);
        let checksum = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&checksum.to_le_bytes());
        bytes
    }

    /// Reads a model file, refusing anything that is not a complete, intact, valid model of
    /// this format version.
    pub fn decode(bytes: &[u8]) -> Result<Model, ModelError> {
        let tag_len = bytes.len().min(MAGIC.len());
        if bytes[..tag_len] != MAGIC[..tag_len] {
            return Err(ModelError::Foreign);
        }
        if bytes.len() < HEADER_LEN {
            return Err(ModelError::Truncated {
                expected: HEADER_LEN + CHECKSUM_LEN,
                actual: bytes.len(),
            });
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version > FORMAT_VERSION {
            return Err(ModelError::NewerVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version < FORMAT_VERSION {
            return Err(ModelError::OlderVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let mut body_len = [0; 8];
        body_len.copy_from_slice(&bytes[10..HEADER_LEN]);
        let expected = usize::try_from(u64::from_le_bytes(body_len))
            .ok()
            .and_then(|body_len| body_len.checked_add(HEADER_LEN + CHECKSUM_LEN))
            .ok_or_else(|| ModelError::Malformed("the body length is impossibly large".into()))?;
        if bytes.len() < expected {
            return Err(ModelError::Truncated {
                expected,
                actual: bytes.len(),
            });
        }
        if bytes.len() > expected {
            return Err(ModelError::Malformed(format!(
                "{} unexpected bytes after the end of the model",
                bytes.len() - expected
            )));
        }
        let (content, checksum) = bytes.split_at(expected - CHECKSUM_LEN);
        let mut stored = [0; 4];
        stored.copy_from_slice(checksum);
        if crc32fast::hash(content) != u32::from_le_bytes(stored) {
            return Err(ModelError::Checksum);
        }
        let model: Model = postcard::from_bytes(&content[HEADER_LEN..])
            .map_err(|err| ModelError::Malformed(err.to_string()))?;
        model.validate()?;
        Ok(model)
    }

    /// The checksum a model file ends with, which identifies a pretrained model.
    pub fn checksum_of(bytes: &[u8]) -> Option<u32> {
        let tail = bytes.len().checked_sub(CHECKSUM_LEN)?;
        let mut stored = [0; 4];
        stored.copy_from_slice(&bytes[tail..]);
        Some(u32::from_le_bytes(stored))
    }

    fn validate(&self) -> Result<(), ModelError> {
        self.config.validate()?;
        self.weights.validate(self.config.n_features)?;
        if !self.intercept.is_finite() {
            return Err(ModelError::Malformed(
                "the intercept is not a finite number".into(),
            ));
        }
        if !(self.t.is_finite() && self.t >= 1.0) {
            return Err(ModelError::Malformed(format!(
                "the step counter t is {}; it must be a finite number of at least 1",
                self.t
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn model() -> Model {
        let mut dense = vec![0.0; 1 << 21];
        dense[3] = 0.5;
        dense[70_000] = -1.25;
        Model {
            config: Config::notebook(),
            weights: SparseWeights::from_dense(&dense, WeightPrecision::F64),
            intercept: 0.08,
            t: 45_001.0,
            provenance: Provenance {
                data: "test".into(),
                rows: 45_000,
                held_out_accuracy: Some(0.863),
                ..Provenance::default()
            },
        }
    }

    #[test]
    fn round_trips() {
        let model = model();
        let bytes = model.encode();
        assert_eq!(Model::decode(&bytes), Ok(model.clone()));
        let dense = model.weights.to_dense(1 << 21).expect("columns in range");
        assert_eq!((dense[3], dense[70_000]), (0.5, -1.25));
    }

    #[test]
    fn scaled_weights_keep_five_digits() {
        let dense = [0.0, 2.0, -0.5, 1e-9, 0.123_456];
        let weights = SparseWeights::from_dense(&dense, WeightPrecision::Scaled16);
        let back = weights.to_dense(5).expect("columns in range");
        assert_eq!(
            weights.len(),
            3,
            "the tiny weight rounds to zero and is left out"
        );
        for (original, stored) in dense.iter().zip(&back) {
            assert!((original - stored).abs() <= 2.0 / 32767.0 / 2.0 + 1e-15);
        }
        assert_eq!(back[1], 2.0);
    }

    #[test]
    fn names_what_is_wrong() {
        let bytes = model().encode();
        assert_eq!(Model::decode(b"PK\x03\x04 zip"), Err(ModelError::Foreign));
        assert_eq!(
            Model::decode(b""),
            Err(ModelError::Truncated {
                expected: 22,
                actual: 0
            })
        );
        assert!(matches!(
            Model::decode(&bytes[..bytes.len() - 1]),
            Err(ModelError::Truncated { .. })
        ));
        let mut newer = bytes.clone();
        newer[8] = (FORMAT_VERSION + 1) as u8;
        assert_eq!(
            Model::decode(&newer),
            Err(ModelError::NewerVersion {
                found: FORMAT_VERSION + 1,
                supported: FORMAT_VERSION
            })
        );
        let mut older = bytes.clone();
        older[8] = (FORMAT_VERSION - 1) as u8;
        assert!(matches!(
            Model::decode(&older),
            Err(ModelError::OlderVersion { .. })
        ));
        let mut flipped = bytes.clone();
        flipped[40] ^= 0x10;
        assert_eq!(Model::decode(&flipped), Err(ModelError::Checksum));
        let mut longer = bytes;
        longer.push(0);
        assert!(matches!(
            Model::decode(&longer),
            Err(ModelError::Malformed(_))
        ));
    }
}
