//! The per-review costs behind training and the page: turning one 230-word review into a
//! feature row, and learning one example, for the notebook's and the site's pipelines; and
//! with the shipped model, what every visit to the page does: read it, classify and explain.
//!
//! `cargo bench` runs it; these are measurements, never pass/fail tests.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use movieclassifier::train::Recipe;
use movieclassifier::{Classifier, Label};

/// A 230-word review with the markup and punctuation real ones carry.
fn review() -> String {
    let sentence = "This film was <br /><br />not at all what I expected: the acting is \
                    wonderful, the plot (though slow) keeps you guessing, and the ending? \
                    Honestly one of the best I've seen this year :) ";
    let words_per_sentence = sentence.split_whitespace().count();
    let mut text = String::new();
    for _ in 0..230usize.div_ceil(words_per_sentence) {
        text.push_str(sentence);
    }
    let words: Vec<&str> = text.split_whitespace().take(230).collect();
    words.join(" ")
}

fn pipeline(c: &mut Criterion) {
    let text = review();
    for name in Recipe::NAMES {
        let config = Recipe::named(name).expect("a named recipe").config;
        let mut classifier = Classifier::new(config).expect("valid config");
        c.bench_function(&format!("{name}: tokenize 230 words"), |b| {
            b.iter(|| classifier.tokenize(black_box(&text)))
        });
        c.bench_function(&format!("{name}: tokenize+vectorize 230 words"), |b| {
            b.iter(|| classifier.vectorize(black_box(&text)))
        });
        c.bench_function(&format!("{name}: predict_proba 230 words"), |b| {
            b.iter(|| classifier.predict_proba(black_box(&text)))
        });
        c.bench_function(&format!("{name}: partial_fit one example"), |b| {
            b.iter(|| {
                classifier
                    .partial_fit(&[black_box(text.as_str())], &[Label::Positive])
                    .expect("valid example")
            })
        });
    }
}

fn shipped_model(c: &mut Criterion) {
    let bytes = include_bytes!("../model/pretrained.postcard");
    c.bench_function("the shipped model: read", |b| {
        b.iter(|| Classifier::from_bytes(black_box(bytes)).expect("the shipped model reads"))
    });
    let classifier = Classifier::from_bytes(bytes).expect("the shipped model reads");
    let text = review();
    c.bench_function("the shipped model: predict_proba 230 words", |b| {
        b.iter(|| classifier.predict_proba(black_box(&text)))
    });
    c.bench_function("the shipped model: explain 230 words", |b| {
        b.iter(|| classifier.explain(black_box(&text)))
    });
}

criterion_group!(benches, pipeline, shipped_model);
criterion_main!(benches);
