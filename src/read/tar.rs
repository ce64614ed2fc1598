//! Tar archives (ustar, with GNU long names and pax paths), pushed in chunks, handed out
//! member by member.
//!
//! Only the members a caller wants are buffered, each at most [`MAX_LINE_BYTES`]; the rest
//! are counted past as they stream by. Every header's checksum is checked, so a file that is
//! not a tar archive is refused at its first block, and an archive that stops mid-member is
//! called truncated rather than read short.

use super::{ReadError, MAX_LINE_BYTES};

const BLOCK: usize = 512;

/// The longest GNU long name or pax header kept; real ones are a few hundred bytes.
const MAX_META_BYTES: u64 = 1 << 16;

/// One member of an archive, whole.
#[derive(Clone, Copy, Debug)]
pub struct Member<'a> {
    pub path: &'a str,
    pub bytes: &'a [u8],
}

/// An archive being read.
#[derive(Debug, Default)]
pub struct Tar {
    header: Vec<u8>,
    /// The member whose data is streaming by, if any.
    current: Option<Current>,
    /// Padding bytes still to pass after a member's data.
    padding: usize,
    /// A path given ahead by a GNU long-name or pax header, for the next member.
    next_path: Option<String>,
    zero_blocks: u8,
}

#[derive(Debug)]
struct Current {
    path: String,
    kind: Kind,
    remaining: u64,
    /// Padding after the data, to the next block.
    padding: usize,
    data: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// A file the caller wants.
    Wanted,
    /// Anything passed over unread.
    Skipped,
    /// The path of the next member (GNU `L`).
    LongName,
    /// Extended attributes of the next member (pax `x`).
    Pax,
}

impl Tar {
    pub fn new() -> Tar {
        Tar::default()
    }

    /// Whether the archive's end marker has been read.
    pub fn ended(&self) -> bool {
        self.zero_blocks >= 2
    }

    /// Reads `input`. `want` is asked about each file member's path; `emit` gets each wanted
    /// member once its data is complete.
    pub fn push(
        &mut self,
        mut input: &[u8],
        mut want: impl FnMut(&str) -> bool,
        mut emit: impl FnMut(Member),
    ) -> Result<(), ReadError> {
        while !input.is_empty() && !self.ended() {
            if self.padding > 0 {
                let skip = self.padding.min(input.len());
                self.padding -= skip;
                input = &input[skip..];
            } else if let Some(current) = &mut self.current {
                let take = (current.remaining as usize).min(input.len());
                if current.kind != Kind::Skipped {
                    current.data.extend_from_slice(&input[..take]);
                }
                current.remaining -= take as u64;
                input = &input[take..];
                if current.remaining == 0 {
                    self.end_member(&mut emit)?;
                }
            } else {
                let take = (BLOCK - self.header.len()).min(input.len());
                self.header.extend_from_slice(&input[..take]);
                input = &input[take..];
                if self.header.len() == BLOCK {
                    let header = std::mem::take(&mut self.header);
                    self.start_member(&header, &mut want, &mut emit)?;
                }
            }
        }
        Ok(())
    }

    /// Ends the input, refusing an archive that stops in the middle of a header or member.
    pub fn finish(&self) -> Result<(), ReadError> {
        if let Some(current) = &self.current {
            return Err(ReadError::TruncatedArchive(current.path.clone()));
        }
        if !self.header.is_empty() || self.padding > 0 {
            return Err(ReadError::TruncatedArchive("a member's header".into()));
        }
        Ok(())
    }

    fn start_member(
        &mut self,
        header: &[u8],
        want: &mut impl FnMut(&str) -> bool,
        emit: &mut impl FnMut(Member),
    ) -> Result<(), ReadError> {
        if header.iter().all(|&b| b == 0) {
            self.zero_blocks += 1;
            return Ok(());
        }
        self.zero_blocks = 0;
        check_sum(header)?;
        let size = number(&header[124..136])
            .ok_or_else(|| ReadError::Archive("a member's size is not a number".into()))?;
        let path = match self.next_path.take() {
            Some(path) => path,
            None => header_path(header),
        };
        let kind = match header[156] {
            b'0' | b'\0' | b'7' if want(&path) => Kind::Wanted,
            b'L' => Kind::LongName,
            b'x' => Kind::Pax,
            _ => Kind::Skipped,
        };
        let limit = match kind {
            Kind::Wanted => MAX_LINE_BYTES as u64,
            Kind::LongName | Kind::Pax => MAX_META_BYTES,
            Kind::Skipped => u64::MAX,
        };
        if size > limit {
            return Err(ReadError::Archive(format!(
                "{path} claims {size} bytes, more than any review"
            )));
        }
        self.current = Some(Current {
            path,
            kind,
            remaining: size,
            padding: ((BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64) as usize,
            data: Vec::new(),
        });
        if size == 0 {
            self.end_member(emit)?;
        }
        Ok(())
    }

    fn end_member(&mut self, emit: &mut impl FnMut(Member)) -> Result<(), ReadError> {
        let Some(current) = self.current.take() else {
            return Ok(());
        };
        self.padding = current.padding;
        match current.kind {
            Kind::Wanted => emit(Member {
                path: &current.path,
                bytes: &current.data,
            }),
            Kind::LongName => {
                let name = current.data.split(|&b| b == 0).next().unwrap_or_default();
                self.next_path = Some(String::from_utf8_lossy(name).into_owned());
            }
            Kind::Pax => self.next_path = pax_path(&current.data).or(self.next_path.take()),
            Kind::Skipped => {}
        }
        Ok(())
    }
}

/// A header's checksum: the sum of its bytes with the checksum field read as spaces.
fn check_sum(header: &[u8]) -> Result<(), ReadError> {
    let sum: u64 = header
        .iter()
        .enumerate()
        .map(|(at, &b)| {
            if (148..156).contains(&at) {
                u64::from(b' ')
            } else {
                u64::from(b)
            }
        })
        .sum();
    if number(&header[148..156]) == Some(sum) {
        Ok(())
    } else {
        Err(ReadError::Archive(
            "a header's checksum does not match; is this a tar archive?".into(),
        ))
    }
}

/// A numeric field: octal digits (spaces and NULs around them), or GNU's base-256.
fn number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        let mut value: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    let digits = field
        .iter()
        .skip_while(|&&b| b == b' ')
        .take_while(|&&b| (b'0'..=b'7').contains(&b));
    let mut value = 0u64;
    let mut any = false;
    for &b in digits {
        value = value.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
        any = true;
    }
    any.then_some(value)
}

/// The path a header names: ustar's prefix and name.
fn header_path(header: &[u8]) -> String {
    let text = |field: &[u8]| {
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        String::from_utf8_lossy(&field[..end]).into_owned()
    };
    let name = text(&header[0..100]);
    let prefix = if &header[257..262] == b"ustar" {
        text(&header[345..500])
    } else {
        String::new()
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

/// The `path` record of a pax extended header: records of `LENGTH key=value\n`.
fn pax_path(data: &[u8]) -> Option<String> {
    let mut rest = data;
    while !rest.is_empty() {
        let space = rest.iter().position(|&b| b == b' ')?;
        let length: usize = std::str::from_utf8(&rest[..space]).ok()?.parse().ok()?;
        let record = rest.get(space + 1..length)?;
        if let Some(value) = record.strip_prefix(b"path=") {
            let value = value.strip_suffix(b"\n").unwrap_or(value);
            return Some(String::from_utf8_lossy(value).into_owned());
        }
        rest = &rest[length..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ustar header for a file, its checksum filled in.
    fn header(path: &str, size: usize, kind: u8) -> Vec<u8> {
        let mut header = vec![0u8; BLOCK];
        header[..path.len()].copy_from_slice(path.as_bytes());
        header[100..107].copy_from_slice(b"0000644");
        header[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        header[156] = kind;
        header[257..263].copy_from_slice(b"ustar\0");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        header
    }

    fn member(path: &str, data: &[u8], kind: u8) -> Vec<u8> {
        let mut bytes = header(path, data.len(), kind);
        bytes.extend_from_slice(data);
        bytes.resize(bytes.len().div_ceil(BLOCK) * BLOCK, 0);
        bytes
    }

    fn archive() -> Vec<u8> {
        let long = format!("aclImdb/train/pos/{}_9.txt", "7".repeat(120));
        let mut pax = Vec::new();
        let record = "path=aclImdb/test/neg/3_1.txt\n";
        pax.extend_from_slice(format!("{} {record}", record.len() + 3).as_bytes());
        let mut bytes = member("aclImdb/train/pos/1_9.txt", b"A fine film.", b'0');
        bytes.extend(member("aclImdb/train/unsup/0_0.txt", &[b'x'; 700], b'0'));
        bytes.extend(member("././@LongLink", long.as_bytes(), b'L'));
        bytes.extend(member("ignored", b"Long named.", b'0'));
        bytes.extend(member("PaxHeaders/x", &pax, b'x'));
        bytes.extend(member("short", b"Dull.", b'0'));
        bytes.extend(vec![0; 2 * BLOCK]);
        bytes
    }

    fn read(bytes: &[u8], chunk: usize) -> Result<Vec<(String, String)>, ReadError> {
        let mut tar = Tar::new();
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk) {
            tar.push(
                piece,
                |path| !path.contains("unsup"),
                |m| {
                    out.push((
                        m.path.to_owned(),
                        String::from_utf8_lossy(m.bytes).into_owned(),
                    ))
                },
            )?;
        }
        tar.finish()?;
        Ok(out)
    }

    #[test]
    fn members_long_names_and_pax_paths_whatever_the_chunks() {
        let bytes = archive();
        let long = format!("aclImdb/train/pos/{}_9.txt", "7".repeat(120));
        for chunk in [1, 100, 512, 4096] {
            let members = read(&bytes, chunk).expect("reads");
            let paths: Vec<&str> = members.iter().map(|(p, _)| p.as_str()).collect();
            assert_eq!(
                paths,
                [
                    "aclImdb/train/pos/1_9.txt",
                    long.as_str(),
                    "aclImdb/test/neg/3_1.txt"
                ],
                "chunks of {chunk}"
            );
            assert_eq!(members[2].1, "Dull.");
        }
    }

    #[test]
    fn truncated_and_foreign_archives_are_named() {
        let bytes = archive();
        let cut = &bytes[..BLOCK + 5];
        assert_eq!(
            read(cut, 64),
            Err(ReadError::TruncatedArchive(
                "aclImdb/train/pos/1_9.txt".into()
            ))
        );
        let err =
            read(b"review,sentiment\nfine,1\n".repeat(40).as_slice(), 64).expect_err("refused");
        assert!(err.to_string().contains("is this a tar archive"), "{err}");
    }
}
