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
//!
//! The learner keeps one weight per *slot*, not per feature column: rows arrive with their
//! columns already mapped to slots ([`ColumnSlots`]), so memory follows the features a model
//! has met. Each weight sees the same operations in the same order whatever its slot, so the
//! numbering changes no result.

mod exp;
mod slots;

use rand_mt::Mt;
use thiserror::Error;

use crate::config::{LearnerConfig, LogLoss, StepSize, MAX_SQUARED_SUM, MAX_T, MAX_WEIGHT};
use crate::label::Label;
use crate::vectorize::SparseRow;

pub use slots::ColumnSlots;

/// scikit-learn moves the intercept by this fraction of each update when `X` is sparse.
pub const SPARSE_INTERCEPT_DECAY: f64 = 0.01;

/// Below this, `wscale` is folded into the weights (`WeightVector64`'s threshold).
const WSCALE_RESET_THRESHOLD: f64 = 1e-9;

/// `_plain_sgd` clips the loss gradient to this magnitude.
const MAX_DLOSS: f64 = 1e12;

/// `np.iinfo(np.int32).max`, the bound of the seeds scikit-learn draws.
const MAX_INT: u32 = i32::MAX as u32;

#[derive(Debug, Error, PartialEq)]
pub enum LearnError {
    #[error("{rows} rows but {labels} labels: each row needs exactly one label")]
    LengthMismatch { rows: usize, labels: usize },
    #[error("row has column {column}, outside this model's {n_features} features")]
    ColumnOutOfRange { column: u32, n_features: u32 },
    #[error("row has slot {slot}, but the learner has {slots} slots")]
    SlotOutOfRange { slot: u32, slots: usize },
    #[error("learning overflowed to a non-finite weight; the batch was not learned")]
    NonFinite,
    #[error(
        "learning this example would take the model past the range a model file holds (a \
         weight or the intercept beyond {MAX_WEIGHT:e}, or its step count beyond {MAX_T:e}); \
         it was not learned"
    )]
    OutOfBounds,
}

/// AdaGrad's running sums of squared gradients, one per slot and one for the intercept.
#[derive(Clone, Debug, PartialEq)]
pub struct SquaredSums {
    pub per_slot: Vec<f64>,
    pub intercept: f64,
    /// The sum a slot starts from when the learner first meets its column: 0 for a model
    /// learning from scratch; for a model loaded from a published file, its typical sum.
    pub fresh: f64,
}

/// A logistic-regression model trained by stochastic gradient descent.
#[derive(Clone, Debug)]
pub struct SgdClassifier {
    config: LearnerConfig,
    /// The weight of each slot.
    weights: Vec<f64>,
    intercept: f64,
    /// scikit-learn's `t_`: one more than the number of samples seen.
    t: f64,
    /// With AdaGrad steps, the sums of every slot; empty and unused with `Optimal` steps.
    sums: SquaredSums,
    /// Which weights can be non-zero, for `Optimal` steps; a cache, not part of the model.
    support: Support,
}

impl PartialEq for SgdClassifier {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
            && self.weights == other.weights
            && self.intercept == other.intercept
            && self.t == other.t
            && self.sums == other.sums
    }
}

impl SgdClassifier {
    /// An untrained model: no slots, zero intercept and `t_ = 1`.
    pub fn new(config: LearnerConfig) -> Self {
        SgdClassifier {
            config,
            weights: Vec::new(),
            intercept: 0.0,
            t: 1.0,
            sums: SquaredSums {
                per_slot: Vec::new(),
                intercept: 0.0,
                fresh: 0.0,
            },
            support: Support::default(),
        }
    }

    /// A model resumed from its saved state: with AdaGrad steps, `sums` holds one sum a slot
    /// (none: all zero, as before any learning).
    pub fn from_state(
        config: LearnerConfig,
        weights: Vec<f64>,
        intercept: f64,
        t: f64,
        sums: Option<SquaredSums>,
    ) -> Self {
        let sums = match (sums, config.step) {
            (Some(sums), StepSize::AdaGrad { .. }) => sums,
            (None, StepSize::AdaGrad { .. }) => SquaredSums {
                per_slot: vec![0.0; weights.len()],
                intercept: 0.0,
                fresh: 0.0,
            },
            (_, StepSize::Optimal) => SquaredSums {
                per_slot: Vec::new(),
                intercept: 0.0,
                fresh: 0.0,
            },
        };
        SgdClassifier {
            config,
            weights,
            intercept,
            t,
            sums,
            support: Support::default(),
        }
    }

    pub fn config(&self) -> &LearnerConfig {
        &self.config
    }

    /// The weight of each slot (`coef_[0]` with its columns renumbered).
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

    /// AdaGrad's sums, with AdaGrad steps.
    pub fn squared_sums(&self) -> Option<&SquaredSums> {
        matches!(self.config.step, StepSize::AdaGrad { .. }).then_some(&self.sums)
    }

    /// Makes room for `slots` slots: new ones start at zero weight and the fresh sum.
    pub fn grow_to(&mut self, slots: usize) {
        if slots > self.weights.len() {
            self.weights.resize(slots, 0.0);
            if matches!(self.config.step, StepSize::AdaGrad { .. }) {
                self.sums.per_slot.resize(slots, self.sums.fresh);
            }
            self.support.grow(slots);
        }
    }

    /// `decision_function` for one row of slots; a slot the learner lacks weighs nothing.
    pub fn decision_function(&self, row: &SparseRow) -> f64 {
        let dot: f64 = row
            .iter()
            .map(|(slot, value)| value * self.weights.get(slot as usize).copied().unwrap_or(0.0))
            .sum();
        dot + self.intercept
    }

    /// `predict_proba(X)[0, 1]`: the probability that the review is positive.
    pub fn predict_proba(&self, row: &SparseRow) -> f64 {
        expit(self.decision_function(row))
    }

    /// `partial_fit(rows, labels, classes=[0, 1])`: one shuffled pass over rows of slots.
    ///
    /// Mismatched lengths and slots the learner lacks ([`SgdClassifier::grow_to`]) are
    /// refused before anything changes. `NonFinite` (scikit-learn's "Floating-point
    /// under-/overflow") cannot arise from L2-normalised rows within the bounds a model file
    /// is held to (see `Config::validate`); should it, the learner is left half-updated and
    /// its owner must go back to a saved state.
    pub fn partial_fit(&mut self, rows: &[SparseRow], labels: &[Label]) -> Result<(), LearnError> {
        if rows.len() != labels.len() {
            return Err(LearnError::LengthMismatch {
                rows: rows.len(),
                labels: labels.len(),
            });
        }
        let slots = self.weights.len();
        if let Some(&slot) = rows
            .iter()
            .flat_map(|row| row.indices.iter())
            .find(|&&slot| slot as usize >= slots)
        {
            return Err(LearnError::SlotOutOfRange { slot, slots });
        }

        if let StepSize::AdaGrad { eta0, .. } = self.config.step {
            self.adagrad(rows, labels, eta0);
            return self.check_finite(rows);
        }
        let alpha = self.config.alpha;
        let typw = (1.0 / alpha.sqrt()).sqrt();
        let initial_eta0 = typw / f64::max(1.0, log_loss_gradient(self.config.loss, 1.0, -typw));
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
            let target = target(labels[index]);
            let p = weights.dot(row) + intercept;
            let eta = 1.0 / (alpha * (optimal_init + t - 1.0));
            let gradient =
                log_loss_gradient(self.config.loss, target, p).clamp(-MAX_DLOSS, MAX_DLOSS);
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

    /// Learns one example, or nothing: if the step would leave the range a model file holds
    /// (or overflow), everything is put back as it was and `OutOfBounds` says so. This is how
    /// a visitor's example is learned, so that every model the page saves can be read back.
    pub fn learn_one(&mut self, row: &SparseRow, label: Label) -> Result<(), LearnError> {
        let rows = std::slice::from_ref(row);
        let saved = Snapshot::take(self, row);
        let within = match self.partial_fit(rows, &[label]) {
            Ok(()) => self.within_bounds(row),
            Err(LearnError::NonFinite) => false,
            Err(other) => return Err(other),
        };
        if within {
            return Ok(());
        }
        saved.restore(self, row);
        Err(LearnError::OutOfBounds)
    }

    /// Whether the weights `row` touched, the intercept, the step count and the sums lie in
    /// the range a model file holds (other weights only shrink or stay).
    fn within_bounds(&self, row: &SparseRow) -> bool {
        let weight_ok = |w: f64| w.abs() <= MAX_WEIGHT;
        let sum_ok = |s: f64| s <= MAX_SQUARED_SUM;
        let sums_ok = match self.squared_sums() {
            Some(sums) => {
                sum_ok(sums.intercept)
                    && row
                        .indices
                        .iter()
                        .all(|&s| sum_ok(sums.per_slot[s as usize]))
            }
            None => true,
        };
        weight_ok(self.intercept)
            && self.t <= MAX_T
            && row
                .indices
                .iter()
                .all(|&s| weight_ok(self.weights[s as usize]))
            && sums_ok
    }

    /// One shuffled pass of AdaGrad over checked rows.
    fn adagrad(&mut self, rows: &[SparseRow], labels: &[Label], eta0: f64) {
        let alpha = self.config.alpha;
        for index in shuffled_order(rows.len(), shuffle_seed(self.config.random_state)) {
            let row = &rows[index];
            let target = target(labels[index]);
            let p = self.decision_function(row);
            let gradient =
                log_loss_gradient(self.config.loss, target, p).clamp(-MAX_DLOSS, MAX_DLOSS);
            for (slot, value) in row.iter() {
                let slot = slot as usize;
                let g = gradient * value + alpha * self.weights[slot];
                let sum = &mut self.sums.per_slot[slot];
                *sum += g * g;
                if *sum > 0.0 {
                    self.weights[slot] -= eta0 * g / sum.sqrt();
                }
            }
            let bias = &mut self.sums.intercept;
            *bias += gradient * gradient;
            if *bias > 0.0 {
                self.intercept -= eta0 * gradient / bias.sqrt();
            }
            self.t += 1.0;
        }
    }

    /// Checks the weights that `rows` touched (AdaGrad changes no others), so that learning
    /// one example costs time in its length, not in the size of the model.
    fn check_finite(&self, rows: &[SparseRow]) -> Result<(), LearnError> {
        let touched_finite = rows
            .iter()
            .flat_map(|row| row.indices.iter())
            .all(|&slot| self.weights[slot as usize].is_finite());
        if !self.intercept.is_finite() || !touched_finite {
            return Err(LearnError::NonFinite);
        }
        Ok(())
    }

    /// Replaces the weights and intercept, keeping `t` and the sums: for a trainer that
    /// averages the weights of several steps. Refused, changing nothing, when the number of
    /// slots differs or a value is not finite.
    pub(crate) fn replace_weights(
        &mut self,
        weights: Vec<f64>,
        intercept: f64,
    ) -> Result<(), LearnError> {
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

    /// Turns a model learned on rows whose slots' values were multiplied by `scales` into one
    /// that takes rows as they are and decides as it did: each weight is multiplied by its
    /// slot's scale, and its AdaGrad sum becomes the sum of the same gradients on unscaled
    /// rows (divided by the scale's square, at most `MAX_SQUARED_SUM`), so that a taught
    /// example moves the weights of barely scaled features barely.
    pub(crate) fn fold_scales(&mut self, scales: &[f64]) -> Result<(), LearnError> {
        if scales.len() != self.weights.len() {
            return Err(LearnError::LengthMismatch {
                rows: scales.len(),
                labels: self.weights.len(),
            });
        }
        let folded: Vec<f64> = self
            .weights
            .iter()
            .zip(scales)
            .map(|(w, s)| w * s)
            .collect();
        if folded
            .iter()
            .any(|w| !(-MAX_WEIGHT..=MAX_WEIGHT).contains(w))
        {
            return Err(LearnError::OutOfBounds);
        }
        self.weights = folded;
        if matches!(self.config.step, StepSize::AdaGrad { .. }) {
            for (sum, scale) in self.sums.per_slot.iter_mut().zip(scales) {
                let unscaled = *sum / (scale * scale);
                *sum = if unscaled.is_nan() {
                    0.0
                } else {
                    unscaled.min(MAX_SQUARED_SUM)
                };
            }
        }
        self.support = Support::default();
        Ok(())
    }

    /// Zeroes all but the `keep` non-zero weights of largest `importance` (one a slot; ties
    /// broken by `order`, the slots' columns, so that the result does not depend on slot
    /// numbering), to make a smaller model file; learning afterwards may use any column again.
    pub(crate) fn keep_largest(&mut self, keep: usize, importance: &[f64], order: &[u32]) {
        let mut nonzero: Vec<usize> = (0..self.weights.len())
            .filter(|&slot| self.weights[slot] != 0.0)
            .collect();
        if nonzero.len() <= keep {
            return;
        }
        let larger_first = |a: &usize, b: &usize| {
            importance[*b]
                .total_cmp(&importance[*a])
                .then(order[*a].cmp(&order[*b]))
        };
        nonzero.select_nth_unstable_by(keep, larger_first);
        for &slot in &nonzero[keep..] {
            self.weights[slot] = 0.0;
        }
    }

    /// With AdaGrad steps, the one sum a published model gives all its weights: the median
    /// of the sums of the weights it keeps (those not zero), the features a taught example
    /// is likely to touch; the sum a new feature starts from, if none is kept.
    pub(crate) fn typical_sum(&self) -> f64 {
        let kept = self
            .sums
            .per_slot
            .iter()
            .zip(&self.weights)
            .filter(|(_, &weight)| weight != 0.0)
            .map(|(&sum, _)| sum);
        median_positive(kept).unwrap_or(self.sums.fresh)
    }
}

/// What one example can change, kept to put it back.
enum Snapshot {
    /// AdaGrad changes only the weights and sums of the row's slots.
    Touched {
        weights: Vec<f64>,
        sums: Vec<f64>,
        intercept: f64,
        intercept_sum: f64,
        t: f64,
    },
    /// `Optimal` steps scale every weight.
    Whole(Box<SgdClassifier>),
}

impl Snapshot {
    fn take(learner: &SgdClassifier, row: &SparseRow) -> Snapshot {
        if learner.squared_sums().is_none() {
            return Snapshot::Whole(Box::new(learner.clone()));
        }
        let slots = row.indices.iter().map(|&slot| slot as usize);
        Snapshot::Touched {
            weights: slots.clone().map(|s| learner.weights[s]).collect(),
            sums: slots.map(|s| learner.sums.per_slot[s]).collect(),
            intercept: learner.intercept,
            intercept_sum: learner.sums.intercept,
            t: learner.t,
        }
    }

    fn restore(self, learner: &mut SgdClassifier, row: &SparseRow) {
        match self {
            Snapshot::Whole(whole) => *learner = *whole,
            Snapshot::Touched {
                weights,
                sums,
                intercept,
                intercept_sum,
                t,
            } => {
                // A row lists each slot once, so putting the values back in order is exact.
                for ((&slot, weight), sum) in row.indices.iter().zip(weights).zip(sums) {
                    learner.weights[slot as usize] = weight;
                    learner.sums.per_slot[slot as usize] = sum;
                }
                learner.intercept = intercept;
                learner.sums.intercept = intercept_sum;
                learner.t = t;
            }
        }
    }
}

/// The target `_plain_sgd` sees with the log loss: the class encoded as 0 or 1.
fn target(label: Label) -> f64 {
    f64::from(label.digit())
}

/// The median of the positive values, if any.
fn median_positive(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut positive: Vec<f64> = values.filter(|&v| v > 0.0).collect();
    if positive.is_empty() {
        return None;
    }
    let middle = positive.len() / 2;
    let (_, median, _) = positive.select_nth_unstable_by(middle, f64::total_cmp);
    Some(*median)
}

pub use exp::exp;

/// The logistic function, as `scipy.special.expit` computes it.
pub fn expit(x: f64) -> f64 {
    1.0 / (1.0 + exp(-x))
}

/// The derivative of the log loss with respect to the raw prediction, for a 0/1 target:
/// `expit(raw) - target`, computed as scikit-learn computes it for `loss`.
fn log_loss_gradient(loss: LogLoss, target: f64, raw: f64) -> f64 {
    match loss {
        // `cgradient_half_binomial`.
        LogLoss::HalfBinomial => {
            if raw > -37.0 {
                let exp = exp(-raw);
                ((1.0 - target) - target * exp) / (1.0 + exp)
            } else {
                exp(raw) - target
            }
        }
        // `Log.dloss`, with the target as -1 or 1.
        LogLoss::Log => {
            let y = 2.0 * target - 1.0;
            let z = raw * y;
            if z > 18.0 {
                exp(-z) * -y
            } else if z < -18.0 {
                -y
            } else {
                -y / (exp(z) + 1.0)
            }
        }
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
        for (slot, value) in row.iter() {
            sum += self.weights[slot as usize] * value;
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
        for (slot, value) in row.iter() {
            self.weights[slot as usize] += value * (step / self.scale);
            self.support.insert(slot as usize);
        }
    }

    /// `reset_wscale`. A zero weight stays zero when scaled, so only the support is visited:
    /// scaling all 2^21 weights at the end of every call was a fifth of the `seed` preset's
    /// training time. Says whether every weight is still finite.
    fn fold_scale(&mut self) -> bool {
        let mut finite = true;
        for slot in self.support.slots() {
            let weight = &mut self.weights[slot];
            *weight *= self.scale;
            finite &= weight.is_finite();
        }
        self.scale = 1.0;
        finite
    }
}

/// A superset of the slots whose weights are non-zero, one bit per slot.
#[derive(Clone, Debug, Default)]
struct Support {
    bits: Vec<u64>,
    /// Whether the bits have been read off the weights yet: a loaded model's are only read
    /// when it first learns with `Optimal` steps.
    covered: bool,
}

impl Support {
    /// Makes the support cover `weights`, reading them on first use.
    fn cover(&mut self, weights: &[f64]) {
        if !self.covered {
            self.bits = vec![0; weights.len().div_ceil(64)];
            for (slot, _) in weights.iter().enumerate().filter(|(_, w)| **w != 0.0) {
                self.insert(slot);
            }
            self.covered = true;
        }
    }

    /// Makes room for `slots` slots, none of them in the support.
    fn grow(&mut self, slots: usize) {
        if self.covered {
            self.bits.resize(slots.div_ceil(64), 0);
        }
    }

    fn insert(&mut self, slot: usize) {
        self.bits[slot / 64] |= 1 << (slot % 64);
    }

    /// The slots in the support, ascending.
    fn slots(&self) -> impl Iterator<Item = usize> + '_ {
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

    /// A row with a single slot set to one.
    fn one_hot(slot: u32) -> SparseRow {
        SparseRow {
            indices: vec![slot],
            values: vec![1.0],
        }
    }

    fn optimal() -> LearnerConfig {
        LearnerConfig {
            alpha: 0.0001,
            random_state: 1,
            step: StepSize::Optimal,
            loss: LogLoss::HalfBinomial,
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
        let mut learner = SgdClassifier::new(optimal());
        learner.grow_to(4);
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
    fn adagrad_learns_and_resumes_from_its_sums() {
        let config = LearnerConfig {
            alpha: 1e-6,
            random_state: 1,
            step: StepSize::AdaGrad { eta0: 0.5 },
            loss: LogLoss::HalfBinomial,
        };
        let good = one_hot(1);
        let bad = one_hot(2);
        let mut learner = SgdClassifier::new(config);
        learner.grow_to(4);
        let rows = [good.clone(), bad.clone(), good.clone()];
        let labels = [Label::Positive, Label::Negative, Label::Positive];
        learner.partial_fit(&rows, &labels).expect("valid batch");
        assert!(learner.predict_proba(&good) > 0.5);
        assert!(learner.predict_proba(&bad) < 0.5);
        let typical = learner.typical_sum();
        assert!(typical > 0.0 && typical < 1.0, "{typical}");

        // Loaded with every sum, it goes on exactly as the original.
        let mut exact = SgdClassifier::from_state(
            learner.config().clone(),
            learner.weights().to_vec(),
            learner.intercept(),
            learner.t(),
            learner.squared_sums().cloned(),
        );
        assert_eq!(exact, learner);
        exact
            .partial_fit(std::slice::from_ref(&bad), &[Label::Positive])
            .expect("valid batch");
        learner
            .partial_fit(std::slice::from_ref(&bad), &[Label::Positive])
            .expect("valid batch");
        assert_eq!(exact, learner);
    }

    #[test]
    fn pruning_keeps_the_largest_weights() {
        let mut learner =
            SgdClassifier::from_state(optimal(), vec![0.5, -2.0, 0.0, 1.0, -0.1], 0.0, 1.0, None);
        let importance: Vec<f64> = learner.weights().iter().map(|w| w.abs()).collect();
        learner.keep_largest(2, &importance, &[0, 1, 2, 3, 4]);
        assert_eq!(learner.weights(), [0.0, -2.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn a_bad_batch_changes_nothing() {
        let mut learner = SgdClassifier::new(optimal());
        learner.grow_to(4);
        let before = learner.clone();
        let outside = one_hot(9);
        assert_eq!(
            learner.partial_fit(&[outside], &[Label::Positive]),
            Err(LearnError::SlotOutOfRange { slot: 9, slots: 4 })
        );
        assert!(learner.partial_fit(&[], &[Label::Positive]).is_err());
        assert_eq!(learner, before);
    }
}
