//! What a visitor teaches, kept in the browser's IndexedDB.
//!
//! Three object stores: `log`, every taught example in order (the source of truth); `model`,
//! the learned model (`learned`) and, after an import, the model teaching started from
//! (`start`); and `queue`, the reviews waiting to be labelled. A change to the log and the
//! model that includes it are written in one transaction, so a crash leaves both or neither.
//! An entry of the log never changes once written (a flipped label is a new entry), so its key
//! names one lesson for good. Writes are issued together and only the transaction's completion
//! is awaited, because a transaction may not outlive its requests.

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

/// Version 2 added the queue.
const VERSION: u32 = 2;
const LOG: &str = "log";
const MODEL: &str = "model";
const QUEUE: &str = "queue";
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
    /// Where it came from: typed, queue or imported (entries written before this was kept
    /// were all typed).
    #[serde(default = "typed")]
    pub source: String,
}

fn typed() -> String {
    "typed".into()
}

/// A review waiting in the queue, or what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Queued {
    pub text: String,
    /// `waiting`, `answered` or `skipped`.
    pub state: String,
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

/// A database being opened: asked for when this is made, so that work done before awaiting
/// [`Opening::opened`] overlaps the browser's opening it. A browser without storage is told
/// by [`Opening::opened`] too, so that callers meet every failure in one place.
pub struct Opening(Result<OpenRequest, StoreError>);

struct OpenRequest {
    request: IdbOpenDbRequest,
    settled: Promise,
    // Called during the request: kept, and unhooked when this is dropped.
    _upgrade: Closure<dyn FnMut(Event)>,
}

impl Opening {
    /// The open database, once the browser has opened it.
    pub async fn opened(self) -> Result<Store, StoreError> {
        let pending = self.0?;
        let opened = settled(&pending.request, pending.settled.clone()).await;
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
}

impl Drop for OpenRequest {
    fn drop(&mut self) {
        self.request.set_onupgradeneeded(None);
    }
}

impl Store {
    /// Asks the browser to open (creating on first use) the database `name`, in a page or a
    /// worker. Each engine reads the pretrained model while the browser opens it: in Chromium,
    /// the first-verdict engine opened in 4.7-5.0 ms instead of 5.5-6.7 ms one after the other.
    pub fn opening(name: &str) -> Opening {
        Opening(Self::request_open(name))
    }

    fn request_open(name: &str) -> Result<OpenRequest, StoreError> {
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
                // Each store is made if missing, whatever version the database had. A failure
                // here aborts the upgrade, which the open request then reports.
                let names = db.object_store_names();
                if !names.contains(MODEL) {
                    let _ = db.create_object_store(MODEL);
                }
                for store in [LOG, QUEUE] {
                    if !names.contains(store) {
                        let parameters = IdbObjectStoreParameters::new();
                        parameters.set_auto_increment(true);
                        let _ = db.create_object_store_with_optional_parameters(store, &parameters);
                    }
                }
            }
        });
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let settled = settling(&request, true);
        Ok(OpenRequest {
            request,
            settled,
            _upgrade: upgrade,
        })
    }

    fn transaction(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, StoreError> {
        let names = js_sys::Array::of3(
            &JsValue::from_str(MODEL),
            &JsValue::from_str(LOG),
            &JsValue::from_str(QUEUE),
        );
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

    /// Whether nothing was taught or imported: the log is empty and teaching starts from the
    /// pretrained model, so the pretrained model's verdicts are the session's.
    pub async fn is_untaught(&self) -> Result<bool, StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readonly)?;
        let start = transaction
            .object_store(MODEL)
            .and_then(|model| model.count_with_key(&JsValue::from_str(START_KEY)))
            .map_err(StoreError::from_js)?;
        let log = transaction
            .object_store(LOG)
            .and_then(|log| log.count())
            .map_err(StoreError::from_js)?;
        finish(&transaction).await?;
        let count = |request: IdbRequest| request.result().ok().and_then(|n| n.as_f64());
        Ok(count(start) == Some(0.0) && count(log) == Some(0.0))
    }

    /// Changes the log: deletes the entries `delete`, appends `add`, and, if the log's keys
    /// were `expected` until then, saves `learned` (the model of the changed log, whose keys
    /// are filled in here) and the queue's `queued` review, all in one transaction. Returns
    /// the keys of the appended entries and whether the model was saved: when another tab
    /// changed the log first, the model computed without its change is not the log's.
    pub async fn write(
        &self,
        delete: &[u32],
        add: &[Taught],
        learned: &Learned,
        expected: &[u32],
        queued: Option<(u32, &Queued)>,
    ) -> Result<(Vec<u32>, bool), StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let log = transaction.object_store(LOG).map_err(StoreError::from_js)?;
        let model = transaction
            .object_store(MODEL)
            .map_err(StoreError::from_js)?;
        let queue = transaction
            .object_store(QUEUE)
            .map_err(StoreError::from_js)?;
        let values = add
            .iter()
            .map(serde_wasm_bindgen::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| StoreError::Failed(err.to_string()))?;
        let queued = match queued {
            Some((key, item)) => Some((
                key,
                serde_wasm_bindgen::to_value(item)
                    .map_err(|err| StoreError::Failed(err.to_string()))?,
            )),
            None => None,
        };
        let keys = log.get_all_keys().map_err(StoreError::from_js)?;
        // The checks and writes are issued from the success callbacks, inside the same
        // transaction, which readwrite transactions on these stores take one at a time.
        let model_value = learned_to_js(learned);
        let (expected, delete) = (expected.to_vec(), delete.to_vec());
        let added_keys = Rc::new(RefCell::new(Vec::new()));
        let saved = Rc::new(RefCell::new(false));
        let (added_out, saved_out) = (added_keys.clone(), saved.clone());
        let on_keys = Closure::once_into_js(move |event: Event| {
            let current = result_of(&event).map(|keys| keys_from_js(&keys));
            let in_step = current.as_deref() == Some(expected.as_slice());
            for key in &delete {
                let _ = log.delete(&JsValue::from(*key));
            }
            if let Some((key, value)) = &queued {
                let _ = queue.put_with_key(value, &JsValue::from(*key));
            }
            // Adds are carried out in order: when the last one succeeds, every key is known.
            let requests: Vec<IdbRequest> = values.iter().filter_map(|v| log.add(v).ok()).collect();
            let finish_model = move |requests: &[IdbRequest]| {
                let new: Vec<u32> = requests
                    .iter()
                    .filter_map(|r| r.result().ok().and_then(|key| key.as_f64()))
                    .map(|key| key as u32)
                    .collect();
                let kept = Reflect::get(&model_value, &JsValue::from_str("keys"))
                    .ok()
                    .and_then(|keys| keys.dyn_into::<js_sys::Array>().ok());
                if let (true, Some(kept)) = (in_step, kept) {
                    for key in &new {
                        kept.push(&JsValue::from(*key));
                    }
                    *saved.borrow_mut() = model
                        .put_with_key(&model_value, &JsValue::from_str(LEARNED_KEY))
                        .is_ok();
                }
                *added_keys.borrow_mut() = new;
            };
            match requests.last().cloned() {
                Some(last) => {
                    let on_added = Closure::once_into_js(move || finish_model(&requests));
                    last.set_onsuccess(Some(on_added.unchecked_ref()));
                }
                None => finish_model(&[]),
            }
        });
        keys.set_onsuccess(Some(on_keys.unchecked_ref()));
        finish(&transaction).await?;
        let added = added_out.borrow().clone();
        if added.len() != add.len() {
            return Err(StoreError::Failed("the log gave an entry no key".into()));
        }
        let saved = *saved_out.borrow();
        Ok((added, saved))
    }

    /// Adds reviews to the queue; their keys.
    pub async fn enqueue(&self, items: &[Queued]) -> Result<Vec<u32>, StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let queue = transaction
            .object_store(QUEUE)
            .map_err(StoreError::from_js)?;
        let mut requests = Vec::with_capacity(items.len());
        for item in items {
            let value = serde_wasm_bindgen::to_value(item)
                .map_err(|err| StoreError::Failed(err.to_string()))?;
            requests.push(queue.add(&value).map_err(StoreError::from_js)?);
        }
        finish(&transaction).await?;
        Ok(requests
            .iter()
            .filter_map(|r| r.result().ok().and_then(|key| key.as_f64()))
            .map(|key| key as u32)
            .collect())
    }

    /// Records what became of a queued review.
    pub async fn set_queued(&self, key: u32, item: &Queued) -> Result<(), StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let queue = transaction
            .object_store(QUEUE)
            .map_err(StoreError::from_js)?;
        let value = serde_wasm_bindgen::to_value(item)
            .map_err(|err| StoreError::Failed(err.to_string()))?;
        queue
            .put_with_key(&value, &JsValue::from(key))
            .map_err(StoreError::from_js)?;
        finish(&transaction).await
    }

    /// The queue, in order, with each review's key.
    pub async fn load_queue(&self) -> Result<Vec<(u32, Queued)>, StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readonly)?;
        let queue = transaction
            .object_store(QUEUE)
            .map_err(StoreError::from_js)?;
        let keys = queue.get_all_keys().map_err(StoreError::from_js)?;
        let values = queue.get_all().map_err(StoreError::from_js)?;
        finish(&transaction).await?;
        let keys = js_sys::Array::from(&keys.result().unwrap_or(JsValue::UNDEFINED));
        let values = js_sys::Array::from(&values.result().unwrap_or(JsValue::UNDEFINED));
        Ok(keys
            .iter()
            .zip(values.iter())
            .filter_map(|(key, value)| {
                let item = serde_wasm_bindgen::from_value::<Queued>(value).ok()?;
                Some((key.as_f64()? as u32, item))
            })
            .collect())
    }

    /// Empties the queue.
    pub async fn clear_queue(&self) -> Result<(), StoreError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        transaction
            .object_store(QUEUE)
            .map_err(StoreError::from_js)?
            .clear()
            .map_err(StoreError::from_js)?;
        finish(&transaction).await
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

/// A promise of `request`'s outcome, listening from now on; `blocked` also fails on an open
/// request that other connections hold up.
fn settling(request: &IdbRequest, blocked: bool) -> Promise {
    Promise::new(&mut |resolve: Function, reject: Function| {
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
    })
}

/// `request`'s result, once its promise from [`settling`] has settled.
async fn settled(request: &IdbRequest, settling: Promise) -> Result<JsValue, StoreError> {
    match JsFuture::from(settling).await {
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
