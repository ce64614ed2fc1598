//! Out-of-core training from a file: rows stream in and go to the library's [`Training`], the
//! last rows are held out for the report.
//!
//! The held-out rows are the *last* N of the input, which a stream only knows at its end, so
//! every row waits in a window of N vectorised rows before it is learned; whatever is left in
//! the window at the end is the test set. Memory is that window plus one batch, whatever the
//! size of the input.
//!
//! Turning text into feature rows costs more than learning from them, so it runs on worker
//! threads between the reader and the learner; rows still reach the learner in input order,
//! so the result is the same as doing everything in one thread.

use std::sync::mpsc::sync_channel;
use std::thread;
use std::time::Instant;

use anyhow::{bail, Result};
use movieclassifier::read::{self, LabelRuns, DEFAULT_SHUFFLE_ROWS};
use movieclassifier::train::{HoldOut, Scores, Summary, Training};
use movieclassifier::vectorize::SparseRow;
use movieclassifier::{Classifier, Featurizer, Label, Scratch};
use serde::Serialize;

use crate::data::{BadRow, Item, Place, RowStream, Source, CHUNKS_IN_FLIGHT};
use crate::progress::Progress;

pub struct Plan {
    /// Hold out the last N usable rows.
    pub test_rows: usize,
    /// Read at most this many usable rows.
    pub limit: Option<u64>,
    pub strict: bool,
    pub quiet: bool,
}

/// What happened to the input rows: the library's tally, how they were ordered, and how
/// long a run of one label was learned.
#[derive(Debug, Default, Serialize)]
pub struct Intake {
    #[serde(flatten)]
    pub tally: read::Intake,
    pub order: String,
    pub longest_label_run: u64,
}

impl Intake {
    /// Counts a row read and hands over a usable one; an unusable one is skipped and counted,
    /// or with `strict` ends the run.
    fn take<T>(
        &mut self,
        item: Result<std::result::Result<T, BadRow>>,
        strict: bool,
    ) -> Result<Option<T>> {
        let row = item?;
        self.tally.rows_read += 1;
        match row {
            Ok(row) => Ok(Some(row)),
            Err(bad) if strict => bail!("{bad} (--strict stops at the first unusable row)"),
            Err(bad) => {
                self.tally.skip(&bad);
                Ok(None)
            }
        }
    }

    /// Counts a row whose text had bytes that are not UTF-8 (repaired with U+FFFD), or with
    /// `strict` ends the run.
    fn check_utf8(&mut self, place: &Place, repaired: bool, strict: bool) -> Result<()> {
        if repaired {
            if strict {
                bail!("{place}: the text is not valid UTF-8 (--strict stops at it)");
            }
            self.tally.repaired += 1;
        }
        Ok(())
    }

    /// A line for the report for each kind of trouble met.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.tally.notes();
        if self.longest_label_run >= LabelRuns::SORTED {
            notes.push(format!(
                "warning: {} rows in a row had the same label: the data looks sorted by label, \
                 and a model learns that order (it ends up calling almost everything the last \
                 label). Mix it: --shuffle {} mixes all {} rows read (a buffer holds that many \
                 reviews in memory; --shuffle alone holds {DEFAULT_SHUFFLE_ROWS}), or shuffle \
                 the file itself.",
                self.longest_label_run, self.tally.rows_read, self.tally.rows_read
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

/// Vectorises the rows on one worker thread per core (up to [`MAX_FEATURIZERS`]), and yields
/// them in input order, bad rows and fatal errors passed through untouched.
///
/// The reading thread deals chunk `k` to worker `k mod n`, and they are collected from the
/// workers in turn, so order needs no sequence numbers. Dropping the iterator stops the
/// workers and the reader: their sends fail.
fn featurize(rows: RowStream, featurizer: &Featurizer) -> impl Iterator<Item = FeaturedItem> {
    let workers = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_FEATURIZERS);
    let outputs: Vec<_> = rows
        .read(workers)
        .into_iter()
        .map(|worker_input| {
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
            from_worker
        })
        .collect();
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
        scores.push(classifier.predict_proba_row(row), *label);
    }
    scores.summary()
}

/// What the first pass over the input found.
pub struct FirstPass {
    pub intake: Intake,
    pub rows_learned: u64,
    pub held_out_rows: Vec<(SparseRow, Label)>,
}

/// Reads `source` once, vectorises its usable rows with `featurizer` and hands each to
/// `learn` in input order, but for the last `plan.test_rows`, which are held out.
pub fn first_pass(
    source: Source,
    featurizer: &Featurizer,
    plan: &Plan,
    mut learn: impl FnMut(SparseRow, Label) -> Result<()>,
) -> Result<FirstPass> {
    let mut progress = Progress::new(source.total_bytes, plan.quiet);
    let mut intake = Intake {
        order: source.order.clone(),
        ..Intake::default()
    };
    let mut hold_out = HoldOut::new(plan.test_rows);
    let mut runs = LabelRuns::default();
    let mut rows_learned = 0u64;
    let mut usable = 0u64;
    for item in featurize(source.rows, featurizer) {
        if plan.limit.is_some_and(|limit| usable == limit) {
            break;
        }
        let Some(example) = intake.take(item, plan.strict)? else {
            continue;
        };
        intake.check_utf8(&example.place, example.repaired, plan.strict)?;
        usable += 1;
        if let Some((row, label)) = hold_out.push((example.row, example.label)) {
            runs.push(label.is_positive());
            learn(row, label)?;
            rows_learned += 1;
        }
        if intake.tally.rows_read.is_multiple_of(256) {
            progress.update(source.bytes_read.get(), intake.tally.rows_read);
        }
    }
    progress.finish();
    intake.longest_label_run = runs.longest();
    if rows_learned == 0 {
        bail!(
            "no rows left to learn from: {} usable rows read and {} held out",
            hold_out.len(),
            plan.test_rows
        );
    }
    Ok(FirstPass {
        intake,
        rows_learned,
        held_out_rows: hold_out.into_items(),
    })
}

/// Trains `training` on `source` by the plan; `reopen` reads the input again for each pass
/// after the first.
pub fn train(
    training: &mut Training,
    source: Source,
    reopen: impl Fn() -> Result<Source>,
    plan: &Plan,
) -> Result<Outcome> {
    let started = Instant::now();
    let featurizer = training.featurizer();
    let first = first_pass(source, &featurizer, plan, |row, label| {
        Ok(training.learn(row, label)?)
    })?;
    training.end_pass()?;
    // Later passes learn the same usable rows in the same order: the first `rows_learned`
    // of them. Bad rows were counted in the first pass.
    while training.wants_another_pass() {
        let source = reopen()?;
        let mut learned = 0u64;
        for item in featurize(source.rows, &featurizer) {
            if learned == first.rows_learned {
                break;
            }
            if let Ok(example) = item? {
                training.learn(example.row, example.label)?;
                learned += 1;
            }
        }
        training.end_pass()?;
    }
    Ok(Outcome {
        rows_trained: first.rows_learned,
        passes: training.recipe().passes,
        batches: training.batches(),
        seconds: started.elapsed().as_secs_f64(),
        intake: first.intake,
        held_out_rows: first.held_out_rows,
    })
}

/// Teaches `classifier` every usable row of `source` in input order, one at a time as the
/// page does, but for the last `plan.test_rows`, which are held out.
pub fn teach(classifier: &mut Classifier, source: Source, plan: &Plan) -> Result<Outcome> {
    let started = Instant::now();
    let featurizer = classifier.featurizer().clone();
    let first = first_pass(source, &featurizer, plan, |row, label| {
        Ok(classifier.teach_row(&row, label)?)
    })?;
    Ok(Outcome {
        rows_trained: first.rows_learned,
        passes: 1,
        batches: first.rows_learned,
        seconds: started.elapsed().as_secs_f64(),
        intake: first.intake,
        held_out_rows: first.held_out_rows,
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
    for item in source.rows.in_order() {
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
        intake.check_utf8(&example.place, example.repaired, plan.strict)?;
        scores.push(classifier.predict_proba(&example.text), example.label);
        if intake.tally.rows_read.is_multiple_of(256) {
            progress.update(source.bytes_read.get(), intake.tally.rows_read);
        }
    }
    progress.finish();
    Ok((scores.summary(), intake))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{open, Columns, Reading, Splits};
    use movieclassifier::train::Recipe;

    fn fixture(name: &str, csv: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("trainer-train-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, csv).expect("write fixture");
        path
    }

    fn reading() -> Reading {
        Reading {
            columns: Columns {
                text: "review".into(),
                label: "sentiment".into(),
            },
            splits: None,
            default_splits: Splits::Train,
            shuffle: None,
            seed: 1,
            mix: true,
        }
    }

    fn plan(strict: bool) -> Plan {
        Plan {
            test_rows: 1,
            limit: None,
            strict,
            quiet: true,
        }
    }

    const MIXED: &str = "review,sentiment\ngreat film,1\nawful,maybe\ndull film,0\n\
                         ,1\nlovely,1\nboring,0\n";

    /// The notebook's pipeline (batches of 2, `passes` passes) trained on `MIXED`, written to
    /// a file called `name`.
    fn train_on(name: &str, passes: u32, plan: &Plan) -> Result<(Classifier, Outcome)> {
        let path = fixture(name, MIXED);
        let recipe = Recipe {
            batch_size: 2,
            passes,
            ..Recipe::notebook()
        };
        let mut training = Training::new(recipe)?;
        let source = open(&path, &reading()).expect("opens");
        let outcome = train(&mut training, source, || open(&path, &reading()), plan)?;
        Ok((training.finish()?, outcome))
    }

    #[test]
    fn bad_rows_are_skipped_counted_and_named() {
        let (classifier, outcome) = train_on("mixed.csv", 2, &plan(false)).expect("trains");
        let tally = &outcome.intake.tally;
        assert_eq!(tally.rows_read, 6);
        assert_eq!(tally.skipped, 2);
        assert!(tally.first_skipped[0].starts_with("line 3: label `maybe`"));
        assert_eq!(tally.first_skipped[1], "line 5: the review text is empty");
        assert_eq!((outcome.rows_trained, outcome.held_out_rows.len()), (3, 1));
        // Two passes over three rows in batches of two.
        assert_eq!(outcome.batches, 4);
        assert_eq!(classifier.t(), 7.0);
    }

    #[test]
    fn a_limit_stops_reading_after_that_many_usable_rows() {
        let plan = Plan {
            limit: Some(2),
            ..plan(false)
        };
        let (_, outcome) = train_on("limit.csv", 1, &plan).expect("trains");
        assert_eq!(outcome.intake.tally.rows_read, 3);
        assert_eq!((outcome.rows_trained, outcome.held_out_rows.len()), (1, 1));
    }

    #[test]
    fn strict_stops_at_text_that_is_not_utf8_in_eval_too() {
        let path = fixture("latin1.csv", "");
        std::fs::write(&path, b"review,sentiment\nfine,1\nna\xefve,0\n").expect("fixture");
        let classifier =
            movieclassifier::Classifier::new(Recipe::notebook().config).expect("valid");
        let source = open(&path, &reading()).expect("opens");
        let err = evaluate(&classifier, source, 0, &plan(true)).expect_err("stops");
        assert!(
            err.to_string()
                .starts_with("line 3: the text is not valid UTF-8"),
            "{err}"
        );
        let source = open(&path, &reading()).expect("opens");
        let (summary, intake) = evaluate(&classifier, source, 0, &plan(false)).expect("scores");
        assert_eq!((summary.rows, intake.tally.repaired), (2, 1));
    }

    #[test]
    fn strict_stops_at_the_first_bad_row() {
        let err = train_on("strict.csv", 1, &plan(true)).expect_err("stops");
        assert!(
            err.to_string().starts_with("line 3: label `maybe`"),
            "{err}"
        );
    }
}
