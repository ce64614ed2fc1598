//! The browser's view of the library: a thin `wasm-bindgen` layer over [`crate::Classifier`].
//!
//! It only converts between JavaScript and Rust values; every decision lives in the pipeline
//! modules, so the page and the native trainer run the same code.

use wasm_bindgen::prelude::*;

use crate::{Classifier, Label};

/// A classifier loaded from model-file bytes.
#[wasm_bindgen(js_name = Classifier)]
pub struct WasmClassifier {
    inner: Classifier,
}

#[wasm_bindgen(js_class = Classifier)]
impl WasmClassifier {
    /// Reads a model file; a foreign, truncated, corrupted or newer file throws an `Error`
    /// whose message says which.
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8]) -> Result<WasmClassifier, JsError> {
        let inner = Classifier::from_bytes(model)?;
        Ok(WasmClassifier { inner })
    }

    /// The probability that `text` is a positive review.
    #[wasm_bindgen(js_name = predictProba)]
    pub fn predict_proba(&self, text: &str) -> f64 {
        self.inner.predict_proba(text)
    }

    /// Learns one review with its right label (`partial_fit` on a batch of one).
    #[wasm_bindgen(js_name = partialFit)]
    pub fn partial_fit(&mut self, text: &str, positive: bool) -> Result<(), JsError> {
        let label = if positive {
            Label::Positive
        } else {
            Label::Negative
        };
        self.inner.partial_fit(&[text], &[label])?;
        Ok(())
    }

    /// The model file's bytes.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }
}
