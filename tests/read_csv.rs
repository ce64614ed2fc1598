//! The library's CSV and TSV reader against the csv crate, which the trainer used to read
//! with: the same records, however the bytes arrive. (Line numbers are tested apart, in the
//! reader's own tests: the csv crate puts a record that follows `\r\n` on the line before.)
#![cfg(not(target_arch = "wasm32"))]

use movieclassifier::read::{Delimited, Record};
use proptest::prelude::*;

type Records = Vec<Vec<Vec<u8>>>;

fn by_csv_crate(input: &[u8], delimiter: u8) -> Records {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut out = Vec::new();
    while reader.read_byte_record(&mut record).expect("reads") {
        out.push(record.iter().map(<[u8]>::to_vec).collect());
    }
    out
}

fn by_library(mut reader: Delimited, input: &[u8], chunks: &[usize]) -> Records {
    let mut out = Vec::new();
    let mut keep = |record: Record| {
        out.push(record.fields().map(<[u8]>::to_vec).collect());
    };
    let mut rest = input;
    for &size in chunks.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, after) = rest.split_at(size.min(rest.len()));
        reader.push(piece, &mut keep).expect("reads");
        rest = after;
    }
    reader.finish(&mut keep).expect("ends");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn records_match_the_csv_crate_with_commas_or_tabs(
        pieces in prop::collection::vec(
            prop_oneof![Just("a"), Just("bc"), Just(","), Just("\t"), Just("\""), Just("\n"), Just("\r"), Just("\r\n"), Just(" "), Just("é"), Just("\u{feff}")],
            0..80,
        ),
        tabs in any::<bool>(),
        chunks in prop::collection::vec(1usize..9, 1..5),
    ) {
        let input = pieces.concat();
        let (reader, delimiter) = if tabs {
            (Delimited::tsv(), b'\t')
        } else {
            (Delimited::csv(), b',')
        };
        prop_assert_eq!(
            by_library(reader, input.as_bytes(), &chunks),
            by_csv_crate(input.as_bytes(), delimiter)
        );
    }
}
