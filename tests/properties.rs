//! Properties that must hold for any input a person or a file can supply.
#![cfg(not(target_arch = "wasm32"))]

use movieclassifier::learn::LearnError;
use movieclassifier::model::{Model, Provenance, SparseWeights, StoredSums};
use movieclassifier::{
    Classifier, Config, Label, LearnerConfig, LogLoss, StepSize, StopWords, TokenizerConfig,
    WeightPrecision, MAX_T, MAX_WEIGHT,
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

/// Any configuration a model file may hold, from end to end of every range it is held to.
fn config() -> impl Strategy<Value = Config> {
    let stop_words = prop_oneof![
        Just(StopWords::None),
        Just(StopWords::Nltk),
        Just(StopWords::NltkKeepingNegations),
    ];
    let step = prop_oneof![
        Just(StepSize::Optimal),
        (1e-6f64..=10.0).prop_map(|eta0| StepSize::AdaGrad { eta0 }),
    ];
    let precision = prop_oneof![
        Just(WeightPrecision::F64),
        Just(WeightPrecision::Scaled16),
        Just(WeightPrecision::Log8),
    ];
    let alpha = prop_oneof![Just(1e-10), Just(1.0), 1e-10f64..=1.0];
    (
        (1u32..=4096, stop_words, (1u8..=3, 0u8..=2)),
        (alpha, any::<u32>(), step),
        precision,
    )
        .prop_map(
            |((n_features, stop_words, (min_n, extra)), (alpha, random_state, step), precision)| {
                Config {
                    tokenizer: TokenizerConfig {
                        stop_words,
                        ngram_range: (min_n, (min_n + extra).min(3)),
                    },
                    n_features,
                    learner: LearnerConfig {
                        alpha,
                        random_state,
                        step,
                        loss: LogLoss::HalfBinomial,
                    },
                    precision,
                }
            },
        )
}

/// Any model a file may hold: weights and intercept up to the largest magnitude allowed, any
/// step count, and for AdaGrad in a lossless file, any sums.
fn model() -> impl Strategy<Value = Model> {
    let magnitude = prop_oneof![Just(MAX_WEIGHT), -MAX_WEIGHT..=MAX_WEIGHT];
    let sum = prop_oneof![Just(0.0), Just(1e30), 0.0f64..=1e12];
    (
        config(),
        prop::collection::btree_map(any::<u32>(), (magnitude.clone(), sum.clone()), 0..60),
        magnitude,
        prop_oneof![Just(1.0), Just(MAX_T), 1.0f64..1e15],
        (sum.clone(), sum, any::<bool>()),
    )
        .prop_map(
            |(config, cells, intercept, t, (intercept_sum, fresh, lossless))| {
                let mut cells: Vec<(u32, (f64, f64))> = cells
                    .into_iter()
                    .map(|(column, cell)| (column % config.n_features, cell))
                    .collect();
                cells.sort_by_key(|&(column, _)| column);
                cells.dedup_by_key(|&mut (column, _)| column);
                let adagrad = matches!(config.learner.step, StepSize::AdaGrad { .. });
                let lossless = lossless && adagrad;
                let entries: Vec<(u32, f64)> = cells.iter().map(|&(c, (w, _))| (c, w)).collect();
                let precision = if lossless {
                    WeightPrecision::F64
                } else {
                    config.precision
                };
                let weights = SparseWeights::from_entries(&entries, precision);
                // A published AdaGrad model keeps one typical sum for its weights (0, or not
                // below the least a file may hold).
                let typical = if fresh == 0.0 { 0.0 } else { fresh.max(1e-12) };
                let squared_sums = adagrad.then(|| StoredSums {
                    per_weight: if lossless {
                        cells.iter().map(|&(_, (_, s))| s).collect()
                    } else {
                        Vec::new()
                    },
                    intercept: intercept_sum,
                    fresh: if lossless { fresh } else { typical },
                });
                Model {
                    config,
                    weights,
                    intercept,
                    t,
                    squared_sums,
                    provenance: Provenance::default(),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn models_survive_encoding_unchanged(
        model in model(),
        data in "\\PC{0,40}",
        held_out_accuracy in proptest::option::of(0.0f64..=1.0),
    ) {
        let model = Model {
            provenance: Provenance { data, rows: 7, held_out_accuracy, taught: 3 },
            ..model
        };
        prop_assert_eq!(Model::decode(&model.encode()), Ok(model));
    }

    #[test]
    fn any_accepted_model_teaches_to_finite_weights(
        model in model(),
        lessons in prop::collection::vec((review(), any::<bool>()), 1..30),
        probe in review(),
    ) {
        let mut classifier = Classifier::from_bytes(&model.encode()).expect("a valid model");
        for (text, positive) in &lessons {
            let before = classifier.clone();
            match classifier.teach(text, Label::from_positive(*positive)) {
                Ok(()) => {}
                // Refused at the edge of the range a file holds, and nothing changed.
                Err(LearnError::OutOfBounds) => prop_assert!(classifier == before),
                Err(other) => prop_assert!(false, "{other}"),
            }
        }
        prop_assert!(classifier.weights().iter().all(|(_, w)| w.is_finite()));
        prop_assert!(classifier.intercept().is_finite());
        let p = classifier.predict_proba(&probe);
        prop_assert!((0.0..=1.0).contains(&p));
        // What it learned survives a lossless save to the bit.
        let saved = Classifier::from_bytes(&classifier.to_lossless_bytes()).expect("valid");
        prop_assert!(saved == classifier);
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
        prop_assert!(classifier.weights().iter().all(|(_, w)| w.is_finite()));
        prop_assert!(classifier.intercept().is_finite());
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
        let together: Vec<f64> = rows.iter().map(|r| classifier.predict_proba_row(r)).collect();
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
    assert!(classifier.weights().iter().all(|(_, w)| w.is_finite()));
    for text in texts {
        let p = classifier.predict_proba(text);
        assert!(p.is_finite() && (0.0..=1.0).contains(&p), "{p}");
    }
}
