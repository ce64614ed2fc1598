//! `trainer import-pickle` and `trainer export-pickle`: the notebook's pickled model in and
//! out, through the library's reader that runs nothing.

use anyhow::{Context, Result};
use movieclassifier::sklearn;

use crate::cli::{ExportPickleArgs, ImportPickleArgs};
use crate::files::{load_model, write_atomically};

pub fn import(args: &ImportPickleArgs) -> Result<()> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let classifier_bytes = read(&args.classifier)?;
    let stop_words = args.stop_words.as_deref().map(read).transpose()?;
    let classifier = sklearn::import(&classifier_bytes, stop_words.as_deref())
        .with_context(|| format!("{} cannot be imported", args.classifier.display()))?;
    write_atomically(&args.out, &classifier.to_lossless_bytes())?;
    let config = classifier.config();
    eprintln!(
        "trainer: wrote {}: {} non-zero weights of {}, t_ = {}, alpha = {}, {} stop words",
        args.out.display(),
        classifier.weights().len(),
        config.n_features,
        classifier.t(),
        config.learner.alpha,
        match &config.tokenizer.stop_words {
            movieclassifier::StopWords::Custom(words) => format!("{} own", words.len()),
            _ => "NLTK's".into(),
        }
    );
    Ok(())
}

pub fn export(args: &ExportPickleArgs) -> Result<()> {
    let classifier = load_model(&args.model)?;
    let pickle = sklearn::export(&classifier)
        .with_context(|| format!("{} cannot be exported", args.model.display()))?;
    write_atomically(&args.out, &pickle)?;
    if let Some(path) = &args.stop_words_out {
        write_atomically(path, &sklearn::export_stop_words(&classifier))?;
    }
    eprintln!("trainer: wrote {}", args.out.display());
    Ok(())
}
