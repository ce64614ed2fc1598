//! Properties that must hold for any input a person or a file can supply.
#![cfg(not(target_arch = "wasm32"))]

use movieclassifier::model::{Model, Provenance, SparseWeights};
use movieclassifier::{
    Classifier, Config, Label, LearnerConfig, StepSize, StopWords, TokenizerConfig, WeightPrecision,
};
use proptest::prelude::*;

/// The notebook's pipeline over a small feature space, so that each case runs fast.
fn small_config() -> Config {
    Config {
        n_features: 1 << 12,
        ..Config::notebook()
    }
}

/// Review-like text: real words, stop words, markup, emoticons, emoji and arbitrary Unicode.
fn review() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("great".to_owned()),
        Just("awful".to_owned()),
        Just("the".to_owned()),
        Just("not".to_owned()),
        Just("<br />".to_owned()),
        Just(":-)".to_owned()),
        Just(";(".to_owned()),
        Just("😍🎬".to_owned()),
        Just("ΣΑΣ".to_owned()),
        Just("İ".to_owned()),
        "\\PC{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.join(" "))
}

fn config() -> impl Strategy<Value = Config> {
    let stop_words = prop_oneof![
        Just(StopWords::None),
        Just(StopWords::Nltk),
        Just(StopWords::NltkKeepingNegations),
    ];
    let step = prop_oneof![
        Just(StepSize::Optimal),
        (1e-3f64..1.0, 0.0f64..10.0)
            .prop_map(|(eta0, resume_sum)| StepSize::AdaGrad { eta0, resume_sum }),
    ];
    let precision = prop_oneof![Just(WeightPrecision::F64), Just(WeightPrecision::Scaled16)];
    (
        (1u32..=4096, stop_words, (1u8..=3, 0u8..=2)),
        (1e-6f64..1e-2, any::<u32>(), step),
        precision,
    )
        .prop_map(
            |((n_features, stop_words, (min_n, extra)), (alpha, random_state, step), precision)| {
                Config {
                    tokenizer: TokenizerConfig {
                        stop_words,
                        ngram_range: (min_n, min_n + extra),
                    },
                    n_features,
                    learner: LearnerConfig {
                        alpha,
                        random_state,
                        step,
                    },
                    precision,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn models_survive_encoding_unchanged(
        config in config(),
        cells in prop::collection::vec((any::<u32>(), -1e3f64..1e3), 0..200),
        intercept in -1e3f64..1e3,
        t in 1.0f64..1e9,
        data in "\\PC{0,40}",
        held_out_accuracy in proptest::option::of(0.0f64..=1.0),
    ) {
        let mut dense = vec![0.0; config.n_features as usize];
        for (column, value) in cells {
            dense[(column % config.n_features) as usize] = value;
        }
        let model = Model {
            weights: SparseWeights::from_dense(&dense, config.precision),
            config,
            intercept,
            t,
            provenance: Provenance { data, rows: 7, held_out_accuracy, taught: 3, base_checksum: Some(9) },
        };
        prop_assert_eq!(Model::decode(&model.encode()), Ok(model));
    }

    #[test]
    fn rows_have_unit_length_unless_nothing_is_left(text in review()) {
        let classifier = Classifier::new(Config::notebook()).expect("valid config");
        let row = classifier.vectorize(&text);
        let squares: f64 = row.values.iter().map(|v| v * v).sum();
        prop_assert!(row.indices.windows(2).all(|pair| pair[0] < pair[1]));
        // Terms whose signed hashes cancel leave explicit zeros, as in scikit-learn.
        prop_assert!((squares - 1.0).abs() < 1e-12 || row.values.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn learning_never_yields_a_non_finite_weight_or_probability(
        batches in prop::collection::vec(
            prop::collection::vec((review(), any::<bool>()), 0..12),
            1..4,
        ),
        probe in review(),
    ) {
        let mut classifier = Classifier::new(small_config()).expect("valid config");
        for batch in batches {
            let texts: Vec<&str> = batch.iter().map(|(text, _)| text.as_str()).collect();
            let labels: Vec<Label> = batch
                .iter()
                .map(|&(_, positive)| if positive { Label::Positive } else { Label::Negative })
                .collect();
            prop_assert!(classifier.partial_fit(&texts, &labels).is_ok());
        }
        let learner = classifier.learner();
        prop_assert!(learner.weights().iter().all(|w| w.is_finite()));
        prop_assert!(learner.intercept().is_finite());
        let p = classifier.predict_proba(&probe);
        prop_assert!((0.0..=1.0).contains(&p));
    }

    #[test]
    fn a_prediction_does_not_depend_on_what_else_is_scored(
        texts in prop::collection::vec(review(), 1..8),
    ) {
        // Scoring is row by row: a review's probability alone equals its probability amid
        // others, and equals the decision function read through the logistic curve.
        let mut classifier = Classifier::new(small_config()).expect("valid config");
        classifier
            .partial_fit(&["a great film", "an awful film"], &[Label::Positive, Label::Negative])
            .expect("valid batch");
        let alone: Vec<f64> = texts.iter().map(|t| classifier.predict_proba(t)).collect();
        let rows: Vec<_> = texts.iter().map(|t| classifier.vectorize(t)).collect();
        let together: Vec<f64> = rows.iter().map(|r| classifier.learner().predict_proba(r)).collect();
        prop_assert_eq!(alone, together);
    }
}

#[test]
fn extreme_texts_are_classified_and_learned() {
    let ten_megabytes = "An astonishing, heartfelt film; the ending drags. ".repeat(210_000);
    let one_token_a_million_times = "great ".repeat(1_000_000);
    let only_emoji = "😍🎬👍🏽❤️".repeat(10_000);
    let only_stop_words = "the and of a it is was but ".repeat(10_000);
    let texts = [
        "",
        ten_megabytes.as_str(),
        one_token_a_million_times.as_str(),
        only_emoji.as_str(),
        only_stop_words.as_str(),
    ];
    assert!(ten_megabytes.len() >= 10_000_000);
    let mut classifier = Classifier::new(Config::notebook()).expect("valid config");
    let labels = [Label::Positive; 5];
    classifier.partial_fit(&texts, &labels).expect("learned");
    let learner = classifier.learner();
    assert!(learner.weights().iter().all(|w| w.is_finite()));
    for text in texts {
        let p = classifier.predict_proba(text);
        assert!(p.is_finite() && (0.0..=1.0).contains(&p), "{p}");
    }
}
