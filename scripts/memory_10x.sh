#!/usr/bin/env bash
# Out of core for real: peak memory (maximum resident set size) of `trainer train` on the
# corpus once and on the corpus repeated ten times (about 500,000 rows), side by side.
#
# Usage: scripts/memory_10x.sh [DATA.csv.gz] [PRESET]
# The 10x file is built in a temporary folder and removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/movie_data.csv.gz}"
preset="${2:-notebook}"
[ -f "$data" ] || { echo "memory: no such file: $data" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "memory: needs GNU time at /usr/bin/time" >&2; exit 1; }

cargo build --release -p trainer --quiet
trainer="${CARGO_TARGET_DIR:-target}/release/trainer"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Ten copies of the rows under one header.
{
    gzip -dc "$data" | sed -n 1p
    for _ in $(seq 10); do gzip -dc "$data" | tail -n +2; done
} | gzip -1 > "$work/movie_data_10x.csv.gz"

peak_kb() {
    /usr/bin/time -f '%M' -o "$work/time" "$trainer" train --data "$1" --test-rows 4992 \
        --preset "$preset" --out "$work/model.postcard" --quiet >/dev/null
    cat "$work/time"
}
once=$(peak_kb "$data")
tenfold=$(peak_kb "$work/movie_data_10x.csv.gz")
echo "peak RSS, corpus once:      ${once} KB"
echo "peak RSS, corpus ten times: ${tenfold} KB"
echo "ratio: $(echo "scale=3; $tenfold / $once" | bc -l)"
