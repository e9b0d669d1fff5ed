"""Calibration: ECE, isotonic calibrator, thresholds, episode confidence (autocoder.model.calibration)."""

from __future__ import annotations

import numpy as np
import pytest

from autocoder.model.calibration import (
    ConfidenceModel,
    IsotonicCalibrator,
    expected_calibration_error,
    fit_threshold,
    raw_episode_confidence,
    reliability_table,
)


def test_calibration_ece_known_values():
    # perfectly calibrated bins -> 0
    assert expected_calibration_error([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0]) == pytest.approx(0.0)
    # always says 0.9, right half the time -> |0.9 - 0.5| = 0.4
    assert expected_calibration_error([0.9] * 4, [1, 1, 0, 0]) == pytest.approx(0.4)
    # two bins weighted by size: bin(0.1) n=2 acc 0 -> 0.1 ; bin(0.8) n=2 acc 1 -> 0.2 ; mean 0.15
    assert expected_calibration_error([0.1, 0.1, 0.8, 0.8], [0, 0, 1, 1]) == pytest.approx(0.15)
    assert expected_calibration_error([], []) == 0.0
    with pytest.raises(ValueError):
        expected_calibration_error([0.1], [0, 1])


def test_calibration_isotonic_reduces_ece_and_roundtrips():
    rng = np.random.default_rng(0)
    true_p = rng.uniform(size=4000)
    y = (rng.uniform(size=4000) < true_p).astype(int)
    skewed = true_p ** 3  # badly under-confident scores
    cal = IsotonicCalibrator().fit(skewed, y)
    before = expected_calibration_error(skewed, y)
    after = expected_calibration_error(cal(skewed), y)
    assert before > 0.1 and after < 0.03
    again = IsotonicCalibrator.from_dict(cal.to_dict())
    assert np.allclose(again(skewed), cal(skewed))
    # monotone
    grid = np.linspace(0, 1, 101)
    assert np.all(np.diff(cal(grid)) >= -1e-12)
    # unfitted / degenerate = identity
    assert np.allclose(IsotonicCalibrator().fit([0.2, 0.3], [1, 1])([0.2, 0.7]), [0.2, 0.7])
    assert sum(r["count"] for r in reliability_table(skewed, y)) == 4000


def test_calibration_threshold_maximises_f1_and_counts_unproposed_gold():
    probs = [0.9, 0.8, 0.7, 0.35, 0.3, 0.1]
    labels = [1, 1, 1, 0, 0, 0]
    t = fit_threshold(probs, labels)
    assert 0.35 < t <= 0.7
    # positives below 0.3 only get caught with a low threshold
    t2 = fit_threshold([0.9, 0.25, 0.24, 0.05], [1, 1, 1, 0])
    assert t2 <= 0.24
    assert fit_threshold([0.4], [0], default=0.5) == 0.5


def test_calibration_threshold_within_the_f1_tolerance_stays_near_one_half():
    # 40 gold-positive and 1 negative candidates at 0.45, one more positive at 0.2, negatives at 0.1-0.2
    probs = [0.45] * 40 + [0.45, 0.2] + [0.15] * 3
    labels = [1] * 40 + [0, 1] + [0, 0, 0]
    assert fit_threshold(probs, labels) <= 0.2                     # the best F1 step, far from 0.5
    assert fit_threshold(probs, labels, f1_tolerance=0.02) == 0.45  # nearly as good, much nearer 0.5


def test_calibration_confidence_monotone_in_kept_and_rejected():
    base = raw_episode_confidence([0.9, 0.8], [0.3, 0.1])
    assert raw_episode_confidence([0.95, 0.8], [0.3, 0.1]) > base       # stronger kept code
    assert raw_episode_confidence([0.9, 0.8], [0.4, 0.1]) < base        # stronger rejected near-miss
    assert raw_episode_confidence([0.9, 0.8, 0.9], [0.3, 0.1]) < base   # one more uncertain code
    cm = ConfidenceModel(n_rejected=3).fit([0.1, 0.2, 0.5, 0.6, 0.9, 0.95], [0, 0, 0, 1, 1, 1])
    vals = [cm([p], []) for p in np.linspace(0, 1, 21)]
    assert all(b >= a for a, b in zip(vals, vals[1:]))
    assert vals[0] < vals[-1]
    assert ConfidenceModel.from_dict(cm.to_dict())([0.9], []) == pytest.approx(cm([0.9], []))
