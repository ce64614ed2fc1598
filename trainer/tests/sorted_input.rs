//! Data sorted by label, as the aclImdb download lies on disk and as many CSV files are: the
//! trainer mixes aclImdb folders and archives by default, and warns about a sorted CSV.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const GOOD: [&str; 6] = [
    "wonderful",
    "moving",
    "brilliant",
    "superb",
    "lovely",
    "gripping",
];
const BAD: [&str; 6] = ["dreadful", "boring", "awful", "tedious", "clumsy", "dull"];
const PLAIN: [&str; 8] = [
    "film", "plot", "actor", "scene", "story", "ending", "cast", "night",
];

/// A review of `n` with mostly good or bad words, and some plain ones.
fn review(n: usize, positive: bool) -> String {
    let mut words = Vec::new();
    let mut state = n as u64 * 2_654_435_761 + u64::from(positive);
    for _ in 0..40 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let pick = (state >> 33) as usize;
        // Mostly plain words, a few of the review's class, one in ten of the other.
        let (own, other) = if positive {
            (&GOOD, &BAD)
        } else {
            (&BAD, &GOOD)
        };
        let words_of: &[&str] = match pick % 10 {
            0..=6 => &PLAIN,
            7 => other,
            _ => own,
        };
        words.push(words_of[pick / 10 % words_of.len()]);
    }
    words.join(" ")
}

/// (split, class, file name, text) of a small aclImdb dataset, sorted by class as on disk.
fn dataset() -> Vec<(&'static str, &'static str, String, String)> {
    let mut files = Vec::new();
    for (split, count) in [("test", 300), ("train", 1200)] {
        for (class, positive) in [("neg", false), ("pos", true)] {
            for n in 0..count {
                let rating = if positive { 9 } else { 2 };
                let seed = n + if split == "test" { 100_000 } else { 0 };
                files.push((
                    split,
                    class,
                    format!("{n}_{rating}.txt"),
                    review(seed, positive),
                ));
            }
        }
    }
    files
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trainer-sorted-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn write_folder(root: &Path) {
    for (split, class, name, text) in dataset() {
        let dir = root.join("aclImdb").join(split).join(class);
        std::fs::create_dir_all(&dir).expect("folder");
        std::fs::write(dir.join(name), text).expect("file");
    }
}

fn write_archive(path: &Path) {
    let file = std::fs::File::create(path).expect("archive");
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (split, class, name, text) in dataset() {
        let mut header = tar::Header::new_ustar();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(
            &mut header,
            format!("aclImdb/{split}/{class}/{name}"),
            text.as_bytes(),
        )
        .expect("member");
    }
    tar.into_inner()
        .expect("tar")
        .finish()
        .expect("gzip")
        .flush()
        .expect("flush");
}

/// A CSV of the training half, sorted by label.
fn write_sorted_csv(path: &Path) {
    let mut out = String::from("review,sentiment\n");
    for (split, class, _, text) in dataset() {
        if split == "train" {
            out.push_str(&format!("{text},{}\n", u8::from(class == "pos")));
        }
    }
    std::fs::write(path, out).expect("csv");
}

fn trainer(args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(args)
        .arg("--json")
        .output()
        .expect("trainer runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON report")
}

/// Trains on `data`, then scores the test half of the folder; the training report and the
/// accuracy.
fn train_and_score(data: &Path, extra: &[&str], test: &Path) -> (Value, f64) {
    let dir = scratch("models");
    let model = dir.join(format!(
        "{}.postcard",
        extra.len() + data.to_string_lossy().len()
    ));
    let mut args = vec![
        "train",
        "--data",
        data.to_str().expect("path"),
        "--out",
        model.to_str().expect("path"),
    ];
    args.extend_from_slice(extra);
    let report = trainer(&args);
    let scored = trainer(&[
        "eval",
        "--model",
        model.to_str().expect("path"),
        "--data",
        test.to_str().expect("path"),
    ]);
    (report, scored["accuracy"].as_f64().expect("accuracy"))
}

fn warned(report: &Value) -> bool {
    report["intake"]["longest_label_run"].as_u64().expect("run") >= 1000
}

#[test]
fn sorted_aclimdb_folders_and_archives_are_mixed_and_learn_well() {
    let root = scratch("folder");
    write_folder(&root);
    let folder = root.join("aclImdb");
    let archive = root.join("aclImdb_v1.tar.gz");
    write_archive(&archive);

    let (report, accuracy) = train_and_score(&folder, &[], &folder);
    assert_eq!(report["rows_trained"], 2400, "the train half only");
    assert!(!warned(&report), "{report}");
    assert!(accuracy > 0.85, "folder: {accuracy}");

    let (report, from_archive) = train_and_score(&archive, &[], &archive);
    assert_eq!(report["rows_trained"], 2400);
    assert!(!warned(&report), "{report}");
    assert!(from_archive > 0.85, "archive: {from_archive}");

    // Learned in the order it lies in one pass, the same data makes a useless model. (The
    // site recipe's log-count ratios, counted over every row before learning, and its
    // averaged passes make it far less so; the warning stands.)
    let sorted = root.join("sorted.csv");
    write_sorted_csv(&sorted);
    let one_pass = ["--no-ratios", "--passes", "1", "--average-last", "0"];
    let (report, in_file_order) = train_and_score(&sorted, &one_pass, &folder);
    assert!(warned(&report), "{report}");
    assert!(in_file_order < 0.7, "sorted CSV: {in_file_order}");
    let (report, shuffled) = train_and_score(&sorted, &["--shuffle", "5000"], &folder);
    assert!(!warned(&report), "{report}");
    assert!(shuffled > 0.85, "shuffled CSV: {shuffled}");
}

#[test]
fn the_same_seed_gives_the_same_model() {
    let root = scratch("seed");
    let archive = root.join("aclImdb_v1.tar.gz");
    write_archive(&archive);
    let model = |seed: &str, name: &str| {
        let out = root.join(name);
        trainer(&[
            "train",
            "--data",
            archive.to_str().expect("path"),
            "--seed",
            seed,
            "--out",
            out.to_str().expect("path"),
        ]);
        std::fs::read(out).expect("model")
    };
    assert_eq!(model("1", "a.postcard"), model("1", "b.postcard"));
    assert_ne!(model("1", "a.postcard"), model("2", "c.postcard"));
}

#[test]
fn a_truncated_archive_stops_with_a_message() {
    let root = scratch("truncated");
    let archive = root.join("aclImdb_v1.tar.gz");
    write_archive(&archive);
    let bytes = std::fs::read(&archive).expect("archive");
    let cut = root.join("cut.tar");
    // The tar inside, cut in the middle of a member.
    let mut tar = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(bytes.as_slice()),
        &mut tar,
    )
    .expect("gunzip");
    std::fs::write(&cut, &tar[..tar.len() / 2 + 100]).expect("cut");
    let output = Command::new(env!("CARGO_BIN_EXE_trainer"))
        .args(["train", "--data", cut.to_str().expect("path"), "--out"])
        .arg(root.join("m.postcard"))
        .output()
        .expect("trainer runs");
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("truncated"), "{message}");
}
