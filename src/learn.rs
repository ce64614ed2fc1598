//! scikit-learn's `SGDClassifier(loss='log_loss', penalty='l2', learning_rate='optimal')`
//! and its `partial_fit` on sparse rows, step for step.
//!
//! Matching scikit-learn to the bit means matching its order of floating-point operations,
//! so this follows `_plain_sgd` closely: the weights are kept as `wscale * w` so the L2 decay
//! of every step costs O(1), the intercept moves by 1% of each update (scikit-learn's decay for
//! sparse input), the learning rate is `1 / (alpha * (optimal_init + t - 1))` with `t` carried
//! across calls, and every call shuffles its rows with the seed scikit-learn draws from
//! `RandomState(random_state)`, a new generator each call.
//!
//! A second step rule, AdaGrad ([`StepSize::AdaGrad`]), gives each feature its own step size;
//! it is not scikit-learn's and makes the shipped model more accurate, on the same rows and
//! shuffles, one example at a time as the page learns.

use rand_mt::Mt;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::{LearnerConfig, StepSize};
use crate::vectorize::SparseRow;

/// scikit-learn moves the intercept by this fraction of each update when `X` is sparse.
pub const SPARSE_INTERCEPT_DECAY: f64 = 0.01;

/// Below this, `wscale` is folded into the weights (`WeightVector64`'s threshold).
const WSCALE_RESET_THRESHOLD: f64 = 1e-9;

/// `_plain_sgd` clips the loss gradient to this magnitude.
const MAX_DLOSS: f64 = 1e12;

/// `np.iinfo(np.int32).max`, the bound of the seeds scikit-learn draws.
const MAX_INT: u32 = i32::MAX as u32;

/// The two classes of a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Label {
    Negative,
    Positive,
}

impl Label {
    /// The notebook's encoding: 0 negative, 1 positive.
    pub fn from_digit(digit: u8) -> Option<Label> {
        match digit {
            0 => Some(Label::Negative),
            1 => Some(Label::Positive),
            _ => None,
        }
    }

    pub fn digit(self) -> u8 {
        match self {
            Label::Negative => 0,
            Label::Positive => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Label::Negative => "negative",
            Label::Positive => "positive",
        }
    }

    /// The target `_plain_sgd` sees with the log loss: the class encoded as 0 or 1.
    fn target(self) -> f64 {
        f64::from(self.digit())
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum LearnError {
    #[error("{rows} rows but {labels} labels: each row needs exactly one label")]
    LengthMismatch { rows: usize, labels: usize },
    #[error("row has column {column}, outside this model's {n_features} features")]
    ColumnOutOfRange { column: u32, n_features: u32 },
    #[error("learning overflowed to a non-finite weight; the batch was not learned")]
    NonFinite,
}

/// A logistic-regression model trained by stochastic gradient descent.
#[derive(Clone, Debug)]
pub struct SgdClassifier {
    config: LearnerConfig,
    weights: Vec<f64>,
    intercept: f64,
    /// scikit-learn's `t_`: one more than the number of samples seen.
    t: f64,
    /// AdaGrad's squared-gradient sums, the intercept's last; empty with `Optimal` steps
    /// and until the first AdaGrad step.
    squared_sums: Vec<f64>,
    /// Which weights can be non-zero, for `Optimal` steps; a cache, not part of the model.
    support: Support,
}

impl PartialEq for SgdClassifier {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
            && self.weights == other.weights
            && self.intercept == other.intercept
            && self.t == other.t
            && self.squared_sums == other.squared_sums
    }
}

impl SgdClassifier {
    /// An untrained model: zero weights and `t_ = 1`.
    pub fn new(config: LearnerConfig, n_features: u32) -> Self {
        SgdClassifier {
            config,
            weights: vec![0.0; n_features as usize],
            intercept: 0.0,
            t: 1.0,
            squared_sums: Vec::new(),
            support: Support::empty(n_features as usize),
        }
    }

    /// A model resumed from its saved state.
    pub fn from_state(config: LearnerConfig, weights: Vec<f64>, intercept: f64, t: f64) -> Self {
        SgdClassifier {
            config,
            weights,
            intercept,
            t,
            squared_sums: Vec::new(),
            support: Support::default(),
        }
    }

    pub fn config(&self) -> &LearnerConfig {
        &self.config
    }

    /// `coef_[0]`.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// `intercept_[0]`.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// `t_`.
    pub fn t(&self) -> f64 {
        self.t
    }

    /// Replaces the weights and intercept, keeping `t`: for a trainer that averages the
    /// weights of several steps. Refused, changing nothing, when the length differs.
    pub fn set_weights(&mut self, weights: Vec<f64>, intercept: f64) -> Result<(), LearnError> {
        if weights.len() != self.weights.len() {
            return Err(LearnError::LengthMismatch {
                rows: weights.len(),
                labels: self.weights.len(),
            });
        }
        if !intercept.is_finite() || weights.iter().any(|w| !w.is_finite()) {
            return Err(LearnError::NonFinite);
        }
        self.weights = weights;
        self.intercept = intercept;
        self.support = Support::default();
        Ok(())
    }

    /// Zeroes all but the `keep` weights of largest magnitude (ties broken by column), to make
    /// a smaller model file; learning afterwards may use any column again.
    pub fn keep_largest(&mut self, keep: usize) {
        let mut nonzero: Vec<usize> = (0..self.weights.len())
            .filter(|&column| self.weights[column] != 0.0)
            .collect();
        if nonzero.len() <= keep {
            return;
        }
        let weights = &self.weights;
        let larger_first = |a: &usize, b: &usize| {
            weights[*b]
                .abs()
                .total_cmp(&weights[*a].abs())
                .then(a.cmp(b))
        };
        nonzero.select_nth_unstable_by(keep, larger_first);
        for &column in &nonzero[keep..] {
            self.weights[column] = 0.0;
        }
    }

    /// `decision_function` for one row.
    pub fn decision_function(&self, row: &SparseRow) -> f64 {
        let dot: f64 = row
            .iter()
            .map(|(column, value)| value * self.weights[column as usize])
            .sum();
        dot + self.intercept
    }

    /// `predict_proba(X)[0, 1]`: the probability that the review is positive.
    pub fn predict_proba(&self, row: &SparseRow) -> f64 {
        expit(self.decision_function(row))
    }

    /// `partial_fit(rows, labels, classes=[0, 1])`: one shuffled pass over the rows.
    ///
    /// Mismatched lengths and out-of-range columns are refused before anything changes.
    /// `NonFinite` (scikit-learn's "Floating-point under-/overflow") cannot arise from
    /// L2-normalised rows, whose steps are bounded by `eta <= 1 / (alpha * optimal_init)`.
    pub fn partial_fit(&mut self, rows: &[SparseRow], labels: &[Label]) -> Result<(), LearnError> {
        if rows.len() != labels.len() {
            return Err(LearnError::LengthMismatch {
                rows: rows.len(),
                labels: labels.len(),
            });
        }
        let n_features = self.weights.len();
        if let Some(&column) = rows
            .iter()
            .flat_map(|row| row.indices.iter())
            .find(|&&column| column as usize >= n_features)
        {
            return Err(LearnError::ColumnOutOfRange {
                column,
                n_features: n_features as u32,
            });
        }

        if let StepSize::AdaGrad { eta0, resume_sum } = self.config.step {
            self.adagrad(rows, labels, eta0, resume_sum);
            return self.check_finite(rows);
        }
        let alpha = self.config.alpha;
        let typw = (1.0 / alpha.sqrt()).sqrt();
        let initial_eta0 = typw / f64::max(1.0, log_loss_gradient(1.0, -typw));
        let optimal_init = 1.0 / (initial_eta0 * alpha);

        self.support.cover(&self.weights);
        let mut weights = ScaledWeights {
            weights: &mut self.weights,
            scale: 1.0,
            support: &mut self.support,
        };
        let mut intercept = self.intercept;
        let mut t = self.t;
        for index in shuffled_order(rows.len(), shuffle_seed(self.config.random_state)) {
            let row = &rows[index];
            let target = labels[index].target();
            let p = weights.dot(row) + intercept;
            let eta = 1.0 / (alpha * (optimal_init + t - 1.0));
            let gradient = log_loss_gradient(target, p).clamp(-MAX_DLOSS, MAX_DLOSS);
            let update = -eta * gradient;
            weights.scale(f64::max(0.0, 1.0 - eta * alpha));
            if update != 0.0 {
                weights.add(row, update);
                intercept += update * SPARSE_INTERCEPT_DECAY;
            }
            t += 1.0;
        }
        let weights_finite = weights.fold_scale();
        if !intercept.is_finite() || !weights_finite {
            return Err(LearnError::NonFinite);
        }
        self.intercept = intercept;
        self.t = t;
        Ok(())
    }
}

impl SgdClassifier {
    /// One shuffled pass of AdaGrad over checked rows.
    fn adagrad(&mut self, rows: &[SparseRow], labels: &[Label], eta0: f64, resume_sum: f64) {
        let n_features = self.weights.len();
        if self.squared_sums.is_empty() {
            // A fresh model starts from nothing; a loaded one from the typical sum.
            let start = if self.t > 1.0 { resume_sum } else { 0.0 };
            self.squared_sums = vec![start; n_features + 1];
        }
        let alpha = self.config.alpha;
        for index in shuffled_order(rows.len(), shuffle_seed(self.config.random_state)) {
            let row = &rows[index];
            let target = labels[index].target();
            let p = self.decision_function(row);
            let gradient = log_loss_gradient(target, p).clamp(-MAX_DLOSS, MAX_DLOSS);
            for (column, value) in row.iter() {
                let column = column as usize;
                let g = gradient * value + alpha * self.weights[column];
                self.squared_sums[column] += g * g;
                let sum = self.squared_sums[column];
                if sum > 0.0 {
                    self.weights[column] -= eta0 * g / sum.sqrt();
                }
            }
            let bias = &mut self.squared_sums[n_features];
            *bias += gradient * gradient;
            if *bias > 0.0 {
                self.intercept -= eta0 * gradient / bias.sqrt();
            }
            self.t += 1.0;
        }
    }

    /// Checks the weights that `rows` touched (AdaGrad changes no others), so that learning
    /// one example costs time in its length, not in the size of the feature space.
    fn check_finite(&self, rows: &[SparseRow]) -> Result<(), LearnError> {
        let touched_finite = rows
            .iter()
            .flat_map(|row| row.indices.iter())
            .all(|&column| self.weights[column as usize].is_finite());
        if !self.intercept.is_finite() || !touched_finite {
            return Err(LearnError::NonFinite);
        }
        Ok(())
    }

    /// With AdaGrad steps, records the median squared-gradient sum of the features learned so
    /// far as the sum a saved model resumes from (see [`StepSize::AdaGrad`]): a taught example
    /// then moves a loaded model about as much as it moved a typical feature in training.
    pub fn set_resume_sum_to_median(&mut self) {
        if let (StepSize::AdaGrad { resume_sum, .. }, Some(median)) =
            (&mut self.config.step, median_positive(&self.squared_sums))
        {
            *resume_sum = median;
        }
    }
}

/// The median of the positive values, if any.
fn median_positive(values: &[f64]) -> Option<f64> {
    let mut positive: Vec<f64> = values.iter().copied().filter(|&v| v > 0.0).collect();
    if positive.is_empty() {
        return None;
    }
    let middle = positive.len() / 2;
    let (_, median, _) = positive.select_nth_unstable_by(middle, f64::total_cmp);
    Some(*median)
}

/// The logistic function, as `scipy.special.expit` computes it.
pub fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The derivative of the log loss with respect to the raw prediction, for a 0/1 target:
/// `expit(raw) - target`, computed as scikit-learn's `cgradient_half_binomial` does.
fn log_loss_gradient(target: f64, raw: f64) -> f64 {
    if raw > -37.0 {
        let exp = (-raw).exp();
        ((1.0 - target) - target * exp) / (1.0 + exp)
    } else {
        raw.exp() - target
    }
}

/// `WeightVector64`: the weights times a lazily applied scale.
struct ScaledWeights<'a> {
    weights: &'a mut [f64],
    scale: f64,
    support: &'a mut Support,
}

impl ScaledWeights<'_> {
    fn dot(&self, row: &SparseRow) -> f64 {
        let mut sum = 0.0;
        for (column, value) in row.iter() {
            sum += self.weights[column as usize] * value;
        }
        sum * self.scale
    }

    fn scale(&mut self, factor: f64) {
        self.scale *= factor;
        if self.scale < WSCALE_RESET_THRESHOLD {
            // Overflow is checked once, at the end of the call, as scikit-learn does.
            self.fold_scale();
        }
    }

    fn add(&mut self, row: &SparseRow, step: f64) {
        for (column, value) in row.iter() {
            self.weights[column as usize] += value * (step / self.scale);
            self.support.insert(column as usize);
        }
    }

    /// `reset_wscale`. A zero weight stays zero when scaled, so only the support is visited:
    /// scaling all 2^21 weights at the end of every call was a fifth of the `seed` preset's
    /// training time. Says whether every weight is still finite.
    fn fold_scale(&mut self) -> bool {
        let mut finite = true;
        for column in self.support.columns() {
            let weight = &mut self.weights[column];
            *weight *= self.scale;
            finite &= weight.is_finite();
        }
        self.scale = 1.0;
        finite
    }
}

/// A superset of the columns whose weights are non-zero, one bit per column.
#[derive(Clone, Debug, Default)]
struct Support {
    /// Empty until [`Support::cover`] first sees the weights.
    bits: Vec<u64>,
}

impl Support {
    /// The support of all-zero weights.
    fn empty(n_features: usize) -> Self {
        Support {
            bits: vec![0; n_features.div_ceil(64)],
        }
    }

    /// Makes the support cover `weights`, reading them on first use.
    fn cover(&mut self, weights: &[f64]) {
        if self.bits.is_empty() {
            *self = Support::empty(weights.len());
            for (column, _) in weights.iter().enumerate().filter(|(_, w)| **w != 0.0) {
                self.insert(column);
            }
        }
    }

    fn insert(&mut self, column: usize) {
        self.bits[column / 64] |= 1 << (column % 64);
    }

    /// The columns in the support, ascending.
    fn columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(index, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    index * 64 + bit
                })
            })
        })
    }
}

/// The shuffle seed `fit_binary` draws: its `RandomState(random_state)` first gives
/// `make_dataset` a seed, then `randint(MAX_INT)` for the shuffle.
pub fn shuffle_seed(random_state: u32) -> u32 {
    let mut rng = Mt::new(random_state);
    let _dataset_seed = numpy_randint(&mut rng, 1, MAX_INT);
    numpy_randint(&mut rng, 0, MAX_INT)
}

/// numpy's legacy `RandomState.randint(low, high)` for bounds within 32 bits: masked
/// rejection sampling on MT19937 output.
fn numpy_randint(rng: &mut Mt, low: u32, high: u32) -> u32 {
    let range = high - 1 - low;
    if range == 0 {
        return low;
    }
    let mask = u32::MAX >> range.leading_zeros();
    loop {
        let value = rng.next_u32() & mask;
        if value <= range {
            return low + value;
        }
    }
}

/// The order `CSRDataset.shuffle(seed)` visits `n` rows in: Fisher-Yates driven by
/// scikit-learn's `our_rand_r`.
fn shuffled_order(n: usize, mut seed: u32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in 0..n.saturating_sub(1) {
        let j = i + (our_rand_r(&mut seed) % (n - i) as u32) as usize;
        order.swap(i, j);
    }
    order
}

/// `sklearn.utils._random.our_rand_r`: xorshift32, kept below 2^31.
fn our_rand_r(seed: &mut u32) -> u32 {
    if *seed == 0 {
        *seed = 1;
    }
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    *seed % (i32::MAX as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row with a single feature set to one.
    fn one_hot(column: u32) -> SparseRow {
        SparseRow {
            indices: vec![column],
            values: vec![1.0],
        }
    }

    #[test]
    fn seeds_match_numpy() {
        // np.random.RandomState(s): randint(1, MAX_INT), then randint(MAX_INT).
        assert_eq!(shuffle_seed(1), 2135392491);
        assert_eq!(shuffle_seed(12345), 1675701733);
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut order = shuffled_order(100, shuffle_seed(1));
        order.sort_unstable();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn learns_the_sign_of_a_feature() {
        let config = LearnerConfig {
            alpha: 0.0001,
            random_state: 1,
            step: StepSize::Optimal,
        };
        let mut learner = SgdClassifier::new(config, 4);
        let good = one_hot(1);
        let bad = one_hot(2);
        let rows = [good.clone(), bad.clone()];
        learner
            .partial_fit(&rows, &[Label::Positive, Label::Negative])
            .expect("valid batch");
        assert!(learner.predict_proba(&good) > 0.5);
        assert!(learner.predict_proba(&bad) < 0.5);
        assert_eq!(learner.t(), 3.0);
    }

    #[test]
    fn adagrad_learns_and_resumes_from_the_median_sum() {
        let config = LearnerConfig {
            alpha: 1e-6,
            random_state: 1,
            step: StepSize::AdaGrad {
                eta0: 0.5,
                resume_sum: 1.0,
            },
        };
        let good = one_hot(1);
        let bad = one_hot(2);
        let mut learner = SgdClassifier::new(config, 4);
        let rows = [good.clone(), bad.clone(), good.clone()];
        let labels = [Label::Positive, Label::Negative, Label::Positive];
        learner.partial_fit(&rows, &labels).expect("valid batch");
        assert!(learner.predict_proba(&good) > 0.5);
        assert!(learner.predict_proba(&bad) < 0.5);
        learner.set_resume_sum_to_median();
        let StepSize::AdaGrad { resume_sum, .. } = learner.config().step else {
            panic!("still AdaGrad");
        };
        assert!(resume_sum > 0.0 && resume_sum < 1.0, "{resume_sum}");

        // A loaded model resumes from that sum, so one example moves it by a bounded step.
        let mut loaded = SgdClassifier::from_state(
            learner.config().clone(),
            learner.weights().to_vec(),
            learner.intercept(),
            learner.t(),
        );
        let before = loaded.predict_proba(&bad);
        loaded
            .partial_fit(std::slice::from_ref(&bad), &[Label::Positive])
            .expect("valid batch");
        assert!(loaded.predict_proba(&bad) > before);
    }

    #[test]
    fn pruning_keeps_the_largest_weights() {
        let config = LearnerConfig {
            alpha: 0.0001,
            random_state: 1,
            step: StepSize::Optimal,
        };
        let mut learner =
            SgdClassifier::from_state(config, vec![0.5, -2.0, 0.0, 1.0, -0.1], 0.0, 1.0);
        learner.keep_largest(2);
        assert_eq!(learner.weights(), [0.0, -2.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn a_bad_batch_changes_nothing() {
        let config = LearnerConfig {
            alpha: 0.0001,
            random_state: 1,
            step: StepSize::Optimal,
        };
        let mut learner = SgdClassifier::new(config, 4);
        let before = learner.clone();
        let outside = one_hot(9);
        assert!(learner.partial_fit(&[outside], &[Label::Positive]).is_err());
        assert!(learner.partial_fit(&[], &[Label::Positive]).is_err());
        assert_eq!(learner, before);
    }
}
