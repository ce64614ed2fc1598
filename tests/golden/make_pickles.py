"""Writes the golden pickles the Rust tests import, pickled by scikit-learn itself.

A developer tool (the files are committed). Run it once with scikit-learn 1.9.1 and once with
an older scikit-learn that still wrote `loss='log'` and `numpy.core` (see ../shared/TOOLCHAIN.md):

    python3 -m venv .venv && .venv/bin/pip install scikit-learn
    .venv/bin/python tests/golden/make_pickles.py
    PYENV_VERSION=3.10.13 python -m venv .venv-old
    .venv-old/bin/pip install 'scikit-learn==1.0.2' 'numpy<1.24' 'scipy<1.12'
    .venv-old/bin/python tests/golden/make_pickles.py

Each run trains `SGDClassifier(loss=...)` the notebook's way (its tokenizer,
`HashingVectorizer(n_features=2**21)`, `partial_fit` on batches of 1,000) on 3,000 rows of
../shared/data/movie_data.csv.gz and writes, in tests/golden/pickles/:

- sgd-<version>-protocol<P>.pkl.gz: the classifier pickled with protocol P (2, 4 and 5 with
  scikit-learn 1.9.1; 4, the notebook's, with the older one);
- sgd-<version>.json: predict_proba on 50 other rows, then coef_, intercept_ and t_ after three
  more `partial_fit` calls of 100 rows each (the rows are in the file), by the estimator
  loaded back from its pickle.

With scikit-learn 1.9.1 it also writes tests/golden/pickles/refused/, small estimators the import
must refuse (another loss, averaging, elastic net, a constant rate, no random_state, another
estimator, word labels), and the notebook's own files, made the notebook's way (its
`stream_docs`, 45 batches of 1,000 on the protocol's first 45,000 rows, protocol 4), to
tests/fixtures/notebook/: classifier.pkl.gz, stopwords.pkl, and notebook.json with the
probability the notebook prints for its example review.
"""

import gzip
import json
import pickle
import sys
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.linear_model import SGDClassifier

# The notebook's tokenizer and vectorizer, and the reader of the corpus, as the other golden
# fixtures use them.
from make_golden import DATA, read_reviews, stop, vect

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "pickles"
NOTEBOOK = ROOT / "tests" / "fixtures" / "notebook"
VERSION = sklearn.__version__
OLD = tuple(int(p) for p in VERSION.split(".")[:2]) < (1, 1)
# scikit-learn before 1.1 called the logistic loss 'log'.
LOSS = "log" if OLD else "log_loss"
PROTOCOLS = [4] if OLD else [2, 4, 5]


def bits(values):
    return [float(v) for v in values]


def golden():
    clf = SGDClassifier(loss=LOSS, random_state=1)
    classes = np.array([0, 1])
    for b in range(3):
        rows = read_reviews(1000 * b, 1000)
        clf.partial_fit(vect.transform([t for t, _ in rows]), [y for _, y in rows], classes=classes)
    OUT.mkdir(exist_ok=True)
    for protocol in PROTOCOLS:
        path = OUT / f"sgd-{VERSION}-protocol{protocol}.pkl.gz"
        # mtime=0: the same model gives the same file.
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(pickle.dumps(clf, protocol=protocol))
        print(f"wrote {path.relative_to(ROOT)}")
    # What a person who loads the pickle gets: scikit-learn's own in-memory estimator can
    # differ from it in the last bits of a later partial_fit.
    clf = pickle.loads(pickle.dumps(clf, protocol=4))
    predict = read_reviews(3000, 50)
    proba = clf.predict_proba(vect.transform([t for t, _ in predict]))[:, 1]
    batches = []
    for b in range(3):
        rows = read_reviews(3050 + 100 * b, 100)
        texts = [t for t, _ in rows]
        labels = [y for _, y in rows]
        clf.partial_fit(vect.transform(texts), labels)
        batches.append({"texts": texts, "labels": labels})
    coef = clf.coef_[0]
    nonzero = np.flatnonzero(coef)
    fixture = {
        "generated_by": {"script": "tests/golden/make_pickles.py", "python": sys.version.split()[0],
                         "scikit-learn": VERSION, "numpy": np.__version__, "scipy": scipy.__version__},
        "loss": LOSS,
        "protocols": PROTOCOLS,
        "predict": {"texts": [t for t, _ in predict], "proba": bits(proba)},
        "continue": {
            "batches": batches,
            "coef_indices": nonzero.tolist(),
            "coef_values": bits(coef[nonzero]),
            "intercept": float(clf.intercept_[0]),
            "t": float(clf.t_),
        },
    }
    path = OUT / f"sgd-{VERSION}.json"
    path.write_text(json.dumps(fixture, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


# The notebook's reading: a line of the CSV less its last three characters, quotes and all.
def stream_docs(path):
    with gzip.open(path, 'rt', encoding='utf-8') as csv_file:
        next(csv_file)
        for line in csv_file:
            text, label = line[:-3], int(line[-2])
            yield text, label


def get_minibatch(doc_stream, size):
    docs, y = [], []
    for _ in range(size):
        text, label = next(doc_stream)
        docs.append(text)
        y.append(label)
    return docs, y


def notebook():
    clf = SGDClassifier(loss='log_loss', random_state=1)
    doc_stream = stream_docs(DATA)
    classes = np.array([0, 1])
    for _ in range(45):
        X_train, y_train = get_minibatch(doc_stream, size=1_000)
        clf.partial_fit(vect.transform(X_train), y_train, classes=classes)
    NOTEBOOK.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(NOTEBOOK / "classifier.pkl.gz", "wb", mtime=0) as f:
        f.write(pickle.dumps(clf, protocol=4))
    (NOTEBOOK / "stopwords.pkl").write_bytes(pickle.dumps(stop, protocol=4))
    example = "I love this movie. It's amazing."
    proba = clf.predict_proba(vect.transform([example]))[0]
    label = int(clf.predict(vect.transform([example]))[0])
    fixture = {
        "generated_by": {"script": "tests/golden/make_pickles.py", "scikit-learn": VERSION},
        "example": example,
        "label": label,
        "probability": float(np.max(proba)),
    }
    (NOTEBOOK / "notebook.json").write_text(json.dumps(fixture), encoding="utf-8")
    print(f"wrote {NOTEBOOK.relative_to(ROOT)}: classifier.pkl.gz, stopwords.pkl, notebook.json")


# Small estimators the import must refuse, each for one reason it names.
def refused():
    from sklearn.linear_model import LogisticRegression
    X = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    y = np.array([0, 1])
    cases = {
        "hinge": SGDClassifier(loss='hinge', random_state=1),
        "averaged": SGDClassifier(loss='log_loss', average=True, random_state=1),
        "elasticnet": SGDClassifier(loss='log_loss', penalty='elasticnet', random_state=1),
        "constant-rate": SGDClassifier(loss='log_loss', learning_rate='constant', eta0=0.1, random_state=1),
        "no-random-state": SGDClassifier(loss='log_loss'),
        "logistic-regression": LogisticRegression(),
    }
    folder = OUT / "refused"
    folder.mkdir(exist_ok=True)
    for name, estimator in cases.items():
        if isinstance(estimator, SGDClassifier):
            estimator.partial_fit(X, y, classes=np.array([0, 1]))
        else:
            estimator.fit(X, y)
        (folder / f"{name}.pkl").write_bytes(pickle.dumps(estimator, protocol=4))
    words = SGDClassifier(loss='log_loss', random_state=1)
    words.partial_fit(X, np.array(['negative', 'positive']), classes=np.array(['negative', 'positive']))
    (folder / "word-labels.pkl").write_bytes(pickle.dumps(words, protocol=4))
    print(f"wrote {folder.relative_to(ROOT)}")


if __name__ == "__main__":
    golden()
    if not OLD:
        notebook()
        refused()
