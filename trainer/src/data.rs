//! Labelled reviews from files, read as a stream on a thread of their own, in the order they
//! are to be learned.
//!
//! The parsing is the library's ([`movieclassifier::read`]), so a file means the same rows
//! here as in the page; this module opens files, decompresses them, and decides the order.
//! A CSV or TSV is read in file order (with `shuffle`, through a bounded shuffle buffer). An
//! aclImdb dataset, which lies sorted by class on disk, is always mixed: a folder's file list
//! is shuffled whole; an archive, which cannot be read out of order, is read once to count
//! each class, then through one reader per class, taking the next review from a class with
//! probability in proportion to what that class has left, and through a shuffle buffer of
//! [`ARCHIVE_SHUFFLE_ROWS`]. Every order is seeded, so a run repeats to the byte.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread;

use anyhow::{anyhow, bail, Context, Result};
use flate2::read::MultiGzDecoder;
use movieclassifier::read::{self, acl_imdb_label, Delimited, Split, Tar};
use movieclassifier::train::{Draws, Shuffler};
use movieclassifier::Label;

pub use movieclassifier::read::{BadRow, Place};

/// One labelled review.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    pub text: String,
    pub label: Label,
    pub place: Place,
    /// The text had bytes that are not UTF-8 and were replaced by U+FFFD.
    pub repaired: bool,
}

pub type Row = std::result::Result<Example, BadRow>;

/// A row as the reading thread hands it over. The outer `Result` is an error that ends the
/// input (a broken gzip stream, a truncated archive); the inner one a single unusable row.
pub type Item = Result<Row>;

/// Which CSV columns hold the text and the label.
#[derive(Clone, Debug)]
pub struct Columns {
    pub text: String,
    pub label: String,
}

/// Which halves of an aclImdb dataset to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Splits {
    Train,
    Test,
    Both,
}

impl Splits {
    fn has(self, split: Split) -> bool {
        matches!(
            (self, split),
            (Splits::Both, _) | (Splits::Train, Split::Train) | (Splits::Test, Split::Test)
        )
    }
}

/// How to read a file, and in what order.
#[derive(Clone, Debug)]
pub struct Reading {
    pub columns: Columns,
    /// The halves of an aclImdb dataset a person asked for (an error for a CSV).
    pub splits: Option<Splits>,
    /// The halves read when nobody asked.
    pub default_splits: Splits,
    /// Mix the rows through a shuffle buffer of this many.
    pub shuffle: Option<usize>,
    /// The seed of every order drawn.
    pub seed: u32,
}

/// A stream of rows read on a thread of its own, so that decompression and parsing overlap
/// with learning. Rows travel in chunks, in input order (`chunks.iter().flatten()` reads them
/// one by one).
pub struct Source {
    pub chunks: Receiver<Vec<Item>>,
    pub bytes_read: ByteCounter,
    /// How many bytes reading will take, when known.
    pub total_bytes: Option<u64>,
    /// How the rows are ordered, for the report.
    pub order: String,
}

/// Rows per chunk: one channel hand-over per row made the threads wake each other 50,000
/// times a run, which cost more than the parsing.
pub const CHUNK_ROWS: usize = 64;

/// Chunks in flight between the reading thread and the learner: enough to keep both busy,
/// few enough that memory stays one batch-sized.
pub const CHUNKS_IN_FLIGHT: usize = 8;

/// The shuffle buffer an archive's rows go through after its classes are interleaved: within
/// a class the files lie in order of their ids, which group reviews of one film together.
pub const ARCHIVE_SHUFFLE_ROWS: usize = 1000;

/// Bytes read from a file at a time.
const READ_BYTES: usize = 1 << 16;

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
/// (no such file, no such column, not a dataset, a damaged archive) are reported here.
pub fn open(path: &Path, reading: &Reading) -> Result<Source> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let counter = ByteCounter::default();
    let display = path.display().to_string();
    let name = path.to_string_lossy().to_ascii_lowercase();
    let is_archive = name.ends_with(".tar.gz") || name.ends_with(".tgz") || name.ends_with(".tar");
    let splits = if metadata.is_dir() || is_archive {
        Some(reading.splits.unwrap_or(reading.default_splits))
    } else if reading.splits.is_some() {
        bail!(
            "--split picks halves of aclImdb data; {display} is not an aclImdb folder or archive"
        );
    } else {
        None
    };
    let (rows, total_bytes, mut order): (Box<dyn Iterator<Item = Item> + Send>, _, _) = match splits
    {
        Some(splits) if metadata.is_dir() => {
            let mut files = acl_imdb_files(path, splits)?;
            Draws::new(reading.seed).shuffle(&mut files);
            let order = format!(
                "{} files in shuffled order (seed {})",
                files.len(),
                reading.seed
            );
            let rows = FolderRows {
                files: files.into_iter(),
                counter: counter.clone(),
            };
            (Box::new(rows), None, order)
        }
        Some(splits) => {
            let (rows, order) = interleaved_archive(path, splits, reading.seed, &counter)?;
            (Box::new(rows), Some(2 * metadata.len()), order)
        }
        None => {
            let delimited = if name.ends_with(".tsv") || name.ends_with(".tsv.gz") {
                Delimited::tsv()
            } else {
                Delimited::csv()
            };
            let input = open_file(path, &counter)?;
            let rows = DelimitedRows::open(input, delimited, &reading.columns, &display)?;
            (
                Box::new(rows),
                Some(metadata.len()),
                "file order".to_owned(),
            )
        }
    };
    let rows: Box<dyn Iterator<Item = Item> + Send> = match reading.shuffle {
        Some(capacity) => {
            order.push_str(&format!(
                ", then a shuffle buffer of {capacity} rows (seed {})",
                reading.seed
            ));
            Box::new(Shuffled::new(rows, capacity, reading.seed))
        }
        None => rows,
    };
    let (sender, chunks) = sync_channel(CHUNKS_IN_FLIGHT);
    let mut sender = ChunkSender::new(sender);
    thread::spawn(move || {
        for item in rows {
            let fatal = item.is_err();
            if !sender.send(item) || fatal {
                return;
            }
        }
    });
    Ok(Source {
        chunks,
        bytes_read: counter,
        total_bytes,
        order,
    })
}

/// The file's bytes, decompressed if its name ends in `.gz` or `.tgz`.
fn open_file(path: &Path, counter: &ByteCounter) -> Result<Box<dyn Read + Send>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let counted = BufReader::with_capacity(
        READ_BYTES,
        CountingReader {
            inner: file,
            counter: counter.clone(),
        },
    );
    let name = path.to_string_lossy().to_ascii_lowercase();
    Ok(if name.ends_with(".gz") || name.ends_with(".tgz") {
        Box::new(MultiGzDecoder::new(counted))
    } else {
        Box::new(counted)
    })
}

/// Reads up to [`READ_BYTES`]; an empty chunk at the end.
fn read_chunk(input: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buffer) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The rows of a CSV or TSV file.
struct DelimitedRows {
    input: Box<dyn Read + Send>,
    buffer: Vec<u8>,
    parser: Delimited,
    columns: read::Columns,
    queue: VecDeque<Item>,
    display: String,
    done: bool,
}

impl DelimitedRows {
    /// Reads as far as the header, to name a missing column before anything else happens.
    fn open(
        mut input: Box<dyn Read + Send>,
        mut parser: Delimited,
        names: &Columns,
        display: &str,
    ) -> Result<DelimitedRows> {
        let mut buffer = vec![0; READ_BYTES];
        let mut columns: Option<std::result::Result<read::Columns, String>> = None;
        let mut queue = VecDeque::new();
        let mut at_end = false;
        while columns.is_none() && !at_end {
            let read = read_chunk(&mut input, &mut buffer)
                .with_context(|| format!("{display} is not readable"))?;
            let mut keep = |record: read::Record| match &columns {
                None => columns = Some(header_columns(&record, names, display)),
                Some(Ok(columns)) => queue.push_back(Ok(labelled(columns.example(&record)))),
                Some(Err(_)) => {}
            };
            if read == 0 {
                at_end = true;
                parser
                    .finish(&mut keep)
                    .with_context(|| display.to_owned())?;
            } else {
                read::check_text(&buffer[..read]).with_context(|| display.to_owned())?;
                parser
                    .push(&buffer[..read], &mut keep)
                    .with_context(|| display.to_owned())?;
            }
        }
        let columns = columns
            .unwrap_or_else(|| Err(format!("{display} is empty: it has no header")))
            .map_err(|message| anyhow!(message))?;
        Ok(DelimitedRows {
            input,
            buffer,
            parser,
            columns,
            queue,
            display: display.to_owned(),
            done: at_end,
        })
    }

    fn fill(&mut self) {
        while self.queue.is_empty() && !self.done {
            let (columns, queue) = (&self.columns, &mut self.queue);
            let mut keep =
                |record: read::Record| queue.push_back(Ok(labelled(columns.example(&record))));
            let result = match read_chunk(&mut self.input, &mut self.buffer) {
                Ok(0) => {
                    self.done = true;
                    self.parser.finish(&mut keep).map_err(anyhow::Error::from)
                }
                Ok(read) => self
                    .parser
                    .push(&self.buffer[..read], &mut keep)
                    .map_err(anyhow::Error::from),
                Err(err) => Err(err.into()),
            };
            if let Err(err) = result {
                self.queue.push_back(Err(err.context(self.display.clone())));
                self.done = true;
            }
        }
    }
}

impl Iterator for DelimitedRows {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        self.fill();
        self.queue.pop_front()
    }
}

/// The text and label columns a header names, or the message for a missing one.
fn header_columns(
    header: &read::Record,
    names: &Columns,
    display: &str,
) -> std::result::Result<read::Columns, String> {
    let header: Vec<String> = header
        .fields()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    read::Columns::named(&header, &names.text, Some(&names.label)).map_err(|missing| {
        format!(
            "{display} has no `{missing}` column (its header reads `{:.80}`); name the \
             columns with --text-column and --label-column",
            header.join(",")
        )
    })
}

/// A labelled row from the library's row, whose label the trainer always asks for.
fn labelled(row: read::Row) -> Row {
    let example = row?;
    let Some(label) = example.label else {
        return Err(BadRow {
            place: example.place,
            reason: "it has no label".into(),
        });
    };
    Ok(Example {
        text: example.text,
        label,
        place: example.place,
        repaired: example.repaired,
    })
}

/// The review files of an aclImdb folder's `splits`, listed in name order.
fn acl_imdb_files(root: &Path, splits: Splits) -> Result<Vec<(PathBuf, Label)>> {
    let mut files = Vec::new();
    for (split, split_name) in [(Split::Test, "test"), (Split::Train, "train")] {
        if !splits.has(split) {
            continue;
        }
        for (class, label) in [("pos", Label::Positive), ("neg", Label::Negative)] {
            let Ok(listing) = std::fs::read_dir(root.join(split_name).join(class)) else {
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

/// The reviews of an aclImdb folder, file by file.
struct FolderRows {
    files: std::vec::IntoIter<(PathBuf, Label)>,
    counter: ByteCounter,
}

impl Iterator for FolderRows {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        let (path, label) = self.files.next()?;
        let place = Place::File(path.display().to_string());
        let row = match std::fs::read(&path) {
            Ok(bytes) => {
                self.counter.add(bytes.len() as u64);
                labelled(read::review(&bytes, Some(label), place))
            }
            Err(err) => Err(BadRow {
                place,
                reason: format!("cannot read: {err}"),
            }),
        };
        Some(Ok(row))
    }
}

/// The reviews of one class of an archive, in archive order.
struct ArchiveClass {
    input: Box<dyn Read + Send>,
    buffer: Vec<u8>,
    parser: Tar,
    splits: Splits,
    label: Label,
    queue: VecDeque<Item>,
    display: String,
    done: bool,
}

impl ArchiveClass {
    fn fill(&mut self) {
        while self.queue.is_empty() && !self.done {
            let (splits, label, queue) = (self.splits, self.label, &mut self.queue);
            let wanted = |path: &str| {
                acl_imdb_label(path)
                    .is_some_and(|(split, class)| splits.has(split) && class == label)
            };
            let keep = |member: read::Member| {
                let place = Place::File(member.path.to_owned());
                queue.push_back(Ok(labelled(read::review(member.bytes, Some(label), place))));
            };
            let result = match read_chunk(&mut self.input, &mut self.buffer) {
                Ok(0) => {
                    self.done = true;
                    self.parser.finish().map_err(anyhow::Error::from)
                }
                Ok(read) => self
                    .parser
                    .push(&self.buffer[..read], wanted, keep)
                    .map_err(anyhow::Error::from),
                Err(err) => Err(err.into()),
            };
            if let Err(err) = result {
                self.queue.push_back(Err(err.context(self.display.clone())));
                self.done = true;
            }
            self.done |= self.parser.ended();
        }
    }
}

impl Iterator for ArchiveClass {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        self.fill();
        self.queue.pop_front()
    }
}

/// Counts the reviews of each class in an archive's `splits`, reading it once.
fn count_archive(path: &Path, splits: Splits, display: &str) -> Result<[u64; 2]> {
    let mut input = open_file(path, &ByteCounter::default())?;
    let mut parser = Tar::new();
    let mut counts = [0u64; 2];
    let mut buffer = vec![0; READ_BYTES];
    loop {
        let read = read_chunk(&mut input, &mut buffer).with_context(|| display.to_owned())?;
        if read == 0 || parser.ended() {
            parser.finish().with_context(|| display.to_owned())?;
            return Ok(counts);
        }
        let count = |path: &str| {
            if let Some((split, label)) = acl_imdb_label(path) {
                if splits.has(split) {
                    counts[usize::from(label.digit())] += 1;
                }
            }
            false
        };
        parser
            .push(&buffer[..read], count, |_| {})
            .with_context(|| display.to_owned())?;
    }
}

/// An archive's reviews, its classes mixed in proportion and shuffled in a bounded buffer.
fn interleaved_archive(
    path: &Path,
    splits: Splits,
    seed: u32,
    counter: &ByteCounter,
) -> Result<(Shuffled, String)> {
    let display = path.display().to_string();
    let counts = count_archive(path, splits, &display)?;
    if counts == [0, 0] {
        bail!("{display} holds no aclImdb reviews in the chosen half (train|test/pos|neg/*.txt)");
    }
    let mut classes = Vec::new();
    for label in [Label::Negative, Label::Positive] {
        classes.push(ArchiveClass {
            input: open_file(path, counter)?,
            buffer: vec![0; READ_BYTES],
            parser: Tar::new(),
            splits,
            label,
            queue: VecDeque::new(),
            display: display.clone(),
            done: false,
        });
    }
    let mut draws = Draws::new(seed);
    let mut remaining = counts;
    let mixed = std::iter::from_fn(move || {
        let class = draws.pick(&remaining)?;
        remaining[class] -= 1;
        let item = classes[class].next();
        if item.is_none() {
            remaining[class] = 0;
        }
        item
    });
    let order = format!(
        "{} negative and {} positive reviews, the classes mixed at random in proportion, then \
         a shuffle buffer of {ARCHIVE_SHUFFLE_ROWS} rows (seed {seed})",
        counts[0], counts[1]
    );
    Ok((
        Shuffled::new(Box::new(mixed), ARCHIVE_SHUFFLE_ROWS, seed),
        order,
    ))
}

/// Rows through a shuffle buffer; an error that ends the input ends it at once.
struct Shuffled {
    rows: Box<dyn Iterator<Item = Item> + Send>,
    shuffler: Option<Shuffler<Item>>,
    rest: std::vec::IntoIter<Item>,
}

impl Shuffled {
    fn new(rows: Box<dyn Iterator<Item = Item> + Send>, capacity: usize, seed: u32) -> Shuffled {
        Shuffled {
            rows,
            shuffler: Some(Shuffler::new(capacity, seed)),
            rest: Vec::new().into_iter(),
        }
    }
}

impl Iterator for Shuffled {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        while let Some(shuffler) = &mut self.shuffler {
            match self.rows.next() {
                Some(Err(fatal)) => {
                    self.shuffler = None;
                    return Some(Err(fatal));
                }
                Some(row) => {
                    if let Some(out) = shuffler.push(row) {
                        return Some(out);
                    }
                }
                None => {
                    if let Some(shuffler) = self.shuffler.take() {
                        self.rest = shuffler.drain().into_iter();
                    }
                }
            }
        }
        self.rest.next()
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
        }
    }

    fn fixture(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("trainer-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write fixture");
        path
    }

    fn rows_of(path: &Path) -> Vec<Row> {
        open(path, &reading())
            .expect("opens")
            .chunks
            .into_iter()
            .flatten()
            .map(|r| r.expect("not fatal"))
            .collect()
    }

    #[test]
    fn reads_good_rows_and_names_bad_ones() {
        let path = fixture(
            "mixed.csv",
            b"review,sentiment\n\"Great, \"\"really\"\"\",1\nAwful,negative\nNo label\n,0\nMeh,maybe\n",
        );
        let rows = rows_of(&path);
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
    fn invalid_utf8_is_repaired_not_dropped_and_tsv_is_read() {
        let rows = rows_of(&fixture(
            "latin1.csv",
            b"review,sentiment\nna\xefve but fun,1\n",
        ));
        let example = rows[0].as_ref().expect("usable row");
        assert!(example.repaired);
        assert_eq!(example.text, "na\u{fffd}ve but fun");
        let rows = rows_of(&fixture("tabs.tsv", b"sentiment\treview\n0\tdull, slow\n"));
        assert_eq!(rows[0].as_ref().map(|e| e.text.as_str()), Ok("dull, slow"));
    }

    #[test]
    fn unusable_inputs_are_named_in_one_line() {
        let message = |path: &Path, reading: &Reading| {
            let err = open(path, reading).err().expect("refused");
            format!("{err:#}")
        };
        let missing = message(Path::new("/nonexistent/reviews.csv"), &reading());
        assert!(
            missing.starts_with("cannot read /nonexistent/reviews.csv"),
            "{missing}"
        );

        let dir = std::env::temp_dir().join(format!("trainer-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let folder = message(&dir, &reading());
        assert!(folder.contains("without the aclImdb layout"), "{folder}");

        let binary = fixture("model.bin", &[0u8, 159, 146, 150, 0, 1]);
        let not_text = message(&binary, &reading());
        assert!(not_text.contains("not a text file"), "{not_text}");

        let columns = fixture("columns.csv", b"text,label\nfine,1\n");
        let no_column = message(&columns, &reading());
        assert!(no_column.contains("no `review` column"), "{no_column}");

        let csv = fixture("split.csv", b"review,sentiment\nfine,1\n");
        let split = message(
            &csv,
            &Reading {
                splits: Some(Splits::Test),
                ..reading()
            },
        );
        assert!(
            split.contains("--split picks halves of aclImdb data"),
            "{split}"
        );
        for text in [missing, folder, not_text, no_column, split] {
            assert!(!text.contains('\n'), "{text}");
        }
    }

    #[test]
    fn a_shuffle_buffer_mixes_and_repeats() {
        let mut csv = String::from("review,sentiment\n");
        for n in 0..200 {
            csv.push_str(&format!("review {n},{}\n", u8::from(n >= 100)));
        }
        let path = fixture("sorted.csv", csv.as_bytes());
        let texts = |seed: u32| -> Vec<String> {
            let reading = Reading {
                shuffle: Some(50),
                seed,
                ..reading()
            };
            open(&path, &reading)
                .expect("opens")
                .chunks
                .into_iter()
                .flatten()
                .map(|r| r.expect("not fatal").expect("usable").text)
                .collect()
        };
        let first = texts(1);
        assert_eq!(first.len(), 200);
        assert_eq!(first, texts(1));
        assert_ne!(first, texts(2));
        assert_ne!(
            first[..100].to_vec(),
            (0..100).map(|n| format!("review {n}")).collect::<Vec<_>>()
        );
    }
}
