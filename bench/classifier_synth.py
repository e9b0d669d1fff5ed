"""Measure the label-attention classifier and the TF-IDF baseline on the synthetic corpus.

    .venv/bin/python bench/classifier_synth.py --n-train 2000 --n-test 500 [--which both|transformer|baseline] [--set k=v ...]

Train: generate_episodes(n_train, seed=1, forms="train"); test: generate_episodes(n_test, seed=2, forms="test")
(held-out letter forms). Prints JSON: training wall time, micro-F1 at 0.5 (diagnoses + procedures as
labels; test codes outside the training vocabulary count as misses), primary diagnosis / procedure accuracy.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _labels(ep) -> list[str]:
    return [f"icd10:{c}" for c in ep.diagnoses] + [f"opcs4:{c}" for c in ep.procedures]


def evaluate(model, labels: list[str], test, threshold: float = 0.5) -> dict:
    texts = [e.text for e in test]
    t0 = time.perf_counter()
    probs = model.predict_proba(texts)
    dx, pr = model.predict_primary(texts)
    secs = time.perf_counter() - t0
    tp = n_pred = n_gold = 0
    for i, e in enumerate(test):
        pred = {labels[j] for j in np.where(probs[i] >= threshold)[0]}
        gold = set(_labels(e))
        tp += len(pred & gold)
        n_pred += len(pred)
        n_gold += len(gold)
    prec = tp / n_pred if n_pred else 0.0
    rec = tp / n_gold if n_gold else 0.0
    ok_dx = sum(labels[int(np.argmax(dx[i]))] == f"icd10:{e.diagnoses[0]}" for i, e in enumerate(test) if e.diagnoses)
    n_dx = sum(1 for e in test if e.diagnoses)
    ok_pr = 0
    for i, e in enumerate(test):
        none = pr[i].sum() < 0.5 or not pr[i].any()
        pred = None if none else labels[int(np.argmax(pr[i]))]
        gold = f"opcs4:{e.procedures[0]}" if e.procedures else None
        ok_pr += pred == gold
    return {"micro_f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0, "micro_precision": prec,
            "micro_recall": rec, "primary_diagnosis_accuracy": ok_dx / max(n_dx, 1),
            "primary_procedure_accuracy": ok_pr / max(len(test), 1), "predict_seconds": round(secs, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-train", type=int, default=2000)
    ap.add_argument("--n-test", type=int, default=500)
    ap.add_argument("--which", choices=["both", "transformer", "baseline"], default="both")
    ap.add_argument("--min-count", type=int, default=1, help="labels seen at least this often in train")
    ap.add_argument("--set", nargs="*", default=[], help="ClassifierConfig overrides key=value (YAML values)")
    ap.add_argument("--base-set", nargs="*", default=[], help="BaselineConfig overrides key=value (YAML values)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    from collections import Counter

    import yaml

    from training.synth import generate_episodes

    train = generate_episodes(args.n_train, seed=1, forms="train")
    test = generate_episodes(args.n_test, seed=2, forms="test")
    counts = Counter(lab for e in train for lab in _labels(e))
    labels = sorted(lab for lab, n in counts.items() if n >= args.min_count)
    keep = set(labels)
    tr_texts = [e.text for e in train]
    tr_labels = [[x for x in _labels(e) if x in keep] for e in train]
    p_dx = [f"icd10:{e.diagnoses[0]}" if e.diagnoses and f"icd10:{e.diagnoses[0]}" in keep else None for e in train]
    p_pr = [f"opcs4:{e.procedures[0]}" if e.procedures and f"opcs4:{e.procedures[0]}" in keep else None for e in train]
    out: dict = {"n_train": len(train), "n_test": len(test), "n_labels": len(labels),
                 "mean_words": round(float(np.mean([len(e.text.split()) for e in train])), 1)}
    if args.which in ("both", "baseline"):
        from autocoder.model.baseline import BaselineConfig, TfidfBaseline

        bover = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.base_set)}
        t0 = time.perf_counter()
        b = TfidfBaseline(labels, BaselineConfig(**bover))
        b.fit(tr_texts, tr_labels, primary_dx=p_dx, primary_proc=p_pr)
        out["baseline"] = {"train_seconds": round(time.perf_counter() - t0, 1), "config": bover,
                           **evaluate(b, labels, test)}
        print(json.dumps(out["baseline"]), file=sys.stderr)
    if args.which in ("both", "transformer"):
        from autocoder.model.classifier import ClassifierConfig, LabelAttentionClassifier

        over = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
        cfg = ClassifierConfig(**over)
        t0 = time.perf_counter()
        clf = LabelAttentionClassifier(labels, cfg)
        hist = clf.fit(tr_texts, tr_labels, primary_dx=p_dx, primary_proc=p_pr)
        out["transformer"] = {"train_seconds": round(time.perf_counter() - t0, 1), "config": over,
                              "cache_seconds": round(hist["cache_seconds"], 1),
                              "epoch_seconds": [round(x, 1) for x in hist["epoch_seconds"]],
                              "titles_initialised": hist["titles_initialised"], **evaluate(clf, labels, test)}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
