//! `trainer train`: a new model from a recipe, or an existing one taught further.

use anyhow::{Context, Result};
use movieclassifier::model::Provenance;
use movieclassifier::train::Training;

use crate::card;
use crate::cli::TrainArgs;
use crate::data::{self, Splits};
use crate::feed::{self, Plan};
use crate::files::{load_model, write_atomically};
use crate::report::{gzip_len, TrainReport};

pub fn run(args: &TrainArgs) -> Result<()> {
    let reading = args.input.reading(Splits::Train, true, args.shuffle_rows());
    let open = || data::open(&args.input.data, &reading);
    let plan = Plan {
        test_rows: args.test_rows,
        limit: args.limit,
        strict: args.input.strict,
        quiet: args.quiet || args.json,
    };
    let data_name = args.input.data.display().to_string();
    let (classifier, outcome, recipe_name, schedule, lossless) = match &args.start {
        Some(start) => {
            let mut classifier = load_model(start)?;
            let outcome = feed::teach(&mut classifier, open()?, &plan)?;
            let name = format!("taught onto {}", start.display());
            let schedule = "each row taught one at a time, in file order, as the page does";
            (classifier, outcome, name, schedule.to_owned(), true)
        }
        None => {
            let mut recipe = args.preset.recipe();
            args.overrides.apply(&mut recipe);
            let schedule = recipe.schedule();
            let mut training = Training::new(recipe)?;
            let outcome = feed::train(&mut training, open()?, open, &plan)?;
            let classifier = training.finish()?;
            let provenance = Provenance {
                data: data_name.clone(),
                rows: outcome.rows_trained,
                ..Provenance::default()
            };
            let name = args.preset.name().to_owned();
            (
                classifier.with_provenance(provenance),
                outcome,
                name,
                schedule,
                false,
            )
        }
    };
    let held_out = feed::score_rows(&classifier, &outcome.held_out_rows);
    let classifier = if lossless {
        classifier
    } else {
        let provenance = Provenance {
            held_out_accuracy: (held_out.rows > 0).then_some(held_out.accuracy),
            ..classifier.provenance().clone()
        };
        classifier.with_provenance(provenance)
    };
    let model = if lossless {
        classifier.to_lossless_model()
    } else {
        classifier.to_model()
    };
    let bytes = model.encode();
    // Compressed while the file is written and synced, which mostly waits on the disk.
    let model_bytes_gzip = std::thread::scope(|scope| {
        let compressing = scope.spawn(|| gzip_len(&bytes));
        write_atomically(&args.out, &bytes)?;
        compressing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;

    let report = TrainReport {
        data: data_name,
        recipe: recipe_name,
        model: args.out.display().to_string(),
        model_bytes: bytes.len(),
        model_bytes_gzip,
        nonzero_weights: model.weights.len(),
        intercept: model.intercept,
        held_out,
        outcome,
    };
    if let Some(path) = &args.card {
        let notes = match &args.card_notes {
            Some(notes) => std::fs::read_to_string(notes)
                .with_context(|| format!("cannot read {}", notes.display()))?,
            None => String::new(),
        };
        let text = card::model_card(&report, &model.config, &schedule, &notes);
        write_atomically(path, text.as_bytes())?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        report.print();
    }
    Ok(())
}
