//! `trainer tokenize`: each row's tokens, to compare with other tokenizers.

use std::io::{BufWriter, Write};

use anyhow::Result;
use movieclassifier::Classifier;

use crate::cli::TokenizeArgs;
use crate::data::{self, Splits};
use crate::files::load_model;

pub fn run(args: &TokenizeArgs) -> Result<()> {
    let classifier = match &args.model {
        Some(path) => load_model(path)?,
        None => Classifier::new(args.preset.recipe().config)?,
    };
    let reading = args.input.reading(Splits::Train, false, None);
    let source = data::open(&args.input.data, &reading)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for item in source.rows.in_order() {
        match item? {
            Ok(example) => {
                let tokens = classifier.tokenize(&example.text);
                let mut first = true;
                for token in tokens.iter() {
                    if !first {
                        out.write_all(b" ")?;
                    }
                    out.write_all(token.as_bytes())?;
                    first = false;
                }
                out.write_all(b"\n")?;
            }
            Err(bad) if args.input.strict => anyhow::bail!("{bad}"),
            Err(bad) => {
                eprintln!("trainer: skipped {bad}");
            }
        }
    }
    out.flush()?;
    Ok(())
}
