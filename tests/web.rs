//! The engine inside a real browser (`wasm-pack test --headless --chrome`): the same golden
//! training run as `tests/golden.rs`, so the wasm32 build is held to scikit-learn too.
#![cfg(target_arch = "wasm32")]

use movieclassifier::model::ModelError;
use movieclassifier::{Classifier, Config, Label};
use serde_json::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SGD_GOLDEN: &str = include_str!("golden/sgd.json");

fn texts(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string"))
        .collect()
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

fn trained() -> (Classifier, Value) {
    let golden: Value = serde_json::from_str(SGD_GOLDEN).expect("fixture");
    let mut classifier = Classifier::new(Config::notebook()).expect("valid config");
    for batch in golden["batches"].as_array().expect("batches") {
        let labels: Vec<Label> = numbers(&batch["labels"])
            .into_iter()
            .map(|y| Label::from_digit(y as u8).expect("0 or 1"))
            .collect();
        classifier
            .partial_fit(&texts(&batch["texts"]), &labels)
            .expect("valid batch");
    }
    (classifier, golden)
}

#[wasm_bindgen_test]
fn browser_probabilities_match_scikit_learn() {
    let (classifier, golden) = trained();
    let predict = &golden["predict"];
    for (text, python) in texts(&predict["texts"])
        .iter()
        .zip(numbers(&predict["proba"]))
    {
        let browser = classifier.predict_proba(text);
        assert!((browser - python).abs() <= 1e-9, "{browser} != {python}");
    }
}

#[wasm_bindgen_test]
fn model_files_round_trip_in_the_browser() {
    let (classifier, golden) = trained();
    let bytes = classifier.to_bytes();
    let restored = Classifier::from_bytes(&bytes).expect("round trip");
    let text = texts(&golden["predict"]["texts"])[0];
    assert_eq!(restored.predict_proba(text), classifier.predict_proba(text));
    assert!(matches!(
        Classifier::from_bytes(&bytes[..bytes.len() / 2]),
        Err(ModelError::Truncated { .. })
    ));
}
