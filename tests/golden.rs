//! The engine against scikit-learn: fixtures written by `tests/golden/make_golden.py`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{labels, numbers, texts};
use movieclassifier::{Classifier, Config};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn columns(value: &Value) -> Vec<u32> {
    numbers(value).into_iter().map(|v| v as u32).collect()
}

fn assert_row(classifier: &Classifier, text: &str, indices: &Value, values: &Value) {
    let row = classifier.vectorize(text);
    assert_eq!(row.indices, columns(indices), "columns of {text:.80?}");
    for (rust, python) in row.values.iter().zip(numbers(values)) {
        assert_eq!(
            rust.to_bits(),
            python.to_bits(),
            "{rust} != {python} in {text:.80?}"
        );
    }
}

#[test]
fn tokens_and_features_match_scikit_learn() {
    let golden = fixture("vectorize.json");
    let classifier = Classifier::new(Config::notebook()).expect("valid config");
    let cases = golden["cases"].as_array().expect("cases");
    assert!(cases.len() > 300);
    for case in cases {
        let text = case["text"].as_str().expect("text");
        let tokens: Vec<String> = classifier
            .tokenize(text)
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(tokens, texts(&case["tokens"]), "tokens of {text:.80?}");
        assert_row(&classifier, text, &case["indices"], &case["values"]);
    }
}

#[test]
fn a_one_megabyte_review_matches_scikit_learn() {
    let golden = fixture("vectorize.json");
    let big = &golden["big"];
    let unit = big["unit"].as_str().expect("unit");
    let chars = big["chars"].as_u64().expect("chars") as usize;
    let text: String = unit.chars().cycle().take(chars).collect();
    let classifier = Classifier::new(Config::notebook()).expect("valid config");
    assert_eq!(
        classifier.tokenize(&text).len() as u64,
        big["token_count"].as_u64().expect("count")
    );
    assert_row(&classifier, &text, &big["indices"], &big["values"]);
}

#[test]
fn partial_fit_matches_scikit_learn() {
    let golden = fixture("sgd.json");
    let mut classifier = Classifier::new(Config::notebook()).expect("valid config");
    for (n, batch) in golden["batches"]
        .as_array()
        .expect("batches")
        .iter()
        .enumerate()
    {
        classifier
            .partial_fit(&texts(&batch["texts"]), &labels(&batch["labels"]))
            .expect("valid batch");

        let weights = classifier.weights();
        let nonzero: Vec<u32> = weights.iter().map(|&(column, _)| column).collect();
        assert_eq!(nonzero, columns(&batch["coef_indices"]), "batch {n}");
        for (&(column, rust), python) in weights.iter().zip(numbers(&batch["coef_values"])) {
            // Bit for bit: the same operations in the same order as `_plain_sgd`.
            assert_eq!(
                rust.to_bits(),
                python.to_bits(),
                "batch {n}, column {column}"
            );
        }
        let intercept = batch["intercept"].as_f64().expect("intercept");
        assert_eq!(
            classifier.intercept().to_bits(),
            intercept.to_bits(),
            "batch {n} intercept"
        );
        assert_eq!(
            classifier.t(),
            batch["t"].as_f64().expect("t"),
            "batch {n} t_"
        );
    }

    let predict = &golden["predict"];
    for (text, python) in texts(&predict["texts"])
        .iter()
        .zip(numbers(&predict["proba"]))
    {
        let rust = classifier.predict_proba(text);
        assert!(
            (rust - python).abs() <= 1e-15,
            "{rust} != {python} for {text:.80?}"
        );
    }

    let restored = Classifier::from_bytes(&classifier.to_bytes()).expect("round trip");
    assert_eq!(restored, classifier);
}

/// Every token of every golden case is found in its text, where the page paints it.
#[test]
fn every_token_is_located_in_its_text() {
    let golden = fixture("vectorize.json");
    let mut config = Config::notebook();
    config.tokenizer.ngram_range = (1, 2);
    let classifier = Classifier::new(config).expect("valid config");
    let tokenizer = movieclassifier::tokenize::Tokenizer::new(&classifier.config().tokenizer);
    for case in golden["cases"].as_array().expect("cases") {
        let text = case["text"].as_str().expect("text");
        let tokens = tokenizer.tokenize(text);
        let located = tokenizer.locate(text, &tokens);
        assert_eq!(located.len(), tokens.len(), "{text:.80?}");
        for (token, ranges) in tokens.iter().zip(&located) {
            assert!(!ranges.is_empty(), "{token} in {text:.80?}");
            for range in ranges {
                assert!(
                    text.get(range.clone())
                        .is_some_and(|piece| !piece.is_empty()),
                    "{token} in {text:.80?}"
                );
            }
        }
    }
}
