#!/usr/bin/env bash
# Times the reference notebook's scikit-learn training and `trainer train --preset seed` on the
# same file, one after the other, and prints both times and the ratio.
#
# Usage: scripts/bench_vs_notebook.sh [DATA.csv.gz] [TRAIN_ROWS]
# Defaults: ../shared/data/movie_data.csv.gz and 45000 (the project's protocol). scikit-learn
# comes from scripts/.bench-venv, made on first use; without python3 only the trainer is timed.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/movie_data.csv.gz}"
train_rows="${2:-45000}"
[ -f "$data" ] || { echo "bench: no such file: $data" >&2; exit 1; }
stop_words=../shared/data/nltk_english_stopwords.txt

cargo build --release -p trainer --quiet
trainer="${CARGO_TARGET_DIR:-target}/release/trainer"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# The trainer's whole process is timed: reading the .csv.gz to the finished model file (the
# rows after the first TRAIN_ROWS are read and held out, not learned). No review holds a
# newline, so lines count rows.
total_rows=$(($(gzip -dc "$data" | wc -l) - 1))
test_rows=$((total_rows - train_rows))
start=$(date +%s.%N)
"$trainer" train --data "$data" --test-rows "$test_rows" --preset seed --out "$out/seed.postcard" --quiet >/dev/null
end=$(date +%s.%N)
rust_s=$(echo "$end - $start" | bc -l)
printf 'trainer (seed preset):        %.3f s\n' "$rust_s"

if ! command -v python3 >/dev/null; then
    echo "python3 is missing: the notebook's code was not timed, so there is no ratio."
    exit 0
fi
venv=scripts/.bench-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet scikit-learn
fi
[ -f "$stop_words" ] || { echo "bench: $stop_words is missing" >&2; exit 1; }

# The notebook's code as written (chapter 8): its tokenizer, a streaming generator over the
# CSV, HashingVectorizer(2**21) and SGDClassifier(log_loss, random_state=1), 45 partial_fit
# calls of 1,000 rows. It reads the decompressed CSV, as the notebook does.
gzip -dc "$data" > "$out/movie_data.csv"
python_s=$("$venv/bin/python" - "$out/movie_data.csv" "$stop_words" "$train_rows" <<'PY'
import re, sys, time
import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

path, stop_path, train_rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
stop = open(stop_path, encoding="utf-8").read().split()

def tokenizer(text):
    text = re.sub('<[^>]*>', '', text)
    emoticons = re.findall(r'(?::|;|=)(?:-)?(?:\)|\(|D|P)', text.lower())
    text = re.sub(r'[\W]+', ' ', text.lower()) + ' '.join(emoticons).replace('-', '')
    return [w for w in text.split() if w not in stop]

def stream_docs(path):
    with open(path, 'r', encoding='utf-8') as csv:
        next(csv)
        for line in csv:
            text, label = line[:-3], int(line[-2])
            yield text, label

def get_minibatch(doc_stream, size):
    docs, y = [], []
    for _ in range(size):
        text, label = next(doc_stream)
        docs.append(text)
        y.append(label)
    return docs, y

start = time.perf_counter()
vect = HashingVectorizer(decode_error='ignore', n_features=2**21, preprocessor=None,
                         tokenizer=tokenizer)
clf = SGDClassifier(loss='log_loss', random_state=1)
doc_stream = stream_docs(path)
classes = np.array([0, 1])
for _ in range(train_rows // 1000):
    X_train, y_train = get_minibatch(doc_stream, size=1000)
    X_train = vect.transform(X_train)
    clf.partial_fit(X_train, y_train, classes=classes)
print(time.perf_counter() - start)
PY
)
printf 'notebook (scikit-learn):      %.3f s\n' "$python_s"
printf 'ratio (notebook / trainer):   %.1fx\n' "$(echo "$python_s / $rust_s" | bc -l)"
