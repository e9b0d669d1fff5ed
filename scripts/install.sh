#!/usr/bin/env bash
# Create .venv and install autocoder with every extra. Idempotent; safe to re-run.
# Why two steps: medspacy 1.3.1 / PyRuSH declare spacy<3.8 on Python 3.11, but spaCy 3.7 cannot run with
# numpy 2, which label-studio-sdk 2.1.2 requires. Their code runs on spaCy 3.8 (their own metadata allows
# it on Python 3.12), so they are installed without their dependency declarations.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/pip install -q "torch==2.13.0"
.venv/bin/pip install -q -e ".[all]"
.venv/bin/pip install -q --no-deps "medspacy==1.3.1" "PyRuSH==1.0.13"
.venv/bin/python -c "import autocoder, spacy, medspacy, torch" 
echo "install: ok ($(.venv/bin/python -c 'import spacy,torch,numpy;print("spacy",spacy.__version__,"torch",torch.__version__,"numpy",numpy.__version__)'))"
