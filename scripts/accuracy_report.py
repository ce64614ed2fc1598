#!/usr/bin/env python3
"""Trains and scores each recipe on the standard IMDB split and on the project's 45k/5k
protocol, and prints the table (a report, not a test):

    python3 scripts/accuracy_report.py [RECIPE ...]      # default: every named recipe

Standard split (Maas et al. 2011; the split published results use): learn the 25,000 train/
reviews, score the 25,000 test/ reviews, rebuilt by ../shared/data/make_imdb_split.py, read
both from its CSVs and from its aclImdb_v1.tar.gz. Protocol: learn the first 45,000 rows of
../shared/data/movie_data.csv.gz, score the last 4,992. Every hyper-parameter of the recipes
was chosen before these rows were scored; the test rows are scored once per recipe.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(ROOT), 'shared', 'data')
TRAINER = os.path.join(ROOT, 'target', 'release', 'trainer')


def trainer(*args):
    out = subprocess.run([TRAINER, *args, '--json'], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def row(name, where, train_args, eval_args, out):
    model = os.path.join(out, f'{name}-{where}.postcard')
    report = trainer('train', '--preset', name, '--out', model, '--quiet', *train_args)
    scored = report['held_out'] if not eval_args else trainer('eval', '--model', model, '--quiet', *eval_args)
    return {
        'recipe': name, 'data': where, 'accuracy': scored['accuracy'], 'log_loss': scored['log_loss'],
        'auc': scored['roc_auc'], 'bytes': report['model_bytes'], 'gzip': report['model_bytes_gzip'],
        'seconds': report['seconds'],
    }


def main():
    recipes = sys.argv[1:] or ['site', 'notebook']
    subprocess.run(['cargo', 'build', '--release', '--quiet', '-p', 'trainer'], check=True, cwd=ROOT)
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, os.path.join(DATA, 'make_imdb_split.py'), out, '--tar'],
                       check=True, capture_output=True)
        train_csv, test_csv = os.path.join(out, 'imdb_train.csv'), os.path.join(out, 'imdb_test.csv')
        archive = os.path.join(out, 'aclImdb_v1.tar.gz')
        protocol = os.path.join(DATA, 'movie_data.csv.gz')
        rows = []
        for name in recipes:
            rows.append(row(name, 'standard split, CSV', ['--data', train_csv], ['--data', test_csv], out))
            rows.append(row(name, 'standard split, tar.gz', ['--data', archive], ['--data', archive, '--split', 'test'], out))
            rows.append(row(name, '45k/5k protocol', ['--data', protocol, '--test-rows', '4992'], None, out))
    print('| recipe | data | test accuracy | log loss | ROC AUC | model bytes | gzip\'d | train time |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- |')
    for r in rows:
        print(f"| {r['recipe']} | {r['data']} | {r['accuracy']:.4f} | {r['log_loss']:.4f} | {r['auc']:.4f} "
              f"| {r['bytes']:,} | {r['gzip']:,} | {r['seconds']:.2f} s |")


if __name__ == '__main__':
    main()
