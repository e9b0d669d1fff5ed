#!/usr/bin/env bash
# The main job on embedded defaults: install, train the default model if there is none (SQLite MLflow,
# bundled MiniLM encoder), promote it, code a demo batch, evaluate it, then serve suggestions and the
# review page on http://127.0.0.1:8000 (Ctrl-C to stop). `scripts/run.sh --no-serve` stops after the batch.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
scripts/install.sh
exec .venv/bin/autocoder setup "$@"
