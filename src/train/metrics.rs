//! The figures of a model on labelled rows: what reports print, model cards record and the
//! page shows, computed once for all of them.

use crate::label::Label;
use serde::Serialize;

/// Predictions and truths collected one row at a time.
#[derive(Debug, Default)]
pub struct Scores {
    /// Probability of positive, and whether the row is positive.
    pairs: Vec<(f64, bool)>,
}

impl Scores {
    pub fn push(&mut self, probability_positive: f64, truth: Label) {
        self.pairs
            .push((probability_positive, truth == Label::Positive));
    }

    pub fn summary(&self) -> Summary {
        let mut confusion = Confusion::default();
        let mut log_loss = 0.0;
        for &(p, positive) in &self.pairs {
            // scikit-learn's predict: positive only when the probability is above one half.
            match (p > 0.5, positive) {
                (true, true) => confusion.true_positive += 1,
                (true, false) => confusion.false_positive += 1,
                (false, true) => confusion.false_negative += 1,
                (false, false) => confusion.true_negative += 1,
            }
            let p_truth = if positive { p } else { 1.0 - p };
            // musl's log on every platform, so that the page and the trainer print the same.
            log_loss -= libm::log(p_truth.clamp(1e-15, 1.0 - 1e-15));
        }
        let rows = self.pairs.len();
        let correct = confusion.true_positive + confusion.true_negative;
        Summary {
            rows,
            accuracy: ratio(correct, rows),
            log_loss: if rows == 0 {
                f64::NAN
            } else {
                log_loss / rows as f64
            },
            roc_auc: self.roc_auc(),
            confusion,
        }
    }

    /// The ROC curve: (false-positive rate, true-positive rate) as the threshold falls past
    /// each distinct probability, from (0, 0) to (1, 1), thinned to about `max_points`.
    pub fn roc_curve(&self, max_points: usize) -> Vec<RocPoint> {
        let mut sorted = self.pairs.clone();
        sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
        let positives = sorted
            .iter()
            .filter(|(_, positive)| *positive)
            .count()
            .max(1) as f64;
        let negatives = (sorted.len() as f64 - positives).max(1.0);
        let mut points = vec![RocPoint { fpr: 0.0, tpr: 0.0 }];
        let (mut tp, mut fp) = (0.0, 0.0);
        for (at, &(p, positive)) in sorted.iter().enumerate() {
            if positive {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            if sorted.get(at + 1).is_none_or(|next| next.0 != p) {
                points.push(RocPoint {
                    fpr: fp / negatives,
                    tpr: tp / positives,
                });
            }
        }
        let step = points.len().div_ceil(max_points.max(2)).max(1);
        let last = points.len() - 1;
        points
            .into_iter()
            .enumerate()
            .filter(|(at, _)| at % step == 0 || *at == last)
            .map(|(_, point)| point)
            .collect()
    }

    /// Area under the ROC curve by the rank-sum formula, ties sharing their mean rank.
    fn roc_auc(&self) -> f64 {
        let mut sorted = self.pairs.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let positives = sorted.iter().filter(|(_, positive)| *positive).count();
        let negatives = sorted.len() - positives;
        if positives == 0 || negatives == 0 {
            return f64::NAN;
        }
        let mut positive_rank_sum = 0.0;
        let mut start = 0;
        while start < sorted.len() {
            let mut end = start;
            while end < sorted.len() && sorted[end].0 == sorted[start].0 {
                end += 1;
            }
            let mean_rank = (start + 1 + end) as f64 / 2.0;
            let tied_positives = sorted[start..end].iter().filter(|(_, p)| *p).count();
            positive_rank_sum += mean_rank * tied_positives as f64;
            start = end;
        }
        let (p, n) = (positives as f64, negatives as f64);
        (positive_rank_sum - p * (p + 1.0) / 2.0) / (p * n)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        f64::NAN
    } else {
        part as f64 / whole as f64
    }
}

/// One point of an ROC curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RocPoint {
    pub fpr: f64,
    pub tpr: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub rows: usize,
    pub accuracy: f64,
    pub log_loss: f64,
    pub roc_auc: f64,
    pub confusion: Confusion,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Confusion {
    pub true_negative: usize,
    pub false_positive: usize,
    pub false_negative: usize,
    pub true_positive: usize,
}

impl Summary {
    /// The figures as a person reads them.
    pub fn lines(&self) -> String {
        let c = &self.confusion;
        format!(
            "accuracy  {:.4} on {} rows\nlog loss  {:.4}\nROC AUC   {:.4}\n\
             confusion          predicted neg  predicted pos\n  \
             actual neg      {:>13}  {:>13}\n  actual pos      {:>13}  {:>13}",
            self.accuracy,
            self.rows,
            self.log_loss,
            self.roc_auc,
            c.true_negative,
            c.false_positive,
            c.false_negative,
            c.true_positive
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_of_a_small_case() {
        let mut scores = Scores::default();
        for (p, label) in [
            (0.9, Label::Positive),
            (0.4, Label::Positive),
            (0.6, Label::Negative),
            (0.1, Label::Negative),
        ] {
            scores.push(p, label);
        }
        let summary = scores.summary();
        assert_eq!(summary.accuracy, 0.5);
        // Pairs (pos, neg) ranked right: (0.9, 0.6), (0.9, 0.1), (0.4, 0.1); wrong: (0.4, 0.6).
        assert_eq!(summary.roc_auc, 0.75);
        let expected = -(0.9f64.ln() + 0.4f64.ln() + 0.4f64.ln() + 0.9f64.ln()) / 4.0;
        assert!((summary.log_loss - expected).abs() < 1e-12);
        let curve: Vec<(f64, f64)> = scores
            .roc_curve(100)
            .iter()
            .map(|p| (p.fpr, p.tpr))
            .collect();
        assert_eq!(
            curve,
            [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
        );
    }
}
