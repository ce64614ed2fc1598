//! How often each feature occurs in positive and negative rows: for Naive Bayes log-count
//! ratios (Wang & Manning 2012, "NBSVM"), counted in a pass of their own before any learning,
//! and for pruning by use.
//!
//! Each feature's value is multiplied by how much more often it occurs in positive than in
//! negative reviews, on a log scale. A word as common in both as "the" is all but silenced; a
//! rare bigram that only ever praised counts for more. Under AdaGrad, whose steps already
//! undo any fixed scale of a feature, what remains is a per-feature step size and L2 penalty
//! set by the evidence: on validation rows this is worth more than a point of accuracy (see
//! `Recipe::site`).

use crate::label::Label;
use crate::vectorize::SparseRow;

/// In how many positive and negative rows each slot occurs.
#[derive(Debug, Default)]
pub struct RatioCounts {
    positive: Vec<u32>,
    negative: Vec<u32>,
}

impl RatioCounts {
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

    /// Each slot's ratio `ln((p / |p|) / (q / |q|))`, where `p` and `q` are its positive and
    /// negative counts plus `smoothing`, and `|p|`, `|q|` their sums over the `slots` slots.
    pub fn ratios(&self, slots: usize, smoothing: f64) -> Vec<f64> {
        let smoothed = |counts: &[u32]| -> Vec<f64> {
            (0..slots)
                .map(|slot| f64::from(counts.get(slot).copied().unwrap_or(0)) + smoothing)
                .collect()
        };
        let (positive, negative) = (smoothed(&self.positive), smoothed(&self.negative));
        let (positive_total, negative_total): (f64, f64) =
            (positive.iter().sum(), negative.iter().sum());
        positive
            .iter()
            .zip(&negative)
            .map(|(p, q)| ((p / positive_total) / (q / negative_total)).ln())
            .collect()
    }

    /// In how many rows each of the `slots` slots occurs.
    pub fn occurrences(&self, slots: usize) -> Vec<f64> {
        let count = |counts: &[u32], slot: usize| f64::from(counts.get(slot).copied().unwrap_or(0));
        (0..slots)
            .map(|slot| count(&self.positive, slot) + count(&self.negative, slot))
            .collect()
    }
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
        let mut counts = RatioCounts::default();
        counts.count(&row(&[0, 1]), Label::Positive);
        counts.count(&row(&[0, 1]), Label::Positive);
        counts.count(&row(&[0, 2]), Label::Negative);
        counts.count(&row(&[0, 2]), Label::Negative);
        let ratios = counts.ratios(4, 1.0);
        // p = [3, 3, 1, 1] (|p| 8), q = [3, 1, 3, 1] (|q| 8).
        assert_eq!(ratios[0], 0.0);
        assert!((ratios[1] - 3f64.ln()).abs() < 1e-15);
        assert!((ratios[2] + 3f64.ln()).abs() < 1e-15);
        assert_eq!(ratios[3], 0.0, "a slot never seen is neutral");
        assert_eq!(counts.occurrences(4), [4.0, 2.0, 2.0, 0.0]);
    }
}
