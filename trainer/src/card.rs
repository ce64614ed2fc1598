//! The model card: what a shipped model is, how it was made and how well it does, written by
//! the run that made it so that the figures cannot drift from the file.

use movieclassifier::model::FORMAT_VERSION;
use movieclassifier::Config;

use crate::report::TrainReport;

/// The card's Markdown: `schedule` says how the model was trained; `notes` (such as the
/// table of variants tried) goes at the end.
pub fn model_card(report: &TrainReport, config: &Config, schedule: &str, notes: &str) -> String {
    let command: Vec<String> = std::env::args()
        .skip(1)
        .map(|arg| {
            if arg.contains(' ') {
                format!("'{arg}'")
            } else {
                arg
            }
        })
        .collect();
    let held_out = &report.held_out;
    let confusion = &held_out.confusion;
    let mut card = format!(
        "# Model card: `{model}`\n\n\
         Written by `trainer train --card`; do not edit by hand.\n\n\
         ## What it is\n\n\
         A logistic-regression sentiment classifier for English movie reviews (positive or \
         negative), trained by stochastic gradient descent on hashed word features. \
         Recipe `{recipe}`: {config:?}; {schedule}. Model file format version {FORMAT_VERSION}.\n\n\
         ## Data\n\n\
         `{data}`: the Large Movie Review Dataset (Maas et al., 2011) as one shuffled CSV. \
         Learned from the first {trained} rows ({passes} pass(es), {batches} mini-batches); \
         the last {test} rows were held out and never learned from.\n\n\
         ## Regenerate it\n\n\
         From the repository root, with the data beside the repository; the output is the same \
         file byte for byte (check with `cmp`):\n\n\
         ```sh\ncargo run --release -p trainer -- {command}\n```\n\n\
         ## Held-out figures (last {test} rows)\n\n\
         | figure | value |\n| --- | --- |\n\
         | accuracy | {accuracy:.4} |\n| log loss | {log_loss:.4} |\n| ROC AUC | {auc:.4} |\n\
         | confusion (rows actual, columns predicted neg/pos) | neg {tn} / {fp}; pos {fn_} / {tp} |\n\
         | model file | {bytes} bytes ({gzip} gzip'd) |\n\
         | non-zero weights | {weights} of {features} |\n\
         | training time | {seconds:.2} s |\n",
        model = report.model,
        recipe = report.recipe,
        data = report.data,
        trained = report.outcome.rows_trained,
        passes = report.outcome.passes,
        batches = report.outcome.batches,
        test = held_out.rows,
        command = command.join(" "),
        accuracy = held_out.accuracy,
        log_loss = held_out.log_loss,
        auc = held_out.roc_auc,
        tn = confusion.true_negative,
        fp = confusion.false_positive,
        fn_ = confusion.false_negative,
        tp = confusion.true_positive,
        bytes = report.model_bytes,
        gzip = report.model_bytes_gzip,
        weights = report.nonzero_weights,
        features = config.n_features,
        seconds = report.outcome.seconds,
    );
    if !notes.is_empty() {
        card.push('\n');
        card.push_str(notes);
    }
    card
}
