//! The notebook's pickles, in and out, against scikit-learn itself: golden pickles written by
//! `tests/golden/make_pickles.py` (scikit-learn 1.9.1 with protocols 2, 4 and 5, and 1.0.2
//! with `loss='log'` and `numpy.core`) import to the same probabilities and go on learning to
//! the same bits; an exported pickle loads in scikit-learn and does the same there; and the
//! estimators the import cannot continue exactly are refused, each by name.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use movieclassifier::{sklearn, Classifier, Label};
use serde_json::Value;

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{labels, numbers, texts};

const TRAINER: &str = env!("CARGO_BIN_EXE_trainer");

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/golden/pickles")
        .join(name)
}

fn gunzip(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .expect("gzip");
    bytes
}

fn json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).expect("json")
}

/// Predictions within 1e-15 and, after three more `partial_fit` calls, every weight, the
/// intercept and `t_` to the bit.
fn assert_continues_as_scikit_learn(mut classifier: Classifier, fixture: &Value, what: &str) {
    let predict = &fixture["predict"];
    for (text, python) in texts(&predict["texts"])
        .into_iter()
        .zip(numbers(&predict["proba"]))
    {
        let rust = classifier.predict_proba(text);
        assert!((rust - python).abs() <= 1e-15, "{what}: {rust} != {python}");
    }
    let more = &fixture["continue"];
    for batch in more["batches"].as_array().expect("batches") {
        classifier
            .partial_fit(&texts(&batch["texts"]), &labels(&batch["labels"]))
            .expect("learns");
    }
    let weights = classifier.weights();
    let columns: Vec<u32> = weights.iter().map(|&(column, _)| column).collect();
    let expected: Vec<u32> = numbers(&more["coef_indices"])
        .into_iter()
        .map(|c| c as u32)
        .collect();
    assert_eq!(columns, expected, "{what}: columns");
    for (&(column, rust), python) in weights.iter().zip(numbers(&more["coef_values"])) {
        assert_eq!(rust.to_bits(), python.to_bits(), "{what}: column {column}");
    }
    assert_eq!(
        classifier.intercept().to_bits(),
        more["intercept"].as_f64().expect("intercept").to_bits(),
        "{what}: intercept"
    );
    assert_eq!(classifier.t(), more["t"].as_f64().expect("t"), "{what}: t_");
}

#[test]
fn golden_pickles_import_and_go_on_learning_as_scikit_learn() {
    for (version, protocols) in [("1.9.1", &[4, 5, 2][..]), ("1.0.2", &[4][..])] {
        let fixture = json(&golden(&format!("sgd-{version}.json")));
        for protocol in protocols {
            let what = format!("scikit-learn {version}, protocol {protocol}");
            let bytes = gunzip(&golden(&format!("sgd-{version}-protocol{protocol}.pkl.gz")));
            let classifier =
                sklearn::import(&bytes, None).unwrap_or_else(|err| panic!("{what}: {err}"));
            assert_continues_as_scikit_learn(classifier, &fixture, &what);
        }
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trainer-pickles-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn trainer(args: &[&str]) -> std::process::Output {
    Command::new(TRAINER)
        .args(args)
        .output()
        .expect("trainer runs")
}

#[test]
fn the_command_line_imports_the_notebook_files_with_their_stop_words() {
    let dir = scratch("cli");
    let notebook = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/notebook");
    let pickle = dir.join("classifier.pkl");
    std::fs::write(&pickle, gunzip(&notebook.join("classifier.pkl.gz"))).expect("writes");
    let out = dir.join("notebook.postcard");
    let stop_words = notebook.join("stopwords.pkl");
    let run = trainer(&[
        "import-pickle",
        pickle.to_str().expect("path"),
        "--stop-words",
        stop_words.to_str().expect("path"),
        "--out",
        out.to_str().expect("path"),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let classifier = Classifier::from_bytes(&std::fs::read(&out).expect("model")).expect("valid");
    let expected = json(&notebook.join("notebook.json"));
    let example = expected["example"].as_str().expect("example");
    let probability = classifier.predict_proba(example);
    let python = expected["probability"].as_f64().expect("probability");
    assert!(
        (probability - python).abs() <= 1e-15,
        "{probability} != {python}"
    );

    // A stop-word list other than the library's is carried in the model.
    let own = dir.join("own-stopwords.pkl");
    let mut list = vec!["movie".to_string()];
    list.extend(movieclassifier::tokenize::stop_words().map(str::to_owned));
    std::fs::write(&own, python_list(&list)).expect("writes");
    let classifier = sklearn::import(
        &std::fs::read(&pickle).expect("pickle"),
        Some(&std::fs::read(&own).expect("list")),
    )
    .expect("imports");
    let tokens: Vec<String> = classifier
        .tokenize("I love this movie")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(tokens, ["love"]);
    let reread = Classifier::from_bytes(&classifier.to_lossless_bytes()).expect("round trip");
    assert_eq!(reread.config(), classifier.config());
}

/// A list of strings as Python pickles it.
fn python_list(words: &[String]) -> Vec<u8> {
    use movieclassifier::pickle::{write, Out};
    write(&Out::List(
        words.iter().map(|w| Out::Str(w.clone())).collect(),
    ))
}

#[test]
fn estimators_that_cannot_go_on_exactly_are_refused_by_name() {
    let cases = [
        ("hinge.pkl", "loss='hinge'"),
        ("averaged.pkl", "average=True"),
        ("elasticnet.pkl", "penalty='elasticnet'"),
        ("constant-rate.pkl", "learning_rate='constant'"),
        ("no-random-state.pkl", "random_state=None"),
        ("logistic-regression.pkl", "LogisticRegression"),
        ("word-labels.pkl", "classes_"),
    ];
    for (name, named) in cases {
        let bytes = std::fs::read(golden("refused").join(name)).expect("fixture");
        let err = sklearn::import(&bytes, None).expect_err(name).to_string();
        assert!(err.contains(named), "{name}: {err}");
    }
}

#[test]
fn hostile_pickles_are_refused_and_run_nothing() {
    use movieclassifier::pickle::{write, Out};
    let marker = scratch("hostile").join("ran");
    let command = format!("touch {}", marker.display());
    let system = write(&Out::Reduce(
        Box::new(Out::Global("os".into(), "system".into())),
        vec![Out::Str(command)],
    ));
    let err = sklearn::import(&system, None)
        .expect_err("os.system")
        .to_string();
    assert!(err.contains("os.system"), "{err}");
    assert!(err.contains("a model never needs that"), "{err}");
    assert!(!marker.exists());

    let good = gunzip(&golden("sgd-1.9.1-protocol4.pkl.gz"));
    for cut in [1, 2, 100, good.len() / 2, good.len() - 1] {
        let err = sklearn::import(&good[..cut], None).expect_err("truncated");
        assert!(!err.to_string().is_empty());
    }
    // A header claiming 10 GB of bytes.
    let mut lying = vec![0x80, 4, 0x8e];
    lying.extend_from_slice(&(10u64 << 30).to_le_bytes());
    lying.extend_from_slice(b"short");
    assert!(sklearn::import(&lying, None).is_err());
    // Lists nested a million deep.
    let mut deep = vec![0x80, 4];
    deep.extend(std::iter::repeat_n(b']', 1_000_000));
    assert!(sklearn::import(&deep, None).is_err());
}

/// A Python with scikit-learn: `MOVIECLASSIFIER_PYTHON`, or the venv `scripts/test.sh` makes.
fn python() -> Option<PathBuf> {
    let path = std::env::var_os("MOVIECLASSIFIER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/.bench-venv/bin/python")
        });
    path.exists().then_some(path)
}

/// Run in scikit-learn on an exported pickle: predict_proba on the texts, then one more
/// partial_fit, printed as JSON.
const CHECK_EXPORT: &str = r#"
import json, pickle, re, sys
import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
stop = pickle.load(open(sys.argv[2], 'rb'))
def tokenizer(text):
    text = re.sub('<[^>]*>', '', text)
    emoticons = re.findall(r'(?::|;|=)(?:-)?(?:\)|\(|D|P)', text.lower())
    text = re.sub(r'[\W]+', ' ', text.lower()) + ' '.join(emoticons).replace('-', '')
    return [w for w in text.split() if w not in stop]
vect = HashingVectorizer(decode_error='ignore', n_features=2**21, preprocessor=None, tokenizer=tokenizer)
clf = pickle.load(open(sys.argv[1], 'rb'))
data = json.load(sys.stdin)
proba = clf.predict_proba(vect.transform(data['predict']))[:, 1]
clf.partial_fit(vect.transform(data['texts']), data['labels'])
coef = clf.coef_[0]
nonzero = np.flatnonzero(coef)
print(json.dumps({'proba': proba.tolist(), 'indices': nonzero.tolist(), 'values': coef[nonzero].tolist(),
                  'intercept': float(clf.intercept_[0]), 't': float(clf.t_)}))
"#;

#[test]
fn an_exported_pickle_loads_in_scikit_learn_and_goes_on_as_ours() {
    let Some(python) = python() else {
        eprintln!("no Python with scikit-learn (scripts/test.sh makes one): export check skipped");
        return;
    };
    let fixture = json(&golden("sgd-1.9.1.json"));
    let bytes = gunzip(&golden("sgd-1.9.1-protocol4.pkl.gz"));
    let mut ours = sklearn::import(&bytes, None).expect("imports");
    // Taught one at a time, as the page teaches.
    ours.teach("A wonderful, moving film.", Label::Positive)
        .expect("learns");
    ours.teach("Dull and far too long.", Label::Negative)
        .expect("learns");

    let dir = scratch("export");
    let (pickle, stop_words) = (dir.join("classifier.pkl"), dir.join("stopwords.pkl"));
    std::fs::write(&pickle, sklearn::export(&ours).expect("exports")).expect("writes");
    std::fs::write(&stop_words, sklearn::export_stop_words(&ours)).expect("writes");
    let predict = texts(&fixture["predict"]["texts"]);
    let batch = &fixture["continue"]["batches"][0];
    let input = serde_json::json!({
        "predict": predict,
        "texts": batch["texts"],
        "labels": batch["labels"],
    });
    let mut child = Command::new(&python)
        .args(["-c", CHECK_EXPORT])
        .arg(&pickle)
        .arg(&stop_words)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(input.to_string().as_bytes())
            .expect("writes");
    }
    let output = child.wait_with_output().expect("python ends");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let python: Value = serde_json::from_slice(&output.stdout).expect("json");

    for (text, theirs) in predict.iter().zip(numbers(&python["proba"])) {
        let rust = ours.predict_proba(text);
        assert!((rust - theirs).abs() <= 1e-15, "{rust} != {theirs}");
    }
    ours.partial_fit(&texts(&batch["texts"]), &labels(&batch["labels"]))
        .expect("learns");
    let weights = ours.weights();
    let columns: Vec<u32> = weights.iter().map(|&(column, _)| column).collect();
    let theirs: Vec<u32> = numbers(&python["indices"])
        .into_iter()
        .map(|c| c as u32)
        .collect();
    assert_eq!(columns, theirs);
    for (&(column, rust), python) in weights.iter().zip(numbers(&python["values"])) {
        assert_eq!(rust.to_bits(), python.to_bits(), "column {column}");
    }
    assert_eq!(
        ours.intercept().to_bits(),
        python["intercept"].as_f64().expect("intercept").to_bits()
    );
    assert_eq!(ours.t(), python["t"].as_f64().expect("t"));
}

#[test]
fn models_of_other_recipes_are_not_exported() {
    let site = Classifier::new(movieclassifier::train::Recipe::site().config).expect("valid");
    let err = sklearn::export(&site).expect_err("site recipe").to_string();
    assert!(err.contains("scikit-learn"), "{err}");
}
