#!/usr/bin/env bash
# Sets up a fresh machine, builds the page with the pretrained model and serves it on
# http://127.0.0.1:8080 (PORT=... to change). Everything it serves is static: see dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
exec trunk serve --release --offline --address 127.0.0.1 --port "${PORT:-8080}"
