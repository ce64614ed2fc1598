//! What happened to a file's rows: read, skipped and why, repaired.

use serde::Serialize;

use super::{BadRow, Example, Row};

/// How many bad rows are named; the rest are only counted.
pub const BAD_ROWS_NAMED: usize = 5;

/// A tally of the rows of a file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Intake {
    pub rows_read: u64,
    pub skipped: u64,
    /// The first few rows skipped, with their place and reason.
    pub first_skipped: Vec<String>,
    /// Rows whose text had invalid UTF-8, decoded with U+FFFD in its place.
    pub repaired: u64,
}

impl Intake {
    /// Counts a row, handing over a usable one and tallying an unusable one.
    pub fn take(&mut self, row: Row) -> Option<Example> {
        self.rows_read += 1;
        match row {
            Ok(example) => {
                self.repaired += u64::from(example.repaired);
                Some(example)
            }
            Err(bad) => {
                self.skip(&bad);
                None
            }
        }
    }

    /// Tallies an unusable row.
    pub fn skip(&mut self, bad: &BadRow) {
        self.skipped += 1;
        if self.first_skipped.len() < BAD_ROWS_NAMED {
            self.first_skipped.push(bad.to_string());
        }
    }

    /// A line for a person, for each kind of trouble met.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.skipped > 0 {
            notes.push(format!(
                "skipped {} unusable rows; first: {}",
                self.skipped,
                self.first_skipped.join("; ")
            ));
        }
        if self.repaired > 0 {
            notes.push(format!(
                "{} rows had bytes that are not UTF-8; they were replaced by U+FFFD",
                self.repaired
            ));
        }
        notes
    }
}
