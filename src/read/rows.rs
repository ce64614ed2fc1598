//! A file of any supported format as rows, each with the fields it came from.

use super::{
    acl_imdb_label, check_text, review, Columns, Delimited, Lines, Member, Place, ReadError,
    Record, Row, Split, Tar,
};

/// The bytes at the start of a text file looked at for NULs, which no text holds: a binary
/// file is refused within its first chunk.
const SNIFF_BYTES: usize = 4096;

/// The forms a file of reviews takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, with a header.
    Csv,
    /// Tab-separated, with a header.
    Tsv,
    /// One review a line, no header, no labels.
    Lines,
    /// An aclImdb archive: labels from the paths.
    Tar,
}

/// A file's format, and whether it is gzip'd, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileKind {
    pub format: Format,
    pub gzip: bool,
}

impl FileKind {
    /// The kind a file name says, if it is one this program reads.
    pub fn from_name(name: &str) -> Option<FileKind> {
        let name = name.to_ascii_lowercase();
        let (stem, gzip) = match name.strip_suffix(".gz") {
            Some(stem) => (stem.to_owned(), true),
            None => match name.strip_suffix(".tgz") {
                Some(stem) => (format!("{stem}.tar"), true),
                None => (name, false),
            },
        };
        let format = match stem.rsplit('.').next()? {
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "txt" => Format::Lines,
            "tar" => Format::Tar,
            _ => return None,
        };
        Some(FileKind { format, gzip })
    }
}

/// The columns a person chose, by name (delimited files only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnNames {
    pub text: String,
    pub label: Option<String>,
}

/// Which halves of an aclImdb archive to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Halves {
    pub train: bool,
    pub test: bool,
}

impl Halves {
    pub const BOTH: Halves = Halves {
        train: true,
        test: true,
    };

    pub fn has(self, split: Split) -> bool {
        match split {
            Split::Train => self.train,
            Split::Test => self.test,
        }
    }
}

/// One row and the fields of the file it came from.
#[derive(Debug)]
pub struct Entry<'a> {
    pub row: Row,
    source: Source<'a>,
}

#[derive(Debug)]
enum Source<'a> {
    Record {
        record: Record<'a>,
        header: &'a [String],
    },
    Line(&'a [u8]),
    Member(Member<'a>),
}

impl<'a> Entry<'a> {
    /// The names of the fields [`Entry::fields`] gives: a delimited file's own header;
    /// `review` for one review a line; `file`, `review` for an archive.
    pub fn header(&self) -> Vec<String> {
        match &self.source {
            Source::Record { header, .. } => header.to_vec(),
            Source::Line(_) => vec!["review".into()],
            Source::Member(_) => vec!["file".into(), "review".into()],
        }
    }

    /// The row's fields as the file has them, in the order of [`Rows::header`].
    pub fn fields(&self) -> Vec<&'a [u8]> {
        match &self.source {
            Source::Record { record, .. } => record.fields().collect(),
            Source::Line(line) => vec![line],
            Source::Member(member) => vec![member.path.as_bytes(), member.bytes],
        }
    }
}

/// A file being read row by row, whatever its format.
#[derive(Debug)]
pub struct Rows {
    parser: Parser,
    names: ColumnNames,
    columns: Option<Columns>,
    header: Option<Vec<String>>,
    halves: Halves,
    /// How many of the first bytes have been looked at for NULs.
    sniffed: usize,
}

#[derive(Debug)]
enum Parser {
    Delimited(Box<Delimited>),
    Lines(Lines),
    Tar(Tar),
}

impl Rows {
    /// Rows of a file of `format`: of a delimited one, from the columns `names` names; of an
    /// archive, the labelled reviews of `halves`.
    pub fn new(format: Format, names: ColumnNames, halves: Halves) -> Rows {
        let parser = match format {
            Format::Csv => Parser::Delimited(Box::new(Delimited::csv())),
            Format::Tsv => Parser::Delimited(Box::new(Delimited::tsv())),
            Format::Lines => Parser::Lines(Lines::default()),
            Format::Tar => Parser::Tar(Tar::new()),
        };
        Rows {
            parser,
            names,
            columns: None,
            header: None,
            halves,
            sniffed: 0,
        }
    }

    /// A delimited file's header, once read; nothing to read for other formats.
    pub fn header(&self) -> Option<&[String]> {
        match self.parser {
            Parser::Delimited(_) => self.header.as_deref(),
            Parser::Lines(_) | Parser::Tar(_) => Some(&[]),
        }
    }

    /// Reads `input`, calling `emit` with each row it completes.
    pub fn push(&mut self, input: &[u8], mut emit: impl FnMut(Entry)) -> Result<(), ReadError> {
        if self.sniffed < SNIFF_BYTES && !matches!(self.parser, Parser::Tar(_)) {
            let look = input.len().min(SNIFF_BYTES - self.sniffed);
            check_text(&input[..look])?;
            self.sniffed += look;
        }
        let (names, columns, header, halves) = (
            &self.names,
            &mut self.columns,
            &mut self.header,
            self.halves,
        );
        match &mut self.parser {
            Parser::Delimited(parser) => {
                let mut failed = None;
                parser.push(input, |record| {
                    delimited_row(record, names, columns, header, &mut failed, &mut emit)
                })?;
                failed.map_or(Ok(()), Err)
            }
            Parser::Lines(parser) => parser.push(input, |line, text| emit(line_row(line, text))),
            Parser::Tar(parser) => parser.push(
                input,
                |path| wanted(path, halves),
                |member| emit(member_row(member)),
            ),
        }
    }

    /// Ends the input.
    pub fn finish(&mut self, mut emit: impl FnMut(Entry)) -> Result<(), ReadError> {
        let (names, columns, header) = (&self.names, &mut self.columns, &mut self.header);
        match &mut self.parser {
            Parser::Delimited(parser) => {
                let mut failed = None;
                parser.finish(|record| {
                    delimited_row(record, names, columns, header, &mut failed, &mut emit)
                })?;
                failed.map_or(Ok(()), Err)?;
                if header.is_none() {
                    return Err(ReadError::Empty);
                }
                Ok(())
            }
            Parser::Lines(parser) => {
                parser.finish(|line, text| emit(line_row(line, text)));
                Ok(())
            }
            Parser::Tar(parser) => parser.finish(),
        }
    }
}

/// A delimited record: the header first, rows after it.
fn delimited_row(
    record: Record,
    names: &ColumnNames,
    columns: &mut Option<Columns>,
    header: &mut Option<Vec<String>>,
    failed: &mut Option<ReadError>,
    emit: &mut impl FnMut(Entry),
) {
    if failed.is_some() {
        return;
    }
    match columns {
        Some(columns) => emit(Entry {
            row: columns.example(&record),
            source: Source::Record {
                record,
                header: header.as_deref().unwrap_or_default(),
            },
        }),
        None => {
            let names_found: Vec<String> = record
                .fields()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            match Columns::named(&names_found, &names.text, names.label.as_deref()) {
                Ok(found) => *columns = Some(found),
                Err(missing) => {
                    *failed = Some(ReadError::NoColumn {
                        name: missing.to_owned(),
                        header: names_found.join(","),
                    })
                }
            }
            *header = Some(names_found);
        }
    }
}

fn line_row(line: u64, text: &[u8]) -> Entry<'_> {
    Entry {
        row: review(text, None, Place::Line(line)),
        source: Source::Line(text),
    }
}

fn wanted(path: &str, halves: Halves) -> bool {
    acl_imdb_label(path).is_some_and(|(split, _)| halves.has(split))
}

fn member_row(member: Member) -> Entry {
    let label = acl_imdb_label(member.path).map(|(_, label)| label);
    Entry {
        row: review(member.bytes, label, Place::File(member.path.to_owned())),
        source: Source::Member(member),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::Label;

    #[test]
    fn file_kinds_from_names() {
        let kind = |name: &str| FileKind::from_name(name).map(|k| (k.format, k.gzip));
        assert_eq!(kind("Reviews.CSV"), Some((Format::Csv, false)));
        assert_eq!(kind("a.csv.gz"), Some((Format::Csv, true)));
        assert_eq!(kind("a.tsv"), Some((Format::Tsv, false)));
        assert_eq!(kind("notes.txt"), Some((Format::Lines, false)));
        assert_eq!(kind("aclImdb_v1.tar.gz"), Some((Format::Tar, true)));
        assert_eq!(kind("x.tgz"), Some((Format::Tar, true)));
        assert_eq!(kind("photo.png"), None);
    }

    /// Each row, and the fields it came from.
    type Read = (Vec<Row>, Vec<Vec<Vec<u8>>>);

    fn read(format: Format, names: ColumnNames, input: &[u8]) -> Result<Read, ReadError> {
        let mut rows = Rows::new(format, names, Halves::BOTH);
        let (mut out, mut fields) = (Vec::new(), Vec::new());
        let mut keep = |entry: Entry| {
            fields.push(entry.fields().iter().map(|f| f.to_vec()).collect());
            out.push(entry.row);
        };
        for chunk in input.chunks(5) {
            rows.push(chunk, &mut keep)?;
        }
        rows.finish(&mut keep)?;
        Ok((out, fields))
    }

    #[test]
    fn delimited_rows_with_chosen_columns_and_their_fields() {
        let names = ColumnNames {
            text: "comment".into(),
            label: None,
        };
        let (rows, fields) =
            read(Format::Csv, names, b"id,comment\n1,\"Fine, really\"\n2,\n").expect("reads");
        assert_eq!(
            rows[0].as_ref().map(|e| (e.text.as_str(), e.label)),
            Ok(("Fine, really", None))
        );
        assert_eq!(
            rows[1].as_ref().expect_err("empty").reason,
            "the review text is empty"
        );
        assert_eq!(fields[0], [b"1".to_vec(), b"Fine, really".to_vec()]);

        let labelled = ColumnNames {
            text: "review".into(),
            label: Some("sentiment".into()),
        };
        let err =
            read(Format::Csv, labelled.clone(), b"text,label\nfine,1\n").expect_err("no column");
        assert_eq!(
            err.to_string(),
            "the file has no `review` column (its header reads `text,label`)"
        );
        assert_eq!(
            read(Format::Csv, labelled.clone(), b"").expect_err("empty"),
            ReadError::Empty
        );
        let (rows, _) =
            read(Format::Tsv, labelled, b"sentiment\treview\npos\tgreat\n").expect("reads");
        assert_eq!(rows[0].as_ref().map(|e| e.label), Ok(Some(Label::Positive)));
    }

    #[test]
    fn lines_are_reviews_without_labels() {
        let names = ColumnNames {
            text: String::new(),
            label: None,
        };
        let (rows, fields) =
            read(Format::Lines, names.clone(), b"a fine film\n\nso dull\n").expect("reads");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1].as_ref().map(|e| e.place.clone()),
            Ok(Place::Line(3))
        );
        assert_eq!(fields[1], [b"so dull".to_vec()]);
        let png =
            read(Format::Lines, names, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect_err("not text");
        assert_eq!(png, ReadError::NotText);
    }
}
