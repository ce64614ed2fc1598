#!/usr/bin/env python3
"""Trains and scores each recipe on the standard IMDB split and on the project's 45k/5k
protocol, and prints the table (a report, not a test):

    python3 scripts/accuracy_report.py [RECIPE ...] [--shipped OLD.postcard ...]
        RECIPE: default every named recipe; --shipped: also score these model files out of
        domain beside model/pretrained.postcard (e.g. the model a commit shipped:
        git show COMMIT:model/pretrained.postcard > old.postcard)

Standard split (Maas et al. 2011; the split published results use): learn the 25,000 train/
reviews, score the 25,000 test/ reviews, rebuilt by ../shared/data/make_imdb_split.py, read
both from its CSVs and from its aclImdb_v1.tar.gz. Protocol: learn the first 45,000 rows of
../shared/data/movie_data.csv.gz, score the last 4,992. Every hyper-parameter of the recipes
was chosen before these rows were scored (scripts/validation_report.py, on training rows only);
the test rows are scored once per recipe. Out of domain: the shipped model scored, untaught, on
../shared/data/uci_sentences.csv, each domain on its own.
"""
import argparse
import csv
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


def out_of_domain(models, out):
    """Accuracy of each model file on each domain of uci_sentences.csv."""
    with open(os.path.join(DATA, 'uci_sentences.csv'), encoding='utf-8', newline='') as f:
        header, *rows = list(csv.reader(f))
    domains = sorted({row[2] for row in rows})
    print()
    print('| model (out of domain, untaught) | ' + ' | '.join(domains) + ' |')
    print('| --- |' + ' --- |' * len(domains))
    for model in models:
        scores = []
        for domain in domains:
            path = os.path.join(out, f'uci-{domain}.csv')
            with open(path, 'w', encoding='utf-8', newline='') as f:
                writer = csv.writer(f, lineterminator='\n')
                writer.writerow(header[:2])
                writer.writerows(row[:2] for row in rows if row[2] == domain)
            scores.append(trainer('eval', '--model', model, '--data', path, '--quiet')['accuracy'])
        print(f'| {os.path.relpath(model, ROOT)} | ' + ' | '.join(f'{a:.4f}' for a in scores) + ' |')


def main():
    parser = argparse.ArgumentParser(description='Scores each recipe; see the module doc.')
    parser.add_argument('recipes', nargs='*', default=['site', 'notebook'])
    parser.add_argument('--shipped', action='append', default=[], metavar='MODEL')
    args = parser.parse_args()
    recipes, shipped = args.recipes, args.shipped
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
    with tempfile.TemporaryDirectory() as out:
        out_of_domain([*shipped, os.path.join(ROOT, 'model', 'pretrained.postcard')], out)


if __name__ == '__main__':
    main()
