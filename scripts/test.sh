#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: formatting and lints, the native unit and
# golden tests, the engine in headless Chrome (wasm-pack), and the page end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '==> %s\n' "$*" >&2; }

step "formatting and lints"
cargo fmt --all -- --check
# The fuzz targets are a workspace of their own, which `--all` does not reach.
(cd fuzz && cargo fmt -- --check)
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --lib --tests --target wasm32-unknown-unknown -- -D warnings
# The first-verdict engine: the library without its `engine` feature (src/wasm/glance.rs).
cargo clippy --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings

step "native tests (unit, golden files from scikit-learn, trainer)"
# An exported pickle is loaded in scikit-learn itself (trainer/tests/pickles.rs).
if [ ! -x scripts/.bench-venv/bin/python ]; then
    (python3 -m venv scripts/.bench-venv && scripts/.bench-venv/bin/pip install --quiet scikit-learn) \
        || echo "no scikit-learn could be installed: the exported-pickle check will be skipped" >&2
fi
cargo test --workspace

step "fuzzing smoke: each target for 15 s from its committed corpus"
if rustup toolchain list | grep -q '^nightly'; then
    for target in tokenize_vectorize model_decode csv_reader pickle_read; do
        scratch=$(mktemp -d)
        # The CSV reader runs on a thread of its own, whose thread-local bookkeeping is still
        # allocated when LeakSanitizer looks: not a leak, so leak checks are off for it.
        leaks=1
        [ "$target" = csv_reader ] && leaks=0
        (cd fuzz && cargo +nightly fuzz run -O "$target" "$scratch" "corpus/$target" -- \
            -max_total_time=15 -detect_leaks=$leaks 2>&1 | tail -n 1)
        rm -rf "$scratch"
    done
else
    echo "no nightly toolchain on this machine: fuzzing skipped" >&2
fi

step "the engine in headless Chrome"
CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome

step "the page end to end: trunk build, then headless Chromium"
trunk build --release --offline
# The end-to-end tests replay what the page was taught with the native trainer.
cargo build --quiet -p trainer
(cd tests/e2e && npm test)
