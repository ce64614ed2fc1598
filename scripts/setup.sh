#!/usr/bin/env bash
# Installs what building and serving movieclassifier need on a fresh Debian machine, and with
# --tests what testing needs too, skipping whatever is already there, so a second run takes
# seconds. See ../shared/TOOLCHAIN.md.
set -euo pipefail
tests=false
[ "${1:-}" = --tests ] && tests=true
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14 # trunk 0.22 needs a newer rustc than these machines have

step() { printf '==> %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

packages=()
if $tests; then
    [ -x /usr/bin/chromium ] || packages+=(chromium)
    [ -x /usr/bin/chromedriver ] || packages+=(chromium-driver)
fi
if [ ${#packages[@]} -gt 0 ]; then
    step "installing ${packages[*]} from Debian"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# The CLI must be the exact version of the wasm-bindgen crate in Cargo.lock.
bindgen_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }')" != "$bindgen_version" ]; then
    step "installing wasm-bindgen-cli $bindgen_version (a few minutes)"
    cargo install --quiet wasm-bindgen-cli --version "$bindgen_version"
fi
if [ "$(trunk --version 2>/dev/null | awk '{ print $2 }')" != "$TRUNK_VERSION" ]; then
    step "installing trunk $TRUNK_VERSION (about six minutes)"
    cargo install --quiet --locked "trunk@$TRUNK_VERSION"
fi
if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
    step "installing wasm-opt (binaryen, from npm)"
    (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi
$tests || exit 0

if ! command -v wasm-pack >/dev/null; then
    step "installing wasm-pack (a few minutes)"
    cargo install --quiet --locked wasm-pack
fi
if rustup toolchain list | grep -q '^nightly' && ! command -v cargo-fuzz >/dev/null; then
    step "installing cargo-fuzz (a few minutes)"
    cargo install --quiet --locked cargo-fuzz
fi
if [ -f tests/e2e/package.json ] && [ ! -d tests/e2e/node_modules ]; then
    step "installing the end-to-end tests' npm packages"
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
