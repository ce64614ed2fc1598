"""Counts the reviews of the whole corpus on which the Rust tokenizer and scikit-learn's differ.

A developer check, too slow and too dependent on Python for the test suite:

    cargo build --release -p trainer
    .venv/bin/python tests/golden/check_corpus_tokens.py [../shared/data/movie_data.csv.gz]

It runs `trainer tokenize` and the reference notebook's tokenizer (on `text.lower()`, as
`HashingVectorizer` calls it) over every row and prints how many rows differ, with the first few.
"""

import csv
import gzip
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import DATA, ROOT, tokenizer  # noqa: E402


def main():
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    trainer = ROOT / "target" / "release" / "trainer"
    rust = subprocess.run(
        [str(trainer), "tokenize", "--preset", "notebook", "--data", str(data)], check=True, capture_output=True
    ).stdout.decode("utf-8").split("\n")
    with gzip.open(data, "rt", encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        next(rows)
        differing = []
        count = 0
        for n, (text, _) in enumerate(rows):
            count += 1
            python = " ".join(tokenizer(text.lower()))
            if n >= len(rust) or rust[n] != python:
                differing.append(n)
    print(f"{count} reviews, {len(differing)} with different tokens")
    for n in differing[:5]:
        print(f"  row {n + 1}")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
