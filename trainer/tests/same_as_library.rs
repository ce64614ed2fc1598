//! The page's file jobs run the library's `batch` module in one thread; `trainer` runs the same
//! library calls on its own threads. Here both read the same files: the same model bytes, the
//! same classified CSV, the same figures.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use movieclassifier::batch::{ClassifyFile, EvaluateFile, TrainFile, TrainOptions};
use movieclassifier::read::{ArchiveCount, ArchiveMix, ColumnNames, FileKind, Halves, Rows};
use movieclassifier::train::Recipe;
use movieclassifier::Classifier;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// A fixture's bytes, decompressed as the page's stream would be.
fn bytes_of(name: &str) -> Vec<u8> {
    let raw = std::fs::read(fixtures().join(name)).expect("fixture");
    if FileKind::from_name(name).is_some_and(|kind| kind.gzip) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .expect("gunzip");
        out
    } else {
        raw
    }
}

fn names(label: bool) -> ColumnNames {
    ColumnNames {
        text: "review".into(),
        label: label.then(|| "sentiment".into()),
    }
}

/// `trainer` run in the fixtures folder, so that the data is named as the page names it.
fn trainer(args: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .current_dir(fixtures())
        .args(args)
        .output()
        .expect("trainer runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The model the page's train job makes of fixture `name`, the file read in chunks of 1,000
/// bytes (an archive through one reader per class, as the page reads it).
fn trained_as_the_page_does(name: &str, recipe: &str, options: TrainOptions) -> Vec<u8> {
    let bytes = bytes_of(name);
    let kind = FileKind::from_name(name).expect("known kind");
    let mut job = TrainFile::new(Recipe::named(recipe).expect("recipe"), options).expect("valid");
    loop {
        let more = if kind.format == movieclassifier::read::Format::Tar {
            let halves = Halves {
                train: true,
                test: false,
            };
            let mut count = ArchiveCount::new(halves);
            for chunk in bytes.chunks(1000) {
                count.push(chunk).expect("counts");
            }
            let mut mix = ArchiveMix::new(count.finish().expect("counted"), halves, options.seed);
            let mut readers = [bytes.chunks(1000), bytes.chunks(1000)];
            loop {
                if let Some(class) = mix.wants() {
                    let chunk = readers[class].next().unwrap_or_default();
                    mix.push(class, chunk).expect("reads");
                } else if let Some(row) = mix.next_row() {
                    job.row(row).expect("learns");
                } else {
                    break;
                }
            }
            job.end_pass().expect("ends")
        } else {
            let mut rows = Rows::new(kind.format, names(true), Halves::BOTH);
            let mut failed = None;
            for chunk in bytes.chunks(1000) {
                rows.push(chunk, |entry| {
                    if let Err(err) = job.row(entry.row) {
                        failed.get_or_insert(err);
                    }
                })
                .expect("reads");
            }
            rows.finish(|entry| job.row(entry.row).expect("learns"))
                .expect("ends");
            assert!(failed.is_none());
            job.end_pass().expect("ends")
        };
        if !more {
            break;
        }
    }
    let (classifier, _) = job.finish(name).expect("trained");
    classifier.to_bytes()
}

#[test]
fn training_from_a_file_gives_the_trainers_bytes() {
    let out = std::env::temp_dir().join(format!("same-as-library-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("scratch");
    let cases: [(&str, &str, TrainOptions, &[&str]); 4] = [
        (
            "reviews.csv",
            "site",
            TrainOptions {
                test_rows: 20,
                shuffle: None,
                seed: 1,
            },
            &["--test-rows", "20"],
        ),
        (
            "reviews.csv.gz",
            "notebook",
            TrainOptions {
                test_rows: 0,
                shuffle: None,
                seed: 1,
            },
            &[],
        ),
        (
            "reviews.csv",
            "site",
            TrainOptions {
                test_rows: 5,
                shuffle: Some(50),
                seed: 3,
            },
            &["--test-rows", "5", "--shuffle", "50", "--seed", "3"],
        ),
        (
            "acl-small.tar.gz",
            "site",
            TrainOptions {
                test_rows: 0,
                shuffle: None,
                seed: 7,
            },
            &["--seed", "7"],
        ),
    ];
    for (n, (name, recipe, options, extra)) in cases.into_iter().enumerate() {
        let model = out.join(format!("{n}.postcard"));
        let mut args = vec![
            "train", "--data", name, "--preset", recipe, "--quiet", "--out",
        ];
        args.push(model.to_str().expect("path"));
        args.extend_from_slice(extra);
        trainer(&args);
        let expected = std::fs::read(&model).expect("model");
        assert_eq!(
            trained_as_the_page_does(name, recipe, options),
            expected,
            "{name} {recipe} {extra:?}"
        );
    }
}

#[test]
fn classifying_and_scoring_a_file_give_the_trainers_output() {
    let model_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/pretrained.postcard");
    let model = std::fs::read(&model_path).expect("pretrained model");
    for name in ["reviews.csv", "lines.txt", "acl-small.tar.gz"] {
        let mut job = ClassifyFile::new(Classifier::from_bytes(&model).expect("valid"));
        let kind = FileKind::from_name(name).expect("kind");
        let mut rows = Rows::new(kind.format, names(false), Halves::BOTH);
        let mut csv = Vec::new();
        for chunk in bytes_of(name).chunks(777) {
            rows.push(chunk, |entry| job.entry(entry)).expect("reads");
            csv.extend(job.take_output());
        }
        rows.finish(|entry| job.entry(entry)).expect("ends");
        csv.extend(job.take_output());
        let output = trainer(&[
            "classify",
            "--model",
            model_path.to_str().expect("path"),
            "--data",
            name,
            "--out",
            "-",
        ]);
        assert_eq!(csv, output.stdout, "{name}");
    }

    let mut job = EvaluateFile::new(Classifier::from_bytes(&model).expect("valid"));
    let mut rows = Rows::new(
        movieclassifier::read::Format::Csv,
        names(true),
        Halves::BOTH,
    );
    for chunk in bytes_of("reviews.csv.gz").chunks(333) {
        rows.push(chunk, |entry| job.row(entry.row)).expect("reads");
    }
    rows.finish(|entry| job.row(entry.row)).expect("ends");
    let figures = job.summary();
    let output = trainer(&[
        "eval",
        "--model",
        model_path.to_str().expect("path"),
        "--data",
        "reviews.csv.gz",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["accuracy"].as_f64(), Some(figures.summary.accuracy));
    assert_eq!(report["log_loss"].as_f64(), Some(figures.summary.log_loss));
    assert_eq!(report["roc_auc"].as_f64(), Some(figures.summary.roc_auc));
    assert_eq!(
        report["intake"]["skipped"].as_u64(),
        Some(figures.intake.skipped)
    );
    assert_eq!(
        report["intake"]["repaired"].as_u64(),
        Some(figures.intake.repaired)
    );
}
