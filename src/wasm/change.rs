//! How the log and the model change together: a change (lessons deleted, lessons appended) is
//! first prepared in memory, the model of the log as it will be, then committed, log and model
//! in one IndexedDB transaction, so that what is stored never disagrees.
//!
//! The two steps are apart so that the queue can show the next review, scored by the prepared
//! model, while the commit is still under way (the engine worker starts nothing else until it
//! ends). An append to a log this tab learned in full needs nothing read first: the commit
//! itself checks that the log is still what this tab learned.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::session::{catch_up_and_save, lessons, note_result, State};
use super::store::{Learned, Queued, StoreError, Taught};
use crate::teaching::{Lesson, Teaching};
use crate::{Classifier, Label};

/// What a change to the log came to.
pub(super) struct Changed {
    /// Keys of the entries appended, in order.
    pub added: Vec<u32>,
    /// Milliseconds the model took to be rebuilt, if it was.
    pub rebuilt_ms: Option<f64>,
}

/// A change made in memory, not yet stored.
pub(super) struct Prepared {
    /// The model of the log as it will be, when it had to be rebuilt; else the lessons were
    /// taught to the session's own, and are recorded or marked misplaced at the commit.
    rebuilt: Option<Teaching>,
    delete: Vec<u32>,
    add: Vec<Taught>,
    /// The log's keys the model was made from.
    expected: Vec<u32>,
    rebuilt_ms: Option<f64>,
}

impl Prepared {
    /// The classifier of the log as it will be, given the session's teaching.
    pub fn classifier<'a>(&'a self, session: &'a Teaching) -> &'a Classifier {
        self.rebuilt.as_ref().unwrap_or(session).classifier()
    }
}

/// Makes the model of the log with `delete` gone and `add` appended: this tab's own model
/// taught `add` in place when it learned the whole log (a copy of a large model costs more
/// than the rest of an answer), else one rebuilt from the stored log. A lesson that cannot be
/// learned is refused before anything is written; when the log cannot be read, new lessons
/// are learned in this tab only and the change is not made.
pub(super) async fn prepare(
    state: &Rc<RefCell<State>>,
    delete: Vec<u32>,
    add: Vec<Taught>,
) -> Result<Prepared, JsError> {
    let store = state.borrow().store.clone();
    let appends = delete.is_empty() && !state.borrow().teaching.is_misplaced();
    let saved = match &store {
        Some(store) if !appends => match store.load().await {
            Ok(saved) => Some(saved),
            Err(err) => {
                if delete.is_empty() {
                    learn(&mut state.borrow_mut().teaching, &add)?;
                }
                return Err(not_kept(state, &delete, add.len(), err));
            }
        },
        _ => None,
    };
    let Some(saved) = saved else {
        let mut state = state.borrow_mut();
        let expected = state.teaching.applied().to_vec();
        learn(&mut state.teaching, &add)?;
        return Ok(Prepared {
            rebuilt: None,
            delete,
            add,
            expected,
            rebuilt_ms: None,
        });
    };
    let started = js_sys::Date::now();
    let kept: Vec<Lesson> = lessons(&saved)
        .into_iter()
        .filter(|lesson| !delete.contains(&lesson.key))
        .collect();
    let mut rebuilt = Teaching::new(state.borrow().teaching.start().clone());
    rebuilt.catch_up(&kept);
    let rebuilt_ms = Some(js_sys::Date::now() - started);
    learn(&mut rebuilt, &add)?;
    Ok(Prepared {
        rebuilt: Some(rebuilt),
        delete,
        add,
        expected: saved.log.iter().map(|(key, _)| *key).collect(),
        rebuilt_ms,
    })
}

/// Stores a prepared change with the queue's `queued` review, in one transaction, and makes
/// its model the session's. When another tab changed the log first, the session learns the
/// log as it now is instead.
pub(super) async fn commit(
    state: &Rc<RefCell<State>>,
    prepared: Prepared,
    queued: Option<(u32, Queued)>,
) -> Result<Changed, JsError> {
    let Prepared {
        rebuilt,
        delete,
        add,
        expected,
        rebuilt_ms,
    } = prepared;
    let store = state.borrow().store.clone();
    let Some(store) = store else {
        state.borrow_mut().unsaved += add.len();
        return Ok(Changed {
            added: Vec::new(),
            rebuilt_ms,
        });
    };
    let learned = {
        let state = state.borrow();
        let teaching = rebuilt.as_ref().unwrap_or(&state.teaching);
        Learned {
            bytes: teaching.classifier().to_lossless_bytes(),
            start: teaching.start().id(),
            keys: expected
                .iter()
                .copied()
                .filter(|key| !delete.contains(key))
                .collect(),
        }
    };
    let queued = queued.as_ref().map(|(key, item)| (*key, item));
    let written = store
        .write(&delete, &add, &learned, &expected, queued)
        .await;
    match written {
        Ok((added, true)) => {
            let mut state = state.borrow_mut();
            if let Some(rebuilt) = rebuilt {
                state.teaching = rebuilt;
            }
            for key in &added {
                state.teaching.recorded(*key);
            }
            state.notice = None;
            Ok(Changed { added, rebuilt_ms })
        }
        Ok((added, false)) => {
            // Another tab changed the log in between: learn the log as it now is.
            state.borrow_mut().teaching.misplaced();
            let result = catch_up_and_save(state, &store).await;
            note_result(state, result);
            Ok(Changed { added, rebuilt_ms })
        }
        Err(err) => {
            if let (true, Some(rebuilt)) = (delete.is_empty(), rebuilt) {
                state.borrow_mut().teaching = rebuilt;
            }
            Err(not_kept(state, &delete, add.len(), err))
        }
    }
}

/// Prepares and commits a change, then scores the queue's likeliest reviews again.
pub(super) async fn change(
    state: &Rc<RefCell<State>>,
    delete: Vec<u32>,
    add: Vec<Taught>,
    queued: Option<(u32, Queued)>,
) -> Result<Changed, JsError> {
    let prepared = prepare(state, delete, add).await?;
    let changed = commit(state, prepared, queued).await?;
    state.borrow_mut().rescore_queue();
    Ok(changed)
}

/// Teaches `add` in order. On a lesson that cannot be learned, those before it stay learned
/// and the teaching is marked misplaced, so that the next catch-up starts over.
fn learn(teaching: &mut Teaching, add: &[Taught]) -> Result<(), JsError> {
    for (n, taught) in add.iter().enumerate() {
        if let Err(err) = teaching.teach(&taught.text, Label::from_positive(taught.positive)) {
            if n > 0 {
                teaching.misplaced();
            }
            return Err(JsError::new(&format!(
                "This example was not learned: {err}."
            )));
        }
    }
    Ok(())
}

/// A change the store could not take: new lessons, already learned, work in this tab only
/// (the next catch-up with the log starts over without them); a deletion is not made at all.
fn not_kept(state: &Rc<RefCell<State>>, delete: &[u32], added: usize, err: StoreError) -> JsError {
    let mut state = state.borrow_mut();
    if delete.is_empty() {
        state.teaching.misplaced();
        state.unsaved += added;
    }
    state.notice = Some(err.to_string());
    JsError::new(&err.to_string())
}
