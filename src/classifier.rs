//! The whole pipeline behind one type: text in, probability out, and learning from labels.

use crate::config::{Config, ConfigError};
use crate::learn::{Label, LearnError, SgdClassifier};
use crate::model::{Model, ModelError, Provenance, SparseWeights};
use crate::tokenize::{Tokenizer, Tokens};
use crate::vectorize::{HashingVectorizer, SparseRow};

/// Text to feature rows: the tokenizer and vectorizer of one [`Config`], without the weights,
/// so that a trainer can run it on other threads while the learner works.
#[derive(Clone, Debug)]
pub struct Featurizer {
    tokenizer: Tokenizer,
    vectorizer: HashingVectorizer,
}

impl Featurizer {
    pub fn new(config: &Config) -> Self {
        Featurizer {
            tokenizer: Tokenizer::new(&config.tokenizer),
            vectorizer: HashingVectorizer::new(config.n_features),
        }
    }

    pub fn tokenize(&self, text: &str) -> Tokens {
        self.tokenizer.tokenize(text)
    }

    pub fn vectorizer(&self) -> &HashingVectorizer {
        &self.vectorizer
    }

    /// `vect.transform([text])`.
    pub fn vectorize(&self, text: &str) -> SparseRow {
        self.vectorizer.transform(&self.tokenizer.tokenize(text))
    }
}

/// A sentiment classifier: the featurizer and learner of one [`Config`].
#[derive(Clone, Debug)]
pub struct Classifier {
    config: Config,
    featurizer: Featurizer,
    learner: SgdClassifier,
    provenance: Provenance,
}

impl Classifier {
    /// An untrained classifier.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let learner = SgdClassifier::new(config.learner.clone(), config.n_features);
        Ok(Self::assemble(config, learner, Provenance::default()))
    }

    /// The classifier a model file describes.
    pub fn from_model(model: Model) -> Result<Self, ModelError> {
        model.config.validate()?;
        let weights = model
            .weights
            .to_dense(model.config.n_features)
            .ok_or_else(|| ModelError::Malformed("a weight column is out of range".into()))?;
        let learner = SgdClassifier::from_state(
            model.config.learner.clone(),
            weights,
            model.intercept,
            model.t,
        );
        Ok(Self::assemble(model.config, learner, model.provenance))
    }

    /// Reads a model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        Self::from_model(Model::decode(bytes)?)
    }

    fn assemble(config: Config, learner: SgdClassifier, provenance: Provenance) -> Self {
        Classifier {
            featurizer: Featurizer::new(&config),
            config,
            learner,
            provenance,
        }
    }

    pub fn to_model(&self) -> Model {
        Model {
            config: self.config.clone(),
            weights: SparseWeights::from_dense(self.learner.weights(), self.config.precision),
            intercept: self.learner.intercept(),
            t: self.learner.t(),
            provenance: self.provenance.clone(),
        }
    }

    /// The model file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_model().encode()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn learner(&self) -> &SgdClassifier {
        &self.learner
    }

    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    pub fn provenance_mut(&mut self) -> &mut Provenance {
        &mut self.provenance
    }

    /// Replaces the weights and intercept (see [`SgdClassifier::set_weights`]).
    pub fn set_weights(&mut self, weights: Vec<f64>, intercept: f64) -> Result<(), LearnError> {
        self.learner.set_weights(weights, intercept)
    }

    /// With AdaGrad steps, fixes the squared-gradient sum a saved model resumes from (see
    /// [`SgdClassifier::set_resume_sum_to_median`]); call it when training is done.
    pub fn set_resume_sum_to_median(&mut self) {
        self.learner.set_resume_sum_to_median();
        self.config.learner = self.learner.config().clone();
    }

    /// Keeps only the `keep` weights of largest magnitude (see [`SgdClassifier::keep_largest`]).
    pub fn keep_largest_weights(&mut self, keep: usize) {
        self.learner.keep_largest(keep);
    }

    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    pub fn tokenize(&self, text: &str) -> Tokens {
        self.featurizer.tokenize(text)
    }

    pub fn vectorizer(&self) -> &HashingVectorizer {
        self.featurizer.vectorizer()
    }

    /// `vect.transform([text])`.
    pub fn vectorize(&self, text: &str) -> SparseRow {
        self.featurizer.vectorize(text)
    }

    /// The probability that `text` is a positive review.
    pub fn predict_proba(&self, text: &str) -> f64 {
        self.learner.predict_proba(&self.vectorize(text))
    }

    pub fn predict(&self, text: &str) -> Label {
        self.classify(text).label
    }

    /// The predicted label and the model's confidence in it, as the notebook reports them.
    pub fn classify(&self, text: &str) -> Prediction {
        Prediction::from_decision(self.learner.decision_function(&self.vectorize(text)))
    }

    /// `clf.partial_fit(vect.transform(texts), labels)`.
    pub fn partial_fit<S: AsRef<str>>(
        &mut self,
        texts: &[S],
        labels: &[Label],
    ) -> Result<(), LearnError> {
        let rows: Vec<SparseRow> = texts.iter().map(|t| self.vectorize(t.as_ref())).collect();
        self.partial_fit_rows(&rows, labels)
    }

    /// `clf.partial_fit(rows, labels)` for rows already vectorised.
    pub fn partial_fit_rows(
        &mut self,
        rows: &[SparseRow],
        labels: &[Label],
    ) -> Result<(), LearnError> {
        self.learner.partial_fit(rows, labels)
    }
}

/// A predicted label with the probability the model gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    pub label: Label,
    /// The probability of `label`, at least 0.5.
    pub probability: f64,
}

impl Prediction {
    /// From the decision function, as scikit-learn's `predict` and `predict_proba` read it:
    /// positive only for a decision strictly above zero.
    pub fn from_decision(decision: f64) -> Self {
        let positive = crate::learn::expit(decision);
        if decision > 0.0 {
            Prediction {
                label: Label::Positive,
                probability: positive,
            }
        } else {
            Prediction {
                label: Label::Negative,
                probability: 1.0 - positive,
            }
        }
    }

    /// The notebook's face for a prediction: sure (90% and above), fairly sure (70%), or not.
    pub fn face(&self) -> &'static str {
        match (self.label, self.probability) {
            (Label::Positive, p) if p >= 0.9 => ":D",
            (Label::Positive, p) if p >= 0.7 => ":)",
            (Label::Negative, p) if p >= 0.9 => ":`(",
            (Label::Negative, p) if p >= 0.7 => ":(",
            _ => ":|",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faces_follow_the_notebook() {
        // logit(p) for p = 0.95, 0.8, 0.6.
        let face = |d: f64| Prediction::from_decision(d).face();
        assert_eq!([face(2.95), face(1.39), face(0.41)], [":D", ":)", ":|"]);
        assert_eq!([face(-2.95), face(-1.39), face(-0.41)], [":`(", ":(", ":|"]);
        assert_eq!(Prediction::from_decision(0.0).label, Label::Negative);
    }
}
