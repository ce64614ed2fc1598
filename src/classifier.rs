//! The whole pipeline behind one type: text in, probability out, and learning from labels.

use crate::config::{Config, ConfigError, WeightPrecision};
use crate::label::Label;
use crate::learn::{ColumnSlots, LearnError, SgdClassifier, SquaredSums};
use crate::model::{Model, ModelError, Provenance, SparseWeights, StoredSums};
use crate::tokenize::{Tokenizer, Tokens};
use crate::vectorize::{HashingVectorizer, Keys, SparseRow};

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
    keys: Keys,
}

/// A sentiment classifier: the featurizer and learner of one [`Config`].
///
/// It keeps a weight for each feature column it has met ([`ColumnSlots`]), so its memory
/// follows what its model stores, whatever feature space the model declares.
#[derive(Clone, Debug)]
pub struct Classifier {
    config: Config,
    featurizer: Featurizer,
    slots: ColumnSlots,
    learner: SgdClassifier,
    provenance: Provenance,
}

impl PartialEq for Classifier {
    /// The same model, every piece of learner state included, whatever the slot numbering.
    fn eq(&self, other: &Self) -> bool {
        self.to_lossless_model() == other.to_lossless_model()
    }
}

impl Classifier {
    /// An untrained classifier.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let learner = SgdClassifier::new(config.learner.clone());
        Ok(Self::from_parts(
            config,
            ColumnSlots::default(),
            learner,
            Provenance::default(),
        ))
    }

    /// The classifier a model file describes.
    pub fn from_model(model: Model) -> Result<Self, ModelError> {
        model.validate()?;
        Ok(Self::from_valid_model(model))
    }

    /// [`Classifier::from_model`] for a model already validated.
    fn from_valid_model(model: Model) -> Self {
        let (columns, weights) = model.weights.columns_and_values();
        let sums = model.squared_sums.map(|sums| SquaredSums {
            per_slot: if sums.per_weight.is_empty() {
                vec![sums.fresh; weights.len()]
            } else {
                sums.per_weight
            },
            intercept: sums.intercept,
            fresh: sums.fresh,
        });
        let learner = SgdClassifier::from_state(
            model.config.learner.clone(),
            weights,
            model.intercept,
            model.t,
            sums,
        );
        Self::from_parts(
            model.config,
            ColumnSlots::from_columns(columns),
            learner,
            model.provenance,
        )
    }

    /// Reads a model file; [`Model::decode`] has validated what it read.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        Ok(Self::from_valid_model(Model::decode(bytes)?))
    }

    /// A classifier from a learner whose slot `k` holds the weight of `slots.columns()[k]`.
    pub(crate) fn from_parts(
        config: Config,
        slots: ColumnSlots,
        learner: SgdClassifier,
        provenance: Provenance,
    ) -> Self {
        Classifier {
            featurizer: Featurizer::new(&config),
            config,
            slots,
            learner,
            provenance,
        }
    }

    /// The model as its configuration publishes it (`Config::precision`): the non-zero
    /// weights, and for AdaGrad the intercept's sum and one typical sum for all the weights
    /// instead of every sum.
    pub fn to_model(&self) -> Model {
        let entries: Vec<(u32, f64)> = self
            .slots
            .by_column()
            .into_iter()
            .map(|(column, slot)| (column, self.learner.weights()[slot as usize]))
            .filter(|&(_, weight)| weight != 0.0)
            .collect();
        let sums = self.learner.squared_sums().map(|sums| StoredSums {
            per_weight: Vec::new(),
            intercept: sums.intercept,
            fresh: self.learner.typical_sum(),
        });
        self.model_of(
            SparseWeights::from_entries(&entries, self.config.precision),
            sums,
        )
    }

    /// The model with every weight exact and, with AdaGrad steps, every sum: reading it back
    /// gives this very classifier, which is what a learner that goes on learning must save.
    pub fn to_lossless_model(&self) -> Model {
        let weights = self.learner.weights();
        let sums = self.learner.squared_sums();
        let mut entries = Vec::new();
        let mut per_weight = Vec::new();
        for (column, slot) in self.slots.by_column() {
            let slot = slot as usize;
            let sum = sums.map(|sums| sums.per_slot[slot]);
            // A slot at its starting state is the same as no slot: leaving it out keeps the
            // file the same whatever columns were looked at without being learned.
            if weights[slot] != 0.0 || sums.is_some_and(|sums| sum != Some(sums.fresh)) {
                entries.push((column, weights[slot]));
                per_weight.extend(sum);
            }
        }
        let stored_sums = sums.map(|sums| StoredSums {
            per_weight,
            intercept: sums.intercept,
            fresh: sums.fresh,
        });
        self.model_of(
            SparseWeights::from_entries(&entries, WeightPrecision::F64),
            stored_sums,
        )
    }

    fn model_of(&self, weights: SparseWeights, squared_sums: Option<StoredSums>) -> Model {
        Model {
            config: self.config.clone(),
            weights,
            intercept: self.learner.intercept(),
            t: self.learner.t(),
            squared_sums,
            provenance: self.provenance.clone(),
        }
    }

    /// The model file's bytes, as its configuration publishes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_model().encode()
    }

    /// The lossless model file's bytes (see [`Classifier::to_lossless_model`]).
    pub fn to_lossless_bytes(&self) -> Vec<u8> {
        self.to_lossless_model().encode()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// The same classifier, saying where it came from.
    pub fn with_provenance(self, provenance: Provenance) -> Classifier {
        Classifier { provenance, ..self }
    }

    /// The non-zero weights as (column, weight), columns ascending: `coef_[0]`'s non-zeros.
    pub fn weights(&self) -> Vec<(u32, f64)> {
        self.to_model().weights.iter().collect()
    }

    /// The weight of one feature column.
    pub fn weight(&self, column: u32) -> f64 {
        self.slots
            .slot(column)
            .map_or(0.0, |slot| self.learner.weights()[slot as usize])
    }

    /// `intercept_[0]`.
    pub fn intercept(&self) -> f64 {
        self.learner.intercept()
    }

    /// `t_`: one more than the number of examples learned.
    pub fn t(&self) -> f64 {
        self.learner.t()
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

    /// `decision_function` for a vectorised row: columns the model has never met weigh
    /// nothing, as their zero weights would.
    pub fn decision_function(&self, row: &SparseRow) -> f64 {
        let weights = self.learner.weights();
        let dot: f64 = row
            .iter()
            .filter_map(|(column, value)| {
                let slot = self.slots.slot(column)?;
                Some(value * weights[slot as usize])
            })
            .sum();
        dot + self.learner.intercept()
    }

    /// The probability that a vectorised row is a positive review.
    pub fn predict_proba_row(&self, row: &SparseRow) -> f64 {
        crate::learn::expit(self.decision_function(row))
    }

    /// The probability that `text` is a positive review.
    pub fn predict_proba(&self, text: &str) -> f64 {
        self.predict_proba_row(&self.vectorize(text))
    }

    pub fn predict(&self, text: &str) -> Label {
        self.classify(text).label
    }

    /// The predicted label and the model's confidence in it, as the notebook reports them.
    pub fn classify(&self, text: &str) -> Prediction {
        Prediction::from_decision(self.decision_function(&self.vectorize(text)))
    }

    /// How each distinct term of `text` moves the decision, in order of first appearance.
    ///
    /// A linear model's decision is exactly the intercept plus these contributions, so the
    /// page can show which words made the prediction.
    pub fn explain(&self, text: &str) -> Explanation {
        const NO_TERM: usize = usize::MAX;
        let vectorizer = self.featurizer.vectorizer();
        let tokens = self.featurizer.tokenize(text);
        let (located, unit) = if text.len() <= LOCATED_BYTES {
            let located = self.featurizer.tokenizer.locate(text, &tokens);
            (located, Utf16Units::of(text))
        } else {
            (Vec::new(), Utf16Units::default())
        };
        // Terms are found by their column, then by their text among the few that share it, not
        // in a map of strings; with the spans in one list and the row made from these columns,
        // explaining the bench's 230-word review went from 58 to 26 µs.
        let mut columns = ColumnSlots::default();
        let mut first_of_column: Vec<usize> = Vec::new();
        let mut next_of_column: Vec<usize> = Vec::new();
        let mut column_of_term: Vec<(u32, f64)> = Vec::new();
        let mut terms: Vec<TermContribution> = Vec::new();
        let mut spans: Vec<TermSpan> = Vec::new();
        tokens.for_each_term_with_tokens(|term, at| {
            let (column, sign) = vectorizer.column(term);
            let slot = columns.slot_or_insert(column) as usize;
            if slot == first_of_column.len() {
                first_of_column.push(NO_TERM);
            }
            let mut index = first_of_column[slot];
            while index != NO_TERM && terms[index].term != term {
                index = next_of_column[index];
            }
            if index == NO_TERM {
                index = terms.len();
                next_of_column.push(first_of_column[slot]);
                first_of_column[slot] = index;
                column_of_term.push((slot as u32, sign));
                terms.push(TermContribution {
                    term: term.to_owned(),
                    weight: sign * self.weight(column),
                    count: 0,
                    contribution: 0.0,
                });
            }
            terms[index].count += 1;
            let term = index as u32;
            if at.len() == 1 {
                let ranges = located
                    .get(at.start)
                    .map_or(&[][..], |located| &located[..]);
                spans.extend(ranges.iter().map(|range| TermSpan {
                    term,
                    start: unit.at(range.start),
                    end: unit.at(range.end),
                }));
            } else if let (Some(first), Some(last)) = (
                located.get(at.start).and_then(|ranges| ranges.first()),
                located.get(at.end - 1).and_then(|ranges| ranges.last()),
            ) {
                spans.push(TermSpan {
                    term,
                    start: unit.at(first.start),
                    end: unit.at(last.end),
                });
            }
        });
        // The row's norm before normalisation, from the summed signed counts per column.
        let mut raw = vec![0.0f64; columns.len()];
        for (entry, &(slot, sign)) in terms.iter().zip(&column_of_term) {
            raw[slot as usize] += sign * f64::from(entry.count);
        }
        let squares: f64 = raw.iter().map(|v| v * v).sum();
        let norm = if squares > 0.0 { squares.sqrt() } else { 1.0 };
        for entry in &mut terms {
            entry.contribution = entry.weight * f64::from(entry.count) / norm;
        }
        // The row transforming the text makes, from the same columns rather than hashed a
        // second time: each distinct column once, ascending, its summed signed count over the
        // norm. The sums are small integers, exact in any order, so this is the same row to
        // the bit. Sorting the distinct columns instead of every occurrence took explaining the
        // bench's 230-word review from 26.2 to 23.3 µs natively.
        let mut entries: Vec<(u32, f64)> = columns.columns().iter().copied().zip(raw).collect();
        entries.sort_unstable_by_key(|&(column, _)| column);
        let (indices, values) = entries
            .into_iter()
            .map(|(column, sum)| (column, sum / norm))
            .unzip();
        let row = SparseRow { indices, values };
        Explanation {
            terms,
            spans,
            intercept: self.learner.intercept(),
            decision: self.decision_function(&row),
        }
    }

    /// Learns one example, as the page does when its visitor teaches it: a `partial_fit` of
    /// one row, counted in the model's provenance. The trainer's `--start` runs this too, so
    /// what a visitor taught can be replayed to the same bytes.
    ///
    /// An example that would take the model past the range a model file holds is refused
    /// and changes nothing, so every model taught this way can be saved and read back.
    pub fn teach(&mut self, text: &str, label: Label) -> Result<(), LearnError> {
        let row = self.vectorize(text);
        self.teach_row(&row, label)
    }

    /// [`Classifier::teach`] for a row already vectorised by this classifier's featurizer.
    pub fn teach_row(&mut self, row: &SparseRow, label: Label) -> Result<(), LearnError> {
        let slot_row = self.slot_row(row)?;
        self.learner.learn_one(&slot_row, label)?;
        self.provenance.taught += 1;
        Ok(())
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
        if rows.len() != labels.len() {
            return Err(LearnError::LengthMismatch {
                rows: rows.len(),
                labels: labels.len(),
            });
        }
        let slot_rows = rows
            .iter()
            .map(|row| self.slot_row(row))
            .collect::<Result<Vec<_>, _>>()?;
        self.learner.partial_fit(&slot_rows, labels)
    }

    /// `row` with its columns as the learner's slots, new columns given new slots.
    fn slot_row(&mut self, row: &SparseRow) -> Result<SparseRow, LearnError> {
        let n_features = self.config.n_features;
        let mut indices = Vec::with_capacity(row.len());
        for &column in &row.indices {
            if column >= n_features {
                return Err(LearnError::ColumnOutOfRange { column, n_features });
            }
            indices.push(self.slots.slot_or_insert(column));
        }
        self.learner.grow_to(self.slots.len());
        Ok(SparseRow {
            indices,
            values: row.values.clone(),
        })
    }
}

/// Where each byte of a text falls in UTF-16 code units, what JavaScript and the DOM count.
#[derive(Default)]
struct Utf16Units(Vec<u32>);

impl Utf16Units {
    fn of(text: &str) -> Utf16Units {
        // In ASCII a byte is a code unit; otherwise the count before every byte is tabled.
        if text.is_ascii() {
            return Utf16Units(Vec::new());
        }
        let mut units = Vec::with_capacity(text.len() + 1);
        let mut count = 0u32;
        for c in text.chars() {
            units.extend(std::iter::repeat_n(count, c.len_utf8()));
            count += c.len_utf16() as u32;
        }
        units.push(count);
        Utf16Units(units)
    }

    fn at(&self, byte: usize) -> u32 {
        self.0.get(byte).copied().unwrap_or(byte as u32)
    }
}

/// Why a text got its score: the intercept plus one contribution per distinct term.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub terms: Vec<TermContribution>,
    /// Where the terms' occurrences stand in the text explained, in the order they occur;
    /// empty for a text longer than [`LOCATED_BYTES`]. (One list for all the terms, not one
    /// each: allocating was a third of explaining a review.)
    pub spans: Vec<TermSpan>,
    pub intercept: f64,
    pub decision: f64,
}

impl Explanation {
    /// Only the terms the model has a weight for, and their spans: the others contribute
    /// nothing, and a page that shows the explanation has them to carry across for no use.
    pub fn weighted(mut self) -> Explanation {
        let mut kept = 0u32;
        let renumbered: Vec<Option<u32>> = self
            .terms
            .iter()
            .map(|term| {
                (term.weight != 0.0).then(|| {
                    kept += 1;
                    kept - 1
                })
            })
            .collect();
        self.terms.retain(|term| term.weight != 0.0);
        self.spans
            .retain_mut(|span| match renumbered[span.term as usize] {
                Some(term) => {
                    span.term = term;
                    true
                }
                None => false,
            });
        self
    }
}

/// Where one occurrence of a term stands in the text explained, as `[start, end)` in UTF-16
/// code units (what JavaScript and the DOM count); an n-gram's span runs from its first word
/// to its last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermSpan {
    /// The term's index in [`Explanation::terms`].
    pub term: u32,
    pub start: u32,
    pub end: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TermContribution {
    pub term: String,
    /// The signed weight one occurrence of the term carries before normalisation.
    pub weight: f64,
    pub count: u32,
    /// The term's share of the decision function.
    pub contribution: f64,
}

/// The longest text whose terms are located: the page shows no more than the first 20,000
/// characters highlighted, and locating keeps a position for every byte.
pub const LOCATED_BYTES: usize = 200_000;

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
    fn terms_say_where_they_stand_in_utf16_units() {
        let mut config = Config::notebook();
        config.tokenizer.ngram_range = (1, 2);
        let classifier = Classifier::new(config).expect("valid config");
        let text = "😀 Café <i>lovely</i> Café";
        let units: Vec<u16> = text.encode_utf16().collect();
        let explanation = classifier.explain(text);
        let shown = |term: &str| -> Vec<String> {
            let index = explanation
                .terms
                .iter()
                .position(|t| t.term == term)
                .expect(term) as u32;
            explanation
                .spans
                .iter()
                .filter(|span| span.term == index)
                .map(|span| {
                    String::from_utf16_lossy(&units[span.start as usize..span.end as usize])
                })
                .collect()
        };
        assert_eq!(shown("café"), ["Café", "Café"]);
        assert_eq!(shown("lovely"), ["lovely"]);
        assert_eq!(shown("café lovely"), ["Café <i>lovely"]);
    }

    #[test]
    fn weighted_keeps_the_terms_with_a_weight_and_their_spans() {
        let mut classifier = Classifier::new(Config::notebook()).expect("valid config");
        classifier
            .partial_fit(&["a wonderful film"], &[Label::Positive])
            .expect("valid batch");
        let text = "Unseen wonderful, unheard film";
        let explanation = classifier.explain(text).weighted();
        let terms: Vec<&str> = explanation.terms.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(terms, ["wonderful", "film"]);
        let spans: Vec<(&str, &str)> = explanation
            .spans
            .iter()
            .map(|span| {
                let term = explanation.terms[span.term as usize].term.as_str();
                (term, &text[span.start as usize..span.end as usize])
            })
            .collect();
        assert_eq!(spans, [("wonderful", "wonderful"), ("film", "film")]);
    }

    #[test]
    fn an_explanation_decides_as_classifying_does_to_the_bit() {
        let mut classifier =
            Classifier::new(crate::train::Recipe::site().config).expect("valid config");
        let texts = [
            "A wonderful, wonderful film :)",
            "A dreadful film; the plot dragged and dragged.",
            "Not good. Not good at all :-(",
        ];
        let labels = [Label::Positive, Label::Negative, Label::Negative];
        classifier
            .partial_fit(&texts, &labels)
            .expect("valid batch");
        for text in texts
            .iter()
            .chain(&["good good good film", "<b>Café</b> ΣΑΣ :D", ""])
        {
            let explained = classifier.explain(text).decision;
            let classified = classifier.decision_function(&classifier.vectorize(text));
            assert_eq!(explained.to_bits(), classified.to_bits(), "{text}");
        }
    }

    #[test]
    fn an_explanation_decides_as_classifying_does_where_terms_collide() {
        // Eight columns for many terms: most share a column, and some cancel to an explicit 0.
        let mut config = crate::train::Recipe::site().config;
        config.n_features = 8;
        let mut classifier = Classifier::new(config).expect("valid config");
        let review = "The acting was wonderful but the long plot dragged badly, and yet I \
                      would watch it again: a strange, moving, uneven film :) "
            .repeat(12);
        let texts = [
            review.as_str(),
            "good bad good bad ugly",
            "one two three four five six",
        ];
        classifier
            .partial_fit(&texts, &[Label::Positive, Label::Negative, Label::Positive])
            .expect("valid batch");
        let mut cancelled = false;
        for text in texts {
            let row = classifier.vectorize(text);
            cancelled |= row.values.contains(&0.0);
            let explained = classifier.explain(text).decision;
            let classified = classifier.decision_function(&row);
            assert_eq!(explained.to_bits(), classified.to_bits(), "{text}");
        }
        assert!(
            cancelled,
            "no column cancelled out: the test no longer covers that"
        );
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
