//! Labelled reviews from the forms people keep them in, one row at a time.
//!
//! Training is out of core, so every source is a stream: a CSV file (optionally gzip'd), an
//! `aclImdb` folder, or the `aclImdb_v1.tar.gz` archive read without unpacking. A row that
//! cannot be used is reported as a [`BadRow`] with its place, never silently dropped, so the
//! caller decides between skipping it and stopping.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread;

use anyhow::{anyhow, bail, Context, Result};
use flate2::read::MultiGzDecoder;
use movieclassifier::Label;

/// One labelled review.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    pub text: String,
    pub label: Label,
    /// Where it came from, for messages: a line number or a file name.
    pub place: Place,
    /// The text had bytes that are not UTF-8 and were replaced by U+FFFD.
    pub repaired: bool,
}

/// Where a row is in its source.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    Line(u64),
    File(String),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "line {line}"),
            Place::File(name) => f.write_str(name),
        }
    }
}

/// A row that cannot be learned from, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct BadRow {
    pub place: Place,
    pub reason: String,
}

impl fmt::Display for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.reason)
    }
}

pub type Row = std::result::Result<Example, BadRow>;

/// Which CSV columns hold the text and the label.
#[derive(Clone, Debug)]
pub struct Columns {
    pub text: String,
    pub label: String,
}

/// Reads labels written as `0`/`1` or `negative`/`positive` (any case).
pub fn parse_label(field: &str) -> Option<Label> {
    match field.trim().to_ascii_lowercase().as_str() {
        "0" | "negative" | "neg" => Some(Label::Negative),
        "1" | "positive" | "pos" => Some(Label::Positive),
        _ => None,
    }
}

/// A row as the reading thread hands it over. The outer `Result` is an error that ends the
/// input (a broken gzip stream, an unreadable archive); the inner one a single unusable row.
pub type Item = Result<Row>;

/// A stream of rows read on a thread of its own, so that decompression and parsing overlap
/// with learning. Rows travel in chunks, in input order (`chunks.iter().flatten()` reads them
/// one by one).
pub struct Source {
    pub chunks: Receiver<Vec<Item>>,
    pub bytes_read: ByteCounter,
    /// Size of the input on disk, when it is one file.
    pub total_bytes: Option<u64>,
}

/// Rows per chunk: one channel hand-over per row made the threads wake each other 50,000
/// times a run, which cost more than the parsing.
pub const CHUNK_ROWS: usize = 64;

/// Chunks in flight between the reading thread and the learner: enough to keep both busy,
/// few enough that memory stays one batch-sized.
pub const CHUNKS_IN_FLIGHT: usize = 8;

/// The sending end of a chunked stream: collects items and hands over full chunks, and the
/// last partial one when dropped.
pub struct ChunkSender<T> {
    sender: SyncSender<Vec<T>>,
    chunk: Vec<T>,
}

impl<T> ChunkSender<T> {
    pub fn new(sender: SyncSender<Vec<T>>) -> Self {
        ChunkSender {
            sender,
            chunk: Vec::with_capacity(CHUNK_ROWS),
        }
    }

    /// Queues one item; false once the receiver is gone, when reading should stop.
    pub fn send(&mut self, item: T) -> bool {
        self.chunk.push(item);
        self.chunk.len() < CHUNK_ROWS || self.flush()
    }

    fn flush(&mut self) -> bool {
        if self.chunk.is_empty() {
            return true;
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK_ROWS));
        self.sender.send(chunk).is_ok()
    }
}

impl<T> Drop for ChunkSender<T> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Opens `path`, choosing the reader from what the path is. Problems visible at the start
/// (no such file, no such column, not a dataset folder) are reported here.
pub fn open(path: &Path, columns: &Columns) -> Result<Source> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let counter = ByteCounter::default();
    let (sender, chunks) = sync_channel(CHUNKS_IN_FLIGHT);
    let mut sender = ChunkSender::new(sender);
    if metadata.is_dir() {
        let files = acl_imdb_files(path)?;
        let counted = counter.clone();
        thread::spawn(move || read_acl_imdb_files(files, &counted, &mut sender));
        return Ok(Source {
            chunks,
            bytes_read: counter,
            total_bytes: None,
        });
    }
    let name = path.to_string_lossy().to_ascii_lowercase();
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let counted = BufReader::with_capacity(
        1 << 16,
        CountingReader {
            inner: file,
            counter: counter.clone(),
        },
    );
    let display = path.display().to_string();
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        let archive = tar::Archive::new(MultiGzDecoder::new(counted));
        thread::spawn(move || read_acl_imdb_tar(archive, &display, &mut sender));
    } else if name.ends_with(".gz") {
        let csv = csv_reader(
            LineLimit::new(MultiGzDecoder::new(counted), MAX_LINE_BYTES),
            columns,
            &display,
        )?;
        thread::spawn(move || read_csv(csv, &display, &mut sender));
    } else {
        let csv = csv_reader(LineLimit::new(counted, MAX_LINE_BYTES), columns, &display)?;
        thread::spawn(move || read_csv(csv, &display, &mut sender));
    }
    Ok(Source {
        chunks,
        bytes_read: counter,
        total_bytes: Some(metadata.len()),
    })
}

/// The longest CSV line read: ten times the longest review worth classifying (10 MB), so
/// that a file with no line breaks (a binary, a 1 GB line) is refused with its line number
/// before the CSV parser buffers all of it.
const MAX_LINE_BYTES: u64 = 100 << 20;

/// Passes bytes through, failing once a line grows longer than its limit.
struct LineLimit<R> {
    inner: R,
    limit: u64,
    line: u64,
    line_bytes: u64,
}

impl<R> LineLimit<R> {
    fn new(inner: R, limit: u64) -> Self {
        LineLimit {
            inner,
            limit,
            line: 1,
            line_bytes: 0,
        }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = &buf[..n];
        match memchr::memrchr(b'\n', read) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', read).count() as u64;
                self.line_bytes = (n - last - 1) as u64;
            }
            None => self.line_bytes += n as u64,
        }
        if self.line_bytes > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "line {} is longer than {} MiB, which no review is; is this a CSV file?",
                    self.line,
                    self.limit >> 20
                ),
            ));
        }
        Ok(n)
    }
}

/// A CSV reader positioned after its header, with the columns it will read.
struct CsvInput<R> {
    csv: csv::Reader<R>,
    width: usize,
    text_at: usize,
    label_at: usize,
}

fn csv_reader<R: Read>(reader: R, columns: &Columns, display: &str) -> Result<CsvInput<R>> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    let headers = csv
        .byte_headers()
        .with_context(|| format!("{display} is not readable as CSV"))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name.as_bytes())
            .with_context(|| {
                format!(
                    "{display} has no `{name}` column (its header reads `{:.80}`); name the \
                     columns with --text-column and --label-column",
                    String::from_utf8_lossy(headers.as_slice())
                )
            })
    };
    Ok(CsvInput {
        text_at: find(&columns.text)?,
        label_at: find(&columns.label)?,
        width: headers.len(),
        csv,
    })
}

fn read_csv<R: Read>(mut input: CsvInput<R>, display: &str, sender: &mut ChunkSender<Item>) {
    let mut record = csv::ByteRecord::new();
    loop {
        let item = match input.csv.read_byte_record(&mut record) {
            Ok(false) => return,
            Ok(true) => {
                let place = Place::Line(record.position().map_or(0, |p| p.line()));
                Ok(example_from_record(&record, &input, place))
            }
            Err(err) => match err.kind() {
                csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. } => {
                    let line = err.position().map_or(0, |p| p.line());
                    Ok(Err(BadRow {
                        place: Place::Line(line),
                        reason: err.to_string(),
                    }))
                }
                _ => Err(anyhow!("{display}: {err}")),
            },
        };
        let fatal = item.is_err();
        if !sender.send(item) || fatal {
            return;
        }
    }
}

fn example_from_record<R>(record: &csv::ByteRecord, input: &CsvInput<R>, place: Place) -> Row {
    if record.len() != input.width {
        return Err(BadRow {
            place,
            reason: format!(
                "{} fields where the header has {}",
                record.len(),
                input.width
            ),
        });
    }
    let label_field = String::from_utf8_lossy(&record[input.label_at]);
    let Some(label) = parse_label(&label_field) else {
        return Err(BadRow {
            place,
            reason: format!("label `{label_field:.40}` is not 0, 1, negative or positive"),
        });
    };
    review(&record[input.text_at], label, place)
}

fn review(bytes: &[u8], label: Label, place: Place) -> Row {
    let (text, repaired) = match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    };
    if text.trim().is_empty() {
        return Err(BadRow {
            place,
            reason: "the review text is empty".into(),
        });
    }
    Ok(Example {
        text,
        label,
        place,
        repaired,
    })
}

/// The label an `aclImdb` path encodes (`.../train/pos/123_9.txt`), if it is a review.
fn acl_imdb_label(path: &Path) -> Option<Label> {
    if path.extension()? != "txt" {
        return None;
    }
    let class = path.parent()?;
    let split = class.parent()?.file_name()?;
    if split != "train" && split != "test" {
        return None;
    }
    match class.file_name()?.to_str()? {
        "pos" => Some(Label::Positive),
        "neg" => Some(Label::Negative),
        _ => None,
    }
}

fn read_acl_imdb_tar<R: Read>(
    mut archive: tar::Archive<R>,
    display: &str,
    sender: &mut ChunkSender<Item>,
) {
    let result = (|| -> Result<usize> {
        let mut reviews = 0;
        for entry in archive
            .entries()
            .with_context(|| format!("{display} is not a tar archive"))?
        {
            let mut entry = entry.with_context(|| format!("{display}: broken archive"))?;
            let path = entry.path()?.into_owned();
            let Some(label) = acl_imdb_label(&path) else {
                continue;
            };
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .with_context(|| format!("{display}: cannot read {}", path.display()))?;
            reviews += 1;
            let place = Place::File(path.display().to_string());
            if !sender.send(Ok(review(&bytes, label, place))) {
                break;
            }
        }
        Ok(reviews)
    })();
    let outcome = match result {
        Ok(0) => Err(anyhow!(
            "{display} holds no aclImdb reviews (train|test/pos|neg/*.txt)"
        )),
        Ok(_) => return,
        Err(err) => Err(err),
    };
    // The receiver may be gone already; then nobody needs the error.
    sender.send(outcome);
}

/// The review files of an `aclImdb` folder, in the order the dataset's CSV was built:
/// test before train, pos before neg, names sorted.
fn acl_imdb_files(root: &Path) -> Result<Vec<(PathBuf, Label)>> {
    let mut files = Vec::new();
    for split in ["test", "train"] {
        for (class, label) in [("pos", Label::Positive), ("neg", Label::Negative)] {
            let Ok(listing) = std::fs::read_dir(root.join(split).join(class)) else {
                continue;
            };
            let mut names: Vec<PathBuf> = listing
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "txt"))
                .collect();
            names.sort();
            files.extend(names.into_iter().map(|p| (p, label)));
        }
    }
    if files.is_empty() {
        bail!(
            "{} is a folder without the aclImdb layout (train|test/pos|neg/*.txt)",
            root.display()
        );
    }
    Ok(files)
}

fn read_acl_imdb_files(
    files: Vec<(PathBuf, Label)>,
    counter: &ByteCounter,
    sender: &mut ChunkSender<Item>,
) {
    for (path, label) in files {
        let place = Place::File(path.display().to_string());
        let row = match std::fs::read(&path) {
            Ok(bytes) => {
                counter.add(bytes.len() as u64);
                review(&bytes, label, place)
            }
            Err(err) => Err(BadRow {
                place,
                reason: format!("cannot read: {err}"),
            }),
        };
        if !sender.send(Ok(row)) {
            return;
        }
    }
}

/// A shared count of input bytes read, for progress reporting.
#[derive(Clone, Debug, Default)]
pub struct ByteCounter(Arc<AtomicU64>);

impl ByteCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

struct CountingReader<R> {
    inner: R,
    counter: ByteCounter,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.add(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(csv: &str) -> Vec<Row> {
        let dir = std::env::temp_dir().join(format!("trainer-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("{}.csv", csv.len()));
        std::fs::write(&path, csv).expect("write fixture");
        let columns = Columns {
            text: "review".into(),
            label: "sentiment".into(),
        };
        let source = open(&path, &columns).expect("opens");
        source
            .chunks
            .into_iter()
            .flatten()
            .map(|r| r.expect("not fatal"))
            .collect()
    }

    #[test]
    fn reads_good_rows_and_names_bad_ones() {
        let rows = rows_of(
            "review,sentiment\n\"Great, \"\"really\"\"\",1\nAwful,negative\nNo label\n,0\nMeh,maybe\n",
        );
        assert_eq!(rows.len(), 5);
        let good = rows[0].as_ref().expect("good row");
        assert_eq!(
            (good.text.as_str(), good.label),
            ("Great, \"really\"", Label::Positive)
        );
        assert_eq!(rows[1].as_ref().map(|e| e.label), Ok(Label::Negative));
        let bad: Vec<String> = rows[2..]
            .iter()
            .map(|r| r.as_ref().expect_err("bad row").to_string())
            .collect();
        assert_eq!(bad[0], "line 4: 1 fields where the header has 2");
        assert_eq!(bad[1], "line 5: the review text is empty");
        assert!(bad[2].starts_with("line 6: label `maybe`"));
    }

    #[test]
    fn invalid_utf8_is_repaired_not_dropped() {
        let dir = std::env::temp_dir().join(format!("trainer-utf8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("latin1.csv");
        std::fs::write(
            &path,
            b"review,sentiment
na\xefve but fun,1\n"
                .as_slice(),
        )
        .expect("write fixture");
        let columns = Columns {
            text: "review".into(),
            label: "sentiment".into(),
        };
        let rows: Vec<Row> = open(&path, &columns)
            .expect("opens")
            .chunks
            .into_iter()
            .flatten()
            .map(|r| r.expect("not fatal"))
            .collect();
        let example = rows[0].as_ref().expect("usable row");
        assert!(example.repaired);
        assert_eq!(example.text, "na\u{fffd}ve but fun");
    }

    #[test]
    fn unusable_inputs_are_named_in_one_line() {
        let columns = Columns {
            text: "review".into(),
            label: "sentiment".into(),
        };
        let message = |path: &Path| {
            let err = open(path, &columns).err().expect("refused");
            format!("{err:#}")
        };
        let missing = message(Path::new("/nonexistent/reviews.csv"));
        assert!(
            missing.starts_with("cannot read /nonexistent/reviews.csv"),
            "{missing}"
        );

        let dir = std::env::temp_dir().join(format!("trainer-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let folder = message(&dir);
        assert!(folder.contains("without the aclImdb layout"), "{folder}");

        let binary = dir.join("model.bin");
        std::fs::write(&binary, [0u8, 159, 146, 150, 0, 1]).expect("write fixture");
        let not_csv = message(&binary);
        assert!(not_csv.contains("no `review` column"), "{not_csv}");
        for text in [missing, folder, not_csv] {
            assert!(!text.contains('\n'), "{text}");
        }
    }

    #[test]
    fn an_endless_line_is_refused_with_its_number() {
        let text = format!("review,sentiment\nfine,1\n{},0\n", "x".repeat(5 << 20));
        let mut limited = LineLimit::new(text.as_bytes(), 4 << 20);
        let err = io::copy(&mut limited, &mut io::sink()).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "line 3 is longer than 4 MiB, which no review is; is this a CSV file?"
        );
        let mut unlimited = LineLimit::new(text.as_bytes(), 6 << 20);
        assert!(io::copy(&mut unlimited, &mut io::sink()).is_ok());
    }

    #[test]
    fn a_missing_column_is_named() {
        let dir = std::env::temp_dir();
        let path = dir.join(format!("trainer-cols-{}.csv", std::process::id()));
        std::fs::write(&path, "text,label\nfine,1\n").expect("write fixture");
        let columns = Columns {
            text: "review".into(),
            label: "sentiment".into(),
        };
        let err = open(&path, &columns).err().expect("refused").to_string();
        assert!(err.contains("no `review` column"), "{err}");
    }
}
