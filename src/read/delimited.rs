//! CSV and TSV, pushed in chunks, handed out record by record.
//!
//! The parsing is `csv-core`'s (the engine of the `csv` crate): RFC 4180 quoting with doubled
//! quotes, `\n`, `\r\n` or `\r` line ends, a UTF-8 byte-order mark skipped, empty lines
//! ignored. This layer adds what a person needs to hear about a record: the line it starts
//! on (lines counted by `\n`), and a refusal, with that line, of a record too long to be a
//! review.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

use super::{ReadError, MAX_LINE_BYTES};

const BYTE_ORDER_MARK: &[u8] = b"\xef\xbb\xbf";

/// A delimited file being read.
#[derive(Debug)]
pub struct Delimited {
    reader: Reader,
    /// The fields of the record being read, end to end.
    fields: Vec<u8>,
    /// Where each field of the record being read ends in `fields`.
    ends: Vec<usize>,
    written: usize,
    ended: usize,
    /// The line the next byte is on.
    line: u64,
    /// The line the record being read starts on, once its first byte has arrived.
    record_line: Option<u64>,
    /// Bytes since the last line break.
    line_bytes: usize,
    done: bool,
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
            reader: ReaderBuilder::new().delimiter(delimiter).build(),
            fields: vec![0; 1 << 12],
            ends: vec![0; 16],
            written: 0,
            ended: 0,
            line: 1,
            record_line: None,
            line_bytes: 0,
            done: false,
            started: false,
            start: Vec::new(),
        }
    }

    /// Reads `input`, calling `emit` with each record it completes.
    pub fn push(&mut self, input: &[u8], emit: impl FnMut(Record)) -> Result<(), ReadError> {
        if self.started {
            return self.read(input, false, emit);
        }
        // `csv-core` skips a UTF-8 byte-order mark only if its first input holds all of it,
        // and takes a first input of nothing but the mark for the end of the file: bytes
        // that may begin one wait in `start` until something follows it.
        self.start.extend_from_slice(input);
        if self.start.len() <= BYTE_ORDER_MARK.len() && BYTE_ORDER_MARK.starts_with(&self.start) {
            return Ok(());
        }
        self.started = true;
        let start = std::mem::take(&mut self.start);
        self.read(&start, false, emit)
    }

    /// Ends the input: the last record, if it had no line break after it.
    pub fn finish(&mut self, mut emit: impl FnMut(Record)) -> Result<(), ReadError> {
        let start = std::mem::take(&mut self.start);
        if start != BYTE_ORDER_MARK {
            self.read(&start, false, &mut emit)?;
        }
        self.read(&[], true, emit)
    }

    fn read(
        &mut self,
        mut input: &[u8],
        at_end: bool,
        mut emit: impl FnMut(Record),
    ) -> Result<(), ReadError> {
        while !self.done && (at_end || !input.is_empty()) {
            let (result, read, written, ended) = self.reader.read_record(
                input,
                &mut self.fields[self.written..],
                &mut self.ends[self.ended..],
            );
            self.count_lines(&input[..read])?;
            input = &input[read..];
            self.written += written;
            self.ended += ended;
            match result {
                ReadRecordResult::InputEmpty => {
                    if at_end {
                        return Ok(());
                    }
                }
                ReadRecordResult::OutputFull => {
                    if self.fields.len() >= MAX_LINE_BYTES {
                        return Err(ReadError::LineTooLong {
                            line: self.record_line.unwrap_or(self.line),
                        });
                    }
                    self.fields.resize(self.fields.len() * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    emit(Record {
                        line: self.record_line.unwrap_or(self.line),
                        fields: &self.fields[..self.written],
                        ends: &self.ends[..self.ended],
                    });
                    self.written = 0;
                    self.ended = 0;
                    self.record_line = None;
                }
                ReadRecordResult::End => self.done = true,
            }
        }
        Ok(())
    }

    /// Follows lines through bytes the parser consumed: where the record being read starts,
    /// and how long the current line is.
    fn count_lines(&mut self, consumed: &[u8]) -> Result<(), ReadError> {
        let mut rest = consumed;
        if self.record_line.is_none() {
            let first = rest.iter().position(|&b| b != b'\n' && b != b'\r');
            let skipped = &rest[..first.unwrap_or(rest.len())];
            self.line += skipped.iter().filter(|&&b| b == b'\n').count() as u64;
            if first.is_some() {
                self.record_line = Some(self.line);
            }
            rest = &rest[skipped.len()..];
            if let Some(last) = skipped.iter().rposition(|&b| b == b'\n') {
                self.line_bytes = skipped.len() - last - 1;
            } else {
                self.line_bytes += skipped.len();
            }
        }
        // Counted a byte at a time, lines took a fifth of the trainer's reading thread.
        self.line += memchr::memchr_iter(b'\n', rest).count() as u64;
        match memchr::memrchr(b'\n', rest) {
            Some(last) => self.line_bytes = rest.len() - last - 1,
            None => self.line_bytes += rest.len(),
        }
        if self.line_bytes > MAX_LINE_BYTES {
            return Err(ReadError::LineTooLong { line: self.line });
        }
        Ok(())
    }
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
