//! `trainer eval`: a model's figures on labelled data.

use anyhow::Result;
use movieclassifier::train::Summary;
use serde::Serialize;

use crate::cli::EvalArgs;
use crate::data::{self, Splits};
use crate::feed::{self, Intake, Plan};
use crate::files::load_model;

pub fn run(args: &EvalArgs) -> Result<()> {
    let classifier = load_model(&args.model)?;
    let reading = args.input.reading(Splits::Test, false, None);
    let source = data::open(&args.input.data, &reading)?;
    let plan = Plan {
        test_rows: 0,
        limit: args.limit,
        strict: args.input.strict,
        quiet: args.quiet || args.json,
    };
    let (summary, intake) = feed::evaluate(&classifier, source, args.skip, &plan)?;
    if args.json {
        #[derive(Serialize)]
        struct EvalReport<'a> {
            model: String,
            data: String,
            #[serde(flatten)]
            summary: &'a Summary,
            intake: &'a Intake,
        }
        let report = EvalReport {
            model: args.model.display().to_string(),
            data: args.input.data.display().to_string(),
            summary: &summary,
            intake: &intake,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    for note in intake.notes() {
        println!("{note}");
    }
    println!("{}", summary.lines());
    Ok(())
}
