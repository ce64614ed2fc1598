"""Writes the golden fixtures the Rust tests compare against, computed by scikit-learn itself.

A developer tool, never needed by the product or by CI (the fixtures are committed):

    python3 -m venv .venv && .venv/bin/pip install scikit-learn
    .venv/bin/python tests/golden/make_golden.py

It runs the reference notebook's tokenizer, `HashingVectorizer(n_features=2**21)` and
`SGDClassifier(loss='log_loss', random_state=1)` exactly as the notebook writes them, on real
reviews from ../shared/data/movie_data.csv.gz and on hand-made edge cases, and writes:

- tests/golden/vectorize.json: tokens and feature vectors of every case;
- tests/golden/sgd.json: coef_, intercept_ and t_ after each of three `partial_fit` calls of
  100 rows, then predict_proba on 50 other rows.
"""

import csv
import gzip
import json
import re
import sys
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT.parent / "shared" / "data" / "movie_data.csv.gz"
stop = (ROOT / "src" / "tokenize" / "stop_words.txt").read_text(encoding="utf-8").splitlines()


# The reference notebook's tokenizer, character for character.
def tokenizer(text):
    text = re.sub('<[^>]*>', '', text)
    emoticons = re.findall(r'(?::|;|=)(?:-)?(?:\)|\(|D|P)', text.lower())
    text = re.sub(r'[\W]+', ' ', text.lower()) + ' '.join(emoticons).replace('-', '')
    tokenized = [w for w in text.split() if w not in stop]
    return tokenized


vect = HashingVectorizer(decode_error='ignore', n_features=2**21, preprocessor=None, tokenizer=tokenizer)

# Rebuilt by the Rust test from this recipe rather than stored: 1,000,000 characters.
BIG_UNIT = "<p>An excellent, moving film :-) but İ ΣΑΣ ½ x² the ending was bad! ;( </p>\n"
BIG_CHARS = 1_000_000

EDGE_CASES = [
    "",
    "the and of a it is was",
    '<a href="x">Link</a> text<br /><br />more < not a tag',
    "<unclosed tag text",
    "a > b < c > d",
    ":) :( :D :P ;) ;( ;D ;P =) =( =D =P :-) :-( :-D :-P ;-) ;-( ;-D ;-P =-) =-( =-D =-P",
    ":d :p ;d =p :-d",
    "great:) nice :) film",
    "nice :) film :-(",
    "Café naïve résumé Ångström",
    "Cafe\u0301 nai\u0308ve re\u0301sume\u0301",
    "x² ½ ³⁄₄ ① Ⅻ ٣ ௰",
    "İstanbul DİYARBAKIR ı",
    "ΣΑΣ ΟΔΥΣΣΕΥΣ Σ aΣ Σa ΑΣ' Α'Σ ΣΑΣ\u0301",
    "I loved it 😍🎬👍🏽 ❤️ 10/10",
    "这部电影很好看 映画は素晴らしい 영화가 좋아요",
    "snake_case 2001 a_b 3rd __init__",
    "tab\tnew\nline\u00a0nbsp\u2003em\u3000ideographic",
    "STRASSE straße ẞ Kelvin \u212a ǅ ǈ",
    "don't won't it's I'm you're",
    "\u200bzero\u200bwidth\u00adsoft\u00adhyphen",
    "Ωmega ΣΙΣΥΦΟΣ ὈΔΥΣΣΕΎΣ",
]


def big_text():
    repeats = BIG_CHARS // len(BIG_UNIT) + 1
    return (BIG_UNIT * repeats)[:BIG_CHARS]


def read_reviews(first, count):
    with gzip.open(DATA, "rt", encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        next(rows)
        out = []
        for n, (text, label) in enumerate(rows):
            if n >= first + count:
                break
            if n >= first:
                out.append((text, int(label)))
        return out


def vector(text):
    row = vect.transform([text])
    return row.indices.tolist(), row.data.tolist()


def vectorize_fixture():
    cases = []
    for text in EDGE_CASES:
        indices, values = vector(text)
        cases.append({"text": text, "tokens": tokenizer(text.lower()), "indices": indices, "values": values})
    for text, _ in read_reviews(0, 300):
        indices, values = vector(text)
        cases.append({"text": text, "tokens": tokenizer(text.lower()), "indices": indices, "values": values})
    big = big_text()
    indices, values = vector(big)
    return {
        "cases": cases,
        "big": {
            "unit": BIG_UNIT,
            "chars": BIG_CHARS,
            "token_count": len(tokenizer(big.lower())),
            "indices": indices,
            "values": values,
        },
    }


def sgd_fixture():
    clf = SGDClassifier(loss='log_loss', random_state=1)
    classes = np.array([0, 1])
    batches = []
    for b in range(3):
        rows = read_reviews(300 + 100 * b, 100)
        texts = [t for t, _ in rows]
        labels = [y for _, y in rows]
        clf.partial_fit(vect.transform(texts), labels, classes=classes)
        coef = clf.coef_[0]
        nonzero = np.flatnonzero(coef)
        batches.append({
            "texts": texts,
            "labels": labels,
            "coef_indices": nonzero.tolist(),
            "coef_values": coef[nonzero].tolist(),
            "intercept": float(clf.intercept_[0]),
            "t": float(clf.t_),
        })
    rows = read_reviews(600, 50)
    texts = [t for t, _ in rows]
    proba = clf.predict_proba(vect.transform(texts))[:, 1]
    return {"batches": batches, "predict": {"texts": texts, "proba": proba.tolist()}}


def main():
    versions = {"python": sys.version.split()[0], "scikit-learn": sklearn.__version__,
                "numpy": np.__version__, "scipy": scipy.__version__}
    for name, fixture in [("vectorize.json", vectorize_fixture()), ("sgd.json", sgd_fixture())]:
        fixture["generated_by"] = {"script": "tests/golden/make_golden.py", **versions}
        (HERE / name).write_text(json.dumps(fixture, ensure_ascii=False), encoding="utf-8")
        print(f"wrote tests/golden/{name}")


if __name__ == "__main__":
    main()
