//! The command line: what each command takes, with its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use movieclassifier::read::DEFAULT_SHUFFLE_ROWS;
use movieclassifier::train::{LogCountRatios, Pruning, Recipe};
use movieclassifier::{StepSize, StopWords, WeightPrecision};

use crate::data::{Columns, Reading, Splits};

#[derive(Parser)]
#[command(
    version,
    about = "Train, evaluate and apply movieclassifier sentiment models.",
    long_about = "Train, evaluate and apply movieclassifier sentiment models.\n\n\
        Data is read as a stream, so it may be larger than memory: a CSV or TSV file with a \
        header (columns `review` and `sentiment` unless told otherwise; labels 0/1 or \
        negative/positive), the same compressed as .csv.gz, an aclImdb folder, or the \
        aclImdb_v1.tar.gz archive as downloaded. `train` learns aclImdb's train/ half and \
        `eval` scores its test/ half (--split chooses), both mixed in a seeded order, since \
        the files lie sorted by class; a CSV is learned in file order (--shuffle mixes it).",
    after_help = "Examples:\n  \
        trainer train --data ../shared/data/movie_data.csv.gz --test-rows 4992 --out model.postcard\n  \
        trainer eval --model model.postcard --data aclImdb_v1.tar.gz --split test"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Train a model in mini-batches and report on the held-out last rows.
    Train(Box<TrainArgs>),
    /// Score a model on labelled data.
    Eval(EvalArgs),
    /// Classify one review: label, probability and the notebook's face.
    Predict(PredictArgs),
    /// Classify every row of a file, writing its columns with `label` and `probability`.
    Classify(ClassifyArgs),
    /// Print each row's tokens, one line a row, joined by single spaces.
    Tokenize(TokenizeArgs),
    /// Turn the notebook's pickled SGDClassifier (classifier.pkl) into a model file, safely:
    /// nothing in the pickle is run.
    ImportPickle(ImportPickleArgs),
    /// Write a model of the notebook's recipe as a pickle scikit-learn loads (classifier.pkl).
    ExportPickle(ExportPickleArgs),
}

#[derive(Args)]
#[command(after_help = "Example:\n  \
    trainer import-pickle pkl_objects/classifier.pkl --stop-words pkl_objects/stopwords.pkl --out notebook.postcard")]
pub struct ImportPickleArgs {
    /// The pickled SGDClassifier, as the notebook writes it (protocols 2 to 5; scikit-learn
    /// with loss='log_loss' or the older 'log').
    #[arg(value_name = "CLASSIFIER.PKL")]
    pub classifier: PathBuf,
    /// The pickled stop-word list the notebook's tokenizer drops (without it, NLTK's list).
    #[arg(long, value_name = "STOPWORDS.PKL")]
    pub stop_words: Option<PathBuf>,
    /// Where to write the model file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Args)]
#[command(after_help = "Example:\n  \
    trainer export-pickle taught.postcard --out pkl_objects/classifier.pkl --stop-words-out pkl_objects/stopwords.pkl")]
pub struct ExportPickleArgs {
    /// A model file of the notebook's recipe (single words, 'optimal' steps), taught in the
    /// page or not.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Where to write the pickled SGDClassifier (for scikit-learn 1.9.1 with numpy 2).
    #[arg(long, value_name = "CLASSIFIER.PKL")]
    pub out: PathBuf,
    /// Also write the model's stop-word list, pickled as the notebook's stopwords.pkl.
    #[arg(long, value_name = "STOPWORDS.PKL")]
    pub stop_words_out: Option<PathBuf>,
}

#[derive(Args)]
pub struct Input {
    /// The data: .csv, .csv.gz, .tsv, an aclImdb folder or aclImdb_v1.tar.gz.
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// CSV column holding the review text.
    #[arg(long, default_value = "review", value_name = "NAME")]
    pub text_column: String,
    /// CSV column holding the label (0/1 or negative/positive).
    #[arg(long, default_value = "sentiment", value_name = "NAME")]
    pub label_column: String,
    /// Stop at the first unusable row, or text that is not UTF-8, instead of skipping or
    /// repairing and counting it.
    #[arg(long)]
    pub strict: bool,
    /// Which half of aclImdb data to read: `train` learns it and `test` scores it, as
    /// published results do [default: train for `train`, test for `eval`].
    #[arg(long, value_enum)]
    pub split: Option<SplitArg>,
    /// The seed of the order aclImdb data (which lies sorted by class) is mixed in, and of
    /// --shuffle.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u32,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SplitArg {
    Train,
    Test,
    Both,
}

impl Input {
    /// How to read the data: `default_splits` when --split is not given; aclImdb data mixed
    /// when learning.
    pub fn reading(
        &self,
        default_splits: Splits,
        learning: bool,
        shuffle: Option<usize>,
    ) -> Reading {
        Reading {
            columns: Columns {
                text: self.text_column.clone(),
                label: self.label_column.clone(),
            },
            splits: self.split.map(|split| match split {
                SplitArg::Train => Splits::Train,
                SplitArg::Test => Splits::Test,
                SplitArg::Both => Splits::Both,
            }),
            default_splits,
            shuffle,
            seed: self.seed,
            mix: learning,
        }
    }
}

/// A named recipe.
#[derive(Clone, Copy, ValueEnum)]
pub enum Preset {
    /// The model the site ships: words, bigrams and trigrams scaled by their log-count ratios, AdaGrad, three passes averaged, the 120,000 weights of most use kept at 8 bits.
    #[value(alias = "default")]
    Site,
    /// The reference notebook exactly: its tokenizer, 2^21 features, SGDClassifier(loss='log_loss', random_state=1), batches of 1,000.
    #[value(alias = "seed")]
    Notebook,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Site => "site",
            Preset::Notebook => "notebook",
        }
    }

    pub fn recipe(self) -> Recipe {
        match self {
            Preset::Site => Recipe::site(),
            Preset::Notebook => Recipe::notebook(),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StopWordsArg {
    None,
    Nltk,
    NltkKeepingNegations,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PrecisionArg {
    F64,
    Scaled16,
    Log8,
}

/// Changes to a preset, for trying variants; each shows in the model card.
#[derive(Args)]
pub struct Overrides {
    /// Rows per partial_fit call [default: the preset's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: Option<u32>,
    /// Longest word n-gram [default: the preset's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=3))]
    pub ngram_max: Option<u8>,
    /// Which words to drop [default: the preset's].
    #[arg(long, value_enum)]
    pub stop_words: Option<StopWordsArg>,
    /// Learn with AdaGrad steps of this eta0 [default: the preset's].
    #[arg(long, value_name = "X")]
    pub adagrad: Option<f64>,
    /// L2 penalty [default: the preset's].
    #[arg(long, value_name = "X")]
    pub alpha: Option<f64>,
    /// Learn with scikit-learn's `optimal` step sizes.
    #[arg(long, conflicts_with = "adagrad")]
    pub optimal_steps: bool,
    /// Feature space of 2^N columns [default: the preset's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=24))]
    pub features_log2: Option<u8>,
    /// Passes over the training rows [default: the preset's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub passes: Option<u32>,
    /// Average the weights over the batches of the last N passes [default: the preset's].
    #[arg(long, value_name = "N")]
    pub average_last: Option<u32>,
    /// Keep only the N largest weights [default: the preset's].
    #[arg(long, value_name = "N", conflicts_with = "keep_all_weights")]
    pub keep_weights: Option<usize>,
    /// Keep every non-zero weight.
    #[arg(long)]
    pub keep_all_weights: bool,
    /// How the model file stores weights [default: the preset's].
    #[arg(long, value_enum)]
    pub precision: Option<PrecisionArg>,
    /// Scale features by their Naive Bayes log-count ratios, counted in a first pass, each
    /// count smoothed by X [default: the preset's, or 1 if it has none].
    #[arg(long, value_name = "X", conflicts_with = "no_ratios")]
    pub ratio_smoothing: Option<f64>,
    /// Add X to each log-count ratio's magnitude [default: the preset's, or 0 if it has none].
    #[arg(long, value_name = "X", conflicts_with = "no_ratios")]
    pub ratio_floor: Option<f64>,
    /// Learn the features as they are, without log-count ratios.
    #[arg(long)]
    pub no_ratios: bool,
    /// Which weights --keep-weights keeps [default: the preset's].
    #[arg(long, value_enum)]
    pub prune_by: Option<PruneByArg>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PruneByArg {
    /// The largest in magnitude.
    Magnitude,
    /// The largest magnitude times the square root of the rows the feature occurs in.
    Use,
}

impl Overrides {
    pub fn apply(&self, recipe: &mut Recipe) {
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
            config.learner.step = StepSize::AdaGrad { eta0 };
        }
        if let Some(log2) = self.features_log2 {
            config.n_features = 1 << log2;
        }
        if let Some(precision) = self.precision {
            config.precision = match precision {
                PrecisionArg::F64 => WeightPrecision::F64,
                PrecisionArg::Scaled16 => WeightPrecision::Scaled16,
                PrecisionArg::Log8 => WeightPrecision::Log8,
            };
        }
        if let Some(batch_size) = self.batch_size {
            recipe.batch_size = batch_size as usize;
        }
        if let Some(passes) = self.passes {
            recipe.passes = passes;
        }
        if let Some(average_last) = self.average_last {
            recipe.average_last = average_last;
        }
        if self.no_ratios {
            recipe.ratios = None;
        } else if self.ratio_smoothing.is_some() || self.ratio_floor.is_some() {
            let ratios = recipe.ratios.get_or_insert(LogCountRatios {
                smoothing: 1.0,
                floor: 0.0,
            });
            ratios.smoothing = self.ratio_smoothing.unwrap_or(ratios.smoothing);
            ratios.floor = self.ratio_floor.unwrap_or(ratios.floor);
        }
        if let Some(prune_by) = self.prune_by {
            recipe.prune_by = match prune_by {
                PruneByArg::Magnitude => Pruning::Magnitude,
                PruneByArg::Use => Pruning::Use,
            };
        }
        if self.keep_all_weights {
            recipe.keep_weights = None;
        } else if self.keep_weights.is_some() {
            recipe.keep_weights = self.keep_weights;
        }
    }
}

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub input: Input,
    /// Where to write the model file (written whole or not at all).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The recipe to train.
    #[arg(long, value_enum, default_value = "site")]
    pub preset: Preset,
    #[command(flatten)]
    pub overrides: Overrides,
    /// Go on teaching this model instead of training a new one: each usable row, in file
    /// order, is learned exactly as the page learns an example its visitor teaches, and the
    /// model is written losslessly, as the page exports it.
    #[arg(long, value_name = "MODEL", conflicts_with = "preset")]
    pub start: Option<PathBuf>,
    /// Also write a model card (Markdown) describing the run to FILE.
    #[arg(long, value_name = "FILE")]
    pub card: Option<PathBuf>,
    /// Markdown appended to the model card, such as a table of the variants tried.
    #[arg(long, value_name = "FILE", requires = "card")]
    pub card_notes: Option<PathBuf>,
    /// Hold out the last N rows for the report instead of learning from them.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub test_rows: usize,
    /// Mix the rows through a shuffle buffer of N rows (memory: N reviews), for data sorted
    /// by label [default N: 20,000].
    #[arg(long, value_name = "N", num_args = 0..=1)]
    pub shuffle: Option<Option<usize>>,
    /// Read only the first N usable rows of the input (the held-out rows are the last of
    /// them).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

impl TrainArgs {
    /// The shuffle buffer asked for, if any.
    pub fn shuffle_rows(&self) -> Option<usize> {
        self.shuffle
            .map(|rows| rows.unwrap_or(DEFAULT_SHUFFLE_ROWS))
    }
}

#[derive(Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub input: Input,
    /// The model file to score.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Skip the first N usable rows.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub skip: u64,
    /// Score at most N rows after the skipped ones.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct PredictArgs {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The review; `-` or nothing reads it from standard input.
    pub text: Option<String>,
    /// Print the prediction as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The reviews: .csv, .tsv, .txt (one review a line), an aclImdb archive; or gzip'd.
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// CSV column holding the review text.
    #[arg(long, default_value = "review", value_name = "NAME")]
    pub text_column: String,
    /// Where to write the CSV: the file's columns, then `label` and `probability` (of that
    /// label); `-` for standard output.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct TokenizeArgs {
    #[command(flatten)]
    pub input: Input,
    /// Use this model's tokenizer settings instead of the preset's.
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    pub model: Option<PathBuf>,
    /// The recipe whose tokenizer to use.
    #[arg(long, value_enum, default_value = "site")]
    pub preset: Preset,
}
