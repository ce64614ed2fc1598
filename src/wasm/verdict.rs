//! What the page shows for a review: one type, so that the first-verdict engine
//! ([`super::glance`]), the session and the labelling queue answer with the same bytes.
//!
//! The terms cross to JavaScript as columns (an array of the words, typed arrays of their
//! numbers and spans) rather than as an object each: building an object a term was a quarter
//! of classifying a review in the page (13 of 48 µs for a 230-word review's 17 terms).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{Classifier, Prediction};

/// A review's label, probability, the notebook's face, and the terms the model has a weight
/// for with where they stand in the text.
#[derive(Serialize)]
pub(super) struct Verdict {
    label: &'static str,
    probability: f64,
    face: &'static str,
    /// The terms, one a line (a term never holds a line break: its words are joined by
    /// spaces). One string, not one each: each string crossing costs a call of JavaScript's
    /// TextDecoder.
    terms: String,
    /// Each term's weight, as little-endian `f64`s.
    weights: LittleEndian,
    /// Each term's share of the decision function, as little-endian `f64`s.
    contributions: LittleEndian,
    /// `(term, start, end)` triples of little-endian `u32`s: where each occurrence stands,
    /// in UTF-16 units.
    spans: LittleEndian,
}

/// Numbers as their little-endian bytes, which cross to JavaScript as one `Uint8Array`.
struct LittleEndian(Vec<u8>);

impl Serialize for LittleEndian {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl Verdict {
    pub(super) fn of(classifier: &Classifier, text: &str) -> Verdict {
        let explanation = classifier.explain(text).weighted();
        let prediction = Prediction::from_decision(explanation.decision);
        let floats = |value: fn(&crate::TermContribution) -> f64| {
            LittleEndian(
                explanation
                    .terms
                    .iter()
                    .flat_map(|term| value(term).to_le_bytes())
                    .collect(),
            )
        };
        let weights = floats(|term| term.weight);
        let contributions = floats(|term| term.contribution);
        let spans = explanation
            .spans
            .iter()
            .flat_map(|span| [span.term, span.start, span.end])
            .flat_map(u32::to_le_bytes)
            .collect();
        Verdict {
            label: prediction.label.name(),
            probability: prediction.probability,
            face: prediction.face(),
            terms: explanation
                .terms
                .iter()
                .map(|term| term.term.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            weights,
            contributions,
            spans: LittleEndian(spans),
        }
    }
}

/// [`Verdict::of`], for JavaScript.
pub(super) fn classify(classifier: &Classifier, text: &str) -> Result<JsValue, JsError> {
    Ok(serde_wasm_bindgen::to_value(&Verdict::of(
        classifier, text,
    ))?)
}
