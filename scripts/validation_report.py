#!/usr/bin/env python3
"""Chooses the site recipe's hyper-parameters by 5-fold cross-validation on the standard IMDB
split's 25,000 training reviews only, and prints the table (a report, not a test):

    python3 scripts/validation_report.py [--quick] [TEXT]
        --quick: the first fold only; TEXT: only the variants whose name holds TEXT

Each fold holds out 5,000 consecutive rows of imdb_train.csv (which make_imdb_split.py shuffles
once) and learns the other 20,000. The test reviews are never read here: they are scored once
per recipe by scripts/accuracy_report.py, after the choice is made.
"""
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(ROOT), 'shared', 'data')
TRAINER = os.path.join(ROOT, 'target', 'release', 'trainer')
FOLDS = 5

ALL = ['--keep-all-weights']


def recipe(ratios=1, floor=0, passes=3, average=2, eta0=1, log2=22, keep='all', prune='use', ngrams=2):
    """Every option the choice is about, spelled out, on top of the site recipe's tokenizer
    (every word kept), AdaGrad, batches of 1,000 and 8-bit weights."""
    args = ['--passes', str(passes), '--average-last', str(average), '--adagrad', str(eta0),
            '--features-log2', str(log2), '--ngram-max', str(ngrams), '--prune-by', prune]
    args += ['--ratio-smoothing', str(ratios), '--ratio-floor', str(floor)] if ratios else ['--no-ratios']
    args += ALL if keep == 'all' else ['--keep-weights', str(keep)]
    return args


# (the variant, trainer options)
VARIANTS = [
    ('the site recipe before: 1 pass, eta0 0.6, 2^21 features, the 120,000 largest weights kept',
     recipe(None, 0, 1, 0, 0.6, 21, 120_000, 'magnitude')),
    ('same, every weight kept', recipe(None, 0, 1, 0, 0.6, 21)),
    ('log-count ratios (smoothing 1), every weight kept', recipe(1, 0, 1, 0, 0.6, 21)),
    ('ratios, 3 passes averaged over the last 2, eta0 1', recipe(log2=21)),
    ('same, eta0 0.6', recipe(eta0=0.6, log2=21)),
    ('same, eta0 2', recipe(eta0=2, log2=21)),
    ('same, 5 passes averaged over the last 4', recipe(passes=5, average=4, log2=21)),
    ('same, smoothing 0.5', recipe(ratios=0.5, log2=21)),
    ('same, smoothing 2', recipe(ratios=2, log2=21)),
    ('ratios, 3 passes, eta0 1, 2^22 features', recipe()),
    ('same, trigrams (2,000,000 kept)', recipe(keep=2_000_000, ngrams=3)),
    ('same, bigrams, 120,000 kept, the largest', recipe(keep=120_000, prune='magnitude')),
    ('same, 120,000 kept by use', recipe(keep=120_000)),
    ('same, 160,000 kept by use', recipe(keep=160_000)),
    ('same, 200,000 kept by use', recipe(keep=200_000)),
    ('same, 300,000 kept by use', recipe(keep=300_000)),
    ('same, trigrams, 120,000 kept by use', recipe(keep=120_000, ngrams=3)),
    ('same, trigrams, 160,000 kept by use', recipe(keep=160_000, ngrams=3)),
    ('same, trigrams, 300,000 kept by use', recipe(keep=300_000, ngrams=3)),
    ('trigrams, 120,000 kept by use, smoothing 5', recipe(ratios=5, keep=120_000, ngrams=3)),
    ('trigrams, 120,000 kept by use, smoothing 20', recipe(ratios=20, keep=120_000, ngrams=3)),
    ('trigrams, 120,000 kept by use, smoothing 1, floor 0.1', recipe(floor=0.1, keep=120_000, ngrams=3)),
    ('trigrams, 120,000 kept by use, smoothing 5, floor 0.1', recipe(ratios=5, floor=0.1, keep=120_000, ngrams=3)),
    ('trigrams, 120,000 kept by use, smoothing 5, floor 0.3', recipe(ratios=5, floor=0.3, keep=120_000, ngrams=3)),
    ('trigrams, 120,000 kept by use, smoothing 20, floor 0.1', recipe(ratios=20, floor=0.1, keep=120_000, ngrams=3)),
    ('**the site recipe now** (its defaults)', []),
    ('the site recipe, 120,000 weights kept (the model shipped before)', ['--keep-weights', '120000']),
    ('the site recipe, its weights in 64 bits', ['--precision', 'f64']),
    ('the site recipe, 4 passes averaged over the last 3', ['--passes', '4', '--average-last', '3']),
    ('the site recipe, alpha 2e-6', ['--alpha', '2e-6']),
    ('the site recipe, batches of 500', ['--batch-size', '500']),
]


def trainer(*args):
    out = subprocess.run([TRAINER, *args, '--json'], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    folds = 1 if '--quick' in sys.argv[1:] else FOLDS
    wanted = [arg for arg in sys.argv[1:] if not arg.startswith('--')]
    variants = [(name, args) for name, args in VARIANTS if all(text in name for text in wanted)]
    subprocess.run(['cargo', 'build', '--release', '--quiet', '-p', 'trainer'], check=True, cwd=ROOT)
    csv.field_size_limit(1 << 30)
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, os.path.join(DATA, 'make_imdb_split.py'), out],
                       check=True, capture_output=True)
        with open(os.path.join(out, 'imdb_train.csv'), encoding='utf-8', newline='') as f:
            header, *rows = list(csv.reader(f))
        size = len(rows) // FOLDS
        files = []
        for k in range(folds):
            held = rows[k * size:(k + 1) * size]
            path = os.path.join(out, f'fold{k}.csv')
            with open(path, 'w', encoding='utf-8', newline='') as f:
                writer = csv.writer(f, lineterminator='\n')
                writer.writerow(header)
                writer.writerows(rows[:k * size] + rows[(k + 1) * size:] + held)
            files.append((path, len(held)))
        model = os.path.join(out, 'model.postcard')
        print(f'| variant | accuracy, mean of {folds} folds (sd) | log loss | gzip\'d model | train time |')
        print('| --- | --- | --- | --- | --- |')
        for name, args in variants:
            reports = [trainer('train', '--data', path, '--test-rows', str(held), '--out', model,
                               '--quiet', *args) for path, held in files]
            accuracy = [r['held_out']['accuracy'] for r in reports]
            log_loss = [r['held_out']['log_loss'] for r in reports]
            sd = f' ({statistics.stdev(accuracy):.4f})' if folds > 1 else ''
            print(f"| {name} | {statistics.mean(accuracy):.4f}{sd} | {statistics.mean(log_loss):.4f} "
                  f"| {reports[0]['model_bytes_gzip']:,} B | {statistics.median(r['seconds'] for r in reports):.2f} s |",
                  flush=True)


if __name__ == '__main__':
    main()
