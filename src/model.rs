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
//!
//! Every number is held to the range a trained model's lies in ([`Model::validate`]), so a
//! hand-made file can neither ask for unbounded memory nor make learning overflow. Files of
//! format version 2 (before AdaGrad's sums could be kept) are read and converted: visitors'
//! browsers hold them.

mod crc32;
mod legacy;

use std::convert::Infallible;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::{
    check_range, Config, ConfigError, StepSize, WeightPrecision, MAX_SQUARED_SUM, MAX_T, MAX_WEIGHT,
};

/// The first bytes of every model file.
pub const MAGIC: [u8; 8] = *b"MOVIECLF";

/// The version of the layout and of [`Model`] this library writes.
pub const FORMAT_VERSION: u16 = 3;

/// The oldest version this library reads.
const OLDEST_READABLE_VERSION: u16 = 2;

const HEADER_LEN: usize = MAGIC.len() + 2 + 8;
const CHECKSUM_LEN: usize = 4;

/// The most weights a model file may store: twenty times the shipped model's, and more than
/// any recipe keeps; memory and file size follow this number, not the feature count.
pub const MAX_STORED_WEIGHTS: usize = 1 << 21;

/// The smallest typical squared sum a published AdaGrad model may give its weights: a
/// trained model's median is many orders above it, and below it one example would move every
/// weight by the whole of `eta0`.
pub const MIN_TYPICAL_SUM: f64 = 1e-12;

/// The longest description of the data a model was trained on, in bytes.
pub const MAX_DATA_NAME: usize = 4096;

/// The largest model file this library writes or reads: [`MAX_STORED_WEIGHTS`] weights at
/// their widest (a 5-byte column gap, an 8-byte weight and an 8-byte squared sum) and the
/// rest of the model. A larger file is refused before it is read.
pub const MAX_FILE_BYTES: usize = 45 << 20;

/// A trained model with the pipeline that produced it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub config: Config,
    pub weights: SparseWeights,
    pub intercept: f64,
    /// scikit-learn's `t_`, so that learning resumes with the right step size.
    pub t: f64,
    /// With AdaGrad steps, the squared-gradient sums learning resumes from (see
    /// [`StoredSums`]); absent with `Optimal` steps.
    pub squared_sums: Option<StoredSums>,
    pub provenance: Provenance,
}

/// AdaGrad's sums as a file keeps them. A lossless file (the page's saved and exported
/// models) keeps every sum, so that learning resumes exactly where it stopped; a published
/// one keeps the intercept's and, for all its weights, one typical sum: the weights' own
/// would double the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredSums {
    /// One for each stored weight, in the same order; or none, every weight resuming from
    /// `fresh`.
    pub per_weight: Vec<f64>,
    pub intercept: f64,
    /// The sum of every column without one of its own.
    pub fresh: f64,
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
    /// Examples taught one at a time since the model was trained.
    pub taught: u64,
}

/// The stored weights: each column as the gap from the previous one, and its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SparseWeights {
    gaps: Vec<u32>,
    values: WeightValues,
}

/// The values of the stored weights, at a [`WeightPrecision`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum WeightValues {
    F64(Vec<f64>),
    /// Each weight is `scale * value`.
    Scaled16 {
        scale: f64,
        values: Vec<i16>,
    },
    /// Each weight is `±e^(low + (code - 1) step)`: a byte's low seven bits are `code` (1 to
    /// 127), its top bit the sign.
    Log8 {
        low: f64,
        step: f64,
        codes: Vec<u8>,
    },
}

/// The largest code of [`WeightValues::Log8`].
const LOG8_CODES: u8 = 127;

/// The magnitude a [`WeightValues::Log8`] code (a byte's low seven bits) stands for, by this
/// library's `exp`, so that every platform reads the same weights.
fn log8_magnitude(low: f64, step: f64, code: u8) -> f64 {
    crate::learn::exp(low + f64::from(code.saturating_sub(1)) * step)
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
    /// `entries` (columns strictly ascending) stored at `precision`. At `F64` every entry is
    /// kept, zero or not; at `Scaled16`, weights that round to zero are left out.
    pub fn from_entries(entries: &[(u32, f64)], precision: WeightPrecision) -> Self {
        let mut gaps = Vec::with_capacity(entries.len());
        let mut previous = 0;
        let mut keep = |column: u32| {
            gaps.push(column - previous);
            previous = column;
        };
        let values = match precision {
            WeightPrecision::F64 => {
                let mut values = Vec::with_capacity(entries.len());
                for &(column, value) in entries {
                    keep(column);
                    values.push(value);
                }
                WeightValues::F64(values)
            }
            WeightPrecision::Scaled16 => {
                let largest = entries.iter().fold(0.0f64, |max, (_, w)| max.max(w.abs()));
                let scale = if largest > 0.0 {
                    largest / f64::from(i16::MAX)
                } else {
                    1.0
                };
                let mut values = Vec::new();
                for &(column, value) in entries {
                    // |value / scale| <= 32767 by the choice of scale.
                    let quantized = (value / scale).round() as i16;
                    if quantized != 0 {
                        keep(column);
                        values.push(quantized);
                    }
                }
                WeightValues::Scaled16 { scale, values }
            }
            WeightPrecision::Log8 => {
                let logs = entries
                    .iter()
                    .filter(|(_, w)| *w != 0.0)
                    .map(|(_, w)| w.abs().ln());
                let (low, high) = logs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), l| {
                    (lo.min(l), hi.max(l))
                });
                // The ends are snapped to multiples of 2^-20, so that a logarithm that differs
                // in its last bit between platforms (the page's and the trainer's) gives the
                // same file.
                let grid = f64::from(1u32 << 20);
                let (low, step) = if low.is_finite() && high > low {
                    let low = (low * grid).floor() / grid;
                    let steps = f64::from(LOG8_CODES - 1);
                    // The top code stays within what a file may hold, a hair below the bound.
                    let widest = ((MAX_WEIGHT.ln() - 1e-6 - low) / steps * grid).floor() / grid;
                    let step = ((high - low) / steps * grid).ceil() / grid;
                    (low, step.min(widest).max(0.0))
                } else if low.is_finite() {
                    ((low * grid).floor() / grid, 0.0)
                } else {
                    (0.0, 0.0)
                };
                let mut codes = Vec::new();
                for &(column, value) in entries {
                    if value == 0.0 {
                        continue;
                    }
                    let steps = if step > 0.0 {
                        ((value.abs().ln() - low) / step).round()
                    } else {
                        0.0
                    };
                    let code = (steps as u8).min(LOG8_CODES - 1) + 1;
                    keep(column);
                    codes.push(code | if value < 0.0 { 0x80 } else { 0 });
                }
                WeightValues::Log8 { low, step, codes }
            }
        };
        SparseWeights { gaps, values }
    }

    /// Stored weights as (column, value), columns ascending.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f64)> {
        let mut entries = Vec::with_capacity(self.len());
        self.for_each(|column, value| entries.push((column, value)));
        entries.into_iter()
    }

    /// The stored columns, ascending, and their values beside them.
    pub fn columns_and_values(&self) -> (Vec<u32>, Vec<f64>) {
        let mut columns = Vec::with_capacity(self.len());
        let mut values = Vec::with_capacity(self.len());
        self.for_each(|column, value| {
            columns.push(column);
            values.push(value);
        });
        (columns, values)
    }

    /// Calls `f` with each stored weight as (column, value), columns ascending.
    fn for_each(&self, mut f: impl FnMut(u32, f64)) {
        let result: Result<(), Infallible> = self.try_for_each(|column, value| {
            f(column, value);
            Ok(())
        });
        let Ok(()) = result;
    }

    /// [`SparseWeights::for_each`], stopping at the first error. The precision is matched
    /// once, outside the loop: with a boxed iterator of values instead, reading the shipped
    /// model took 5.6 ms natively against 4.2 ms (criterion's "the shipped model: read", the
    /// two builds side by side), and a visit reads it twice, once for each engine.
    fn try_for_each<E>(&self, mut f: impl FnMut(u32, f64) -> Result<(), E>) -> Result<(), E> {
        let mut column = 0u32;
        let columns = self.gaps.iter().map(move |&gap| {
            column = column.saturating_add(gap);
            column
        });
        match &self.values {
            WeightValues::F64(values) => columns
                .zip(values)
                .try_for_each(|(column, &value)| f(column, value)),
            WeightValues::Scaled16 { scale, values } => columns
                .zip(values)
                .try_for_each(|(column, &value)| f(column, scale * f64::from(value))),
            WeightValues::Log8 { low, step, codes } => {
                // 128 magnitudes stand for every code: reading a 120,000-weight model took
                // 11.3 ms natively with one `exp` a weight, a third of it in `exp`.
                let magnitudes: [f64; 128] =
                    std::array::from_fn(|code| log8_magnitude(*low, *step, code as u8));
                columns.zip(codes).try_for_each(|(column, &code)| {
                    let magnitude = magnitudes[usize::from(code & 0x7f)];
                    f(
                        column,
                        if code & 0x80 == 0 {
                            magnitude
                        } else {
                            -magnitude
                        },
                    )
                })
            }
        }
    }

    pub fn len(&self) -> usize {
        match &self.values {
            WeightValues::F64(values) => values.len(),
            WeightValues::Scaled16 { values, .. } => values.len(),
            WeightValues::Log8 { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn precision(&self) -> WeightPrecision {
        match self.values {
            WeightValues::F64(_) => WeightPrecision::F64,
            WeightValues::Scaled16 { .. } => WeightPrecision::Scaled16,
            WeightValues::Log8 { .. } => WeightPrecision::Log8,
        }
    }

    fn validate(&self, n_features: u32) -> Result<(), ModelError> {
        if self.gaps.len() != self.len() {
            return Err(ModelError::Malformed(
                "weight columns and values differ in number".into(),
            ));
        }
        if self.len() > MAX_STORED_WEIGHTS {
            return Err(ModelError::Malformed(format!(
                "it stores {} weights; a model may store at most {MAX_STORED_WEIGHTS}",
                self.len()
            )));
        }
        if let WeightValues::Scaled16 { scale, .. } = self.values {
            let largest = MAX_WEIGHT / f64::from(i16::MAX);
            if !(scale > 0.0 && scale <= largest) {
                return Err(BadNumber::WeightScale { scale, largest }.into());
            }
        }
        if let WeightValues::Log8 {
            low,
            step,
            ref codes,
        } = self.values
        {
            let largest = low + f64::from(LOG8_CODES - 1) * step;
            if !(low.is_finite() && step.is_finite() && step >= 0.0 && largest <= MAX_WEIGHT.ln()) {
                return Err(BadNumber::LogCode { low, step }.into());
            }
            if codes.iter().any(|&code| code & 0x7f == 0) {
                return Err(ModelError::Malformed("a weight has code 0".into()));
            }
        }
        let mut column = 0u32;
        for (k, &gap) in self.gaps.iter().enumerate() {
            column = column
                .checked_add(gap)
                .filter(|&next| next < n_features && (k == 0 || gap > 0))
                .ok_or_else(|| {
                    ModelError::Malformed(format!(
                        "weight columns are not ascending within {n_features} features"
                    ))
                })?;
        }
        self.try_for_each(|column, value| {
            if (-MAX_WEIGHT..=MAX_WEIGHT).contains(&value) {
                Ok(())
            } else {
                Err(BadNumber::Weight { column, value }.into())
            }
        })
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum ModelError {
    #[error("this is not a movieclassifier model file (it does not start with the MOVIECLF tag)")]
    Foreign,
    #[error(
        "the file is {actual} bytes, larger than any model file ({MAX_FILE_BYTES} bytes at \
         most)"
    )]
    TooLarge { actual: usize },
    #[error("the model file is truncated: {expected} bytes expected, {actual} present")]
    Truncated { expected: usize, actual: usize },
    #[error(
        "the model file has format version {found}, newer than the version {supported} this \
         program reads; use a newer movieclassifier"
    )]
    NewerVersion { found: u16, supported: u16 },
    #[error(
        "the model file has format version {found}, older than the oldest version \
         {oldest} this program reads; retrain it with this version"
    )]
    OlderVersion { found: u16, oldest: u16 },
    #[error("the model file is corrupted: its checksum does not match its contents")]
    Checksum,
    #[error("the model file is corrupted: {0}")]
    Malformed(String),
    #[error("the model file is corrupted: {0}")]
    Number(#[from] BadNumber),
    #[error("the model file has an invalid configuration: {0}")]
    Config(#[from] ConfigError),
}

/// A number outside the range a trained model's lies in. Kept as numbers and formatted only
/// when shown: the first-verdict WebAssembly never shows one, and formatting them eagerly kept
/// 11 KB of float formatting in it, gzip'd.
#[derive(Debug, Error, PartialEq)]
pub enum BadNumber {
    #[error("the weight scale is {scale:e}; it must be above 0 and at most {largest:e}")]
    WeightScale { scale: f64, largest: f64 },
    #[error(
        "the weights' logarithmic code runs from {low:e} in steps of {step:e}; weights must be \
         at most {MAX_WEIGHT:e} in magnitude"
    )]
    LogCode { low: f64, step: f64 },
    #[error(
        "the weight of column {column} is {value:e}; weights must be finite and at most \
         {MAX_WEIGHT:e} in magnitude"
    )]
    Weight { column: u32, value: f64 },
    #[error("the intercept is {0:e}; it must be finite and at most {MAX_WEIGHT:e} in magnitude")]
    Intercept(f64),
    #[error("the step counter t is {0:e}; it must be between 1 and {MAX_T:e}")]
    StepCounter(f64),
    #[error("the typical squared sum is {0:e}; it must be 0 or at least {MIN_TYPICAL_SUM:e}")]
    TypicalSum(f64),
}

impl Model {
    /// The model file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Encoding plain data into a Vec cannot fail; an empty body would be refused on
        // decoding rather than written silently wrong.
        let body = postcard::to_allocvec(self).unwrap_or_default();
        frame(FORMAT_VERSION, &body)
    }

    /// Reads a model file, refusing anything that is not a complete, intact, valid model of
    /// a format version this library reads.
    pub fn decode(bytes: &[u8]) -> Result<Model, ModelError> {
        let tag_len = bytes.len().min(MAGIC.len());
        if bytes[..tag_len] != MAGIC[..tag_len] {
            return Err(ModelError::Foreign);
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(ModelError::TooLarge {
                actual: bytes.len(),
            });
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
        if version < OLDEST_READABLE_VERSION {
            return Err(ModelError::OlderVersion {
                found: version,
                oldest: OLDEST_READABLE_VERSION,
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
        if crc32::crc32(content) != u32::from_le_bytes(stored) {
            return Err(ModelError::Checksum);
        }
        let body = &content[HEADER_LEN..];
        let model = if version == FORMAT_VERSION {
            postcard::from_bytes(body).map_err(|err| ModelError::Malformed(err.to_string()))?
        } else {
            legacy::decode_v2(body)?
        };
        model.validate()?;
        Ok(model)
    }

    /// The checksum a model file ends with, which identifies a model file.
    pub fn checksum_of(bytes: &[u8]) -> Option<u32> {
        let tail = bytes.len().checked_sub(CHECKSUM_LEN)?;
        let mut stored = [0; 4];
        stored.copy_from_slice(&bytes[tail..]);
        Some(u32::from_le_bytes(stored))
    }

    /// Checks every number against the range a trained model's lies in.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.config.validate()?;
        self.weights.validate(self.config.n_features)?;
        if !(-MAX_WEIGHT..=MAX_WEIGHT).contains(&self.intercept) {
            return Err(BadNumber::Intercept(self.intercept).into());
        }
        if !(1.0..=MAX_T).contains(&self.t) {
            return Err(BadNumber::StepCounter(self.t).into());
        }
        if self.provenance.data.len() > MAX_DATA_NAME {
            return Err(ModelError::Malformed(format!(
                "the name of its data is {} bytes; at most {MAX_DATA_NAME} are kept",
                self.provenance.data.len()
            )));
        }
        match (&self.squared_sums, self.config.learner.step) {
            (Some(sums), _) => self.validate_sums(sums)?,
            (None, StepSize::AdaGrad { .. }) => {
                return Err(ModelError::Malformed(
                    "it learns with AdaGrad steps but keeps none of their sums".into(),
                ))
            }
            (None, StepSize::Optimal) => {}
        }
        Ok(())
    }

    fn validate_sums(&self, sums: &StoredSums) -> Result<(), ModelError> {
        if !matches!(self.config.learner.step, StepSize::AdaGrad { .. }) {
            return Err(ModelError::Malformed(
                "it keeps AdaGrad's sums, but learns with other steps".into(),
            ));
        }
        if sums.per_weight.is_empty() {
            // One typical sum for every weight: never smaller than a trained model's median.
            if sums.fresh != 0.0 && sums.fresh < MIN_TYPICAL_SUM {
                return Err(BadNumber::TypicalSum(sums.fresh).into());
            }
        } else if self.weights.precision() != WeightPrecision::F64 {
            return Err(ModelError::Malformed(
                "it keeps AdaGrad's sums beside rounded weights".into(),
            ));
        } else if sums.per_weight.len() != self.weights.len() {
            return Err(ModelError::Malformed(format!(
                "{} squared sums for {} weights",
                sums.per_weight.len(),
                self.weights.len()
            )));
        }
        let range = (0.0, MAX_SQUARED_SUM);
        check_range("the intercept's squared sum", sums.intercept, range)?;
        check_range("the fresh squared sum", sums.fresh, range)?;
        for &sum in &sums.per_weight {
            check_range("a squared sum", sum, range)?;
        }
        Ok(())
    }
}

/// Puts the header and checksum around a body.
fn frame(version: u16, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_LEN + body.len() + CHECKSUM_LEN);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(body);
    let checksum = crc32::crc32(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn model() -> Model {
        Model {
            config: Config::notebook(),
            weights: SparseWeights::from_entries(
                &[(3, 0.5), (70_000, -1.25)],
                WeightPrecision::F64,
            ),
            intercept: 0.08,
            t: 45_001.0,
            squared_sums: None,
            provenance: Provenance {
                data: "test".into(),
                rows: 45_000,
                held_out_accuracy: Some(0.863),
                taught: 0,
            },
        }
    }

    #[test]
    fn round_trips() {
        let model = model();
        let bytes = model.encode();
        assert_eq!(Model::decode(&bytes), Ok(model.clone()));
        let weights: Vec<(u32, f64)> = model.weights.iter().collect();
        assert_eq!(weights, [(3, 0.5), (70_000, -1.25)]);
    }

    #[test]
    fn scaled_weights_keep_five_digits() {
        let entries = [(1, 2.0), (2, -0.5), (3, 1e-9), (4, 0.123_456)];
        let weights = SparseWeights::from_entries(&entries, WeightPrecision::Scaled16);
        assert_eq!(
            weights.len(),
            3,
            "the tiny weight rounds to zero and is left out"
        );
        for ((column, stored), (_, original)) in
            weights.iter().zip(entries.iter().filter(|e| e.0 != 3))
        {
            assert!(
                (original - stored).abs() <= 2.0 / 32767.0 / 2.0 + 1e-15,
                "{column}"
            );
        }
        assert_eq!(weights.iter().next(), Some((1, 2.0)));
    }

    #[test]
    fn log8_weights_keep_their_size_to_a_few_percent_within_the_bounds() {
        let entries = [(1, 2.0), (2, -0.5), (3, 1e-3), (4, -0.123_456)];
        let weights = SparseWeights::from_entries(&entries, WeightPrecision::Log8);
        assert_eq!(weights.len(), entries.len());
        for ((_, stored), (column, original)) in weights.iter().zip(entries) {
            assert_eq!(stored.signum(), original.signum(), "{column}");
            // 127 steps over a factor of 2,000 are 6% apart; rounding costs half of one.
            assert!(
                (stored / original - 1.0).abs() < 0.031,
                "{column}: {stored}"
            );
        }
        let extremes = [(1, MAX_WEIGHT), (2, -1e-300)];
        let weights = SparseWeights::from_entries(&extremes, WeightPrecision::Log8);
        let largest = weights.iter().map(|(_, w)| w.abs()).fold(0.0, f64::max);
        assert!(largest <= MAX_WEIGHT, "{largest:e}");
        let model = Model { weights, ..model() };
        assert!(
            Model::decode(&model.encode()).is_ok(),
            "a file it wrote is read back"
        );
    }
    #[test]
    fn the_file_limit_holds_the_largest_model() {
        let widest_weight = 5 + 8 + 8;
        assert!(MAX_STORED_WEIGHTS * widest_weight + 2 * MAX_DATA_NAME + 4096 < MAX_FILE_BYTES);
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
        older[8] = 1;
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
        let mut huge = MAGIC.to_vec();
        huge.resize(MAX_FILE_BYTES + 1, 0);
        assert_eq!(
            Model::decode(&huge),
            Err(ModelError::TooLarge {
                actual: MAX_FILE_BYTES + 1
            })
        );
    }

    #[test]
    fn numbers_out_of_a_trained_models_range_are_refused_by_name() {
        let refused = |model: Model| Model::decode(&model.encode()).expect_err("refused");
        let mut big_weight = model();
        big_weight.weights = SparseWeights::from_entries(&[(5, 1e300)], WeightPrecision::F64);
        assert!(refused(big_weight)
            .to_string()
            .contains("the weight of column 5"));
        let mut nan_intercept = model();
        nan_intercept.intercept = f64::NAN;
        assert!(refused(nan_intercept)
            .to_string()
            .contains("the intercept is NaN"));
        let mut endless = model();
        endless.t = f64::INFINITY;
        assert!(refused(endless).to_string().contains("step counter"));
        let mut sums_without_adagrad = model();
        sums_without_adagrad.squared_sums = Some(StoredSums {
            per_weight: vec![1.0, 1.0],
            intercept: 1.0,
            fresh: 1.0,
        });
        assert!(refused(sums_without_adagrad)
            .to_string()
            .contains("AdaGrad's sums"));
    }
}
