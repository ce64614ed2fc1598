//! CSV and TSV, pushed in chunks, handed out record by record.
//!
//! The rules are `csv-core`'s (the engine of the `csv` crate), which the trainer read with
//! before: RFC 4180 quoting with doubled quotes, a quote that is not first in a field taken
//! as it is, text after a closing quote kept, `\n`, `\r\n` or `\r` line ends, a UTF-8
//! byte-order mark skipped, empty lines ignored. A differential test holds the records to the
//! `csv` crate's. The parsing is this module's own: `csv-core` steps a state machine once a
//! byte, which was a tenth of training's CPU time, where a review's run of plain bytes is
//! found here with one `memchr` and copied whole. This layer also says what a person needs
//! to hear about a record: the line it starts on (lines counted by `\n`), and a refusal,
//! with that line, of a record too long to be a review.

use super::{ReadError, MAX_LINE_BYTES};

const BYTE_ORDER_MARK: &[u8] = b"\xef\xbb\xbf";
const QUOTE: u8 = b'"';

/// Where the parser is between two bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before a record: line ends are skipped.
    StartRecord,
    /// At the start of a field, which may open a quote.
    StartField,
    /// In a field's text outside quotes.
    InField,
    /// Inside quotes.
    InQuotes,
    /// Just after a quote inside quotes: a second one is a quote in the text, anything else
    /// closes them.
    AfterQuote,
}

/// A delimited file being read.
#[derive(Debug)]
pub struct Delimited {
    delimiter: u8,
    state: State,
    /// The fields of the record being read, end to end.
    fields: Vec<u8>,
    /// Where each field of the record being read ends in `fields`.
    ends: Vec<usize>,
    /// The line the next byte not yet counted is on.
    line: u64,
    /// The line the record being read starts on, once its first byte has arrived.
    record_line: Option<u64>,
    /// Bytes since the last line break.
    line_bytes: usize,
    /// Whether the first bytes have been looked at for a byte-order mark, and those that
    /// wait until they can be.
    started: bool,
    start: Vec<u8>,
}

/// One record: its fields and the line it starts on.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    line: u64,
    fields: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Record<'a> {
    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `at`'s bytes; empty beyond the last field.
    pub fn field(&self, at: usize) -> &'a [u8] {
        let Some(&end) = self.ends.get(at) else {
            return &[];
        };
        let start = if at == 0 { 0 } else { self.ends[at - 1] };
        &self.fields[start..end]
    }

    pub fn fields(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|at| self.field(at))
    }
}

impl Delimited {
    /// Comma-separated values.
    pub fn csv() -> Delimited {
        Delimited::with_delimiter(b',')
    }

    /// Tab-separated values.
    pub fn tsv() -> Delimited {
        Delimited::with_delimiter(b'\t')
    }

    fn with_delimiter(delimiter: u8) -> Delimited {
        Delimited {
            delimiter,
            state: State::StartRecord,
            fields: Vec::new(),
            ends: Vec::new(),
            line: 1,
            record_line: None,
            line_bytes: 0,
            started: false,
            start: Vec::new(),
        }
    }

    /// Reads `input`, calling `emit` with each record it completes.
    pub fn push(&mut self, input: &[u8], emit: impl FnMut(Record)) -> Result<(), ReadError> {
        if self.started {
            return self.read(input, emit);
        }
        // A byte-order mark is skipped only at the start of the file, so bytes that may begin
        // one wait in `start` until something follows it.
        self.start.extend_from_slice(input);
        if self.start.len() <= BYTE_ORDER_MARK.len() && BYTE_ORDER_MARK.starts_with(&self.start) {
            return Ok(());
        }
        self.started = true;
        let start = std::mem::take(&mut self.start);
        let text = start.strip_prefix(BYTE_ORDER_MARK).unwrap_or(&start);
        self.read(text, emit)
    }

    /// Ends the input: the last record, if it had no line break after it.
    pub fn finish(&mut self, mut emit: impl FnMut(Record)) -> Result<(), ReadError> {
        let start = std::mem::take(&mut self.start);
        if start != BYTE_ORDER_MARK {
            self.read(&start, &mut emit)?;
        }
        if self.state != State::StartRecord {
            self.end_record(&mut emit);
        }
        Ok(())
    }

    fn read(&mut self, input: &[u8], mut emit: impl FnMut(Record)) -> Result<(), ReadError> {
        let mut at = 0;
        // Lines are counted up to `counted` when a record starts, and to the end at the end.
        let mut counted = 0;
        while at < input.len() {
            let byte = input[at];
            match self.state {
                State::StartRecord => {
                    if is_line_end(byte) {
                        at += 1;
                        continue;
                    }
                    self.line += memchr::memchr_iter(b'\n', &input[counted..at]).count() as u64;
                    counted = at;
                    self.record_line = Some(self.line);
                    self.state = State::StartField;
                }
                State::StartField | State::AfterQuote if byte == QUOTE => {
                    if self.state == State::AfterQuote {
                        self.fields.push(QUOTE);
                    }
                    self.state = State::InQuotes;
                    at += 1;
                }
                State::StartField | State::AfterQuote | State::InField
                    if byte == self.delimiter =>
                {
                    self.ends.push(self.fields.len());
                    self.state = State::StartField;
                    at += 1;
                }
                State::StartField | State::AfterQuote | State::InField if is_line_end(byte) => {
                    // A `\n` after a `\r` is skipped as an empty line.
                    self.end_record(&mut emit);
                    at += 1;
                }
                State::StartField | State::AfterQuote | State::InField => {
                    let rest = &input[at..];
                    let len =
                        memchr::memchr3(self.delimiter, b'\n', b'\r', rest).unwrap_or(rest.len());
                    self.take(&rest[..len])?;
                    self.state = State::InField;
                    at += len;
                }
                State::InQuotes => {
                    let rest = &input[at..];
                    match memchr::memchr(QUOTE, rest) {
                        Some(len) => {
                            self.take(&rest[..len])?;
                            self.state = State::AfterQuote;
                            at += len + 1;
                        }
                        None => {
                            self.take(rest)?;
                            at = input.len();
                        }
                    }
                }
            }
        }
        let rest = &input[counted..];
        // Counted a byte at a time, lines took a fifth of the trainer's reading thread.
        self.line += memchr::memchr_iter(b'\n', rest).count() as u64;
        match memchr::memrchr(b'\n', input) {
            Some(last) => self.line_bytes = input.len() - last - 1,
            None => self.line_bytes += input.len(),
        }
        if self.line_bytes > MAX_LINE_BYTES {
            return Err(ReadError::LineTooLong { line: self.line });
        }
        Ok(())
    }

    /// Appends bytes of a field's text.
    fn take(&mut self, bytes: &[u8]) -> Result<(), ReadError> {
        if self.fields.len() + bytes.len() > MAX_LINE_BYTES {
            return Err(ReadError::LineTooLong {
                line: self.record_line.unwrap_or(self.line),
            });
        }
        self.fields.extend_from_slice(bytes);
        Ok(())
    }

    fn end_record(&mut self, emit: &mut impl FnMut(Record)) {
        self.ends.push(self.fields.len());
        emit(Record {
            line: self.record_line.unwrap_or(self.line),
            fields: &self.fields,
            ends: &self.ends,
        });
        self.fields.clear();
        self.ends.clear();
        self.record_line = None;
        self.state = State::StartRecord;
    }
}

/// `csv-core`'s line ends: either byte, alone or as `\r\n`.
fn is_line_end(byte: u8) -> bool {
    byte == b'\n' || byte == b'\r'
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each record as (line, fields), the input pushed `chunk` bytes at a time.
    fn records(input: &[u8], chunk: usize) -> Vec<(u64, Vec<String>)> {
        let mut reader = Delimited::csv();
        let mut out = Vec::new();
        let mut keep = |record: Record| {
            let fields = record
                .fields()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            out.push((record.line(), fields));
        };
        for piece in input.chunks(chunk) {
            reader.push(piece, &mut keep).expect("reads");
        }
        reader.finish(&mut keep).expect("ends");
        out
    }

    #[test]
    fn records_and_their_lines_whatever_the_chunks() {
        let input = b"\xef\xbb\xbfreview,sentiment\r\n\"Great, \"\"really\"\"\",1\n\nmulti\r\n\"line\nreview\",0\rlast,1";
        let expected: Vec<(u64, Vec<String>)> = vec![
            (1, vec!["review".into(), "sentiment".into()]),
            (2, vec!["Great, \"really\"".into(), "1".into()]),
            (4, vec!["multi".into()]),
            (5, vec!["line\nreview".into(), "0".into()]),
            // Lines are counted by their `\n`: a lone `\r` ends a record, not a line.
            (6, vec!["last".into(), "1".into()]),
        ];
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(records(input, chunk), expected, "chunks of {chunk}");
        }
    }

    #[test]
    fn quotes_follow_csv_cores_rules() {
        // A quote inside a field is text; text after a closing quote joins the field; a
        // quoted field left open at the end of the file ends there.
        let input = b"a\"b,\"c\"d,\"e\"\"f\"\n\"open, still\n";
        let expected: Vec<(u64, Vec<String>)> = vec![
            (1, vec!["a\"b".into(), "cd".into(), "e\"f".into()]),
            (2, vec!["open, still\n".into()]),
        ];
        for chunk in [1, 2, 5, 1000] {
            assert_eq!(records(input, chunk), expected, "chunks of {chunk}");
        }
    }

    #[test]
    fn an_endless_line_is_refused_with_its_number() {
        let mut reader = Delimited::csv();
        reader
            .push(b"review,sentiment\nfine,1\n", |_| {})
            .expect("reads");
        let block = vec![b'x'; 1 << 20];
        let mut result = Ok(());
        for _ in 0..(MAX_LINE_BYTES >> 20) + 1 {
            result = reader.push(&block, |_| {});
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(ReadError::LineTooLong { line: 3 }));
    }
}
