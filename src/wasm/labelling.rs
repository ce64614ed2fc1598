//! The page's labelling queue: reviews from a file, offered least sure first (the library's
//! [`Queue`]); an answer teaches the model, its lesson and the review's new state saved in one
//! transaction with the model; a review can be skipped, and the last answer or skip undone.
//! The queue lives in IndexedDB, so it survives a reload.

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::change::{change, commit, prepare, Prepared};
use super::session::{taught_count, Session, State};
use super::store::{Queued, Taught};
use super::verdict::Verdict;
use crate::classifier::Classifier;
use crate::queue::{Queue, State as Status};

/// What a review became, as the store names it.
fn status_name(status: Status) -> &'static str {
    match status {
        Status::Waiting => "waiting",
        Status::Answered => "answered",
        Status::Skipped => "skipped",
    }
}

fn status_named(name: &str) -> Status {
    match name {
        "answered" => Status::Answered,
        "skipped" => Status::Skipped,
        _ => Status::Waiting,
    }
}

/// What the visitor did, to undo it.
enum Done {
    Answered { index: usize, lesson: u32 },
    Skipped { index: usize },
}

/// The queue of a session.
pub(super) struct Labelling {
    queue: Queue,
    /// The store's key of each review, by its place in the queue.
    keys: Vec<u32>,
    undo: Vec<Done>,
    /// An answer learned and not yet stored: see [`Session::queue_save`].
    unsaved: Option<Answer>,
}

/// An answer learned, to store.
struct Answer {
    index: usize,
    prepared: Prepared,
    queued: Option<(u32, Queued)>,
}

impl Labelling {
    fn new(stored: Vec<(u32, Queued)>, classifier: &Classifier) -> Labelling {
        let mut labelling = Labelling {
            queue: Queue::default(),
            keys: Vec::new(),
            undo: Vec::new(),
            unsaved: None,
        };
        labelling.add(stored, classifier);
        labelling
    }

    fn add(&mut self, stored: Vec<(u32, Queued)>, classifier: &Classifier) {
        let (keys, entries): (Vec<u32>, Vec<(String, Status)>) = stored
            .into_iter()
            .map(|(key, item)| (key, (item.text, status_named(&item.state))))
            .unzip();
        self.keys.extend(keys);
        self.queue.add(entries, classifier);
    }

    fn queued(&self, index: usize, status: Status) -> Option<(u32, Queued)> {
        Some((
            *self.keys.get(index)?,
            Queued {
                text: self.queue.text(index)?.to_owned(),
                state: status_name(status).into(),
            },
        ))
    }

    /// Scores again the reviews likeliest to come next, after the model changed.
    pub(super) fn rescore(&mut self, classifier: &Classifier) {
        self.queue.refresh(classifier);
    }

    /// Takes on what another tab recorded: each review's state, and new scores if the model
    /// changed.
    pub(super) fn follow(
        &mut self,
        stored: &[(u32, Queued)],
        classifier: &Classifier,
        changed: bool,
    ) {
        for (key, item) in stored {
            if let Some(index) = self.keys.iter().position(|k| k == key) {
                self.queue.mark(index, status_named(&item.state));
            }
        }
        if changed {
            self.queue.refresh(classifier);
        }
    }
}

/// The queue's counts, and the review to label next, for the page.
#[derive(Serialize)]
struct Offer {
    total: usize,
    answered: usize,
    skipped: usize,
    waiting: usize,
    taught: usize,
    next: Option<Review>,
    notice: Option<String>,
}

#[derive(Serialize)]
struct Review {
    index: usize,
    text: String,
    verdict: Verdict,
}

fn offer(state: &State) -> Result<JsValue, JsValue> {
    offer_by(state, state.teaching.classifier(), taught_count(state))
}

/// The offer as `classifier`, which has learned `taught` lessons, sees the queue.
fn offer_by(state: &State, classifier: &Classifier, taught: usize) -> Result<JsValue, JsValue> {
    let notice = state.notice.clone();
    let Some(labelling) = &state.labelling else {
        let empty = Offer {
            total: 0,
            answered: 0,
            skipped: 0,
            waiting: 0,
            taught,
            next: None,
            notice,
        };
        return Ok(serde_wasm_bindgen::to_value(&empty)?);
    };
    let queue = &labelling.queue;
    let next = queue.next().and_then(|index| {
        let text = queue.text(index)?.to_owned();
        Some(Review {
            index,
            verdict: Verdict::of(classifier, &text),
            text,
        })
    });
    let value = Offer {
        total: queue.len(),
        answered: queue.count(Status::Answered),
        skipped: queue.count(Status::Skipped),
        waiting: queue.count(Status::Waiting),
        taught,
        next,
        notice,
    };
    Ok(serde_wasm_bindgen::to_value(&value)?)
}

/// Sets review `index` to `status` in memory (the store was written already), and scores the
/// likeliest next reviews again.
fn settle(state: &Rc<RefCell<State>>, index: usize, status: Status) {
    let mut state = state.borrow_mut();
    if let Some(labelling) = state.labelling.as_mut() {
        labelling.queue.mark(index, status);
    }
    state.rescore_queue();
}

/// Stores review `index` as `status` (no lesson changes with it), then [`settle`]s it.
async fn mark(state: &Rc<RefCell<State>>, index: usize, status: Status) -> Result<(), JsError> {
    let (store, queued) = {
        let state = state.borrow();
        let queued = state
            .labelling
            .as_ref()
            .and_then(|labelling| labelling.queued(index, status));
        (state.store.clone(), queued)
    };
    if let (Some(store), Some((key, item))) = (store, queued) {
        store
            .set_queued(key, &item)
            .await
            .map_err(|e| JsError::new(&e.to_string()))?;
    }
    settle(state, index, status);
    Ok(())
}

fn opened(state: &Rc<RefCell<State>>) -> Result<(), JsError> {
    match state.borrow().labelling {
        Some(_) => Ok(()),
        None => Err(JsError::new("The queue is not open.")),
    }
}

#[wasm_bindgen]
impl Session {
    /// Opens the queue kept in this browser, scoring its reviews; resolves to the offer.
    #[wasm_bindgen(js_name = openQueue)]
    pub fn open_queue(&self) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let store = state.borrow().store.clone();
            let stored = match store {
                Some(store) => store
                    .load_queue()
                    .await
                    .map_err(|e| JsError::new(&e.to_string()))?,
                None => Vec::new(),
            };
            let mut state = state.borrow_mut();
            let labelling = Labelling::new(stored, state.teaching.classifier());
            state.labelling = Some(labelling);
            offer(&state)
        })
    }

    /// Adds reviews to the queue; resolves to the offer.
    #[wasm_bindgen(js_name = queueAdd)]
    pub fn queue_add(&self, texts: Vec<String>) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            opened(&state)?;
            let items: Vec<Queued> = texts
                .into_iter()
                .map(|text| Queued {
                    text,
                    state: status_name(Status::Waiting).into(),
                })
                .collect();
            let store = state.borrow().store.clone();
            let keys: Vec<u32> = match store {
                Some(store) => store
                    .enqueue(&items)
                    .await
                    .map_err(|e| JsError::new(&e.to_string()))?,
                None => {
                    // Kept in memory only: keys of its own, past any.
                    let first = state
                        .borrow()
                        .labelling
                        .as_ref()
                        .map_or(0, |l| l.keys.len());
                    (first..first + items.len()).map(|k| k as u32).collect()
                }
            };
            let mut state = state.borrow_mut();
            let State {
                labelling,
                teaching,
                ..
            } = &mut *state;
            if let Some(labelling) = labelling {
                labelling.add(keys.into_iter().zip(items).collect(), teaching.classifier());
            }
            offer(&state)
        })
    }

    /// The queue's counts and the review to label next.
    #[wasm_bindgen(js_name = queueOffer)]
    pub fn queue_offer(&self) -> Result<JsValue, JsError> {
        offer(&self.state.borrow()).map_err(|_| JsError::new("The queue could not be read."))
    }

    /// Labels review `index`: the model learns it and the queue moves on; resolves to the
    /// offer. Call [`Session::queue_save`] next, before anything else: the answer is stored
    /// apart so that the next review can be shown first.
    #[wasm_bindgen(js_name = queueAnswer)]
    pub fn queue_answer(&self, index: usize, positive: bool) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            opened(&state)?;
            let (text, queued) = {
                let state = state.borrow();
                let labelling = state.labelling.as_ref().expect("opened");
                let text = labelling
                    .queue
                    .text(index)
                    .ok_or_else(|| JsError::new("That review is not in the queue."))?
                    .to_owned();
                (text, labelling.queued(index, Status::Answered))
            };
            let taught = Taught {
                text,
                positive,
                time: js_sys::Date::now(),
                source: "queue".into(),
            };
            let prepared = prepare(&state, Vec::new(), vec![taught]).await?;
            let mut guard = state.borrow_mut();
            let State {
                labelling,
                teaching,
                ..
            } = &mut *guard;
            if let Some(labelling) = labelling.as_mut() {
                labelling.queue.mark(index, Status::Answered);
                labelling.rescore(prepared.classifier(teaching));
            }
            let taught = taught_count(&guard) + 1;
            let next = offer_by(&guard, prepared.classifier(&guard.teaching), taught)?;
            if let Some(labelling) = guard.labelling.as_mut() {
                labelling.unsaved = Some(Answer {
                    index,
                    prepared,
                    queued,
                });
            }
            Ok(next)
        })
    }

    /// Stores the answer [`Session::queue_answer`] learned: its lesson, the model and the
    /// review's state, in one transaction.
    #[wasm_bindgen(js_name = queueSave)]
    pub fn queue_save(&self) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let answer = state
                .borrow_mut()
                .labelling
                .as_mut()
                .and_then(|labelling| labelling.unsaved.take());
            let Some(Answer {
                index,
                prepared,
                queued,
            }) = answer
            else {
                return Ok(JsValue::UNDEFINED);
            };
            let changed = commit(&state, prepared, queued).await?;
            if let (Some(lesson), Some(labelling)) =
                (changed.added.first(), state.borrow_mut().labelling.as_mut())
            {
                labelling.undo.push(Done::Answered {
                    index,
                    lesson: *lesson,
                });
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Skips review `index`: it stays in the queue, not offered again.
    #[wasm_bindgen(js_name = queueSkip)]
    pub fn queue_skip(&self, index: usize) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            opened(&state)?;
            mark(&state, index, Status::Skipped).await?;
            if let Some(labelling) = state.borrow_mut().labelling.as_mut() {
                labelling.undo.push(Done::Skipped { index });
            }
            offer(&state.borrow())
        })
    }

    /// Undoes the last answer (its lesson forgotten, the model rebuilt) or skip.
    #[wasm_bindgen(js_name = queueUndo)]
    pub fn queue_undo(&self) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            opened(&state)?;
            let done = state
                .borrow_mut()
                .labelling
                .as_mut()
                .and_then(|l| l.undo.pop());
            match done {
                Some(Done::Answered { index, lesson }) => {
                    let queued = state
                        .borrow()
                        .labelling
                        .as_ref()
                        .and_then(|l| l.queued(index, Status::Waiting));
                    change(&state, vec![lesson], Vec::new(), queued).await?;
                    settle(&state, index, Status::Waiting);
                }
                Some(Done::Skipped { index }) => mark(&state, index, Status::Waiting).await?,
                None => {}
            }
            offer(&state.borrow())
        })
    }

    /// Empties the queue (what was taught from it stays taught).
    #[wasm_bindgen(js_name = queueClear)]
    pub fn queue_clear(&self) -> js_sys::Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let store = state.borrow().store.clone();
            if let Some(store) = store {
                store
                    .clear_queue()
                    .await
                    .map_err(|e| JsError::new(&e.to_string()))?;
            }
            let mut state = state.borrow_mut();
            let labelling = Labelling::new(Vec::new(), state.teaching.classifier());
            state.labelling = Some(labelling);
            offer(&state)
        })
    }
}
