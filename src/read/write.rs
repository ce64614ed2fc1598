//! CSV out: what the page downloads and `trainer classify` writes, byte for byte the same.

/// Appends one record to `out`: fields quoted when they hold a comma, a quote or a line
/// break (quotes doubled), or when a lone field is empty; `\n` after it.
pub fn write_record<'a>(fields: impl IntoIterator<Item = &'a [u8]>, out: &mut Vec<u8>) {
    let mut count = 0;
    let start = out.len();
    for field in fields {
        if count > 0 {
            out.push(b',');
        }
        count += 1;
        if field
            .iter()
            .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        {
            out.push(b'"');
            for &b in field {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(field);
        }
    }
    // A record of one empty field would read back as an empty line, which readers skip.
    if count == 1 && out.len() == start {
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Delimited;

    #[test]
    fn what_is_written_reads_back() {
        let records: [&[&[u8]]; 4] = [
            &[b"plain", b"with, comma", b"with \"quote\""],
            &[b"multi\nline", b"", b"crlf\r\n"],
            &[b""],
            &["unicode é 🎬".as_bytes()],
        ];
        let mut out = Vec::new();
        for record in records {
            write_record(record.iter().copied(), &mut out);
        }
        let mut back: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut reader = Delimited::csv();
        let mut keep = |r: crate::read::Record| back.push(r.fields().map(<[u8]>::to_vec).collect());
        reader.push(&out, &mut keep).expect("reads");
        reader.finish(&mut keep).expect("ends");
        let expected: Vec<Vec<Vec<u8>>> = records
            .iter()
            .map(|r| r.iter().map(|f| f.to_vec()).collect())
            .collect();
        assert_eq!(back, expected);
    }
}
