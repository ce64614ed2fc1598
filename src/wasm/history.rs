//! The history of what was taught: listed, searched by the page, corrected (a lesson
//! deleted or its label flipped, the model rebuilt from the log that remains), and carried
//! out and in as a CSV of labels (`review,sentiment`) that `trainer train --start` reads too.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::change::{change, Changed};
use super::session::{taught_count, Session};
use super::store::Taught;
use crate::read::write_record;

/// One lesson as the page lists it.
#[derive(Serialize)]
struct Entry {
    key: u32,
    text: String,
    positive: bool,
    time: f64,
    source: String,
}

/// A page of the history.
#[derive(Serialize)]
struct Listing {
    total: usize,
    matched: usize,
    entries: Vec<Entry>,
}

/// What a correction came to, for the page.
#[derive(Serialize)]
struct Corrected {
    taught: usize,
    /// A problem, as the session words it.
    notice: Option<String>,
    /// How long the rebuild took, when the model was rebuilt.
    rebuilt: Option<String>,
}

fn rebuilt_notice(changed: &Changed, lessons: usize) -> Option<String> {
    changed.rebuilt_ms.map(|ms| {
        format!("The model was rebuilt from your {lessons} taught examples in {ms:.0} ms.")
    })
}

#[wasm_bindgen]
impl Session {
    /// The taught examples whose text holds `query` (ignoring case; all for an empty one),
    /// newest first, at most `limit` of them: `{total, matched, entries: [{key, text,
    /// positive, time, source}]}`.
    pub fn history(&self, query: String, limit: usize) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let store = state.borrow().store.clone();
            let log = match store {
                Some(store) => {
                    store
                        .load()
                        .await
                        .map_err(|e| JsError::new(&e.to_string()))?
                        .log
                }
                None => Vec::new(),
            };
            let query = query.to_lowercase();
            let total = log.len();
            let mut matched = 0;
            let mut entries = Vec::new();
            for (key, taught) in log.into_iter().rev() {
                if !query.is_empty() && !taught.text.to_lowercase().contains(&query) {
                    continue;
                }
                matched += 1;
                if entries.len() < limit {
                    entries.push(Entry {
                        key,
                        text: taught.text,
                        positive: taught.positive,
                        time: taught.time,
                        source: taught.source,
                    });
                }
            }
            Ok(serde_wasm_bindgen::to_value(&Listing {
                total,
                matched,
                entries,
            })?)
        })
    }

    /// Forgets the lesson `key`: the model is rebuilt from the log without it, and both are
    /// saved in one transaction.
    #[wasm_bindgen(js_name = deleteLesson)]
    pub fn delete_lesson(&self, key: u32) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let changed = change(&state, vec![key], Vec::new(), None).await?;
            corrected(&state, &changed)
        })
    }

    /// Flips the label of lesson `key`: it becomes a new lesson, the newest, with the other
    /// label, and the model is rebuilt from the log, in one transaction.
    #[wasm_bindgen(js_name = flipLesson)]
    pub fn flip_lesson(&self, key: u32) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let store = state.borrow().store.clone();
            let store =
                store.ok_or_else(|| JsError::new("Nothing taught is kept in this browser."))?;
            let saved = store
                .load()
                .await
                .map_err(|e| JsError::new(&e.to_string()))?;
            let (_, old) = saved
                .log
                .into_iter()
                .find(|(k, _)| *k == key)
                .ok_or_else(|| JsError::new("That example is no longer in the history."))?;
            let flipped = Taught {
                positive: !old.positive,
                time: js_sys::Date::now(),
                ..old
            };
            let changed = change(&state, vec![key], vec![flipped], None).await?;
            corrected(&state, &changed)
        })
    }

    /// The history as CSV (`review,sentiment`, oldest first), for `trainer train --start` or
    /// another browser's "Import labels".
    #[wasm_bindgen(js_name = exportLabels)]
    pub fn export_labels(&self) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let store = state.borrow().store.clone();
            let mut csv = Vec::new();
            write_record([&b"review"[..], b"sentiment"], &mut csv);
            if let Some(store) = store {
                let saved = store
                    .load()
                    .await
                    .map_err(|e| JsError::new(&e.to_string()))?;
                for (_, taught) in &saved.log {
                    let label: &[u8] = if taught.positive { b"1" } else { b"0" };
                    write_record([taught.text.as_bytes(), label], &mut csv);
                }
            }
            Ok(js_sys::Uint8Array::from(csv.as_slice()).into())
        })
    }

    /// Teaches imported lessons (`texts` with `labels`, 1 positive and 0 negative), in order,
    /// saved with the model in one transaction. Resolves to `{taught, notice}`.
    #[wasm_bindgen(js_name = importLessons)]
    pub fn import_lessons(&self, texts: Vec<String>, labels: Vec<u8>) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let time = js_sys::Date::now();
            let add = texts
                .into_iter()
                .zip(labels)
                .map(|(text, label)| Taught {
                    text,
                    positive: label == 1,
                    time,
                    source: "imported".into(),
                })
                .collect();
            let changed = change(&state, Vec::new(), add, None).await?;
            corrected(&state, &changed)
        })
    }
}

fn corrected(
    state: &std::rc::Rc<std::cell::RefCell<super::session::State>>,
    changed: &Changed,
) -> Result<JsValue, JsValue> {
    let state = state.borrow();
    let taught = taught_count(&state);
    Ok(serde_wasm_bindgen::to_value(&Corrected {
        taught,
        notice: state.notice.clone(),
        rebuilt: rebuilt_notice(changed, taught),
    })?)
}
