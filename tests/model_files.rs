//! Model files from outside: earlier format versions, and hand-made hostile ones.
#![cfg(not(target_arch = "wasm32"))]

use movieclassifier::model::{Model, Provenance, SparseWeights, StoredSums};
use movieclassifier::{Classifier, Config, Label, StepSize, WeightPrecision};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Files written by format version 2, the version before AdaGrad's sums were kept: four
/// sentences learned with the site's recipe over 2^20 features, published and lossless. The
/// probabilities are what the program that wrote them printed.
#[test]
fn version_2_files_still_load() {
    let published = Classifier::from_bytes(&fixture("v2-published.postcard")).expect("loads");
    let lossless = Classifier::from_bytes(&fixture("v2-lossless.postcard")).expect("loads");
    assert_eq!(
        published.predict_proba("a wonderful film"),
        0.7092451567561583
    );
    assert_eq!(
        lossless.predict_proba("a wonderful film"),
        0.7092433212483319
    );
    assert_eq!(lossless.predict_proba("dull acting"), 0.48253471575386475);
    assert_eq!(published.provenance().data, "four sentences");
    // They go on learning, and are written back in today's format.
    let mut taught = lossless;
    taught
        .teach("dull acting", Label::Negative)
        .expect("learns");
    let again = Classifier::from_bytes(&taught.to_lossless_bytes()).expect("round trip");
    assert_eq!(again, taught);
}

/// The hostile files of issue 9 (remade for each new format version): a 90-byte file declaring the
/// largest feature space, AdaGrad and 8-word n-grams; an AdaGrad step of 1e308 with a resume
/// sum of 5e-324.
#[test]
fn crafted_files_are_refused_naming_the_field() {
    let refused = |name: &str| {
        Classifier::from_bytes(&fixture(name))
            .expect_err("refused")
            .to_string()
    };
    let message = refused("crafted-8-grams.postcard");
    assert!(message.contains("ngram_range is (1, 8)"), "{message}");
    let message = refused("crafted-huge-step.postcard");
    assert!(message.contains("eta0 is 1e308"), "{message}");

    // The largest feature space with nothing stored is a valid, tiny model: memory follows
    // what a model stores.
    let mut config = Config::notebook();
    config.n_features = 1 << 24;
    config.learner.step = StepSize::AdaGrad { eta0: 0.6 };
    let empty = Model {
        config,
        weights: SparseWeights::from_entries(&[], WeightPrecision::F64),
        intercept: 0.0,
        t: 2.0,
        squared_sums: Some(StoredSums {
            per_weight: Vec::new(),
            intercept: 1.0,
            fresh: 1.0,
        }),
        provenance: Provenance::default(),
    };
    let mut classifier = Classifier::from_bytes(&empty.encode()).expect("valid");
    classifier
        .teach("a fine film", Label::Positive)
        .expect("learns");
    assert_eq!(classifier.weights().len(), 2);
}
