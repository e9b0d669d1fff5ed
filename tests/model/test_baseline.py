"""TF-IDF baseline: fit / predict / primary / save-load on a handful of texts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autocoder.model.baseline import BaselineConfig, TfidfBaseline

TEXTS = [
    "infective exacerbation of copd, nebulisers and steroids",
    "nstemi with raised troponin, coronary angiography performed",
    "fractured neck of femur after a fall, hemiarthroplasty",
    "community acquired pneumonia on a background of copd",
] * 3
LABELS = [
    ["icd10:J44.1"],
    ["icd10:I21.4", "opcs4:K63.1"],
    ["icd10:S72.0", "opcs4:W46.1"],
    ["icd10:J18.9", "icd10:J44.9"],
] * 3
VOCAB = sorted({x for ls in LABELS for x in ls}) + ["icd10:Z99.9"]  # one label never seen in training


def test_baseline_fit_predict_ranks_gold_first():
    clf = TfidfBaseline(VOCAB)
    hist = clf.fit(TEXTS, LABELS)
    assert hist["fitted_labels"] == 7  # every label seen in training; Z99.9 is not
    p = clf.predict_proba(TEXTS[:4])
    assert p.shape == (4, len(VOCAB))
    for i in range(4):
        best = VOCAB[int(np.argmax(p[i]))]
        assert best in LABELS[i]
    assert np.all(p[:, VOCAB.index("icd10:Z99.9")] == 0.0)


def test_baseline_primary_heads_are_distributions():
    clf = TfidfBaseline(VOCAB)
    clf.fit(TEXTS, LABELS)
    dx, pr = clf.predict_primary(TEXTS[:4])
    proc = np.array([x.startswith("opcs4:") for x in VOCAB])
    assert np.allclose(dx.sum(1), 1.0, atol=1e-5)
    assert np.all(dx[:, proc] == 0) and np.all(pr[:, ~proc] == 0)
    assert np.all(pr.sum(1) <= 1.0 + 1e-6) and np.all(pr >= 0)
    assert VOCAB[int(np.argmax(dx[1]))] == "icd10:I21.4"
    assert VOCAB[int(np.argmax(pr[2]))] == "opcs4:W46.1"


def test_baseline_save_load_roundtrip(tmp_path):
    clf = TfidfBaseline(VOCAB, BaselineConfig(char_ngrams=(3, 4)))
    clf.fit(TEXTS, LABELS)
    clf.save(tmp_path / "b")
    assert json.loads((tmp_path / "b" / "labels.json").read_text()) == VOCAB
    again = TfidfBaseline.load(tmp_path / "b")
    np.testing.assert_array_equal(again.predict_proba(TEXTS), clf.predict_proba(TEXTS))
    np.testing.assert_array_equal(again.predict_primary(TEXTS)[0], clf.predict_primary(TEXTS)[0])


def test_baseline_rejects_unknown_label_and_config_key():
    clf = TfidfBaseline(VOCAB)
    with pytest.raises(ValueError, match=r"train_labels\[1\].*icd10:X00"):
        clf.fit(TEXTS[:2], [["icd10:J44.1"], ["icd10:X00"]])
    with pytest.raises(ValueError, match="extra"):
        BaselineConfig(C=1.0, bogus=1)
    with pytest.raises(RuntimeError, match="fit"):
        TfidfBaseline(VOCAB).predict_proba(["x"])
