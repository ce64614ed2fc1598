//! Whole files through the pipeline: classify every row, score labelled rows, train a model.
//!
//! Each job takes a file's rows one at a time, as a reader ([`crate::read::Rows`]) hands them
//! out, so a file of any size goes through in memory that does not grow with it. The page's
//! file jobs run these, and so does `trainer classify`; `trainer train` and `trainer eval`
//! run the same library calls in the same order on their own threads, so a file gives the
//! same figures, the same CSV and the same model bytes in either.

use serde::Serialize;

use crate::classifier::{Classifier, Featurizer, Scratch};
use crate::label::Label;
use crate::model::Provenance;
use crate::read::{write_record, BadRow, Entry, Example, Intake, LabelRuns, Row, Shuffler};
use crate::train::{HoldOut, Recipe, RecipeError, RocPoint, Scores, Summary, TrainError, Training};
use crate::vectorize::SparseRow;

/// Bins of the histogram of probabilities a classified file is summed up by.
pub const HISTOGRAM_BINS: usize = 20;

/// Points of an ROC curve worth drawing.
pub const ROC_POINTS: usize = 200;

/// Classifies every row of a file, writing the file's fields with `label` and
/// `probability` (of that label, as `trainer predict` prints it) after them, as CSV.
#[derive(Debug)]
pub struct ClassifyFile {
    classifier: Classifier,
    out: Vec<u8>,
    header_written: bool,
    counts: [u64; 2],
    /// Rows by the probability of positive, in [`HISTOGRAM_BINS`] equal bins.
    histogram: [u64; HISTOGRAM_BINS],
    intake: Intake,
}

/// What a classified file came to.
#[derive(Clone, Debug, Serialize)]
pub struct Classified {
    pub negative: u64,
    pub positive: u64,
    pub histogram: Vec<u64>,
    pub intake: Intake,
    /// A line for a person about each kind of trouble met.
    pub notes: Vec<String>,
}

impl ClassifyFile {
    pub fn new(classifier: Classifier) -> ClassifyFile {
        ClassifyFile {
            classifier,
            out: Vec::new(),
            header_written: false,
            counts: [0; 2],
            histogram: [0; HISTOGRAM_BINS],
            intake: Intake::default(),
        }
    }

    /// Classifies one row; a row that cannot be is tallied and left out. The output starts
    /// with a header: the file's columns, then `label` and `probability`.
    pub fn entry(&mut self, entry: Entry) {
        if !self.header_written {
            self.header_written = true;
            let names = entry.header();
            let extra = ["label", "probability"];
            let fields = names
                .iter()
                .map(String::as_bytes)
                .chain(extra.map(str::as_bytes));
            write_record(fields, &mut self.out);
        }
        let fields = entry.fields();
        let Some(example) = self.intake.take(entry.row) else {
            return;
        };
        let row = self.classifier.vectorize(&example.text);
        let decision = self.classifier.decision_function(&row);
        let positive = crate::learn::expit(decision);
        let prediction = crate::classifier::Prediction::from_decision(decision);
        self.counts[usize::from(prediction.label.digit())] += 1;
        let bin = ((positive * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1);
        self.histogram[bin] += 1;
        let probability = prediction.probability.to_string();
        let extra = [prediction.label.name().as_bytes(), probability.as_bytes()];
        write_record(fields.into_iter().chain(extra), &mut self.out);
    }

    /// The CSV written since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    pub fn rows_read(&self) -> u64 {
        self.intake.rows_read
    }

    pub fn summary(&self) -> Classified {
        Classified {
            negative: self.counts[0],
            positive: self.counts[1],
            histogram: self.histogram.to_vec(),
            intake: self.intake.clone(),
            notes: self.intake.notes(),
        }
    }
}

/// Scores a model on the labelled rows of a file.
#[derive(Debug)]
pub struct EvaluateFile {
    classifier: Classifier,
    scores: Scores,
    intake: Intake,
}

/// What a model scored on a file.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluated {
    #[serde(flatten)]
    pub summary: Summary,
    pub roc: Vec<RocPoint>,
    pub intake: Intake,
    pub notes: Vec<String>,
}

impl EvaluateFile {
    pub fn new(classifier: Classifier) -> EvaluateFile {
        EvaluateFile {
            classifier,
            scores: Scores::default(),
            intake: Intake::default(),
        }
    }

    /// Scores one row; a row without a label is tallied and left out.
    pub fn row(&mut self, row: Row) {
        let Some((text, label)) = labelled(&mut self.intake, row) else {
            return;
        };
        self.scores
            .push(self.classifier.predict_proba(&text), label);
    }

    pub fn rows_read(&self) -> u64 {
        self.intake.rows_read
    }

    pub fn summary(&self) -> Evaluated {
        Evaluated {
            summary: self.scores.summary(),
            roc: self.scores.roc_curve(ROC_POINTS),
            intake: self.intake.clone(),
            notes: self.intake.notes(),
        }
    }
}

/// The text and label of a row, or nothing, the row tallied as unusable.
fn labelled(intake: &mut Intake, row: Row) -> Option<(String, Label)> {
    let example = intake.take(row)?;
    match example.label {
        Some(label) => Some((example.text, label)),
        None => {
            // Counted once: `take` counted it read, this counts it skipped.
            intake.skip(&BadRow {
                place: example.place,
                reason: "it has no label".into(),
            });
            None
        }
    }
}

/// How a training run from a file reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrainOptions {
    /// Hold out the last N usable rows, for the report.
    pub test_rows: usize,
    /// Mix the rows through a shuffle buffer of this many, by the seed.
    pub shuffle: Option<usize>,
    pub seed: u32,
}

/// Trains a model from the labelled rows of a file, as `trainer train` does: the last
/// `test_rows` usable rows held out and scored, each later pass learning the same rows again.
#[derive(Debug)]
pub struct TrainFile {
    training: Training,
    featurizer: Featurizer,
    scratch: Scratch,
    options: TrainOptions,
    shuffler: Option<Shuffler<Row>>,
    hold_out: HoldOut<(SparseRow, Label)>,
    runs: LabelRuns,
    intake: Intake,
    /// Rows the first pass learned, which each later pass learns again.
    rows_learned: u64,
    /// Rows the current later pass has learned.
    relearned: u64,
}

/// What a training run came to.
#[derive(Clone, Debug, Serialize)]
pub struct Trained {
    pub rows_learned: u64,
    pub held_out: Summary,
    pub longest_label_run: u64,
    /// Whether the labels came in runs long enough to say the file is sorted by label.
    pub looks_sorted: bool,
    pub intake: Intake,
    pub notes: Vec<String>,
}

impl TrainFile {
    pub fn new(recipe: Recipe, options: TrainOptions) -> Result<TrainFile, RecipeError> {
        let training = Training::new(recipe)?;
        Ok(TrainFile {
            featurizer: training.featurizer(),
            training,
            scratch: Scratch::default(),
            shuffler: options
                .shuffle
                .map(|rows| Shuffler::new(rows, options.seed)),
            options,
            hold_out: HoldOut::new(options.test_rows),
            runs: LabelRuns::default(),
            intake: Intake::default(),
            rows_learned: 0,
            relearned: 0,
        })
    }

    /// Takes one row of the file.
    pub fn row(&mut self, row: Row) -> Result<(), TrainError> {
        match &mut self.shuffler {
            Some(shuffler) => match shuffler.push(row) {
                Some(out) => self.take(out),
                None => Ok(()),
            },
            None => self.take(row),
        }
    }

    /// Ends a pass over the file; true if the recipe wants another, which the caller then
    /// reads again from the start.
    pub fn end_pass(&mut self) -> Result<bool, TrainError> {
        if let Some(shuffler) = self.shuffler.take() {
            for row in shuffler.drain() {
                self.take(row)?;
            }
        }
        if self.training.pass() == 1 && self.rows_learned == 0 {
            return Err(TrainError::NothingLearned);
        }
        self.training.end_pass()?;
        self.relearned = 0;
        let again = self.training.wants_another_pass();
        if again {
            self.shuffler = self
                .options
                .shuffle
                .map(|rows| Shuffler::new(rows, self.options.seed));
        }
        Ok(again)
    }

    pub fn rows_read(&self) -> u64 {
        self.intake.rows_read
    }

    /// The trained classifier, its provenance naming `data`, and the run's figures.
    pub fn finish(self, data: &str) -> Result<(Classifier, Trained), TrainError> {
        let classifier = self.training.finish()?;
        let held_out_rows = self.hold_out.into_items();
        let mut scores = Scores::default();
        for (row, label) in &held_out_rows {
            scores.push(classifier.predict_proba_row(row), *label);
        }
        let held_out = scores.summary();
        let provenance = Provenance {
            data: data.to_owned(),
            rows: self.rows_learned,
            held_out_accuracy: (held_out.rows > 0).then_some(held_out.accuracy),
            taught: 0,
        };
        let trained = Trained {
            rows_learned: self.rows_learned,
            held_out,
            longest_label_run: self.runs.longest(),
            looks_sorted: self.runs.looks_sorted(),
            notes: self.intake.notes(),
            intake: self.intake,
        };
        Ok((classifier.with_provenance(provenance), trained))
    }

    fn take(&mut self, row: Row) -> Result<(), TrainError> {
        if self.training.pass() > 1 {
            // Later passes learn the first pass's rows again; bad rows were counted then.
            if let Ok(Example {
                text,
                label: Some(label),
                ..
            }) = row
            {
                if self.relearned < self.rows_learned {
                    let features = self.featurizer.vectorize_reusing(&text, &mut self.scratch);
                    self.training.learn(features, label)?;
                    self.relearned += 1;
                }
            }
            return Ok(());
        }
        let Some((text, label)) = labelled(&mut self.intake, row) else {
            return Ok(());
        };
        let features = self.featurizer.vectorize_reusing(&text, &mut self.scratch);
        if let Some((features, label)) = self.hold_out.push((features, label)) {
            self.runs.push(label.is_positive());
            self.training.learn(features, label)?;
            self.rows_learned += 1;
        }
        Ok(())
    }
}
