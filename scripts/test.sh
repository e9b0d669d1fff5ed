#!/usr/bin/env bash
# The whole test suite, slow tests included, on a clean checkout: installs what it needs (project venv,
# Debian chromium for the browser test, Label Studio in its own venv with a pre-migrated template), then
# runs pytest. Extra arguments go to pytest (e.g. scripts/test.sh -m "not slow" for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
scripts/install.sh
if [ -x scripts/install_chromium.sh ]; then scripts/install_chromium.sh || echo "chromium not installed: browser tests will skip"; fi
if [ -x scripts/labelstudio.sh ]; then
  scripts/labelstudio.sh install || echo "label studio not installed: its tests will skip"
  if [ -x .venv-ls/bin/label-studio ]; then
    export LS_BIN="$PWD/.venv-ls/bin/label-studio"
    export LS_TEMPLATE_DIR="${LS_TEMPLATE_DIR:-$PWD/.autocoder/ls-template}"
    [ -d "$LS_TEMPLATE_DIR" ] || scripts/labelstudio.sh template "$LS_TEMPLATE_DIR" || unset LS_TEMPLATE_DIR
  fi
fi
exec .venv/bin/python -m pytest -q "$@"
