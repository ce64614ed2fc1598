#!/usr/bin/env bash
# Kills `trainer train` at random moments, 20 times (RUNS=...), and checks that the model
# file it writes is never left corrupt or half-written: after each kill the file at --out is
# either the previous model or the complete new one, and `trainer eval` reads it.
#   bash scripts/kill_test.sh [DATA]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/movie_data.csv.gz}
runs=${RUNS:-20}
cargo build --quiet --release -p trainer
trainer=target/release/trainer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/model.postcard"

"$trainer" train --data "$data" --preset site --out "$out" --quiet >/dev/null
previous=$(sha256sum "$out" | cut -c1-64)
killed=0
for run in $(seq "$runs"); do
    "$trainer" train --data "$data" --preset site --out "$out" --quiet >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(( RANDOM % 10 ))$(( RANDOM % 10 ))"
    if kill -KILL "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
    wait "$pid" 2>/dev/null || true
    if ! "$trainer" predict --model "$out" "a fine film" >/dev/null; then
        echo "run $run: the model file does not load after the kill" >&2
        exit 1
    fi
    now=$(sha256sum "$out" | cut -c1-64)
    [ "$now" = "$previous" ] || { echo "run $run: replaced by a different model" >&2; exit 1; }
done
echo "$runs runs, $killed killed mid-run: the model file always loaded and was always whole"
