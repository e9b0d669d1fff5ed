"""Error report on gold letters: FORMATS.md metrics per file plus, per letter, the primary and the codes
missed / added, with titles (and, with --evidence, the span that triggered each spurious code).

Why: the hand-written letters (tests/data/own_letters.jsonl, ../shared/data/dev_letters) are the honest
check of generalisation; a single micro-F1 hides *which* conventions or conditions fail. The model is
loaded once for all files.

    python bench/letters_report.py tests/data/own_letters.jsonl ../shared/data/dev_letters/dev_letters.jsonl \
        [--model DIR] [--evidence] [--quiet]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autocoder.io import load_episodes  # noqa: E402
from autocoder.metrics import compute_metrics  # noqa: E402
from training.evaluate import gold_sets  # noqa: E402

KEYS = ("primary_diagnosis_accuracy", "secondary_diagnosis_accuracy", "primary_procedure_accuracy",
        "secondary_procedure_accuracy", "micro_f1", "micro_precision", "micro_recall", "recall_at_10",
        "exact_match_rate", "autonomy_at_95")


def _letter_lines(ep, res, title, evidence: bool) -> list[str]:
    gdx, gpr = gold_sets(ep)
    pdx = [s.code for s in res.diagnoses]
    ppr = [s.code for s in res.procedures]
    by_code = {s.code: s for s in res.diagnoses + res.procedures}
    lines = []
    if pdx[:1] != gdx[:1]:
        lines.append(f"  primary dx: gold {gdx[:1]} {title(gdx[0], 'icd10') if gdx else ''!s:.50} | "
                     f"pred {pdx[:1]} {title(pdx[0], 'icd10') if pdx else ''!s:.50}")
    if ppr[:1] != gpr[:1]:
        lines.append(f"  primary proc: gold {gpr[:1]} | pred {ppr[:1]}")
    for system, gold, pred in (("icd10", gdx, pdx), ("opcs4", gpr, ppr)):
        for c in gold:
            if c not in pred:
                lines.append(f"  MISSED {c:7s} {title(c, system)[:70]}")
        for c in pred:
            if c not in gold:
                s = by_code[c]
                ev = ""
                if evidence and s.evidence:
                    ev = " <- " + " | ".join(e.text.replace("\n", " ")[:60] for e in s.evidence[:2])
                lines.append(f"  EXTRA  {c:7s} {title(c, system)[:55]} ({s.score:.2f}, {'+'.join(s.sources)}){ev}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--model", default=None, help="bundle dir or models:/autocoder@champion (default model)")
    ap.add_argument("--evidence", action="store_true", help="show the evidence span of each spurious code")
    ap.add_argument("--quiet", action="store_true", help="metrics only")
    ap.add_argument("--json", type=Path, default=None, help="also write the metrics per file to this JSON")
    a = ap.parse_args(argv)

    from autocoder.pipeline import CodingPipeline

    t0 = time.perf_counter()
    pipe = CodingPipeline.load(a.model)
    print(f"model {pipe.model_version} loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    out = {}
    for f in a.files:
        if not f.exists():
            print(f"{f}: not found, skipped", file=sys.stderr)
            continue
        eps = [e for e in load_episodes(f, strict=True) if e.diagnoses]
        t0 = time.perf_counter()
        res = pipe.predict(eps, top_k=50)
        m = compute_metrics(eps, res, seconds=time.perf_counter() - t0, model_version=pipe.model_version)
        out[str(f)] = {k: m[k] for k in KEYS}
        if not a.quiet:
            print(f"\n=== {f} ({len(eps)} letters)")
            for ep, r in zip(eps, res):
                lines = _letter_lines(ep, r, pipe.codes.title, a.evidence)
                if lines:
                    print(f"{ep.id}:")
                    print("\n".join(lines))
        print(f"\n{f.name}: " + "  ".join(f"{k.replace('_accuracy', '')}={m[k]:.3f}" for k in KEYS))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
