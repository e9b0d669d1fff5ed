"""Label-vocabulary helpers shared by the transformer and the baseline (pure Python + numpy).

Labels are strings ``"<system>:<code>"``: ``icd10:J44.1``, ``opcs4:E85.1`` (CodiEsp uses ``icd10cm:`` /
``icd10pcs:``). Diagnosis systems feed the primary-diagnosis head, procedure systems the
primary-procedure head.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PROCEDURE_SYSTEMS = frozenset({"opcs4", "icd10pcs", "pcs"})


def label_system(label: str) -> str:
    """``"icd10:J44.1"`` -> ``"icd10"``; a label without a prefix is treated as a diagnosis code."""
    return label.split(":", 1)[0].lower() if ":" in label else "icd10"


def is_procedure_label(label: str) -> bool:
    return label_system(label) in PROCEDURE_SYSTEMS


def check_labels(labels: Sequence[str]) -> list[str]:
    """Validate a label vocabulary: non-empty, strings, unique. Returns it as a list."""
    labels = list(labels)
    if not labels:
        raise ValueError("labels: expected a non-empty list of 'system:code' strings, received []")
    bad = [x for x in labels if not isinstance(x, str) or not x.strip()]
    if bad:
        raise ValueError(f"labels: expected non-empty strings, received {bad[:5]!r}")
    seen: set[str] = set()
    dups = [x for x in labels if x in seen or seen.add(x)]  # type: ignore[func-returns-value]
    if dups:
        raise ValueError(f"labels: expected unique labels, received duplicates {sorted(set(dups))[:5]!r}")
    return labels


def multi_hot(label_lists: Sequence[Sequence[str]], index: dict[str, int], name: str = "train_labels") -> np.ndarray:
    """Gold label lists -> float32 matrix [n, n_labels]. Unknown labels raise (naming the record), because a
    silently dropped gold code would make training and evaluation lie."""
    y = np.zeros((len(label_lists), len(index)), dtype=np.float32)
    for i, labs in enumerate(label_lists):
        if isinstance(labs, str):
            raise TypeError(f"{name}[{i}]: expected a list of labels, received a string {labs!r}")
        for lab in labs:
            j = index.get(lab)
            if j is None:
                raise ValueError(f"{name}[{i}]: label {lab!r} is not in the label vocabulary ({len(index)} labels)")
            y[i, j] = 1.0
    return y


def micro_f1(y_true: np.ndarray, probs: np.ndarray, threshold: float = 0.5) -> float:
    pred = probs >= threshold
    gold = y_true > 0.5
    tp = float(np.logical_and(pred, gold).sum())
    denom = float(pred.sum() + gold.sum())
    return 0.0 if denom == 0 else 2 * tp / denom
