//! Labelled reviews from files, read as a stream on a thread of their own, in the order they
//! are to be learned.
//!
//! The parsing and the mixing are the library's ([`movieclassifier::read`]), so a file means
//! the same rows, in the same order, here as in the page; this module opens files,
//! decompresses them, and feeds the library's readers. A CSV or TSV is read in file order
//! (with `shuffle`, through a bounded shuffle buffer). An aclImdb dataset, which lies sorted
//! by class on disk, is mixed for training: a folder's file list is shuffled whole; an archive
//! goes through [`ArchiveMix`], one reader per class. Every order is seeded, so a run repeats
//! to the byte.

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
use movieclassifier::read::{
    self, ArchiveCount, ArchiveMix, ColumnNames, Draws, FileKind, Format, Halves, ReadError, Rows,
    Shuffler, Split, ARCHIVE_SHUFFLE_ROWS,
};
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
    fn halves(self) -> Halves {
        Halves {
            train: self != Splits::Test,
            test: self != Splits::Train,
        }
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
    /// Whether to mix aclImdb data, which lies sorted by class (for learning; scoring reads
    /// it in the order it lies).
    pub mix: bool,
}

/// A source of rows, read on a thread of its own once asked ([`RowStream`]), so that
/// decompression and parsing overlap with learning.
pub struct Source {
    pub rows: RowStream,
    pub bytes_read: ByteCounter,
    /// How many bytes reading will take, when known.
    pub total_bytes: Option<u64>,
    /// How the rows are ordered, for the report.
    pub order: String,
}

/// Rows per chunk: one channel hand-over per row made the threads wake each other 50,000
/// times a run, which cost more than the parsing.
pub const CHUNK_ROWS: usize = 64;

/// Chunks in flight on each channel between two threads (the reader and a featurizer, a
/// featurizer and the learner): enough to keep both busy, few enough that memory stays one
/// batch-sized.
pub const CHUNKS_IN_FLIGHT: usize = 8;

/// Bytes read from a file at a time.
pub const READ_BYTES: usize = 1 << 16;

/// The rows of a source, not read yet.
pub struct RowStream(Box<dyn Iterator<Item = Item> + Send>);

impl RowStream {
    /// Reads the rows on a thread of their own, in chunks of [`CHUNK_ROWS`], dealt to `lanes`
    /// receivers in turn: chunk `k` goes to lane `k mod lanes`. Reading stops once a
    /// receiver is dropped.
    ///
    /// The learner's featurizing threads each take a lane: a thread that passed the chunks
    /// on to them cost one more hand-over, and a wake-up, for every chunk.
    pub fn read(self, lanes: usize) -> Vec<Receiver<Vec<Item>>> {
        let (senders, receivers) = (0..lanes.max(1))
            .map(|_| sync_channel(CHUNKS_IN_FLIGHT))
            .unzip();
        let mut sender = ChunkSender::new(senders);
        let RowStream(rows) = self;
        thread::spawn(move || {
            for item in rows {
                let fatal = item.is_err();
                if !sender.send(item) || fatal {
                    return;
                }
            }
        });
        receivers
    }

    /// Reads the rows on a thread of their own, and yields them in order.
    pub fn in_order(self) -> impl Iterator<Item = Item> {
        self.read(1).into_iter().flatten().flatten()
    }
}

/// The sending end of a chunked stream: collects items and hands over full chunks to each
/// receiver in turn, and the last partial one when dropped.
struct ChunkSender<T> {
    senders: Vec<SyncSender<Vec<T>>>,
    next: usize,
    chunk: Vec<T>,
}

impl<T> ChunkSender<T> {
    fn new(senders: Vec<SyncSender<Vec<T>>>) -> Self {
        ChunkSender {
            senders,
            next: 0,
            chunk: Vec::with_capacity(CHUNK_ROWS),
        }
    }

    /// Queues one item; false once a receiver is gone, when reading should stop.
    fn send(&mut self, item: T) -> bool {
        self.chunk.push(item);
        self.chunk.len() < CHUNK_ROWS || self.flush()
    }

    fn flush(&mut self) -> bool {
        if self.chunk.is_empty() {
            return true;
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK_ROWS));
        let sent = self.senders[self.next].send(chunk).is_ok();
        self.next = (self.next + 1) % self.senders.len();
        sent
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
    let kind = FileKind::from_name(&display);
    let format = kind.map_or(Format::Csv, |kind| kind.format);
    let acl_imdb = metadata.is_dir() || format == Format::Tar;
    if reading.splits.is_some() && !acl_imdb {
        bail!(
            "--split picks halves of aclImdb data; {display} is not an aclImdb folder or archive"
        );
    }
    let splits = reading.splits.unwrap_or(reading.default_splits);
    let (rows, total_bytes, mut order): (Box<dyn Iterator<Item = Item> + Send>, _, _) = if metadata
        .is_dir()
    {
        let mut files = acl_imdb_files(path, splits)?;
        let order = if reading.mix {
            Draws::new(reading.seed).shuffle(&mut files);
            format!(
                "{} files in shuffled order (seed {})",
                files.len(),
                reading.seed
            )
        } else {
            format!("{} files in name order", files.len())
        };
        let rows = FolderRows {
            files: files.into_iter(),
            counter: counter.clone(),
        };
        (Box::new(rows), None, order)
    } else if format == Format::Tar && reading.mix {
        let (rows, order) = MixedArchive::open(path, splits, reading.seed, &counter)?;
        (Box::new(rows), Some(2 * metadata.len()), order)
    } else {
        if format == Format::Lines {
            bail!("{display} holds one review a line, without labels; learning and scoring need labelled data (CSV, TSV or aclImdb)");
        }
        let names = ColumnNames {
            text: reading.columns.text.clone(),
            label: Some(reading.columns.label.clone()),
        };
        let rows = Rows::new(format, names, splits.halves());
        let input = open_file(path, &counter)?;
        let rows = FileRows::open(input, rows, &display)?;
        let order = if format == Format::Tar {
            "archive order"
        } else {
            "file order"
        };
        (Box::new(rows), Some(metadata.len()), order.to_owned())
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
    Ok(Source {
        rows: RowStream(rows),
        bytes_read: counter,
        total_bytes,
        order,
    })
}

/// The file's bytes, decompressed if its name ends in `.gz` or `.tgz`, counted as read.
pub fn open_file(path: &Path, counter: &ByteCounter) -> Result<Box<dyn Read + Send>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let counted = BufReader::with_capacity(
        READ_BYTES,
        CountingReader {
            inner: file,
            counter: counter.clone(),
        },
    );
    let gzip = FileKind::from_name(&path.to_string_lossy()).is_some_and(|kind| kind.gzip);
    Ok(if gzip {
        Box::new(MultiGzDecoder::new(counted))
    } else {
        Box::new(counted)
    })
}

/// Reads up to a buffer's length; an empty chunk at the end.
pub fn read_chunk(input: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buffer) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The rows of one file read in order, whatever its format.
struct FileRows {
    input: Box<dyn Read + Send>,
    buffer: Vec<u8>,
    rows: Rows,
    queue: VecDeque<Item>,
    display: String,
    done: bool,
}

impl FileRows {
    /// Reads as far as a delimited file's header, to name a missing column before anything
    /// else happens.
    fn open(input: Box<dyn Read + Send>, rows: Rows, display: &str) -> Result<FileRows> {
        let mut file = FileRows {
            input,
            buffer: vec![0; READ_BYTES],
            rows,
            queue: VecDeque::new(),
            display: display.to_owned(),
            done: false,
        };
        while file.rows.header().is_none() && !file.done {
            file.read_more()
                .map_err(|err| match err.downcast_ref::<ReadError>() {
                    Some(ReadError::NoColumn { .. }) => anyhow!(
                        "{display}: {err}; name the columns with --text-column and --label-column"
                    ),
                    _ => err.context(display.to_owned()),
                })?;
        }
        Ok(file)
    }

    /// Reads one chunk, queueing the rows it completes.
    fn read_more(&mut self) -> Result<()> {
        let queue = &mut self.queue;
        let mut keep = |entry: read::Entry| queue.push_back(Ok(labelled(entry.row)));
        let read = read_chunk(&mut self.input, &mut self.buffer)
            .map_err(|err| anyhow!("cannot read on ({err}): the file is truncated or damaged"))?;
        match read {
            0 => {
                self.done = true;
                self.rows.finish(&mut keep)?;
            }
            read => self.rows.push(&self.buffer[..read], &mut keep)?,
        }
        Ok(())
    }
}

impl Iterator for FileRows {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        while self.queue.is_empty() && !self.done {
            if let Err(err) = self.read_more() {
                self.queue.push_back(Err(err.context(self.display.clone())));
                self.done = true;
            }
        }
        self.queue.pop_front()
    }
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
        if !splits.halves().has(split) {
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

/// An aclImdb archive's reviews through the library's [`ArchiveMix`]: read once to count,
/// then through one reader per class.
struct MixedArchive {
    mix: ArchiveMix,
    inputs: [Box<dyn Read + Send>; 2],
    buffer: Vec<u8>,
    display: String,
    failed: bool,
}

impl MixedArchive {
    fn open(
        path: &Path,
        splits: Splits,
        seed: u32,
        counter: &ByteCounter,
    ) -> Result<(MixedArchive, String)> {
        let display = path.display().to_string();
        let mut count = ArchiveCount::new(splits.halves());
        let mut input = open_file(path, &ByteCounter::default())?;
        let mut buffer = vec![0; READ_BYTES];
        loop {
            let read = read_chunk(&mut input, &mut buffer).with_context(|| display.clone())?;
            if read == 0 {
                break;
            }
            count
                .push(&buffer[..read])
                .with_context(|| display.clone())?;
        }
        let counts = count.finish().with_context(|| display.clone())?;
        let order = format!(
            "{} negative and {} positive reviews, the classes mixed at random in proportion, \
             then a shuffle buffer of {ARCHIVE_SHUFFLE_ROWS} rows (seed {seed})",
            counts[0], counts[1]
        );
        let archive = MixedArchive {
            mix: ArchiveMix::new(counts, splits.halves(), seed),
            inputs: [open_file(path, counter)?, open_file(path, counter)?],
            buffer,
            display,
            failed: false,
        };
        Ok((archive, order))
    }
}

impl Iterator for MixedArchive {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if self.failed {
            return None;
        }
        while let Some(class) = self.mix.wants() {
            let pushed = read_chunk(&mut self.inputs[class], &mut self.buffer)
                .map_err(anyhow::Error::from)
                .and_then(|read| Ok(self.mix.push(class, &self.buffer[..read])?));
            if let Err(err) = pushed {
                self.failed = true;
                return Some(Err(err.context(self.display.clone())));
            }
        }
        self.mix.next_row().map(|row| Ok(labelled(row)))
    }
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
            mix: true,
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
            .rows
            .in_order()
            .map(|r| r.expect("not fatal"))
            .collect()
    }

    #[test]
    fn chunks_are_dealt_to_the_lanes_in_turn() {
        let mut csv = String::from("review,sentiment\n");
        for n in 0..(3 * CHUNK_ROWS + 5) {
            csv.push_str(&format!("review {n},{}\n", n % 2));
        }
        let path = fixture("lanes.csv", csv.as_bytes());
        let lanes = open(&path, &reading()).expect("opens").rows.read(2);
        let mut dealt = Vec::new();
        for turn in 0.. {
            match lanes[turn % lanes.len()].recv() {
                Ok(chunk) => dealt.push(chunk.len()),
                Err(_) => break,
            }
        }
        assert_eq!(dealt, [CHUNK_ROWS, CHUNK_ROWS, CHUNK_ROWS, 5]);
        let texts: Vec<String> = open(&path, &reading())
            .expect("opens")
            .rows
            .in_order()
            .map(|r| r.expect("not fatal").expect("usable").text)
            .collect();
        assert_eq!(texts.len(), 3 * CHUNK_ROWS + 5);
        assert!(texts
            .iter()
            .enumerate()
            .all(|(n, text)| *text == format!("review {n}")));
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
                .rows
                .in_order()
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
