//! How fast teaching adapts the shipped model to other kinds of review, in the order the
//! labelling queue asks (least sure first) and in a random order: a report, not a test.
//!
//! `cargo bench --bench queue_curves` reads `../shared/data/uci_sentences.csv` (1,000
//! sentences from each of amazon, yelp and imdb reviews), holds out half of each domain
//! (half of each label, drawn by a seed), teaches the model the other half one answer at a
//! time with the true labels, exactly as the page's queue does (`Classifier::teach`, the
//! library's `Queue`), and scores the held-out half after 10, 25, 50, 100, 200 and 500
//! answers. A random order is averaged over five seeds. It prints the table and writes the
//! picture `docs/queue.svg`.

use std::fmt::Write as _;

use movieclassifier::queue::{Queue, State};
use movieclassifier::read::{Delimited, Draws};
use movieclassifier::{Classifier, Label};

const CHECKPOINTS: [usize; 6] = [10, 25, 50, 100, 200, 500];
const DOMAINS: [&str; 3] = ["amazon", "yelp", "imdb"];
const RANDOM_SEEDS: u32 = 5;

type Sentences = Vec<(String, Label)>;

fn sentences(domain: &str) -> Sentences {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/uci_sentences.csv"
    );
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let mut out = Vec::new();
    let mut reader = Delimited::csv();
    let mut keep = |record: movieclassifier::read::Record| {
        let field = |at| String::from_utf8_lossy(record.field(at)).into_owned();
        if field(2) == domain {
            if let Some(label) = Label::parse(&field(1)) {
                out.push((field(0), label));
            }
        }
    };
    reader.push(&bytes, &mut keep).expect("reads");
    reader.finish(&mut keep).expect("ends");
    out
}

/// Half of each label held out, drawn by a seed; the rest to teach.
fn split(mut all: Sentences) -> (Sentences, Sentences) {
    Draws::new(2026).shuffle(&mut all);
    let (mut held_out, mut taught) = (Vec::new(), Vec::new());
    for label in [Label::Negative, Label::Positive] {
        let of_label: Sentences = all.iter().filter(|(_, l)| *l == label).cloned().collect();
        let half = of_label.len() / 2;
        held_out.extend_from_slice(&of_label[..half]);
        taught.extend_from_slice(&of_label[half..]);
    }
    (held_out, taught)
}

fn accuracy(classifier: &Classifier, held_out: &Sentences) -> f64 {
    let right = held_out
        .iter()
        .filter(|(text, label)| classifier.predict(text) == *label)
        .count();
    right as f64 / held_out.len() as f64
}

/// Accuracy after each checkpoint's number of answers, teaching in the order `pick` gives.
fn curve(
    start: &Classifier,
    held_out: &Sentences,
    taught: &Sentences,
    queue_order: bool,
    seed: u32,
) -> Vec<f64> {
    let mut classifier = start.clone();
    let mut order: Vec<usize> = (0..taught.len()).collect();
    Draws::new(seed).shuffle(&mut order);
    let mut queue = Queue::default();
    if queue_order {
        queue.add(
            taught
                .iter()
                .map(|(text, _)| (text.clone(), State::Waiting)),
            &classifier,
        );
    }
    let mut out = Vec::new();
    for answered in 1..=taught.len() {
        let index = if queue_order {
            queue.next().expect("a review waits")
        } else {
            order[answered - 1]
        };
        let (text, label) = &taught[index];
        classifier.teach(text, *label).expect("learns");
        if queue_order {
            queue.mark(index, State::Answered);
            queue.refresh(&classifier);
        }
        if CHECKPOINTS.contains(&answered) {
            out.push(accuracy(&classifier, held_out));
        }
    }
    out
}

fn main() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/model/pretrained.postcard");
    let start = Classifier::from_bytes(&std::fs::read(model).expect("model")).expect("valid");
    let mut svg = String::new();
    let (width, height, left, bottom) = (640.0, 300.0, 50.0, 40.0);
    let x = |answers: usize| {
        left + ((answers as f64).log10() - 1.0) / (500f64.log10() - 1.0) * (width - left - 60.0)
    };
    let y = |accuracy: f64| height - bottom - (accuracy - 0.7) / 0.3 * (height - bottom - 20.0);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\
         <title>Held-out accuracy after each number of answers: the queue's order (solid) and a random order (dashed)</title>\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
    );
    for accuracy in [0.7, 0.8, 0.9, 1.0] {
        let (right, at) = (width - 20.0, y(accuracy));
        let _ = write!(svg, "<line x1=\"{left}\" x2=\"{right}\" y1=\"{at:.1}\" y2=\"{at:.1}\" stroke=\"#ddd\"/><text x=\"8\" y=\"{:.1}\">{accuracy:.1}</text>", at + 4.0);
    }
    for answers in CHECKPOINTS {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{answers}</text>",
            x(answers),
            height - bottom + 16.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">answers (log scale)</text>",
        (width + left) / 2.0,
        height - 6.0
    );
    println!("| domain | order | 0 | 10 | 25 | 50 | 100 | 200 | 500 |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let colours = ["#1f77b4", "#d62728", "#2ca02c"];
    for (domain, colour) in DOMAINS.iter().zip(colours) {
        let (held_out, taught) = split(sentences(domain));
        let before = accuracy(&start, &held_out);
        let queue = curve(&start, &held_out, &taught, true, 0);
        let mut random = vec![0.0; CHECKPOINTS.len()];
        for seed in 1..=RANDOM_SEEDS {
            for (sum, value) in random
                .iter_mut()
                .zip(curve(&start, &held_out, &taught, false, seed))
            {
                *sum += value / f64::from(RANDOM_SEEDS);
            }
        }
        for (name, values, dash) in [
            ("queue", &queue, ""),
            ("random (mean of 5)", &random, " stroke-dasharray=\"5 4\""),
        ] {
            let cells: Vec<String> = values.iter().map(|a| format!("{a:.3}")).collect();
            println!(
                "| {domain} | {name} | {before:.3} | {} |",
                cells.join(" | ")
            );
            let points: Vec<String> = CHECKPOINTS
                .iter()
                .zip(values.iter())
                .map(|(&n, &a)| format!("{:.1},{:.1}", x(n), y(a)))
                .collect();
            let _ = write!(svg, "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>", points.join(" "));
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\">{domain}</text>",
            x(500) - 40.0,
            y(queue[CHECKPOINTS.len() - 1]) - 6.0
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{left}\" y=\"14\">solid: the queue's order; dashed: a random order (mean of {RANDOM_SEEDS})</text></svg>"
    );
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/queue.svg");
    std::fs::write(out, svg).expect("writes the picture");
    println!("wrote docs/queue.svg");
}
