//! Any bytes as a CSV file go through the trainer's reader, as `trainer train --data` opens
//! it: each row comes out as a review, a bad row with its place, or an error that ends the
//! input; nothing panics or hangs.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use trainer::data::{open, Columns, Place, Reading, Splits};

/// One scratch file per fuzzing process, rewritten for every input.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("csv-reader-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir.join("input.csv")
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("scratch file");
    let reading = Reading {
        columns: Columns {
            text: "review".into(),
            label: "sentiment".into(),
        },
        splits: None,
        default_splits: Splits::Train,
        shuffle: None,
        seed: 1,
        mix: true,
    };
    let Ok(source) = open(path, &reading) else {
        return;
    };
    for item in source.rows.in_order() {
        match item {
            Ok(Ok(example)) => assert!(!example.text.trim().is_empty()),
            Ok(Err(bad)) => assert!(matches!(bad.place, Place::Line(line) if line > 0)),
            Err(_) => return,
        }
    }
});
