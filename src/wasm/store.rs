//! What a visitor teaches, kept in the browser's IndexedDB.
//!
//! Two object stores: `log`, every taught example in order (the source of truth), and
//! `model`, the learned model (`learned`) and, after an import, the model teaching started
//! from (`start`). A taught example and the model that includes it are written in one
//! transaction, so a crash leaves both or neither. Writes are issued together and only the
//! transaction's completion is awaited, because a transaction may not outlive its requests.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DomException, Event, IdbDatabase, IdbFactory, IdbObjectStoreParameters, IdbOpenDbRequest,
    IdbRequest, IdbTransaction, IdbTransactionMode,
};

const VERSION: u32 = 1;
const LOG: &str = "log";
const MODEL: &str = "model";
const LEARNED_KEY: &str = "learned";
const START_KEY: &str = "start";

/// Why storage did not work, worded for the visitor.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum StoreError {
    #[error(
        "This browser offers this page no storage (IndexedDB is missing or disabled), so what \
         you teach works now but will not be kept after the page closes."
    )]
    Unavailable,
    #[error(
        "Storage is full, so what you teach works now but will not be kept. Free some space \
         (or clear this site's data) and reload."
    )]
    Full,
    #[error(
        "Storage could not be used ({0}), so what you teach works now but will not be kept \
         after the page closes."
    )]
    Failed(String),
}

impl StoreError {
    fn from_exception(exception: Option<DomException>) -> Self {
        match exception {
            Some(e) if e.name() == "QuotaExceededError" => StoreError::Full,
            Some(e) => StoreError::Failed(format!("{}: {}", e.name(), e.message())),
            None => StoreError::Failed("the browser gave no reason".into()),
        }
    }

    fn from_js(value: JsValue) -> Self {
        StoreError::from_exception(value.dyn_into::<DomException>().ok())
    }
}

/// One taught example, as the log keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Taught {
    pub text: String,
    pub positive: bool,
    /// Milliseconds since the Unix epoch.
    pub time: f64,
}

/// The learned model with what it was built from.
#[derive(Clone, Debug, PartialEq)]
pub struct Learned {
    pub bytes: Vec<u8>,
    /// Checksum of the model teaching started from.
    pub start: u32,
    /// Keys of the log entries it has learned.
    pub keys: Vec<u32>,
}

/// Everything stored.
#[derive(Debug, Default)]
pub struct Saved {
    pub start: Option<Vec<u8>>,
    pub learned: Option<Learned>,
    /// The log in order, with each entry's key.
    pub log: Vec<(u32, Taught)>,
    /// Entries or records that could not be read back.
    pub unreadable: usize,
}

/// An open IndexedDB database of this page.
pub struct Store {
    db: IdbDatabase,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// Opens (creating on first use) the database `name`, in a page or a worker.
    pub async fn open(name: &str) -> Result<Store, StoreError> {
        let factory = Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
            .ok()
            .and_then(|value| value.dyn_into::<IdbFactory>().ok())
            .ok_or(StoreError::Unavailable)?;
        let request: IdbOpenDbRequest = factory
            .open_with_u32(name, VERSION)
            .map_err(|_| StoreError::Unavailable)?;
        let upgrade = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let db = event
                .target()
                .and_then(|target| target.dyn_into::<IdbOpenDbRequest>().ok())
                .and_then(|request| request.result().ok())
                .and_then(|result| result.dyn_into::<IdbDatabase>().ok());
            if let Some(db) = db {
                // Version 1 is the first: both stores are new. A failure here aborts the
                // upgrade, which the open request then reports.
                let _ = db.create_object_store(MODEL);
                let parameters = IdbObjectStoreParameters::new();
                parameters.set_auto_increment(true);
                let _ = db.create_object_store_with_optional_parameters(LOG, &parameters);
            }
        });
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let opened = settle(&request, true).await;
        request.set_onupgradeneeded(None);
        let db = opened?
            .dyn_into::<IdbDatabase>()
            .map_err(|_| StoreError::Failed("the database did not open".into()))?;
        // A newer version of the page, open in another tab, needs this connection gone to
        // upgrade the database; holding on would block it. Later writes here then fail, and
        // the session says teaching is no longer kept.
        let closing = db.clone();
        let on_version_change = Closure::once_into_js(move || closing.close());
        db.set_onversionchange(Some(on_version_change.unchecked_ref()));
        Ok(Store { db })
    }

    fn transaction(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, StoreError> {
        let names = js_sys::Array::of2(&JsValue::from_str(MODEL), &JsValue::from_str(LOG));
        self.db
            .transaction_with_str_sequence_and_mode(&names, mode)
            .map_err(StoreError::from_js)
    }

    /// Reads everything, in one transaction.
    pub async fn load(&self) -> Result<Saved, StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readonly)?;
        let model = transaction
            .object_store(MODEL)
            .map_err(StoreError::from_js)?;
        let log = transaction.object_store(LOG).map_err(StoreError::from_js)?;
        let start = model
            .get(&JsValue::from_str(START_KEY))
            .map_err(StoreError::from_js)?;
        let learned = model
            .get(&JsValue::from_str(LEARNED_KEY))
            .map_err(StoreError::from_js)?;
        let keys = log.get_all_keys().map_err(StoreError::from_js)?;
        let values = log.get_all().map_err(StoreError::from_js)?;
        finish(&transaction).await?;

        let mut saved = Saved::default();
        let start = start.result().unwrap_or(JsValue::UNDEFINED);
        if !start.is_undefined() {
            match start.dyn_into::<Uint8Array>() {
                Ok(bytes) => saved.start = Some(bytes.to_vec()),
                Err(_) => saved.unreadable += 1,
            }
        }
        let learned = learned.result().unwrap_or(JsValue::UNDEFINED);
        if !learned.is_undefined() {
            match learned_from_js(&learned) {
                Some(record) => saved.learned = Some(record),
                None => saved.unreadable += 1,
            }
        }
        let keys = js_sys::Array::from(&keys.result().unwrap_or(JsValue::UNDEFINED));
        let values = js_sys::Array::from(&values.result().unwrap_or(JsValue::UNDEFINED));
        for (key, value) in keys.iter().zip(values.iter()) {
            let entry = key
                .as_f64()
                .zip(serde_wasm_bindgen::from_value::<Taught>(value).ok());
            match entry {
                Some((key, taught)) => saved.log.push((key as u32, taught)),
                None => saved.unreadable += 1,
            }
        }
        Ok(saved)
    }

    /// Appends `entry` to the log and, if the log's keys were `expected` until then, saves the
    /// model that includes it, in one transaction. Returns the entry's key and whether the
    /// model was saved: when another tab recorded an entry first, the model learned on
    /// `expected` alone is not the log's and is not saved.
    pub async fn record(
        &self,
        entry: &Taught,
        learned: &Learned,
        expected: &[u32],
    ) -> Result<(u32, bool), StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let log = transaction.object_store(LOG).map_err(StoreError::from_js)?;
        let model = transaction
            .object_store(MODEL)
            .map_err(StoreError::from_js)?;
        let value = serde_wasm_bindgen::to_value(entry)
            .map_err(|err| StoreError::Failed(err.to_string()))?;
        let keys = log.get_all_keys().map_err(StoreError::from_js)?;
        // The checks and writes are issued from the success callbacks, inside the same
        // transaction, which readwrite transactions on these stores take one at a time.
        let model_value = learned_to_js(learned);
        let expected = expected.to_vec();
        let added_key = Rc::new(RefCell::new(None::<u32>));
        let saved = Rc::new(RefCell::new(false));
        let (added_key_out, saved_out) = (added_key.clone(), saved.clone());
        let on_keys = Closure::once_into_js(move |event: Event| {
            let current = result_of(&event).map(|keys| keys_from_js(&keys));
            let in_step = current.as_deref() == Some(expected.as_slice());
            let Ok(added) = log.add(&value) else {
                return;
            };
            let on_added = Closure::once_into_js(move |event: Event| {
                let key = result_of(&event).and_then(|key| key.as_f64());
                *added_key.borrow_mut() = key.map(|key| key as u32);
                let keys = Reflect::get(&model_value, &JsValue::from_str("keys"))
                    .ok()
                    .and_then(|keys| keys.dyn_into::<js_sys::Array>().ok());
                if let (true, Some(key), Some(keys)) = (in_step, key, keys) {
                    keys.push(&JsValue::from(key));
                    let put = model.put_with_key(&model_value, &JsValue::from_str(LEARNED_KEY));
                    *saved.borrow_mut() = put.is_ok();
                }
            });
            added.set_onsuccess(Some(on_added.unchecked_ref()));
        });
        keys.set_onsuccess(Some(on_keys.unchecked_ref()));
        finish(&transaction).await?;
        let key = added_key_out
            .borrow()
            .ok_or_else(|| StoreError::Failed("the log gave the entry no key".into()))?;
        let saved = *saved_out.borrow();
        Ok((key, saved))
    }

    /// Saves the learned model alone (after a rebuild).
    pub async fn save_learned(&self, learned: &Learned) -> Result<(), StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let model = transaction
            .object_store(MODEL)
            .map_err(StoreError::from_js)?;
        model
            .put_with_key(&learned_to_js(learned), &JsValue::from_str(LEARNED_KEY))
            .map_err(StoreError::from_js)?;
        finish(&transaction).await
    }

    /// Starts over from `start` (an imported model) or, without one, from the pretrained
    /// model: the log is cleared and the learned model replaced, in one transaction.
    pub async fn restart(&self, start: Option<&Learned>) -> Result<(), StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let model = transaction
            .object_store(MODEL)
            .map_err(StoreError::from_js)?;
        let log = transaction.object_store(LOG).map_err(StoreError::from_js)?;
        log.clear().map_err(StoreError::from_js)?;
        match start {
            Some(learned) => {
                let bytes = Uint8Array::from(learned.bytes.as_slice());
                model
                    .put_with_key(&bytes, &JsValue::from_str(START_KEY))
                    .map_err(StoreError::from_js)?;
                model
                    .put_with_key(&learned_to_js(learned), &JsValue::from_str(LEARNED_KEY))
                    .map_err(StoreError::from_js)?;
            }
            None => {
                model.clear().map_err(StoreError::from_js)?;
            }
        }
        finish(&transaction).await
    }

    /// Makes `start` the model teaching starts from, keeping the log, with the model that
    /// replays the log onto it, in one transaction.
    pub async fn replace_start(&self, start: &[u8], learned: &Learned) -> Result<(), StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let model = transaction
            .object_store(MODEL)
            .map_err(StoreError::from_js)?;
        model
            .put_with_key(&Uint8Array::from(start), &JsValue::from_str(START_KEY))
            .map_err(StoreError::from_js)?;
        model
            .put_with_key(&learned_to_js(learned), &JsValue::from_str(LEARNED_KEY))
            .map_err(StoreError::from_js)?;
        finish(&transaction).await
    }

    pub fn close(&self) {
        self.db.close();
    }
}

/// The result of the request an event came from.
fn result_of(event: &Event) -> Option<JsValue> {
    event
        .target()
        .and_then(|target| target.dyn_into::<IdbRequest>().ok())
        .and_then(|request| request.result().ok())
}

/// Log keys as the store lists them.
fn keys_from_js(keys: &JsValue) -> Vec<u32> {
    js_sys::Array::from(keys)
        .iter()
        .filter_map(|key| key.as_f64().map(|key| key as u32))
        .collect()
}

fn learned_to_js(learned: &Learned) -> JsValue {
    let record = js_sys::Object::new();
    let keys: js_sys::Array = learned.keys.iter().map(|&k| JsValue::from(k)).collect();
    let fields = [
        ("bytes", Uint8Array::from(learned.bytes.as_slice()).into()),
        ("start", JsValue::from(learned.start)),
        ("keys", keys.into()),
    ];
    for (name, value) in fields {
        // Setting a field on a fresh plain object cannot fail.
        let _ = Reflect::set(&record, &JsValue::from_str(name), &value);
    }
    record.into()
}

fn learned_from_js(value: &JsValue) -> Option<Learned> {
    let field = |name: &str| Reflect::get(value, &JsValue::from_str(name)).ok();
    let bytes = field("bytes")?.dyn_into::<Uint8Array>().ok()?.to_vec();
    let start = field("start")?.as_f64()? as u32;
    let keys = js_sys::Array::from(&field("keys")?)
        .iter()
        .map(|k| k.as_f64().map(|k| k as u32))
        .collect::<Option<Vec<u32>>>()?;
    Some(Learned { bytes, start, keys })
}

/// Waits for a request to succeed and returns its result; `blocked` also fails on an open
/// request that other connections hold up.
async fn settle(request: &IdbRequest, blocked: bool) -> Result<JsValue, StoreError> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        let on_success = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let reject_blocked = reject.clone();
        let on_error = Closure::once_into_js(move |event: Event| {
            // Handled here: the error must not also surface as an uncaught exception.
            event.prevent_default();
            let _ = reject.call0(&JsValue::NULL);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
        if blocked {
            let on_blocked = Closure::once_into_js(move || {
                let _ = reject_blocked.call1(&JsValue::NULL, &JsValue::from_str("blocked"));
            });
            if let Some(open) = request.dyn_ref::<IdbOpenDbRequest>() {
                open.set_onblocked(Some(on_blocked.unchecked_ref()));
            }
        }
    });
    match JsFuture::from(promise).await {
        Ok(_) => request.result().map_err(StoreError::from_js),
        Err(reason) if reason.as_string().as_deref() == Some("blocked") => Err(StoreError::Failed(
            "another copy of this page holds the storage; close other tabs and reload".into(),
        )),
        Err(_) => Err(StoreError::from_exception(request.error().ok().flatten())),
    }
}

/// Waits for a transaction to commit.
async fn finish(transaction: &IdbTransaction) -> Result<(), StoreError> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        let on_complete = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let on_abort = Closure::once_into_js(move || {
            let _ = reject.call0(&JsValue::NULL);
        });
        transaction.set_oncomplete(Some(on_complete.unchecked_ref()));
        transaction.set_onabort(Some(on_abort.unchecked_ref()));
    });
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| StoreError::from_exception(transaction.error()))
}
