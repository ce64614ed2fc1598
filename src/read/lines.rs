//! Plain text, one review a line, pushed in chunks.

use super::{ReadError, MAX_LINE_BYTES};

/// A text file being read line by line; blank lines are passed over.
#[derive(Debug, Default)]
pub struct Lines {
    pending: Vec<u8>,
    /// The line `pending` starts on, less one.
    line: u64,
}

impl Lines {
    /// Reads `input`, calling `emit` with each non-blank line it completes and its number.
    pub fn push(
        &mut self,
        input: &[u8],
        mut emit: impl FnMut(u64, &[u8]),
    ) -> Result<(), ReadError> {
        let mut rest = input;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&rest[..end]);
            self.emit_pending(&mut emit);
            rest = &rest[end + 1..];
        }
        self.pending.extend_from_slice(rest);
        if self.pending.len() > MAX_LINE_BYTES {
            return Err(ReadError::LineTooLong {
                line: self.line + 1,
            });
        }
        Ok(())
    }

    /// Ends the input: the last line, if it had no line break after it.
    pub fn finish(&mut self, mut emit: impl FnMut(u64, &[u8])) {
        if !self.pending.is_empty() {
            self.emit_pending(&mut emit);
        }
    }

    fn emit_pending(&mut self, emit: &mut impl FnMut(u64, &[u8])) {
        self.line += 1;
        let line = self.pending.strip_suffix(b"\r").unwrap_or(&self.pending);
        if line.iter().any(|b| !b.is_ascii_whitespace()) {
            emit(self.line, line);
        }
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_their_numbers() {
        let mut lines = Lines::default();
        let mut out = Vec::new();
        for piece in b"a fine film\r\n\n  \ndull".chunks(3) {
            lines
                .push(piece, |n, l| out.push((n, l.to_vec())))
                .expect("reads");
        }
        lines.finish(|n, l| out.push((n, l.to_vec())));
        assert_eq!(out, [(1, b"a fine film".to_vec()), (4, b"dull".to_vec())]);
    }
}
