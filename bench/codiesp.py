"""CodiEsp benchmark: train on CodiEsp train, report MAP / micro-F1 on dev for the transformer, the TF-IDF
baseline, the term matcher and the re-ranker (JSON on stdout).

    .venv/bin/python bench/codiesp.py [--config configs/codiesp.yaml] [--no-transformer]

A thin wrapper over ``python -m training.codiesp`` so benchmarks live in one place.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.codiesp import main  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--config" not in args:
        args = ["--config", str(ROOT / "configs" / "codiesp.yaml"), *args]
    raise SystemExit(main(args))
