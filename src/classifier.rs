//! The whole pipeline behind one type: text in, probability out, and learning from labels.

use crate::config::{Config, ConfigError, WeightPrecision};
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
        self.vectorize_reusing(text, &mut Scratch::default())
    }

    /// [`Featurizer::vectorize`] with buffers kept from text to text, for a stream of texts.
    pub fn vectorize_reusing(&self, text: &str, scratch: &mut Scratch) -> SparseRow {
        self.tokenizer.tokenize_into(text, &mut scratch.tokens);
        self.vectorizer
            .transform_reusing(&scratch.tokens, &mut scratch.keys)
    }
}

/// The buffers of [`Featurizer::vectorize_reusing`]: allocating them for every review cost
/// a tenth of featurizing a corpus.
#[derive(Debug, Default)]
pub struct Scratch {
    tokens: Tokens,
    keys: Vec<u64>,
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

    /// The model as its configuration publishes it (`Config::precision`).
    pub fn to_model(&self) -> Model {
        self.to_model_at(self.config.precision)
    }

    /// The model with its weights stored at `precision`.
    pub fn to_model_at(&self, precision: WeightPrecision) -> Model {
        Model {
            config: self.config.clone(),
            weights: SparseWeights::from_dense(self.learner.weights(), precision),
            intercept: self.learner.intercept(),
            t: self.learner.t(),
            provenance: self.provenance.clone(),
        }
    }

    /// The model file's bytes, as its configuration publishes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_model().encode()
    }

    /// The model file's bytes with every weight exact, so that reading them back gives this
    /// very classifier: what a learner that goes on learning must save.
    pub fn to_lossless_bytes(&self) -> Vec<u8> {
        self.to_model_at(WeightPrecision::F64).encode()
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

    /// How each distinct term of `text` moves the decision, in order of first appearance.
    ///
    /// A linear model's decision is exactly the intercept plus these contributions, so the
    /// page can show which words made the prediction.
    pub fn explain(&self, text: &str) -> Explanation {
        let vectorizer = self.featurizer.vectorizer();
        let tokens = self.featurizer.tokenize(text);
        let row = vectorizer.transform(&tokens);
        let mut terms: Vec<TermContribution> = Vec::new();
        let mut columns: Vec<(u32, f64)> = Vec::new();
        let mut seen = std::collections::HashMap::new();
        tokens.for_each_term(|term| match seen.get(term) {
            Some(&at) => {
                let entry: &mut TermContribution = &mut terms[at];
                entry.count += 1;
            }
            None => {
                let (column, sign) = vectorizer.column(term);
                seen.insert(term.to_owned(), terms.len());
                columns.push((column, sign));
                terms.push(TermContribution {
                    term: term.to_owned(),
                    weight: sign * self.learner.weights()[column as usize],
                    count: 1,
                    contribution: 0.0,
                });
            }
        });
        // The row's norm before normalisation, from the summed signed counts per column.
        let mut raw: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
        for (entry, &(column, sign)) in terms.iter().zip(&columns) {
            *raw.entry(column).or_default() += sign * f64::from(entry.count);
        }
        let squares: f64 = raw.values().map(|v| v * v).sum();
        let norm = if squares > 0.0 { squares.sqrt() } else { 1.0 };
        for entry in &mut terms {
            entry.contribution = entry.weight * f64::from(entry.count) / norm;
        }
        Explanation {
            terms,
            intercept: self.learner.intercept(),
            decision: self.learner.decision_function(&row),
        }
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

/// Why a text got its score: the intercept plus one contribution per distinct term.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub terms: Vec<TermContribution>,
    pub intercept: f64,
    pub decision: f64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TermContribution {
    pub term: String,
    /// The signed weight one occurrence of the term carries before normalisation.
    pub weight: f64,
    pub count: u32,
    /// The term's share of the decision function.
    pub contribution: f64,
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

    #[test]
    fn contributions_add_up_to_the_decision() {
        let mut classifier = Classifier::new(Config::notebook()).expect("valid config");
        let texts = ["a wonderful film", "a dreadful film", "wonderful acting"];
        let labels = [Label::Positive, Label::Negative, Label::Positive];
        classifier
            .partial_fit(&texts, &labels)
            .expect("valid batch");
        let explanation = classifier.explain("Wonderful, wonderful film!");
        let terms: Vec<(&str, u32)> = explanation
            .terms
            .iter()
            .map(|t| (t.term.as_str(), t.count))
            .collect();
        assert_eq!(terms, [("wonderful", 2), ("film", 1)]);
        assert!(explanation.terms[0].contribution > 0.0);
        let sum: f64 = explanation.terms.iter().map(|t| t.contribution).sum();
        assert!(
            (explanation.intercept + sum - explanation.decision).abs() < 1e-12,
            "{explanation:?}"
        );
    }
}
