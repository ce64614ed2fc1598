//! A visitor's session: the classifier they are teaching, kept in step with the store.
//!
//! The log of taught examples is the source of truth and the saved model a cache of "start
//! model + the log's first examples" ([`Teaching`]). A taught example and the model that
//! includes it are saved in one transaction when no other tab recorded an example in between;
//! otherwise the example is recorded alone and the model rebuilt from the log, so that every
//! tab, whatever happened, holds the start model with the log learned in log order.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::change::change;
use super::labelling::Labelling;
use super::store::{Learned, Saved, Store, StoreError, Taught};
use super::verdict;
use crate::model::MAX_FILE_BYTES;
use crate::teaching::{Lesson, Start, Teaching};
use crate::Label;

pub(super) struct State {
    pretrained: Rc<Start>,
    pub(super) teaching: Teaching,
    /// Examples learned that storage did not keep.
    pub(super) unsaved: usize,
    pub(super) store: Option<Rc<Store>>,
    pub(super) notice: Option<String>,
    /// The labelling queue, once the page opened it.
    pub(super) labelling: Option<Labelling>,
}

impl State {
    /// Scores again the queue's likeliest next reviews, after the model changed.
    pub(super) fn rescore_queue(&mut self) {
        if let Some(labelling) = self.labelling.as_mut() {
            labelling.rescore(self.teaching.classifier());
        }
    }

    fn learned(&self) -> Learned {
        Learned {
            bytes: self.teaching.classifier().to_lossless_bytes(),
            start: self.teaching.start().id(),
            keys: self.teaching.applied().to_vec(),
        }
    }

    /// The start model the store names: an imported one, or the pretrained one.
    fn start_of(&self, saved: &Saved, notices: &mut Vec<String>) -> Rc<Start> {
        let Some(bytes) = &saved.start else {
            return self.pretrained.clone();
        };
        if Some(self.teaching.start().id()) == crate::model::Model::checksum_of(bytes) {
            return self.teaching.start().clone();
        }
        match Start::from_bytes(bytes.clone()) {
            Ok(start) => Rc::new(start),
            Err(err) => {
                notices.push(format!(
                    "The model you imported could not be read back ({err}); teaching \
                     continues from the pretrained model."
                ));
                self.pretrained.clone()
            }
        }
    }

    /// Brings the classifier to what the store holds: its start model and its log.
    fn catch_up(&mut self, saved: &Saved, notices: &mut Vec<String>) -> bool {
        let start = self.start_of(saved, notices);
        if !Rc::ptr_eq(&start, self.teaching.start()) {
            self.teaching = Teaching::new(start);
        }
        let log = lessons(saved);
        let outcome = self.teaching.catch_up(&log);
        if outcome.refused > 0 {
            notices.push(format!(
                "{} taught examples could not be learned by this model and were passed over.",
                outcome.refused
            ));
        }
        outcome.rebuilt || outcome.learned > 0
    }
}

pub(super) fn lessons(saved: &Saved) -> Vec<Lesson<'_>> {
    saved
        .log
        .iter()
        .map(|(key, taught)| Lesson {
            key: *key,
            text: &taught.text,
            label: Label::from_positive(taught.positive),
        })
        .collect()
}

/// The page's classifier and its storage, opened by [`open_session`].
#[wasm_bindgen]
pub struct Session {
    pub(super) state: Rc<RefCell<State>>,
}

#[derive(Serialize)]
struct Outcome {
    taught: usize,
    saved: bool,
    notice: Option<String>,
}

/// The largest model file the page accepts, so that it can refuse a larger one before
/// reading it.
#[wasm_bindgen(js_name = maxModelBytes)]
pub fn max_model_bytes() -> usize {
    MAX_FILE_BYTES
}

/// Loads the pretrained model and whatever this browser has kept of the visitor's teaching.
#[wasm_bindgen(js_name = openSession)]
pub async fn open_session(pretrained: Vec<u8>, database: String) -> Result<Session, JsError> {
    let opening = Store::opening(&database);
    let pretrained = Rc::new(
        Start::from_bytes(pretrained)
            .map_err(|err| JsError::new(&format!("The pretrained model cannot be used: {err}")))?,
    );
    let mut notices = Vec::new();
    let (store, saved) = match opening.opened().await {
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
    let mut state = State {
        teaching: Teaching::new(pretrained.clone()),
        pretrained,
        unsaved: 0,
        store,
        notice: None,
        labelling: None,
    };
    let start = state.start_of(&saved, &mut notices);
    state.teaching = resume(start, &saved, &mut notices);
    let changed = state.catch_up(&saved, &mut notices);
    if changed {
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

/// The saved model, if it was learned on `start` and can be read; else `start` itself.
fn resume(start: Rc<Start>, saved: &Saved, notices: &mut Vec<String>) -> Teaching {
    let Some(learned) = &saved.learned else {
        return Teaching::new(start);
    };
    if learned.start != start.id() {
        if !saved.log.is_empty() {
            notices.push(format!(
                "A new pretrained model has arrived; your {} taught examples were replayed \
                 onto it.",
                saved.log.len()
            ));
        }
        return Teaching::new(start);
    }
    match Teaching::resume(start.clone(), &learned.bytes, learned.keys.clone()) {
        Ok(teaching) => teaching,
        Err(err) => {
            notices.push(format!(
                "The saved model could not be read ({err}); it was rebuilt from your {} \
                 taught examples.",
                saved.log.len()
            ));
            Teaching::new(start)
        }
    }
}

#[wasm_bindgen]
impl Session {
    /// The probability that `text` is a positive review, without the explanation
    /// [`Session::classify`] gives (for measuring the two apart).
    pub fn probability(&self, text: &str) -> f64 {
        self.state
            .borrow()
            .teaching
            .classifier()
            .predict_proba(text)
    }

    /// Label, probability, the notebook's face and each word's contribution, for `text`.
    pub fn classify(&self, text: &str) -> Result<JsValue, JsError> {
        verdict::classify(self.state.borrow().teaching.classifier(), text)
    }

    /// Learns `text` with its right label at once, then records it (see the module's doc).
    /// Resolves to `{taught, saved, notice}`.
    pub fn teach(&self, text: String, positive: bool) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let taught = Taught {
                text,
                positive,
                time: js_sys::Date::now(),
                source: "typed".into(),
            };
            let saved = match change(&state, Vec::new(), vec![taught], None).await {
                Ok(_) => state.borrow().store.is_some(),
                Err(err) => {
                    let mut state = state.borrow_mut();
                    if state.notice.is_none() {
                        state.notice = js_sys::Reflect::get(&JsValue::from(err), &"message".into())
                            .ok()
                            .and_then(|m| m.as_string());
                    }
                    false
                }
            };
            outcome(&state.borrow(), saved)
        })
    }

    /// Learns what other tabs have recorded since (examples taught, a reset, an import).
    pub fn sync(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let store = state.borrow().store.clone();
            let Some(store) = store else {
                return Ok(JsValue::UNDEFINED);
            };
            let saved = store
                .load()
                .await
                .map_err(|e| JsError::new(&e.to_string()))?;
            let queue = store.load_queue().await.unwrap_or_default();
            let mut notices = Vec::new();
            let mut state = state.borrow_mut();
            let changed = state.catch_up(&saved, &mut notices);
            state.unsaved = 0;
            if !notices.is_empty() {
                state.notice = Some(notices.join(" "));
            }
            let State {
                labelling,
                teaching,
                ..
            } = &mut *state;
            if let Some(labelling) = labelling {
                labelling.follow(&queue, teaching.classifier(), changed);
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Back to the pretrained model; the log and the learned model are deleted.
    pub fn reset(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let store = {
                let mut state = state.borrow_mut();
                state.teaching = Teaching::new(state.pretrained.clone());
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

    /// The learned model as a lossless model file, for download.
    #[wasm_bindgen(js_name = exportModel)]
    pub fn export_model(&self) -> Vec<u8> {
        self.state
            .borrow()
            .teaching
            .classifier()
            .to_lossless_bytes()
    }

    /// Replaces the learned model by a model file, which teaching then starts from. A file
    /// that is not a valid model is refused with its reason and changes nothing.
    #[wasm_bindgen(js_name = importModel)]
    pub fn import_model(&self, bytes: Vec<u8>) -> Result<Promise, JsError> {
        let start = Start::from_bytes(bytes)
            .map_err(|err| JsError::new(&format!("This file cannot be imported: {err}.")))?;
        let state = self.state.clone();
        Ok(future_to_promise(async move {
            let (store, learned) = {
                let mut state = state.borrow_mut();
                state.teaching = Teaching::new(Rc::new(start));
                state.unsaved = 0;
                let learned = Learned {
                    bytes: state.teaching.start().bytes().to_vec(),
                    ..state.learned()
                };
                (state.store.clone(), learned)
            };
            if let Some(store) = store {
                let result = store.restart(Some(&learned)).await;
                note_result(&state, result);
            }
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// Imports the notebook's `classifier.pkl`, with its `stopwords.pkl` if given (in either
    /// order), as [`Session::import_model`] imports a model file. Nothing in them is run.
    #[wasm_bindgen(js_name = importPickles)]
    pub fn import_pickles(
        &self,
        first: Vec<u8>,
        second: Option<Vec<u8>>,
    ) -> Result<Promise, JsError> {
        let classifier = crate::sklearn::import_files(&first, second.as_deref())
            .map_err(|err| JsError::new(&format!("This file cannot be imported: {err}.")))?;
        self.import_model(classifier.to_lossless_bytes())
    }

    /// The model as a pickle scikit-learn loads (`classifier.pkl`), if its recipe is one
    /// scikit-learn runs; else why not.
    #[wasm_bindgen(js_name = exportPickle)]
    pub fn export_pickle(&self) -> Result<Vec<u8>, JsError> {
        crate::sklearn::export(self.state.borrow().teaching.classifier())
            .map_err(|err| JsError::new(&format!("{err}.")))
    }

    /// Whether [`Session::export_pickle`] applies to the model.
    #[wasm_bindgen(js_name = canExportPickle)]
    pub fn can_export_pickle(&self) -> bool {
        crate::sklearn::exportable(self.state.borrow().teaching.classifier()).is_ok()
    }

    /// Makes a model file (one the visitor trained from their own file) the model teaching
    /// starts from, as a newly shipped pretrained model would be: the log is kept and replayed
    /// onto it. A file that is not a valid model is refused and changes nothing.
    #[wasm_bindgen(js_name = useModel)]
    pub fn use_model(&self, bytes: Vec<u8>) -> Result<Promise, JsError> {
        let start = Rc::new(
            Start::from_bytes(bytes)
                .map_err(|err| JsError::new(&format!("This model cannot be used: {err}.")))?,
        );
        let state = self.state.clone();
        Ok(future_to_promise(async move {
            let store = state.borrow().store.clone();
            let saved = match &store {
                Some(store) => store
                    .load()
                    .await
                    .map_err(|err| JsError::new(&err.to_string()))?,
                None => Saved::default(),
            };
            let learned = {
                let mut state = state.borrow_mut();
                state.teaching = Teaching::new(start);
                state.unsaved = 0;
                let outcome = state.teaching.catch_up(&lessons(&saved));
                state.notice = (outcome.learned > 0).then(|| {
                    format!(
                        "The model you trained is now the one you teach; your {} taught \
                         examples were replayed onto it.",
                        outcome.learned
                    )
                });
                state.learned()
            };
            if let Some(store) = store {
                let start = state.borrow().teaching.start().clone();
                if let Err(err) = store.replace_start(start.bytes(), &learned).await {
                    state.borrow_mut().notice = Some(err.to_string());
                }
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

/// Rebuilds from the store's log and saves the result.
pub(super) async fn catch_up_and_save(
    state: &Rc<RefCell<State>>,
    store: &Store,
) -> Result<(), StoreError> {
    let saved = store.load().await?;
    let learned = {
        let mut state = state.borrow_mut();
        let mut notices = Vec::new();
        state.catch_up(&saved, &mut notices);
        state.learned()
    };
    store.save_learned(&learned).await
}

pub(super) fn taught_count(state: &State) -> usize {
    state.teaching.applied().len() + state.unsaved
}

fn outcome(state: &State, saved: bool) -> Result<JsValue, JsValue> {
    Ok(serde_wasm_bindgen::to_value(&Outcome {
        taught: taught_count(state),
        saved,
        notice: state.notice.clone(),
    })?)
}

pub(super) fn note_result(state: &Rc<RefCell<State>>, result: Result<(), StoreError>) {
    state.borrow_mut().notice = result.err().map(|err| err.to_string());
}
