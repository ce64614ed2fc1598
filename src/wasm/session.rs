//! A visitor's session: the classifier they are teaching, kept in step with the store.
//!
//! The log of taught examples is the source of truth; the saved model is a cache of
//! "start model + log". On opening, a saved model is used only if it was built from the same
//! start model and from log entries the log still has; the rest of the log is learned on top.
//! Otherwise (a new pretrained model shipped, the saved model is damaged) the whole log is
//! replayed, so no taught example is lost.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::store::{Learned, Saved, Store, StoreError, Taught};
use crate::model::Model;
use crate::{Classifier, Explanation, Label, Prediction};

struct State {
    pretrained: Rc<(Vec<u8>, Classifier)>,
    /// The model teaching starts from: the pretrained one or an imported one.
    start: Rc<(Vec<u8>, Classifier)>,
    classifier: Classifier,
    /// Log keys the classifier has learned.
    applied: BTreeSet<u32>,
    /// Examples learned that storage did not keep.
    unsaved: usize,
    store: Option<Rc<Store>>,
    notice: Option<String>,
}

impl State {
    fn start_id(&self) -> u32 {
        Model::checksum_of(&self.start.0).unwrap_or_default()
    }

    fn learned(&self) -> Learned {
        Learned {
            bytes: self.classifier.to_lossless_bytes(),
            start: self.start_id(),
            keys: self.applied.iter().copied().collect(),
        }
    }

    fn learn(&mut self, key: u32, taught: &Taught) {
        let label = if taught.positive {
            Label::Positive
        } else {
            Label::Negative
        };
        // A one-text batch of a valid label cannot fail to learn; the key is marked either
        // way so that a replay does not stall on it.
        let _ = self
            .classifier
            .partial_fit(&[taught.text.as_str()], &[label]);
        self.applied.insert(key);
    }
}

/// The page's classifier and its storage, opened by [`open_session`].
#[wasm_bindgen]
pub struct Session {
    state: Rc<RefCell<State>>,
}

#[derive(Serialize)]
struct Classification {
    label: &'static str,
    probability: f64,
    face: &'static str,
    explanation: Explanation,
}

#[derive(Serialize)]
struct Outcome {
    taught: usize,
    saved: bool,
    notice: Option<String>,
}

/// Loads the pretrained model and whatever this browser has kept of the visitor's teaching.
#[wasm_bindgen(js_name = openSession)]
pub async fn open_session(pretrained: Vec<u8>, database: String) -> Result<Session, JsError> {
    let classifier = Classifier::from_bytes(&pretrained)
        .map_err(|err| JsError::new(&format!("The pretrained model cannot be used: {err}")))?;
    let pretrained = Rc::new((pretrained, classifier));
    let mut notices = Vec::new();
    let (store, saved) = match Store::open(&database).await {
        Ok(store) => match store.load().await {
            Ok(saved) => (Some(Rc::new(store)), saved),
            Err(err) => {
                notices.push(err.to_string());
                (None, Saved::default())
            }
        },
        Err(err) => {
            notices.push(err.to_string());
            (None, Saved::default())
        }
    };
    let start = match saved.start.as_deref().map(Classifier::from_bytes) {
        Some(Ok(imported)) => Rc::new((saved.start.clone().unwrap_or_default(), imported)),
        Some(Err(err)) => {
            notices.push(format!(
                "The model you imported could not be read back ({err}); teaching continues \
                 from the pretrained model."
            ));
            pretrained.clone()
        }
        None => pretrained.clone(),
    };
    let mut state = State {
        classifier: start.1.clone(),
        pretrained,
        start,
        applied: BTreeSet::new(),
        unsaved: 0,
        store,
        notice: None,
    };
    let rebuilt = restore(&mut state, &saved, &mut notices);
    if rebuilt && !state.applied.is_empty() {
        if let Some(store) = &state.store {
            if let Err(err) = store.save_learned(&state.learned()).await {
                notices.push(err.to_string());
            }
        }
    }
    if saved.unreadable > 0 {
        notices.push(format!(
            "{} stored records could not be read and were left out.",
            saved.unreadable
        ));
    }
    state.notice = (!notices.is_empty()).then(|| notices.join(" "));
    Ok(Session {
        state: Rc::new(RefCell::new(state)),
    })
}

/// Brings `state.classifier` to "start + log"; returns whether it had to be rebuilt rather
/// than taken from the saved model.
fn restore(state: &mut State, saved: &Saved, notices: &mut Vec<String>) -> bool {
    let logged: BTreeSet<u32> = saved.log.iter().map(|(key, _)| *key).collect();
    let mut rebuilt = true;
    if let Some(learned) = &saved.learned {
        let keys: BTreeSet<u32> = learned.keys.iter().copied().collect();
        if learned.start != state.start_id() {
            if !saved.log.is_empty() {
                notices.push(format!(
                    "A new pretrained model has arrived; your {} taught examples were \
                     replayed onto it.",
                    saved.log.len()
                ));
            }
        } else if keys.is_subset(&logged) {
            match Classifier::from_bytes(&learned.bytes) {
                Ok(classifier) => {
                    state.classifier = classifier;
                    state.applied = keys;
                    rebuilt = false;
                }
                Err(err) => notices.push(format!(
                    "The saved model could not be read ({err}); it was rebuilt from your {} \
                     taught examples.",
                    saved.log.len()
                )),
            }
        }
    }
    for (key, taught) in &saved.log {
        if !state.applied.contains(key) {
            state.learn(*key, taught);
        }
    }
    rebuilt
}

#[wasm_bindgen]
impl Session {
    /// Label, probability, the notebook's face and each word's contribution, for `text`.
    pub fn classify(&self, text: &str) -> Result<JsValue, JsError> {
        let explanation = self.state.borrow().classifier.explain(text);
        let prediction = Prediction::from_decision(explanation.decision);
        let classification = Classification {
            label: prediction.label.name(),
            probability: prediction.probability,
            face: prediction.face(),
            explanation,
        };
        Ok(serde_wasm_bindgen::to_value(&classification)?)
    }

    /// Learns `text` with its right label at once, then saves the example and the model in
    /// one transaction. Resolves to `{taught, saved, notice}`.
    pub fn teach(&self, text: String, positive: bool) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let taught = Taught {
                text,
                positive,
                time: js_sys::Date::now(),
            };
            let (store, learned) = {
                let mut state = state.borrow_mut();
                // Provisional key above every applied one; the stored key replaces it.
                let provisional = state.applied.last().map_or(u32::MAX / 2, |k| k + 1);
                state.learn(provisional, &taught);
                state.applied.remove(&provisional);
                (state.store.clone(), state.learned())
            };
            let saved = match store {
                Some(store) => match store.record(&taught, &learned).await {
                    Ok(key) => {
                        let mut state = state.borrow_mut();
                        state.applied.insert(key);
                        state.notice = None;
                        true
                    }
                    Err(err) => {
                        let mut state = state.borrow_mut();
                        state.unsaved += 1;
                        state.notice = Some(err.to_string());
                        false
                    }
                },
                None => {
                    state.borrow_mut().unsaved += 1;
                    false
                }
            };
            let state = state.borrow();
            Ok(serde_wasm_bindgen::to_value(&Outcome {
                taught: taught_count(&state),
                saved,
                notice: state.notice.clone(),
            })?)
        })
    }

    /// Learns what other tabs have taught since; resolves to how many examples that was.
    pub fn sync(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let store = state.borrow().store.clone();
            let Some(store) = store else {
                return Ok(JsValue::from(0));
            };
            let saved = store
                .load()
                .await
                .map_err(|e| JsError::new(&e.to_string()))?;
            let mut state = state.borrow_mut();
            let mut learned = 0;
            for (key, taught) in &saved.log {
                if !state.applied.contains(key) {
                    state.learn(*key, taught);
                    learned += 1;
                }
            }
            Ok(JsValue::from(learned))
        })
    }

    /// Back to the pretrained model; the log and the learned model are deleted.
    pub fn reset(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let store = {
                let mut state = state.borrow_mut();
                state.start = state.pretrained.clone();
                state.classifier = state.start.1.clone();
                state.applied.clear();
                state.unsaved = 0;
                state.store.clone()
            };
            if let Some(store) = store {
                let result = store.restart(None).await;
                note_result(&state, result);
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The learned model as a model file, for download.
    #[wasm_bindgen(js_name = exportModel)]
    pub fn export_model(&self) -> Vec<u8> {
        self.state.borrow().classifier.to_lossless_bytes()
    }

    /// Replaces the learned model by an exported one. A file that is not a valid model is
    /// refused with its reason and changes nothing.
    #[wasm_bindgen(js_name = importModel)]
    pub fn import_model(&self, bytes: Vec<u8>) -> Result<Promise, JsError> {
        let imported = Classifier::from_bytes(&bytes)
            .map_err(|err| JsError::new(&format!("This file cannot be imported: {err}.")))?;
        let state = self.state.clone();
        Ok(future_to_promise(async move {
            let (store, learned) = {
                let mut state = state.borrow_mut();
                state.start = Rc::new((bytes, imported.clone()));
                state.classifier = imported;
                state.applied.clear();
                state.unsaved = 0;
                (state.store.clone(), state.learned())
            };
            if let Some(store) = store {
                let result = store.restart(Some(&learned)).await;
                note_result(&state, result);
            }
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// How many taught examples the model has learned since its start model.
    pub fn taught(&self) -> usize {
        taught_count(&self.state.borrow())
    }

    /// A message for the visitor about storage, if there is one.
    pub fn notice(&self) -> Option<String> {
        self.state.borrow().notice.clone()
    }

    /// Whether teaching is being kept.
    pub fn persistent(&self) -> bool {
        self.state.borrow().store.is_some()
    }

    /// Lets go of the database, so that another session (a reload, a test) can open it.
    pub fn close(&self) {
        if let Some(store) = self.state.borrow_mut().store.take() {
            store.close();
        }
    }
}

fn taught_count(state: &State) -> usize {
    state.applied.len() + state.unsaved
}

fn note_result(state: &Rc<RefCell<State>>, result: Result<(), StoreError>) {
    state.borrow_mut().notice = result.err().map(|err| err.to_string());
}
