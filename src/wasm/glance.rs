//! The first verdict: the pretrained model alone, in a build of its own.
//!
//! A first visit on a slow phone link spent most of its wait downloading the whole engine
//! (263 KB gzip'd then: teaching, files, the queue, pickles) before the first verdict, which
//! needs none of it. Built without the `engine` feature, this crate's WebAssembly holds only
//! this module, [`super::verdict`] and what they use (74 KB), so the page's worker answers
//! with it while the engine downloads, and hands over to the session once that opens.
//!
//! It answers only for a visitor who has taught nothing and imported nothing: for everyone
//! else the model is the session's to rebuild, and the worker waits for it.

use wasm_bindgen::prelude::*;

use super::store::Store;
use super::verdict;
use crate::Classifier;

/// The pretrained model, answering until the session opens.
#[wasm_bindgen]
pub struct Glance {
    classifier: Classifier,
}

/// Reads the pretrained model; `undefined` if this browser keeps teaching or an imported
/// model in `database`, whose verdicts only the session gives.
#[wasm_bindgen(js_name = openGlance)]
pub async fn open_glance(pretrained: &[u8], database: String) -> Result<Option<Glance>, JsError> {
    let opening = Store::opening(&database);
    // Why not is the session's to say: the worker waits for it when this fails, and formatting
    // the reason here (its numbers, see `model::BadNumber`) took 11 KB of this build gzip'd.
    let classifier = Classifier::from_bytes(pretrained)
        .map_err(|_| JsError::new("The pretrained model cannot be used."))?;
    // Storage that cannot be opened is what the session finds too: it then classifies with
    // the pretrained model, as this does.
    if let Ok(store) = opening.opened().await {
        let untaught = store.is_untaught().await;
        store.close();
        if untaught != Ok(true) {
            return Ok(None);
        }
    }
    Ok(Some(Glance { classifier }))
}

#[wasm_bindgen]
impl Glance {
    /// As [`super::Session::classify`].
    pub fn classify(&self, text: &str) -> Result<JsValue, JsError> {
        verdict::classify(&self.classifier, text)
    }
}
