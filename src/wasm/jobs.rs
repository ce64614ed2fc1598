//! The page's file jobs: a file the visitor picked, classified, scored or learned from, read
//! as a stream in a worker of its own (terminated to cancel, which leaves nothing behind).
//!
//! The worker feeds the file's bytes, already decompressed; everything about rows is the
//! library's ([`crate::batch`]), the same code `trainer` runs on the same file.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::batch::{ClassifyFile, EvaluateFile, TrainFile, TrainOptions};
use crate::read::{
    ArchiveCount, ArchiveMix, ColumnNames, Delimited, FileKind, Format, Halves, Rows,
    DEFAULT_SHUFFLE_ROWS,
};
use crate::train::Recipe;
use crate::Classifier;

/// What the page learns of a file from its first bytes.
#[derive(Serialize)]
struct Inspection {
    format: &'static str,
    gzip: bool,
    /// A delimited file's columns.
    columns: Vec<String>,
    /// The columns that hold the text and the label, where their usual names say so.
    text: Option<usize>,
    label: Option<usize>,
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Csv => "csv",
        Format::Tsv => "tsv",
        Format::Lines => "lines",
        Format::Tar => "tar",
    }
}

fn format_named(name: &str) -> Result<Format, JsError> {
    match name {
        "csv" => Ok(Format::Csv),
        "tsv" => Ok(Format::Tsv),
        "lines" => Ok(Format::Lines),
        "tar" => Ok(Format::Tar),
        _ => Err(JsError::new(&format!(
            "{name} is not a file format this page reads"
        ))),
    }
}

/// A file's format, by name, and whether it is gzip'd.
#[derive(Serialize)]
struct Kind {
    format: &'static str,
    gzip: bool,
}

/// The file kind a name says, `{format, gzip}`; refused, with the kinds this page reads, for
/// any other name.
#[wasm_bindgen(js_name = fileKind)]
pub fn file_kind(name: &str) -> Result<JsValue, JsError> {
    let kind = FileKind::from_name(name).ok_or_else(|| {
        JsError::new(&format!(
            "{name} is not a kind of file this page reads: use a .csv or .tsv with a header, a \
             .txt with one review a line, or an aclImdb .tar archive, any of them gzip'd \
             (.gz, .tgz)."
        ))
    })?;
    let kind = Kind {
        format: format_name(kind.format),
        gzip: kind.gzip,
    };
    plain(&kind)
}

/// What a file of `format` holds, from its first (decompressed) bytes: a delimited file's
/// columns, and which hold the text and the label if their names are the usual ones.
#[wasm_bindgen(js_name = inspectFile)]
pub fn inspect_file(format: &str, start: &[u8]) -> Result<JsValue, JsError> {
    let format = format_named(format)?;
    let mut inspection = Inspection {
        format: format_name(format),
        gzip: false,
        columns: Vec::new(),
        text: None,
        label: None,
    };
    let refuse =
        |err: crate::read::ReadError| JsError::new(&format!("This file cannot be read: {err}."));
    if format == Format::Tar {
        let block = &start[..start.len().min(512)];
        crate::read::Tar::new()
            .push(block, |_| false, |_| {})
            .map_err(refuse)?;
    } else {
        crate::read::check_text(start).map_err(refuse)?;
    }
    if matches!(format, Format::Csv | Format::Tsv) {
        let mut parser = if format == Format::Csv {
            Delimited::csv()
        } else {
            Delimited::tsv()
        };
        let mut header = None;
        parser
            .push(start, |record| {
                if header.is_none() {
                    header = Some(
                        record
                            .fields()
                            .map(|f| String::from_utf8_lossy(f).into_owned())
                            .collect::<Vec<String>>(),
                    );
                }
            })
            .map_err(refuse)?;
        let columns = header.ok_or_else(|| {
            JsError::new("No header line was found at the start of this file: is it CSV?")
        })?;
        inspection.text = columns.iter().position(|c| c == "review");
        inspection.label = columns.iter().position(|c| c == "sentiment");
        inspection.columns = columns;
    }
    plain(&inspection)
}

enum Work {
    Classify(ClassifyFile),
    Evaluate(EvaluateFile),
    Train(Box<TrainFile>),
    /// The rows' texts (and labels), for the page to teach or queue.
    Read(Reading),
}

#[derive(Default)]
struct Reading {
    texts: Vec<String>,
    labels: Vec<u8>,
    intake: crate::read::Intake,
}

/// Rows read, handed to the page in batches.
#[derive(Serialize)]
struct RowsRead {
    texts: Vec<String>,
    /// 1 positive, 0 negative, one a text; empty for a file read without labels.
    labels: Vec<u8>,
}

/// One job over one file.
#[wasm_bindgen]
pub struct FileJob {
    rows: Rows,
    format: Format,
    names: ColumnNames,
    work: Work,
    /// Training from an archive: its counts, then the mix of the pass being read.
    count: Option<ArchiveCount>,
    counts: Option<[u64; 2]>,
    mix: Option<ArchiveMix>,
    seed: u32,
}

fn model(bytes: &[u8]) -> Result<Classifier, JsError> {
    Classifier::from_bytes(bytes)
        .map_err(|err| JsError::new(&format!("The model cannot be used: {err}.")))
}

fn read_error(err: impl std::fmt::Display) -> JsError {
    JsError::new(&format!("This file cannot be read on: {err}."))
}

#[wasm_bindgen]
impl FileJob {
    fn over(
        format: &str,
        text: String,
        label: Option<String>,
        work: Work,
    ) -> Result<FileJob, JsError> {
        let format = format_named(format)?;
        let names = ColumnNames { text, label };
        Ok(FileJob {
            rows: Rows::new(format, names.clone(), Halves::BOTH),
            format,
            names,
            work,
            count: None,
            counts: None,
            mix: None,
            seed: 1,
        })
    }

    /// Classifies every row with `model`, writing CSV as it goes ([`FileJob::output`]).
    pub fn classify(format: &str, text: String, model_bytes: &[u8]) -> Result<FileJob, JsError> {
        let work = Work::Classify(ClassifyFile::new(model(model_bytes)?));
        FileJob::over(format, text, None, work)
    }

    /// Scores `model` on the labelled rows.
    pub fn evaluate(
        format: &str,
        text: String,
        label: String,
        model_bytes: &[u8],
    ) -> Result<FileJob, JsError> {
        let work = Work::Evaluate(EvaluateFile::new(model(model_bytes)?));
        FileJob::over(format, text, Some(label), work)
    }

    /// Trains the recipe called `recipe` on the labelled rows, holding out the last
    /// `test_rows`, mixed through a shuffle buffer of [`DEFAULT_SHUFFLE_ROWS`] if `mix`, by
    /// `seed`, as `trainer train --shuffle` does. An archive is
    /// mixed as the trainer mixes it: feed it with [`FileJob::count`] first, then by
    /// [`FileJob::wants`].
    pub fn train(
        format: &str,
        text: String,
        label: String,
        recipe: &str,
        test_rows: usize,
        mix: bool,
        seed: u32,
    ) -> Result<FileJob, JsError> {
        let recipe = Recipe::named(recipe)
            .ok_or_else(|| JsError::new(&format!("There is no recipe called {recipe}.")))?;
        let options = TrainOptions {
            test_rows,
            shuffle: mix.then_some(DEFAULT_SHUFFLE_ROWS),
            seed,
        };
        let training =
            TrainFile::new(recipe, options).map_err(|err| JsError::new(&err.to_string()))?;
        let mut job = FileJob::over(format, text, Some(label), Work::Train(Box::new(training)))?;
        job.seed = seed;
        if job.format == Format::Tar {
            job.count = Some(ArchiveCount::new(Halves {
                train: true,
                test: false,
            }));
        }
        Ok(job)
    }

    /// Reads the rows' texts, and labels if `label` names a column (an empty name: none), for
    /// the page to take in batches ([`FileJob::take_rows`]).
    pub fn read(format: &str, text: String, label: String) -> Result<FileJob, JsError> {
        let label = (!label.is_empty()).then_some(label);
        FileJob::over(format, text, label, Work::Read(Reading::default()))
    }

    /// The rows read since the last call: `{texts, labels}`.
    #[wasm_bindgen(js_name = takeRows)]
    pub fn take_rows(&mut self) -> Result<JsValue, JsError> {
        let rows = match &mut self.work {
            Work::Read(reading) => RowsRead {
                texts: std::mem::take(&mut reading.texts),
                labels: std::mem::take(&mut reading.labels),
            },
            _ => RowsRead {
                texts: Vec::new(),
                labels: Vec::new(),
            },
        };
        plain(&rows)
    }

    /// Whether the job reads an archive through one reader per class.
    #[wasm_bindgen(js_name = mixesArchive)]
    pub fn mixes_archive(&self) -> bool {
        matches!(self.work, Work::Train(_)) && self.format == Format::Tar
    }

    /// Bytes of the file, in order.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsError> {
        let (work, mut failed) = (&mut self.work, None);
        self.rows
            .push(chunk, |entry| take(work, entry, &mut failed))
            .map_err(read_error)?;
        failed.map_or(Ok(()), Err)
    }

    /// The end of the file: true if the job wants it read again from the start (a recipe of
    /// several passes).
    #[wasm_bindgen(js_name = endOfFile)]
    pub fn end_of_file(&mut self) -> Result<bool, JsError> {
        let (work, mut failed) = (&mut self.work, None);
        self.rows
            .finish(|entry| take(work, entry, &mut failed))
            .map_err(read_error)?;
        if let Some(err) = failed {
            return Err(err);
        }
        self.rows = Rows::new(self.format, self.names.clone(), Halves::BOTH);
        self.end_pass()
    }

    fn end_pass(&mut self) -> Result<bool, JsError> {
        match &mut self.work {
            Work::Train(training) => training
                .end_pass()
                .map_err(|err| JsError::new(&err.to_string())),
            _ => Ok(false),
        }
    }

    /// Archive bytes for the counting read ([`FileJob::mixes_archive`]); an empty chunk at
    /// its end.
    pub fn count(&mut self, chunk: &[u8]) -> Result<(), JsError> {
        if chunk.is_empty() {
            let count = self
                .count
                .take()
                .ok_or_else(|| JsError::new("the archive was already counted"))?;
            let counts = count.finish().map_err(read_error)?;
            self.counts = Some(counts);
            return Ok(());
        }
        match &mut self.count {
            Some(count) => count.push(chunk).map_err(read_error),
            None => Err(JsError::new("the archive was already counted")),
        }
    }

    /// Which class's reader of the archive needs bytes next (0 or 1), learning the rows that
    /// are ready; -1 when the pass is done.
    pub fn wants(&mut self) -> Result<i32, JsError> {
        let counts = self
            .counts
            .ok_or_else(|| JsError::new("the archive is not counted yet"))?;
        let seed = self.seed;
        let mix = self.mix.get_or_insert_with(|| {
            ArchiveMix::new(
                counts,
                Halves {
                    train: true,
                    test: false,
                },
                seed,
            )
        });
        loop {
            if let Some(class) = mix.wants() {
                return Ok(class as i32);
            }
            match mix.next_row() {
                Some(row) => {
                    if let Work::Train(training) = &mut self.work {
                        training
                            .row(row)
                            .map_err(|err| JsError::new(&err.to_string()))?;
                    }
                }
                None => return Ok(-1),
            }
        }
    }

    /// Archive bytes for the reader of `class`; an empty chunk at its end.
    pub fn feed(&mut self, class: usize, chunk: &[u8]) -> Result<(), JsError> {
        match &mut self.mix {
            Some(mix) => mix.push(class.min(1), chunk).map_err(read_error),
            None => Err(JsError::new("the archive is not being read by class")),
        }
    }

    /// The end of a pass over the archive: true if the recipe wants another.
    #[wasm_bindgen(js_name = endOfArchivePass)]
    pub fn end_of_archive_pass(&mut self) -> Result<bool, JsError> {
        self.mix = None;
        self.end_pass()
    }

    /// The CSV a classification wrote since the last call.
    pub fn output(&mut self) -> Vec<u8> {
        match &mut self.work {
            Work::Classify(job) => job.take_output(),
            _ => Vec::new(),
        }
    }

    /// Rows read so far.
    pub fn rows(&self) -> f64 {
        (match &self.work {
            Work::Classify(job) => job.rows_read(),
            Work::Evaluate(job) => job.rows_read(),
            Work::Train(job) => job.rows_read(),
            Work::Read(reading) => reading.intake.rows_read,
        }) as f64
    }

    /// The job's result: a classification's counts and histogram, an evaluation's figures
    /// and ROC curve, or a trained model (`model`, its file's bytes) with its figures.
    pub fn result(self, data: &str) -> Result<JsValue, JsError> {
        match self.work {
            Work::Classify(job) => plain(&job.summary()),
            Work::Evaluate(job) => plain(&job.summary()),
            Work::Read(reading) => {
                #[derive(Serialize)]
                struct Read {
                    intake: crate::read::Intake,
                    notes: Vec<String>,
                }
                let notes = reading.intake.notes();
                plain(&Read {
                    intake: reading.intake,
                    notes,
                })
            }
            Work::Train(job) => {
                let (classifier, trained) = job
                    .finish(data)
                    .map_err(|err| JsError::new(&err.to_string()))?;
                let report = plain(&trained)?;
                let bytes = js_sys::Uint8Array::from(classifier.to_bytes().as_slice());
                let _ = js_sys::Reflect::set(&report, &"model".into(), &bytes);
                Ok(report)
            }
        }
    }
}

/// `value` as plain JavaScript objects (maps too, which flattened structs serialize as).
fn plain(value: &impl Serialize) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    Ok(value.serialize(&serializer)?)
}

/// Hands one row to the job; the first error training meets is kept in `failed`.
fn take(work: &mut Work, entry: crate::read::Entry, failed: &mut Option<JsError>) {
    match work {
        Work::Classify(job) => job.entry(entry),
        Work::Evaluate(job) => job.row(entry.row),
        Work::Read(reading) => {
            let Some(example) = reading.intake.take(entry.row) else {
                return;
            };
            if let Some(label) = example.label {
                reading.labels.push(label.digit());
            }
            reading.texts.push(example.text);
        }
        Work::Train(job) => {
            if failed.is_none() {
                if let Err(err) = job.row(entry.row) {
                    *failed = Some(JsError::new(&err.to_string()));
                }
            }
        }
    }
}
