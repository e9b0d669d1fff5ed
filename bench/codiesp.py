"""CodiEsp benchmark: train on CodiEsp train, report MAP / micro-F1 on dev (JSON on stdout).

    .venv/bin/python bench/codiesp.py [--config configs/codiesp.yaml] [--no-transformer]
    .venv/bin/python bench/codiesp.py --ensemble [--cache-dir /tmp/codiesp_cache] [--components ranker,linear]

The default run (``python -m training.codiesp``) reports each system alone and the fixed-weight fusion of
the transformer with the re-ranker. ``--ensemble`` runs ``python -m training.codiesp_ensemble``: every
component scored out-of-fold on train, fusion weights and a gradient-boosted stacker fitted on those OOF
scores, dev touched once at the end (about 10 minutes on 2 cores, most of it the transformer).
A thin wrapper so benchmarks live in one place.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--config" not in args:
        args = ["--config", str(ROOT / "configs" / "codiesp.yaml"), *args]
    if "--ensemble" in args:
        args.remove("--ensemble")
        from training.codiesp_ensemble import main
    else:
        from training.codiesp import main
    raise SystemExit(main(args))
