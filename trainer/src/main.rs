//! `trainer`: trains movieclassifier models out of core, and evaluates, applies and inspects
//! them from the command line.

mod card;
use trainer::data;
mod metrics;
mod progress;
mod train;

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use movieclassifier::{Classifier, Config, StepSize, StopWords, WeightPrecision};
use serde::Serialize;

use crate::data::Columns;
use crate::train::Plan;

#[derive(Parser)]
#[command(
    version,
    about = "Train, evaluate and apply movieclassifier sentiment models.",
    long_about = "Train, evaluate and apply movieclassifier sentiment models.\n\n\
        Data is read as a stream, so it may be larger than memory: a CSV file with a header \
        (columns `review` and `sentiment` unless told otherwise; labels 0/1 or \
        negative/positive), the same compressed as .csv.gz, an aclImdb folder, or the \
        aclImdb_v1.tar.gz archive as downloaded.",
    after_help = "Example, the project's held-out protocol:\n  \
        trainer train --data ../shared/data/movie_data.csv.gz --test-rows 4992 --out model/seed.postcard --preset seed"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model in mini-batches and report on the held-out last rows.
    Train(TrainArgs),
    /// Score a model on labelled data.
    Eval(EvalArgs),
    /// Classify one review: label, probability and the notebook's face.
    Predict(PredictArgs),
    /// Print each row's tokens, one line a row, joined by single spaces.
    Tokenize(TokenizeArgs),
}

#[derive(Args)]
struct Input {
    /// The data: .csv, .csv.gz, an aclImdb folder or aclImdb_v1.tar.gz.
    #[arg(long, value_name = "PATH")]
    data: PathBuf,
    /// CSV column holding the review text.
    #[arg(long, default_value = "review", value_name = "NAME")]
    text_column: String,
    /// CSV column holding the label (0/1 or negative/positive).
    #[arg(long, default_value = "sentiment", value_name = "NAME")]
    label_column: String,
    /// Stop at the first unusable row instead of skipping and counting it.
    #[arg(long)]
    strict: bool,
}

impl Input {
    fn open(&self) -> Result<data::Source> {
        data::open(
            &self.data,
            &Columns {
                text: self.text_column.clone(),
                label: self.label_column.clone(),
            },
        )
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Preset {
    /// The reference notebook exactly: its tokenizer, 2^21 features, SGDClassifier(loss='log_loss', random_state=1), batches of 1,000.
    Seed,
    /// The model the site ships: every word kept, word bigrams, AdaGrad steps, one pass, the 150,000 largest weights kept at 16 bits.
    Default,
}

/// Everything a preset decides: the pipeline and how to train it.
struct Recipe {
    config: Config,
    batch_size: usize,
    passes: u32,
    /// Average the weights over the batches of the last N passes (0: no averaging).
    average_last: u32,
    keep_weights: Option<usize>,
}

impl Preset {
    fn recipe(self) -> Recipe {
        match self {
            Preset::Seed => Recipe {
                config: Config::notebook(),
                batch_size: 1000,
                passes: 1,
                average_last: 0,
                keep_weights: None,
            },
            Preset::Default => {
                let mut config = Config::notebook();
                config.tokenizer.stop_words = StopWords::None;
                config.tokenizer.ngram_range = (1, 2);
                config.learner.alpha = 1e-6;
                config.learner.step = StepSize::AdaGrad {
                    eta0: 0.6,
                    resume_sum: 1.0,
                };
                config.precision = WeightPrecision::Scaled16;
                Recipe {
                    config,
                    batch_size: 1000,
                    passes: 1,
                    average_last: 0,
                    keep_weights: Some(150_000),
                }
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Preset::Seed => "seed",
            Preset::Default => "default",
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum StopWordsArg {
    None,
    Nltk,
    NltkKeepingNegations,
}

#[derive(Clone, Copy, ValueEnum)]
enum PrecisionArg {
    F64,
    Scaled16,
}

/// Changes to a preset, for trying variants.
#[derive(Args)]
struct Overrides {
    /// Longest word n-gram [default: the preset's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=8))]
    ngram_max: Option<u8>,
    /// Which words to drop [default: the preset's].
    #[arg(long, value_enum)]
    stop_words: Option<StopWordsArg>,
    /// Learn with AdaGrad steps of this eta0 [default: the preset's].
    #[arg(long, value_name = "X")]
    adagrad: Option<f64>,
    /// L2 penalty [default: the preset's].
    #[arg(long, value_name = "X")]
    alpha: Option<f64>,
    /// Learn with scikit-learn's `optimal` step sizes.
    #[arg(long, conflicts_with = "adagrad")]
    optimal_steps: bool,
    /// Feature space of 2^N columns [default: the preset's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=24))]
    features_log2: Option<u8>,
    /// Passes over the training rows [default: the preset's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    passes: Option<u32>,
    /// Average the weights over the batches of the last N passes [default: the preset's].
    #[arg(long, value_name = "N")]
    average_last: Option<u32>,
    /// Keep only the N largest weights [default: the preset's].
    #[arg(long, value_name = "N", conflicts_with = "keep_all_weights")]
    keep_weights: Option<usize>,
    /// Keep every non-zero weight.
    #[arg(long)]
    keep_all_weights: bool,
    /// How the model file stores weights [default: the preset's].
    #[arg(long, value_enum)]
    precision: Option<PrecisionArg>,
}

impl Overrides {
    fn apply(&self, recipe: &mut Recipe) {
        let config = &mut recipe.config;
        if let Some(n) = self.ngram_max {
            config.tokenizer.ngram_range.1 = n;
        }
        if let Some(words) = self.stop_words {
            config.tokenizer.stop_words = match words {
                StopWordsArg::None => StopWords::None,
                StopWordsArg::Nltk => StopWords::Nltk,
                StopWordsArg::NltkKeepingNegations => StopWords::NltkKeepingNegations,
            };
        }
        if let Some(alpha) = self.alpha {
            config.learner.alpha = alpha;
        }
        if self.optimal_steps {
            config.learner.step = StepSize::Optimal;
        }
        if let Some(eta0) = self.adagrad {
            config.learner.step = StepSize::AdaGrad {
                eta0,
                resume_sum: 1.0,
            };
        }
        if let Some(log2) = self.features_log2 {
            config.n_features = 1 << log2;
        }
        if let Some(precision) = self.precision {
            config.precision = match precision {
                PrecisionArg::F64 => WeightPrecision::F64,
                PrecisionArg::Scaled16 => WeightPrecision::Scaled16,
            };
        }
        if let Some(passes) = self.passes {
            recipe.passes = passes;
        }
        if let Some(average_last) = self.average_last {
            recipe.average_last = average_last;
        }
        if self.keep_all_weights {
            recipe.keep_weights = None;
        } else if self.keep_weights.is_some() {
            recipe.keep_weights = self.keep_weights;
        }
    }
}

#[derive(Args)]
struct TrainArgs {
    #[command(flatten)]
    input: Input,
    /// Where to write the model file (written whole or not at all).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "seed")]
    preset: Preset,
    #[command(flatten)]
    overrides: Overrides,
    /// Also write a model card (Markdown) describing the run to FILE.
    #[arg(long, value_name = "FILE")]
    card: Option<PathBuf>,
    /// Markdown appended to the model card, such as a table of the variants tried.
    #[arg(long, value_name = "FILE", requires = "card")]
    card_notes: Option<PathBuf>,
    /// Hold out the last N rows for the report instead of learning from them.
    #[arg(long, default_value_t = 0, value_name = "N")]
    test_rows: usize,
    /// Read only the first N usable rows of the input (the held-out rows are the last of
    /// them).
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Rows per partial_fit call [default: the preset's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    batch_size: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    input: Input,
    /// The model file to score.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Skip the first N usable rows.
    #[arg(long, default_value_t = 0, value_name = "N")]
    skip: u64,
    /// Score at most N rows after the skipped ones.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct PredictArgs {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The review; `-` or nothing reads it from standard input.
    text: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct TokenizeArgs {
    #[command(flatten)]
    input: Input,
    /// Use this model's tokenizer settings instead of the preset's.
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    model: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "seed")]
    preset: Preset,
}

fn main() {
    restore_default_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => run_train(&args),
        Command::Eval(args) => run_eval(&args),
        Command::Predict(args) => run_predict(&args),
        Command::Tokenize(args) => run_tokenize(&args),
    };
    if let Err(err) = result {
        eprintln!("trainer: {err:#}");
        std::process::exit(1);
    }
}

/// Lets a closed pipe end the program quietly, as it does other command-line tools
/// (`trainer tokenize ... | head`); Rust starts programs with SIGPIPE ignored, which turns
/// every later `println!` into a panic.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn load_model(path: &Path) -> Result<Classifier> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Classifier::from_bytes(&bytes).with_context(|| format!("{}", path.display()))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that an interrupted
/// run leaves either the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let temporary = path.with_file_name(format!(
        ".{}.{}.partial",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(err).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

#[derive(Serialize)]
pub struct TrainReport<'a> {
    pub data: String,
    pub preset: &'a str,
    pub model: String,
    pub model_bytes: usize,
    pub model_bytes_gzip: usize,
    pub nonzero_weights: usize,
    pub intercept: f64,
    pub held_out: &'a metrics::Summary,
    #[serde(flatten)]
    pub outcome: &'a train::Outcome,
}

fn run_train(args: &TrainArgs) -> Result<()> {
    let mut recipe = args.preset.recipe();
    args.overrides.apply(&mut recipe);
    let source = args.input.open()?;
    let mut classifier = Classifier::new(recipe.config.clone())?;
    let plan = Plan {
        batch_size: args.batch_size.map_or(recipe.batch_size, |n| n as usize),
        test_rows: args.test_rows,
        limit: args.limit,
        passes: recipe.passes,
        average_last: recipe.average_last.min(recipe.passes),
        strict: args.input.strict,
        quiet: args.quiet || args.json,
    };
    let outcome = train::train(&mut classifier, source, || args.input.open(), &plan)?;
    classifier.set_resume_sum_to_median();
    if let Some(keep) = recipe.keep_weights {
        classifier.keep_largest_weights(keep);
    }
    let held_out = train::score_rows(&classifier, &outcome.held_out_rows);

    let data_name = args.input.data.display().to_string();
    let provenance = classifier.provenance_mut();
    provenance.data = data_name.clone();
    provenance.rows = outcome.rows_trained;
    provenance.held_out_accuracy = (held_out.rows > 0).then_some(held_out.accuracy);
    let model = classifier.to_model();
    let bytes = model.encode();
    write_atomically(&args.out, &bytes)?;

    let report = TrainReport {
        data: data_name,
        preset: args.preset.name(),
        model: args.out.display().to_string(),
        model_bytes: bytes.len(),
        model_bytes_gzip: card::gzip_len(&bytes)?,
        nonzero_weights: model.weights.len(),
        intercept: model.intercept,
        held_out: &held_out,
        outcome: &outcome,
    };
    if let Some(path) = &args.card {
        let notes = match &args.card_notes {
            Some(notes) => std::fs::read_to_string(notes)
                .with_context(|| format!("cannot read {}", notes.display()))?,
            None => String::new(),
        };
        let text = card::model_card(&report, &model.config, &recipe_line(&recipe), &notes);
        write_atomically(path, text.as_bytes())?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "trained on {} rows in {} batches in {:.2} s ({} preset)",
        outcome.rows_trained, outcome.batches, outcome.seconds, report.preset
    );
    for note in outcome.intake.notes() {
        println!("{note}");
    }
    if held_out.rows > 0 {
        println!("held out: the last {} rows", held_out.rows);
        println!("{}", held_out.lines());
    } else {
        println!("no rows held out (--test-rows N holds out the last N)");
    }
    println!(
        "wrote {} ({} bytes, {} gzip'd; {} non-zero weights, intercept {:.5})",
        report.model,
        report.model_bytes,
        report.model_bytes_gzip,
        report.nonzero_weights,
        report.intercept
    );
    Ok(())
}

/// The training settings of a recipe in one line, for the model card.
fn recipe_line(recipe: &Recipe) -> String {
    format!(
        "batches of {}, {} pass{}, {}",
        recipe.batch_size,
        recipe.passes,
        if recipe.passes == 1 { "" } else { "es" },
        recipe
            .keep_weights
            .map_or("every non-zero weight kept".to_owned(), |keep| format!(
                "the {keep} largest weights kept"
            ))
    )
}

fn run_eval(args: &EvalArgs) -> Result<()> {
    let classifier = load_model(&args.model)?;
    let source = args.input.open()?;
    let plan = Plan {
        batch_size: 1,
        test_rows: 0,
        limit: args.limit,
        passes: 1,
        average_last: 0,
        strict: args.input.strict,
        quiet: args.quiet || args.json,
    };
    let (summary, intake) = train::evaluate(&classifier, source, args.skip, &plan)?;
    if args.json {
        #[derive(Serialize)]
        struct EvalReport<'a> {
            model: String,
            data: String,
            #[serde(flatten)]
            summary: &'a metrics::Summary,
            intake: &'a train::Intake,
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

fn run_predict(args: &PredictArgs) -> Result<()> {
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

fn run_tokenize(args: &TokenizeArgs) -> Result<()> {
    let classifier = match &args.model {
        Some(path) => load_model(path)?,
        None => Classifier::new(args.preset.recipe().config)?,
    };
    let source = args.input.open()?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for item in source.chunks.into_iter().flatten() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_written_whole_through_a_rename() {
        let dir = std::env::temp_dir().join(format!("trainer-write-{}", std::process::id()));
        let path = dir.join("nested").join("model.postcard");
        write_atomically(&path, b"first").expect("writes");
        write_atomically(&path, b"second").expect("overwrites");
        assert_eq!(std::fs::read(&path).expect("reads"), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("has a folder"))
            .expect("lists")
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
