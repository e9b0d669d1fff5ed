"""Calibration, thresholds and episode-level confidence.

Why a separate module: `score` in FORMATS.md is a *calibrated* probability and `confidence` drives
routing to human review, so both must be fitted on held-out data (the dev split) and be checkable
(expected calibration error). Everything here is numpy + scikit-learn and serialises to plain JSON,
so a bundle never contains pickles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def expected_calibration_error(probs: Sequence[float], labels: Sequence[int], n_bins: int = 10) -> float:
    """ECE with equal-width bins: sum_b |B|/N * |mean(p in B) - mean(y in B)|.

    Equal-width bins because they are what a reliability plot shows; 0.0 for an empty input."""
    p = np.asarray(probs, dtype=float)
    y = np.asarray(labels, dtype=float)
    if p.shape != y.shape:
        raise ValueError(f"probs and labels must have the same length, got {p.shape} and {y.shape}")
    if p.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1], right=True), 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = idx == b
        if m.any():
            ece += m.sum() / p.size * abs(p[m].mean() - y[m].mean())
    return float(ece)


def reliability_table(probs: Sequence[float], labels: Sequence[int], n_bins: int = 10) -> list[dict]:
    """Per-bin mean predicted probability, observed frequency and count (for calibration plots)."""
    p = np.asarray(probs, dtype=float)
    y = np.asarray(labels, dtype=float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1], right=True), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        m = idx == b
        rows.append({"bin_low": float(edges[b]), "bin_high": float(edges[b + 1]), "count": int(m.sum()),
                     "mean_prob": float(p[m].mean()) if m.any() else None,
                     "frequency": float(y[m].mean()) if m.any() else None})
    return rows


@dataclass
class IsotonicCalibrator:
    """Monotone piecewise-linear map p -> calibrated p, stored as its knots (JSON-friendly).

    Isotonic rather than Platt: fused scores from a logistic combiner are already close to sigmoid
    shaped, and isotonic fixes the remaining non-parametric distortion without assuming a form.
    An unfitted calibrator is the identity."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)

    def fit(self, probs: Sequence[float], labels: Sequence[int]) -> IsotonicCalibrator:
        from sklearn.isotonic import IsotonicRegression

        p = np.asarray(probs, dtype=float)
        y = np.asarray(labels, dtype=float)
        if p.size < 2 or len(np.unique(y)) < 2:
            self.x, self.y = [], []  # nothing to learn from: stay the identity
            return self
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
        iso.fit(p, y)
        self.x = [float(v) for v in iso.X_thresholds_]
        self.y = [float(v) for v in iso.y_thresholds_]
        return self

    def __call__(self, probs) -> np.ndarray:
        p = np.asarray(probs, dtype=float)
        if len(self.x) < 2:
            return np.clip(p, 0.0, 1.0)
        return np.interp(p, self.x, self.y)

    def to_dict(self) -> dict:
        return {"kind": "isotonic", "x": self.x, "y": self.y}

    @classmethod
    def from_dict(cls, d: dict | None) -> IsotonicCalibrator:
        if not d:
            return cls()
        if d.get("kind", "isotonic") != "isotonic":
            raise ValueError(f"unsupported calibrator kind {d.get('kind')!r} (expected 'isotonic')")
        return cls(x=list(d.get("x", [])), y=list(d.get("y", [])))


def fit_threshold(probs: Sequence[float], labels: Sequence[int], n_gold: int | None = None,
                  grid: Sequence[float] | None = None, default: float = 0.5, f1_tolerance: float = 0.0) -> float:
    """Threshold maximising F1 of `p >= t` over candidate (code, episode) pairs.

    `n_gold` is the number of gold codes including those never proposed as candidates (they are
    misses whatever the threshold); defaults to sum(labels). Of the thresholds within `f1_tolerance`
    of the best F1, the one closest to 0.5 is taken. Why: over isotonic-calibrated probabilities the F1
    curve is a flat staircase, and its highest step can sit far from 0.5 for a gain of a few dev
    codes (an OPCS-4 threshold of 0.21 instead of 0.44 for +0.001 on dev), which on letters unlike the
    dev split only adds false codes."""
    p = np.asarray(probs, dtype=float)
    y = np.asarray(labels, dtype=int)
    if p.size == 0 or y.sum() == 0:
        return default
    total_gold = int(n_gold if n_gold is not None else y.sum())
    grid = np.asarray(grid if grid is not None else np.round(np.arange(0.05, 0.951, 0.01), 2))
    scores = []
    for t in grid:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        n_pred = int(pred.sum())
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / total_gold if total_gold else 0.0
        scores.append((2 * prec * rec / (prec + rec) if prec + rec else 0.0, float(t)))
    best = max(f1 for f1, _ in scores)
    # ties (and near-ties within the tolerance): the threshold closest to 0.5 (more stable than an extreme)
    return min((t for f1, t in scores if f1 >= best - f1_tolerance - 1e-12), key=lambda t: (abs(t - 0.5), t))


def raw_episode_confidence(kept: Sequence[float], rejected: Sequence[float], n_rejected: int = 3) -> float:
    """Probability the set is exactly right if code decisions were independent.

    prod(p kept) * prod(1 - p) over the `n_rejected` strongest rejected candidates: the few near misses
    carry nearly all of the risk of an omission; the long tail of tiny probabilities only adds noise.
    Monotone: raising a kept probability or lowering a rejected one never lowers it."""
    conf = 1.0
    for p in kept:
        conf *= float(np.clip(p, 0.0, 1.0))
    for p in sorted((float(np.clip(v, 0.0, 1.0)) for v in rejected), reverse=True)[:max(n_rejected, 0)]:
        conf *= 1.0 - p
    return float(conf)


@dataclass
class ConfidenceModel:
    """Raw episode confidence -> calibrated probability that the whole code set is right (fit on dev)."""

    n_rejected: int = 3
    calibrator: IsotonicCalibrator = field(default_factory=IsotonicCalibrator)

    def raw(self, kept: Sequence[float], rejected: Sequence[float]) -> float:
        return raw_episode_confidence(kept, rejected, self.n_rejected)

    def __call__(self, kept: Sequence[float], rejected: Sequence[float]) -> float:
        return float(self.calibrator([self.raw(kept, rejected)])[0])

    def fit(self, raw_confidences: Sequence[float], set_correct: Sequence[int]) -> ConfidenceModel:
        self.calibrator = IsotonicCalibrator().fit(raw_confidences, set_correct)
        return self

    def to_dict(self) -> dict:
        return {"n_rejected": self.n_rejected, "calibrator": self.calibrator.to_dict()}

    @classmethod
    def from_dict(cls, d: dict | None) -> ConfidenceModel:
        d = d or {}
        return cls(n_rejected=int(d.get("n_rejected", 3)),
                   calibrator=IsotonicCalibrator.from_dict(d.get("calibrator")))
