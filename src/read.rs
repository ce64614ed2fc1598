//! Reviews in the forms people keep them, read incrementally from bytes.
//!
//! Files can be larger than memory, and in the browser they arrive as a stream of chunks, so
//! every reader here is pushed bytes as they come and hands out whole rows; none does I/O.
//! The trainer and the page read through the same code, so a file means the same rows to
//! both: CSV and TSV ([`Delimited`]), one review a line ([`Lines`]), and the aclImdb layout
//! packed in a tar archive ([`Tar`], [`acl_imdb_label`]).
//!
//! A row that cannot be used is a [`BadRow`] with its place, never silently dropped, so the
//! caller decides between skipping it and stopping.

mod delimited;
mod intake;
mod lines;
mod mix;
mod order;
mod rows;
mod tar;
mod write;

use std::fmt;

use thiserror::Error;

use crate::label::Label;

pub use delimited::{Delimited, Record};
pub use intake::{Intake, BAD_ROWS_NAMED};
pub use lines::Lines;
pub use mix::{ArchiveCount, ArchiveMix, ARCHIVE_SHUFFLE_ROWS};
pub use order::{Draws, LabelRuns, Shuffler, DEFAULT_SHUFFLE_ROWS};
pub use rows::{ColumnNames, Entry, FileKind, Format, Halves, Rows};
pub use tar::{Member, Tar};
pub use write::write_record;

/// The longest line, or archive member, a reader takes: ten times the longest review worth
/// classifying (10 MB), so that a file with no line breaks (a binary, a 1 GB line) is refused
/// with its line number before it is buffered whole.
pub const MAX_LINE_BYTES: usize = 100 << 20;

/// Why a file cannot be read on.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum ReadError {
    #[error("line {line} is longer than {} MiB, which no review is; is this a text file?", MAX_LINE_BYTES >> 20)]
    LineTooLong { line: u64 },
    #[error("this is not a text file (it holds NUL bytes, which text never does)")]
    NotText,
    #[error("the file has no `{name}` column (its header reads `{header:.80}`)")]
    NoColumn { name: String, header: String },
    #[error("the file is empty: it has no header")]
    Empty,
    #[error("the archive is damaged: {0}")]
    Archive(String),
    #[error("the archive ends in the middle of {0}: the file is truncated")]
    TruncatedArchive(String),
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

/// One review, with its label if the source gives one.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    pub text: String,
    pub label: Option<Label>,
    /// Where it came from, for messages.
    pub place: Place,
    /// The text had bytes that are not UTF-8 and were replaced by U+FFFD.
    pub repaired: bool,
}

/// A row that cannot be used, and why.
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

pub type Row = Result<Example, BadRow>;

/// A review from its bytes: invalid UTF-8 is repaired (and said so), empty text is refused.
pub fn review(bytes: &[u8], label: Option<Label>, place: Place) -> Row {
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

/// Which fields of a delimited file hold the text and the label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    /// Fields in the header, which every row should have.
    pub width: usize,
    pub text: usize,
    pub label: Option<usize>,
}

impl Columns {
    /// The columns called `text` and `label` in `header`, or the name that is missing.
    pub fn named<'a>(
        header: &[String],
        text: &'a str,
        label: Option<&'a str>,
    ) -> Result<Columns, &'a str> {
        let find = |name: &'a str| header.iter().position(|h| h == name).ok_or(name);
        Ok(Columns {
            width: header.len(),
            text: find(text)?,
            label: label.map(find).transpose()?,
        })
    }

    /// The example a record holds.
    pub fn example(&self, record: &Record) -> Row {
        let place = Place::Line(record.line());
        if record.len() != self.width {
            return Err(BadRow {
                place,
                reason: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    self.width
                ),
            });
        }
        let label = match self.label {
            None => None,
            Some(at) => {
                let field = String::from_utf8_lossy(record.field(at));
                match Label::parse(&field) {
                    Some(label) => Some(label),
                    None => {
                        return Err(BadRow {
                            place,
                            reason: format!(
                                "label `{field:.40}` is not 0, 1, negative or positive"
                            ),
                        })
                    }
                }
            }
        };
        review(record.field(self.text), label, place)
    }
}

/// The label an aclImdb path encodes (`.../train/pos/123_9.txt`) and its split, if it is a
/// labelled review.
pub fn acl_imdb_label(path: &str) -> Option<(Split, Label)> {
    let mut parts = path.rsplit('/');
    let file = parts.next()?;
    let class = parts.next()?;
    let split = parts.next()?;
    if !file.ends_with(".txt") {
        return None;
    }
    let split = match split {
        "train" => Split::Train,
        "test" => Split::Test,
        _ => return None,
    };
    let label = match class {
        "pos" => Label::Positive,
        "neg" => Label::Negative,
        _ => return None,
    };
    Some((split, label))
}

/// The halves of the aclImdb dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Test,
}

/// Refuses bytes that cannot be text: the first chunk of a file decides.
pub fn check_text(first_chunk: &[u8]) -> Result<(), ReadError> {
    if first_chunk.contains(&0) {
        return Err(ReadError::NotText);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_imdb_paths() {
        assert_eq!(
            acl_imdb_label("aclImdb/train/pos/12_9.txt"),
            Some((Split::Train, Label::Positive))
        );
        assert_eq!(
            acl_imdb_label("test/neg/0_2.txt"),
            Some((Split::Test, Label::Negative))
        );
        for other in [
            "aclImdb/train/unsup/0_0.txt",
            "aclImdb/train/urls_pos.txt",
            "pos/1_1.txt",
        ] {
            assert_eq!(acl_imdb_label(other), None, "{other}");
        }
    }

    #[test]
    fn binary_files_are_refused() {
        assert_eq!(
            check_text(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Err(ReadError::NotText)
        );
        assert_eq!(check_text("review,sentiment\nfine,1\n".as_bytes()), Ok(()));
    }
}
