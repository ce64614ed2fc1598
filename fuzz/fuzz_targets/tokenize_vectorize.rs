//! Any bytes, read as a review the way the trainer reads one (invalid UTF-8 replaced), go
//! through the tokenizer and the vectorizer without panicking, and give a well-formed row.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use movieclassifier::tokenize::{python_lower, Tokenizer};
use movieclassifier::vectorize::HashingVectorizer;
use movieclassifier::{Config, StopWords, TokenizerConfig};

/// The notebook's pipeline and one with bigrams and stop words kept, built once.
fn pipelines() -> &'static [(Tokenizer, HashingVectorizer); 2] {
    static PIPELINES: OnceLock<[(Tokenizer, HashingVectorizer); 2]> = OnceLock::new();
    PIPELINES.get_or_init(|| {
        let notebook = Config::notebook();
        let bigrams = TokenizerConfig {
            stop_words: StopWords::NltkKeepingNegations,
            ngram_range: (1, 2),
        };
        [
            (
                Tokenizer::new(&notebook.tokenizer),
                HashingVectorizer::new(notebook.n_features),
            ),
            (Tokenizer::new(&bigrams), HashingVectorizer::new(1 << 10)),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lower = python_lower(&text);
    assert_eq!(
        python_lower(&lower),
        lower,
        "lowercasing twice changes nothing"
    );

    for (tokenizer, vectorizer) in pipelines() {
        let n_features = vectorizer.n_features();
        let tokens = tokenizer.tokenize(&text);
        assert!(tokens.iter().all(|t| !t.is_empty() && !t.contains(' ')));
        let row = vectorizer.transform(&tokens);
        assert!(row.indices.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(row.indices.iter().all(|&c| c < n_features));
        let squares: f64 = row.values.iter().map(|v| v * v).sum();
        assert!((squares - 1.0).abs() < 1e-9 || row.values.iter().all(|&v| v == 0.0));
    }
});
