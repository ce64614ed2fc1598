//! Out-of-core training: rows stream in, mini-batches go to `partial_fit`, the last rows are
//! held out for the report.
//!
//! The held-out rows are the *last* N of the input, which a stream only knows at its end, so
//! every row waits in a window of N vectorised rows before it is learned; whatever is left in
//! the window at the end is the test set. Memory is that window plus one batch, whatever the
//! size of the input.
//!
//! Turning text into feature rows costs more than learning from them, so it runs on a thread
//! of its own between the reader and the learner; rows still reach the learner in input
//! order, so the result is the same as doing everything in one thread.

use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread;
use std::time::Instant;

use anyhow::{bail, Result};
use movieclassifier::vectorize::SparseRow;
use movieclassifier::{Classifier, Featurizer, Label};
use serde::Serialize;

use crate::data::{BadRow, Item, Place, Source, CHUNKS_IN_FLIGHT};
use crate::metrics::{Scores, Summary};
use crate::progress::Progress;

/// How many bad rows a report names; the rest are only counted.
const BAD_ROWS_NAMED: usize = 5;

pub struct Plan {
    pub batch_size: usize,
    pub test_rows: usize,
    pub strict: bool,
    pub quiet: bool,
}

/// What happened to the input rows.
#[derive(Debug, Default, Serialize)]
pub struct Intake {
    pub rows_read: u64,
    pub skipped: u64,
    pub first_skipped: Vec<String>,
    /// Rows whose text had invalid UTF-8, decoded with U+FFFD in its place.
    pub repaired: u64,
}

impl Intake {
    fn skip(&mut self, bad: &BadRow, strict: bool) -> Result<()> {
        if strict {
            bail!("{bad} (--strict stops at the first unusable row)");
        }
        self.skipped += 1;
        if self.first_skipped.len() < BAD_ROWS_NAMED {
            self.first_skipped.push(bad.to_string());
        }
        Ok(())
    }

    /// A line for the report, if any row was skipped or repaired.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.skipped > 0 {
            notes.push(format!(
                "skipped {} unusable rows; first: {}",
                self.skipped,
                self.first_skipped.join("; ")
            ));
        }
        if self.repaired > 0 {
            notes.push(format!(
                "{} rows had bytes that are not UTF-8; they were replaced by U+FFFD",
                self.repaired
            ));
        }
        notes
    }
}

/// A usable row, vectorised.
struct Featured {
    row: SparseRow,
    label: Label,
    place: Place,
    repaired: bool,
}

type FeaturedItem = Result<std::result::Result<Featured, BadRow>>;

/// Vectorises the source's rows on a thread of its own, keeping their order and passing bad
/// rows and fatal errors through untouched.
fn featurize(chunks: Receiver<Vec<Item>>, featurizer: Featurizer) -> Receiver<Vec<FeaturedItem>> {
    let (sender, featured) = sync_channel(CHUNKS_IN_FLIGHT);
    thread::spawn(move || {
        for chunk in chunks {
            let chunk = chunk
                .into_iter()
                .map(|item| {
                    item.map(|row| {
                        row.map(|example| Featured {
                            row: featurizer.vectorize(&example.text),
                            label: example.label,
                            place: example.place,
                            repaired: example.repaired,
                        })
                    })
                })
                .collect();
            if sender.send(chunk).is_err() {
                return;
            }
        }
    });
    featured
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub rows_trained: u64,
    pub batches: u64,
    pub seconds: f64,
    pub intake: Intake,
    pub held_out: Summary,
}

/// Trains `classifier` on `source` by the plan.
pub fn train(classifier: &mut Classifier, source: Source, plan: &Plan) -> Result<Outcome> {
    let started = Instant::now();
    let mut progress = Progress::new(source.total_bytes, plan.quiet);
    let mut intake = Intake::default();
    let mut window: VecDeque<(SparseRow, Label)> = VecDeque::with_capacity(plan.test_rows + 1);
    let mut batch_rows = Vec::with_capacity(plan.batch_size);
    let mut batch_labels = Vec::with_capacity(plan.batch_size);
    let (mut rows_trained, mut batches) = (0u64, 0u64);

    let featured = featurize(source.chunks, classifier.featurizer().clone());
    for item in featured.into_iter().flatten() {
        intake.rows_read += 1;
        let example = match item? {
            Ok(example) => example,
            Err(bad) => {
                intake.skip(&bad, plan.strict)?;
                continue;
            }
        };
        if example.repaired {
            if plan.strict {
                bail!("{}: the text is not valid UTF-8 (--strict)", example.place);
            }
            intake.repaired += 1;
        }
        window.push_back((example.row, example.label));
        if window.len() > plan.test_rows {
            if let Some((row, label)) = window.pop_front() {
                batch_rows.push(row);
                batch_labels.push(label);
            }
        }
        if batch_rows.len() == plan.batch_size {
            classifier.partial_fit_rows(&batch_rows, &batch_labels)?;
            rows_trained += batch_rows.len() as u64;
            batches += 1;
            batch_rows.clear();
            batch_labels.clear();
        }
        if intake.rows_read % 256 == 0 {
            progress.update(source.bytes_read.get(), intake.rows_read);
        }
    }
    if !batch_rows.is_empty() {
        classifier.partial_fit_rows(&batch_rows, &batch_labels)?;
        rows_trained += batch_rows.len() as u64;
        batches += 1;
    }
    progress.finish();
    if rows_trained == 0 {
        bail!(
            "no rows left to learn from: {} usable rows read and {} held out",
            window.len(),
            plan.test_rows
        );
    }
    let seconds = started.elapsed().as_secs_f64();

    let mut scores = Scores::default();
    for (row, label) in &window {
        scores.push(classifier.learner().predict_proba(row), *label);
    }
    Ok(Outcome {
        rows_trained,
        batches,
        seconds,
        intake,
        held_out: scores.summary(),
    })
}

/// Scores a classifier on rows `skip..skip + limit` of `source`.
pub fn evaluate(
    classifier: &Classifier,
    source: Source,
    skip: u64,
    limit: Option<u64>,
    plan: &Plan,
) -> Result<(Summary, Intake)> {
    let mut progress = Progress::new(source.total_bytes, plan.quiet);
    let mut intake = Intake::default();
    let mut scores = Scores::default();
    let mut usable = 0u64;
    for item in source.chunks.into_iter().flatten() {
        intake.rows_read += 1;
        let example = match item? {
            Ok(example) => example,
            Err(bad) => {
                intake.skip(&bad, plan.strict)?;
                continue;
            }
        };
        usable += 1;
        if usable <= skip {
            continue;
        }
        if limit.is_some_and(|limit| usable > skip + limit) {
            break;
        }
        intake.repaired += u64::from(example.repaired);
        scores.push(classifier.predict_proba(&example.text), example.label);
        if intake.rows_read % 256 == 0 {
            progress.update(source.bytes_read.get(), intake.rows_read);
        }
    }
    progress.finish();
    Ok((scores.summary(), intake))
}
