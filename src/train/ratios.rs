//! How often each feature occurs in positive and negative rows: for Naive Bayes log-count
//! ratios (Wang & Manning 2012, "NBSVM"), counted in a pass of their own before any learning,
//! and for pruning by use.
//!
//! Each feature's value is multiplied by how much more often it occurs in positive than in
//! negative reviews, on a log scale (its magnitude: the learned weight carries the sign), plus
//! a floor. A word as common in both as "the" is all but silenced; a rare bigram that only
//! ever praised counts for more. Under AdaGrad, whose steps already undo any fixed scale of a
//! feature, what remains is a per-feature step size and L2 penalty set by the evidence: on
//! validation rows this is worth more than a point of accuracy (see `Recipe::site`). The floor
//! keeps every feature learnable, which validation also preferred; more smoothing leans on the
//! common words that short reviews from other domains share.

use thiserror::Error;

use crate::label::Label;
use crate::vectorize::SparseRow;

/// How features are scaled by their log-count ratios.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogCountRatios {
    /// Added to each count, positive and negative, before the ratio is taken.
    pub smoothing: f64,
    /// Added to each ratio's magnitude.
    pub floor: f64,
}

/// More smoothing than any corpus has rows would drown every count; a floor this far above
/// any ratio would drown them all.
const MAX_SMOOTHING: f64 = 1e9;
const MAX_FLOOR: f64 = 1e3;

#[derive(Debug, Error, PartialEq)]
pub enum RatiosError {
    #[error("the log-count ratios' smoothing is {0}; it must be above 0 and at most 1e9")]
    Smoothing(f64),
    #[error("the log-count ratios' floor is {0}; it must be at least 0 and at most 1000")]
    Floor(f64),
}

impl LogCountRatios {
    pub fn check(&self) -> Result<(), RatiosError> {
        if !(self.smoothing > 0.0 && self.smoothing <= MAX_SMOOTHING) {
            return Err(RatiosError::Smoothing(self.smoothing));
        }
        if !(0.0..=MAX_FLOOR).contains(&self.floor) {
            return Err(RatiosError::Floor(self.floor));
        }
        Ok(())
    }
}

/// In how many positive and negative rows each slot occurs.
#[derive(Debug, Default)]
pub struct ClassCounts {
    positive: Vec<u32>,
    negative: Vec<u32>,
}

impl ClassCounts {
    /// Counts one row of slots (a slot counts once a row, whatever its value).
    pub fn count(&mut self, row: &SparseRow, label: Label) {
        let counts = if label.is_positive() {
            &mut self.positive
        } else {
            &mut self.negative
        };
        for (slot, value) in row.iter() {
            if value == 0.0 {
                continue;
            }
            let slot = slot as usize;
            if slot >= counts.len() {
                counts.resize(slot + 1, 0);
            }
            counts[slot] = counts[slot].saturating_add(1);
        }
    }

    /// Each slot's scale, `|ln((p / |p|) / (q / |q|))| + floor`, where `p` and `q` are its
    /// positive and negative counts plus the smoothing, and `|p|`, `|q|` their sums over the
    /// `slots` slots.
    pub fn scales(&self, slots: usize, ratios: LogCountRatios) -> Vec<f64> {
        let LogCountRatios { smoothing, floor } = ratios;
        let smoothed = |counts: &[u32]| -> Vec<f64> {
            (0..slots)
                .map(|slot| count_of(counts, slot) + smoothing)
                .collect()
        };
        let (positive, negative) = (smoothed(&self.positive), smoothed(&self.negative));
        let (positive_total, negative_total): (f64, f64) =
            (positive.iter().sum(), negative.iter().sum());
        positive
            .iter()
            .zip(&negative)
            // libm's `log` is the same code natively and in the page, whose own logarithms
            // differ in the last bit: the page and the trainer must write the same model.
            .map(|(p, q)| libm::log((p / positive_total) / (q / negative_total)).abs() + floor)
            .collect()
    }

    /// In how many rows each of the `slots` slots occurs.
    pub fn occurrences(&self, slots: usize) -> Vec<f64> {
        (0..slots)
            .map(|slot| count_of(&self.positive, slot) + count_of(&self.negative, slot))
            .collect()
    }
}

/// A slot's count; a slot met after the last row that had it counted none.
fn count_of(counts: &[u32], slot: usize) -> f64 {
    f64::from(counts.get(slot).copied().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(slots: &[u32]) -> SparseRow {
        SparseRow {
            indices: slots.to_vec(),
            values: vec![0.5; slots.len()],
        }
    }

    #[test]
    fn ratios_favour_the_class_a_feature_occurs_in() {
        let mut counts = ClassCounts::default();
        counts.count(&row(&[0, 1]), Label::Positive);
        counts.count(&row(&[0, 1]), Label::Positive);
        counts.count(&row(&[0, 2]), Label::Negative);
        counts.count(&row(&[0, 2]), Label::Negative);
        let ratios = LogCountRatios {
            smoothing: 1.0,
            floor: 0.5,
        };
        let scales = counts.scales(4, ratios);
        // p = [3, 3, 1, 1] (|p| 8), q = [3, 1, 3, 1] (|q| 8).
        assert_eq!(scales[0], 0.5);
        assert!((scales[1] - 3f64.ln() - 0.5).abs() < 1e-15);
        assert!(
            (scales[1] - scales[2]).abs() < 1e-15,
            "the weight carries the sign"
        );
        assert_eq!(scales[3], 0.5, "a slot never seen is neutral");
        assert_eq!(counts.occurrences(4), [4.0, 2.0, 2.0, 0.0]);
    }

    #[test]
    fn parameters_out_of_range_are_refused() {
        let refused = |smoothing, floor| LogCountRatios { smoothing, floor }.check().is_err();
        for smoothing in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(refused(smoothing, 0.0), "{smoothing}");
        }
        for floor in [-0.1, f64::NAN, 1e4] {
            assert!(refused(1.0, floor), "{floor}");
        }
        assert!(!refused(1.0, 0.0));
    }
}
