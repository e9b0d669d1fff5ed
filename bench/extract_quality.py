"""Extraction quality on a held-out synthetic test split (prints numbers; never asserted in tests).

    .venv/bin/python bench/extract_quality.py [--ner DIR | --train-ner DIR] [--n-train 600] [--n-test 200]

The NER is trained on training.synth episodes with forms="train" (seed --train-seed); the test split
is generated with another seed and forms="test" (held-out surface forms), so every number below is on
wordings the NER never saw. Metrics:
  entity P/R/F1 (strict)   predicted (start, end, label) == gold
  entity F1 (overlap)      a prediction overlapping a gold span with the same label counts
  assertion accuracy       over gold spans with an overlapping prediction: predicted == gold assertion
  candidate recall@5       over gold spans with a code and an overlapping prediction: gold code in top 5
  recall@5 (all gold)      the same, counting gold spans with no prediction as misses
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def overlap(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(episodes, predictions) -> dict:
    tp = fp = fn = 0
    o_tp = o_fp = o_fn = 0
    n_assert = ok_assert = 0
    n_code = ok_code = n_code_all = 0
    ok_code4 = 0
    per_label: Counter = Counter()
    assert_conf: Counter = Counter()
    for ep, ents in zip(episodes, predictions):
        gold = [(g.start, g.end, g.label) for g in ep.entities or []]
        pred = [(e.start, e.end, e.label) for e in ents]
        gs, ps = set(gold), set(pred)
        tp += len(gs & ps)
        fp += len(ps - gs)
        fn += len(gs - ps)
        for g in gs - ps:
            per_label[f"fn_{g[2]}"] += 1
        for p in ps - gs:
            per_label[f"fp_{p[2]}"] += 1
        o_tp += sum(1 for g in gold if any(overlap(g, p) and g[2] == p[2] for p in pred))
        o_fn += sum(1 for g in gold if not any(overlap(g, p) and g[2] == p[2] for p in pred))
        o_fp += sum(1 for p in pred if not any(overlap(g, p) and g[2] == p[2] for g in gold))
        for g in ep.entities or []:
            match = [e for e in ents if overlap((g.start, g.end), (e.start, e.end))]
            match.sort(key=lambda e: (-(min(g.end, e.end) - max(g.start, e.start)), e.start))
            if g.code:
                n_code_all += 1
            if not match:
                continue
            e = match[0]
            n_assert += 1
            ok_assert += e.assertion == g.assertion
            assert_conf[(g.assertion, e.assertion)] += 1
            if g.code:
                n_code += 1
                top = [c.code for c in e.candidates[:5]]
                ok_code += g.code in top
                ok_code4 += any(g.code[:5] == c[:5] for c in top)
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    op = o_tp / max(1, o_tp + o_fp)
    orr = o_tp / max(1, o_tp + o_fn)
    return {
        "entity_precision": round(p, 4), "entity_recall": round(r, 4),
        "entity_f1": round(2 * p * r / max(1e-9, p + r), 4),
        "entity_f1_overlap": round(2 * op * orr / max(1e-9, op + orr), 4),
        "assertion_accuracy": round(ok_assert / max(1, n_assert), 4), "assertion_n": n_assert,
        "candidate_recall_at_5": round(ok_code / max(1, n_code), 4), "candidate_n": n_code,
        "candidate_recall_at_5_4char": round(ok_code4 / max(1, n_code), 4),
        "candidate_recall_at_5_all_gold": round(ok_code / max(1, n_code_all), 4),
        "errors_by_label": dict(per_label),
        "assertion_confusions": {f"{g}->{p}": n for (g, p), n in assert_conf.most_common() if g != p},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ner", type=Path, help="use this trained NER directory")
    ap.add_argument("--train-ner", type=Path, help="train an NER into this directory first")
    ap.add_argument("--matcher-only", action="store_true")
    ap.add_argument("--n-train", type=int, default=600)
    ap.add_argument("--n-test", type=int, default=200)
    ap.add_argument("--train-seed", type=int, default=1)
    ap.add_argument("--test-seed", type=int, default=20261125)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from autocoder.extract import load_extractor
    from training.synth import generate_episodes

    ner_dir = args.ner
    if args.train_ner:
        from autocoder.extract.ner import train_ner

        t0 = time.time()
        train = generate_episodes(args.n_train, seed=args.train_seed, forms="train")
        ner_dir = train_ner(train, args.train_ner, n_iter=args.epochs, max_docs=args.n_train)
        print(f"trained NER on {len(train)} episodes (forms=train) in {time.time() - t0:.0f}s -> {ner_dir}",
              file=sys.stderr)
    if args.matcher_only:
        ner_dir = None
    test = generate_episodes(args.n_test, seed=args.test_seed, forms="test")
    ex = load_extractor(ner_dir)
    t0 = time.time()
    preds = ex.extract_many([e.text for e in test])
    secs = time.time() - t0
    res = score(test, preds)
    res.update({"mode": ex.mode, "n_test": len(test), "test_seed": args.test_seed, "forms": "test",
                "seconds": round(secs, 2), "episodes_per_second": round(len(test) / secs, 1)})
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        for k, v in res.items():
            print(f"{k:32} {v}")


if __name__ == "__main__":
    main()
