//! `trainer classify`: every row of a file, with its label and probability, as the page's
//! "Classify file" writes it (the same library code, the same bytes).

use std::io::Write;

use anyhow::{Context, Result};
use movieclassifier::batch::ClassifyFile;
use movieclassifier::read::{ColumnNames, FileKind, Format, Halves, Rows};

use crate::cli::ClassifyArgs;
use crate::data::{open_file, read_chunk, ByteCounter, READ_BYTES};
use crate::files::{load_model, write_atomically};

pub fn run(args: &ClassifyArgs) -> Result<()> {
    let classifier = load_model(&args.model)?;
    let display = args.data.display().to_string();
    let format = FileKind::from_name(&display).map_or(Format::Csv, |kind| kind.format);
    let names = ColumnNames {
        text: args.text_column.clone(),
        label: None,
    };
    let mut rows = Rows::new(format, names, Halves::BOTH);
    let mut job = ClassifyFile::new(classifier);
    let mut input = open_file(&args.data, &ByteCounter::default())?;
    let mut buffer = vec![0; READ_BYTES];
    let mut out = Vec::new();
    loop {
        let read = read_chunk(&mut input, &mut buffer).with_context(|| display.clone())?;
        if read == 0 {
            rows.finish(|entry| job.entry(entry))
                .with_context(|| display.clone())?;
            out.extend(job.take_output());
            break;
        }
        rows.push(&buffer[..read], |entry| job.entry(entry))
            .with_context(|| display.clone())?;
        out.extend(job.take_output());
    }
    if args.out.as_os_str() == "-" {
        std::io::stdout().write_all(&out)?;
    } else {
        write_atomically(&args.out, &out)?;
    }
    let summary = job.summary();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else if args.out.as_os_str() != "-" {
        for note in summary.intake.notes() {
            println!("{note}");
        }
        println!(
            "classified {} rows: {} positive, {} negative; wrote {}",
            summary.positive + summary.negative,
            summary.positive,
            summary.negative,
            args.out.display()
        );
    }
    Ok(())
}
