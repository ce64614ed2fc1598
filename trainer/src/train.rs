//! Out-of-core training: rows stream in, mini-batches go to `partial_fit`, the last rows are
//! held out for the report.
//!
//! The held-out rows are the *last* N of the input, which a stream only knows at its end, so
//! every row waits in a window of N vectorised rows before it is learned; whatever is left in
//! the window at the end is the test set. Memory is that window plus one batch, whatever the
//! size of the input.
//!
//! Turning text into feature rows costs more than learning from them, so it runs on worker
//! threads between the reader and the learner; rows still reach the learner in input order,
//! so the result is the same as doing everything in one thread.

use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread;
use std::time::Instant;

use anyhow::{bail, Result};
use movieclassifier::vectorize::SparseRow;
use movieclassifier::{Classifier, Featurizer, Label, Scratch};
use serde::Serialize;

use crate::data::{BadRow, Item, Place, Source, CHUNKS_IN_FLIGHT};
use crate::metrics::{Scores, Summary};
use crate::progress::Progress;

/// How many bad rows a report names; the rest are only counted.
const BAD_ROWS_NAMED: usize = 5;

pub struct Plan {
    pub batch_size: usize,
    pub test_rows: usize,
    /// Read at most this many usable rows.
    pub limit: Option<u64>,
    /// Passes over the training rows; each pass after the first reads the input again.
    pub passes: u32,
    /// Average the weights after every batch of the last N passes and keep the average
    /// (0: keep the last weights).
    pub average_last: u32,
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
    /// Counts a row read and hands over a usable one; an unusable one is skipped and counted,
    /// or with `strict` ends the run.
    fn take<T>(
        &mut self,
        item: Result<std::result::Result<T, BadRow>>,
        strict: bool,
    ) -> Result<Option<T>> {
        self.rows_read += 1;
        match item? {
            Ok(row) => Ok(Some(row)),
            Err(bad) => self.skip(&bad, strict).map(|()| None),
        }
    }

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

/// At most this many threads turn text into rows; more would only wait for the reader.
const MAX_FEATURIZERS: usize = 4;

/// Vectorises the source's rows on one worker thread per core (up to [`MAX_FEATURIZERS`]),
/// and yields them in input order, bad rows and fatal errors passed through untouched.
///
/// Chunk `k` goes to worker `k mod n` and is collected from it in turn, so order needs no
/// sequence numbers. Dropping the iterator stops the workers and the reader: their sends fail.
fn featurize(
    chunks: Receiver<Vec<Item>>,
    featurizer: &Featurizer,
) -> impl Iterator<Item = FeaturedItem> {
    let workers = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_FEATURIZERS);
    let mut inputs = Vec::with_capacity(workers);
    let mut outputs = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (to_worker, worker_input) = sync_channel::<Vec<Item>>(CHUNKS_IN_FLIGHT);
        let (worker_output, from_worker) = sync_channel(CHUNKS_IN_FLIGHT);
        let featurizer = featurizer.clone();
        thread::spawn(move || {
            let mut scratch = Scratch::default();
            for chunk in worker_input {
                if worker_output
                    .send(featurize_chunk(chunk, &featurizer, &mut scratch))
                    .is_err()
                {
                    return;
                }
            }
        });
        inputs.push(to_worker);
        outputs.push(from_worker);
    }
    thread::spawn(move || {
        for (k, chunk) in chunks.into_iter().enumerate() {
            if inputs[k % inputs.len()].send(chunk).is_err() {
                return;
            }
        }
    });
    let mut turn = 0;
    std::iter::from_fn(move || {
        let chunk = outputs[turn % outputs.len()].recv().ok();
        turn += 1;
        chunk
    })
    .flatten()
}

fn featurize_chunk(
    chunk: Vec<Item>,
    featurizer: &Featurizer,
    scratch: &mut Scratch,
) -> Vec<FeaturedItem> {
    chunk
        .into_iter()
        .map(|item| {
            item.map(|row| {
                row.map(|example| Featured {
                    row: featurizer.vectorize_reusing(&example.text, scratch),
                    label: example.label,
                    place: example.place,
                    repaired: example.repaired,
                })
            })
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Distinct rows learned from (each pass learns them again).
    pub rows_trained: u64,
    pub passes: u32,
    pub batches: u64,
    pub seconds: f64,
    pub intake: Intake,
    /// The last rows of the input, never learned from, for scoring the finished model.
    #[serde(skip)]
    pub held_out_rows: Vec<(SparseRow, Label)>,
}

/// Scores a classifier on vectorised rows.
pub fn score_rows(classifier: &Classifier, rows: &[(SparseRow, Label)]) -> Summary {
    let mut scores = Scores::default();
    for (row, label) in rows {
        scores.push(classifier.learner().predict_proba(row), *label);
    }
    scores.summary()
}

/// Learns from batches as they fill up.
struct Batcher {
    columns: DenseColumns,
    rows: Vec<SparseRow>,
    labels: Vec<Label>,
    size: usize,
    batches: u64,
    /// When averaging: the sum of the weights and intercepts after each batch, and how many.
    average: Option<Average>,
}

/// A running sum of weight vectors, for Polyak averaging at batch granularity: the mean of
/// the noisy SGD iterates generalises better than the last one.
struct Average {
    weights: Vec<f64>,
    intercept: f64,
    count: u64,
}

impl Average {
    fn add(&mut self, classifier: &Classifier) {
        let learner = classifier.learner();
        for (sum, w) in self.weights.iter_mut().zip(learner.weights()) {
            *sum += w;
        }
        self.intercept += learner.intercept();
        self.count += 1;
    }

    fn apply(self, classifier: &mut Classifier) -> Result<()> {
        let count = self.count as f64;
        let weights = self.weights.into_iter().map(|w| w / count).collect();
        classifier.set_weights(weights, self.intercept / count)?;
        Ok(())
    }
}

impl Batcher {
    fn new(size: usize, n_features: u32) -> Self {
        Batcher {
            columns: DenseColumns::new(n_features),
            rows: Vec::with_capacity(size),
            labels: Vec::with_capacity(size),
            size,
            batches: 0,
            average: None,
        }
    }

    fn start_averaging(&mut self, classifier: &Classifier) {
        self.average.get_or_insert_with(|| Average {
            weights: vec![0.0; classifier.learner().weights().len()],
            intercept: 0.0,
            count: 0,
        });
    }

    fn push(
        &mut self,
        classifier: &mut Classifier,
        mut row: SparseRow,
        label: Label,
    ) -> Result<()> {
        self.columns.renumber(&mut row);
        self.rows.push(row);
        self.labels.push(label);
        if self.rows.len() == self.size {
            self.flush(classifier)?;
        }
        Ok(())
    }

    fn flush(&mut self, classifier: &mut Classifier) -> Result<()> {
        if !self.rows.is_empty() {
            classifier.partial_fit_rows(&self.rows, &self.labels)?;
            self.batches += 1;
            if let Some(average) = &mut self.average {
                average.add(classifier);
            }
            self.rows.clear();
            self.labels.clear();
        }
        Ok(())
    }
}

/// Renumbers feature columns densely, in the order the learner first meets them, and back.
///
/// scikit-learn's learner scales every non-zero weight at the end of each batch, and of the
/// notebook's 2^21 columns (16 MB of weights) about 100,000 are ever touched: renumbered, they
/// sit in the first megabyte, which stays in cache. Each weight sees the same operations in
/// the same order, and rows keep their entries in the original column order (the order of the
/// dot products' sums), so the model is the same to the bit.
struct DenseColumns {
    /// The dense number of each original column; `UNSEEN` until the learner meets it.
    dense_of: Vec<u32>,
    original_of: Vec<u32>,
}

impl DenseColumns {
    const UNSEEN: u32 = u32::MAX;

    fn new(n_features: u32) -> Self {
        DenseColumns {
            dense_of: vec![Self::UNSEEN; n_features as usize],
            original_of: Vec::new(),
        }
    }

    fn renumber(&mut self, row: &mut SparseRow) {
        for column in &mut row.indices {
            let dense = &mut self.dense_of[*column as usize];
            if *dense == Self::UNSEEN {
                *dense = self.original_of.len() as u32;
                self.original_of.push(*column);
            }
            *column = *dense;
        }
    }

    /// Puts a classifier trained on renumbered rows back in the original columns.
    fn restore(&self, classifier: &mut Classifier) -> Result<()> {
        let learner = classifier.learner();
        let mut weights = vec![0.0; learner.weights().len()];
        for (&original, &weight) in self.original_of.iter().zip(learner.weights()) {
            weights[original as usize] = weight;
        }
        let intercept = learner.intercept();
        classifier.set_weights(weights, intercept)?;
        Ok(())
    }
}

/// Trains `classifier` on `source` by the plan; `reopen` reads the input again for each pass
/// after the first.
pub fn train(
    classifier: &mut Classifier,
    source: Source,
    reopen: impl Fn() -> Result<Source>,
    plan: &Plan,
) -> Result<Outcome> {
    let started = Instant::now();
    let mut progress = Progress::new(source.total_bytes, plan.quiet);
    let mut intake = Intake::default();
    let mut window: VecDeque<(SparseRow, Label)> = VecDeque::with_capacity(plan.test_rows + 1);
    let mut batcher = Batcher::new(plan.batch_size, classifier.config().n_features);
    let mut rows_trained = 0u64;
    let mut usable = 0u64;
    let averages_from = plan.passes.saturating_sub(plan.average_last) + 1;
    if plan.average_last > 0 && averages_from <= 1 {
        batcher.start_averaging(classifier);
    }

    for item in featurize(source.chunks, classifier.featurizer()) {
        if plan.limit.is_some_and(|limit| usable == limit) {
            break;
        }
        let Some(example) = intake.take(item, plan.strict)? else {
            continue;
        };
        usable += 1;
        if example.repaired {
            if plan.strict {
                bail!("{}: the text is not valid UTF-8 (--strict)", example.place);
            }
            intake.repaired += 1;
        }
        window.push_back((example.row, example.label));
        if window.len() > plan.test_rows {
            if let Some((row, label)) = window.pop_front() {
                batcher.push(classifier, row, label)?;
                rows_trained += 1;
            }
        }
        if intake.rows_read % 256 == 0 {
            progress.update(source.bytes_read.get(), intake.rows_read);
        }
    }
    batcher.flush(classifier)?;
    progress.finish();
    if rows_trained == 0 {
        bail!(
            "no rows left to learn from: {} usable rows read and {} held out",
            window.len(),
            plan.test_rows
        );
    }

    // Later passes learn the same usable rows in the same order: the first `rows_trained`
    // of them. Bad rows were counted in the first pass.
    for pass in 2..=plan.passes {
        if plan.average_last > 0 && pass >= averages_from {
            batcher.start_averaging(classifier);
        }
        let source = reopen()?;
        let mut learned = 0u64;
        for item in featurize(source.chunks, classifier.featurizer()) {
            if learned == rows_trained {
                break;
            }
            if let Ok(example) = item? {
                batcher.push(classifier, example.row, example.label)?;
                learned += 1;
            }
        }
        batcher.flush(classifier)?;
    }
    if let Some(average) = batcher.average.take() {
        average.apply(classifier)?;
    }
    batcher.columns.restore(classifier)?;

    Ok(Outcome {
        rows_trained,
        passes: plan.passes,
        batches: batcher.batches,
        seconds: started.elapsed().as_secs_f64(),
        intake,
        held_out_rows: window.into(),
    })
}

/// Scores a classifier on the usable rows of `source` after the first `skip`, at most
/// `plan.limit` of them.
pub fn evaluate(
    classifier: &Classifier,
    source: Source,
    skip: u64,
    plan: &Plan,
) -> Result<(Summary, Intake)> {
    let mut progress = Progress::new(source.total_bytes, plan.quiet);
    let mut intake = Intake::default();
    let mut scores = Scores::default();
    let mut usable = 0u64;
    for item in source.chunks.into_iter().flatten() {
        let Some(example) = intake.take(item, plan.strict)? else {
            continue;
        };
        usable += 1;
        if usable <= skip {
            continue;
        }
        if plan.limit.is_some_and(|limit| usable > skip + limit) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{open, Columns};
    use movieclassifier::Config;

    fn fixture(name: &str, csv: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("trainer-train-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, csv).expect("write fixture");
        path
    }

    fn columns() -> Columns {
        Columns {
            text: "review".into(),
            label: "sentiment".into(),
        }
    }

    fn plan(strict: bool, passes: u32) -> Plan {
        Plan {
            batch_size: 2,
            test_rows: 1,
            limit: None,
            passes,
            average_last: 0,
            strict,
            quiet: true,
        }
    }

    const MIXED: &str = "review,sentiment\ngreat film,1\nawful,maybe\ndull film,0\n\
                         ,1\nlovely,1\nboring,0\n";

    /// The notebook's pipeline trained on `MIXED`, written to a file called `name`.
    fn train_on(name: &str, plan: &Plan) -> Result<(Classifier, Outcome)> {
        let path = fixture(name, MIXED);
        let mut classifier = Classifier::new(Config::notebook()).expect("valid config");
        let source = open(&path, &columns()).expect("opens");
        let outcome = train(&mut classifier, source, || open(&path, &columns()), plan)?;
        Ok((classifier, outcome))
    }

    #[test]
    fn bad_rows_are_skipped_counted_and_named() {
        let (classifier, outcome) = train_on("mixed.csv", &plan(false, 2)).expect("trains");
        assert_eq!(outcome.intake.rows_read, 6);
        assert_eq!(outcome.intake.skipped, 2);
        assert!(outcome.intake.first_skipped[0].starts_with("line 3: label `maybe`"));
        assert_eq!(
            outcome.intake.first_skipped[1],
            "line 5: the review text is empty"
        );
        assert_eq!((outcome.rows_trained, outcome.held_out_rows.len()), (3, 1));
        // Two passes over three rows in batches of two.
        assert_eq!(outcome.batches, 4);
        assert_eq!(classifier.learner().t(), 7.0);
    }

    #[test]
    fn a_limit_stops_reading_after_that_many_usable_rows() {
        let plan = Plan {
            limit: Some(2),
            ..plan(false, 1)
        };
        let (_, outcome) = train_on("limit.csv", &plan).expect("trains");
        assert_eq!(outcome.intake.rows_read, 3);
        assert_eq!((outcome.rows_trained, outcome.held_out_rows.len()), (1, 1));
    }

    #[test]
    fn strict_stops_at_the_first_bad_row() {
        let err = train_on("strict.csv", &plan(true, 1)).expect_err("stops");
        assert!(
            err.to_string().starts_with("line 3: label `maybe`"),
            "{err}"
        );
    }
}
