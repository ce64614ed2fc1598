//! `trainer predict`: one review's verdict.

use std::io::Read;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cli::PredictArgs;
use crate::files::load_model;

pub fn run(args: &PredictArgs) -> Result<()> {
    let classifier = load_model(&args.model)?;
    let text = match args.text.as_deref() {
        Some(text) if text != "-" => text.to_owned(),
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read the review from standard input")?;
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    let prediction = classifier.classify(&text);
    if args.json {
        #[derive(Serialize)]
        struct PredictReport {
            label: &'static str,
            probability: f64,
            face: &'static str,
        }
        let report = PredictReport {
            label: prediction.label.name(),
            probability: prediction.probability,
            face: prediction.face(),
        };
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "Prediction: {}\nProbability: {:.2}%\nResult: {}",
            prediction.label.name(),
            prediction.probability * 100.0,
            prediction.face()
        );
    }
    Ok(())
}
