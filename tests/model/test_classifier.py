"""Label-attention classifier: chunking, stable softmax, config validation (fast) and a tiny 1-epoch
train / predict / save-load round trip (slow)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from autocoder.model.chunking import chunk_token_ids
from autocoder.model.classifier import (
    ClassifierConfig,
    LabelAttentionClassifier,
    stable_masked_softmax,
)


def test_chunking_covers_long_text_with_overlap():
    ids = list(range(1000))
    chunks = chunk_token_ids(ids, content_len=254, overlap=32)
    assert all(len(c) <= 254 for c in chunks)
    assert sorted({x for c in chunks for x in c}) == ids  # every token covered
    for a, b in itertools.pairwise(chunks):
        assert a[-32:] == b[:32]  # consecutive windows share exactly the overlap
    assert chunks[-1][-1] == 999


def test_chunking_short_empty_and_max_chunks():
    assert chunk_token_ids([1, 2, 3], 10, 2) == [[1, 2, 3]]
    assert chunk_token_ids([], 10, 2) == [[]]
    assert len(chunk_token_ids(list(range(100)), 10, 0, max_chunks=3)) == 3
    assert chunk_token_ids(list(range(10)), 10, 3) == [list(range(10))]  # exact fit: no extra window
    with pytest.raises(ValueError, match="overlap"):
        chunk_token_ids([1], 4, 4)


def test_stable_softmax_finite_with_extreme_logits_and_all_padding():
    scores = torch.tensor([[1e38, -1e38, float("inf"), float("nan")],
                           [3.0, 1.0, 2.0, 0.0],
                           [5.0, 5.0, 5.0, 5.0]])
    scores[0, 0] = float("inf")
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]], dtype=torch.bool)
    p = stable_masked_softmax(scores, mask)
    assert torch.isfinite(p).all()
    assert torch.allclose(p[0].sum(), torch.tensor(1.0))
    assert p[1, 2:].abs().sum() == 0 and torch.allclose(p[1, :2], torch.softmax(torch.tensor([3.0, 1.0]), 0))
    assert p[2].abs().sum() == 0  # all padding -> zeros, not NaN / uniform
    half = stable_masked_softmax(torch.full((2, 3), 6e4, dtype=torch.float16), torch.ones(2, 3, dtype=torch.bool))
    assert half.dtype == torch.float32 and torch.isfinite(half).all()


def test_classifier_config_rejects_unknown_keys_and_bad_stride():
    with pytest.raises(ValueError, match="extra"):
        ClassifierConfig(epochs=1, lerning_rate=1e-3)
    with pytest.raises(ValueError, match="stride"):
        ClassifierConfig(max_chunk_tokens=32, stride=30)
    assert ClassifierConfig().max_chunk_tokens == 256


def test_no_grad_batch_keeps_the_widest_activation_within_32_mib():
    from types import SimpleNamespace

    minilm = SimpleNamespace(intermediate_size=1536, hidden_size=384, num_attention_heads=12)
    fake = SimpleNamespace(encoder=SimpleNamespace(config=minilm),
                           cfg=ClassifierConfig(eval_batch_size=32, max_chunk_tokens=256))
    # attention scores are the widest: 12 heads x 256 x 256 x 4 bytes = 3 MiB a window
    assert LabelAttentionClassifier._no_grad_batch(fake, 2) == 5
    assert LabelAttentionClassifier._no_grad_batch(fake, 1) == 10
    assert LabelAttentionClassifier._no_grad_batch(fake, 100) == 1  # never zero
    fake.cfg = ClassifierConfig(eval_batch_size=4, max_chunk_tokens=16, stride=4)
    assert LabelAttentionClassifier._no_grad_batch(fake, 2) == 4  # eval_batch_size still caps it


TEXTS = [
    "Admitted with infective exacerbation of COPD. Nebulisers and prednisolone.",
    "Chest pain with raised troponin: NSTEMI. Coronary angiography performed.",
    "Fall at home with fractured neck of femur; hemiarthroplasty performed.",
    "Community acquired pneumonia on a background of COPD, treated with antibiotics.",
    "Type 2 diabetes with hyperglycaemia, insulin started. No procedure.",
] * 4
LABELS = [
    ["icd10:J44.1"],
    ["icd10:I21.4", "opcs4:K63.1"],
    ["icd10:S72.0", "opcs4:W46.1"],
    ["icd10:J18.9", "icd10:J44.9"],
    ["icd10:E11.6"],
] * 4
VOCAB = sorted({x for ls in LABELS for x in ls})
TITLES = {"icd10:J44.1": "COPD with acute exacerbation", "opcs4:W46.1": "Primary hemiarthroplasty of femur"}


@pytest.mark.slow
def test_classifier_train_predict_primary_and_save_load_roundtrip(tmp_path):
    cfg = ClassifierConfig(epochs=1, batch_size=5, max_chunk_tokens=16, stride=4, max_chunks=3, seed=3)
    clf = LabelAttentionClassifier(VOCAB, cfg, titles=TITLES)
    hist = clf.fit(TEXTS, LABELS, dev_texts=TEXTS[:5], dev_labels=LABELS[:5])
    assert len(hist["train_loss"]) == 1 and np.isfinite(hist["train_loss"][0])
    assert hist["titles_initialised"] == 2 and hist["windows"] > len(TEXTS)  # long texts were chunked
    p = clf.predict_proba(TEXTS[:5])
    assert p.shape == (5, len(VOCAB)) and np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()

    dx, pr = clf.predict_primary(TEXTS[:5])
    proc = np.array([x.startswith("opcs4:") for x in VOCAB])
    assert np.allclose(dx.sum(1), 1.0, atol=1e-4) and np.all(dx[:, proc] == 0)
    assert np.all(pr[:, ~proc] == 0) and np.all(pr.sum(1) <= 1 + 1e-5) and np.all(pr >= 0)

    clf.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "labels.json").read_text()) == VOCAB
    assert not list((tmp_path / "m").glob("*.pkl"))
    again = LabelAttentionClassifier.load(tmp_path / "m")
    np.testing.assert_array_equal(again.predict_proba(TEXTS[:5]), p)
    np.testing.assert_array_equal(again.predict_primary(TEXTS[:5])[0], dx)

    # the pass size changes only the batching, never the probabilities
    again._no_grad_batch = lambda windows_per_item: 1
    again._memo = None
    np.testing.assert_allclose(again.predict_proba(TEXTS[:5]), p, atol=1e-5)

    # deterministic given the seed
    clf2 = LabelAttentionClassifier(VOCAB, cfg, titles=TITLES)
    clf2.fit(TEXTS, LABELS, dev_texts=TEXTS[:5], dev_labels=LABELS[:5])
    np.testing.assert_allclose(clf2.predict_proba(TEXTS[:5]), p, atol=1e-6)


def test_classifier_fit_rejects_unknown_label(tmp_path):
    clf = LabelAttentionClassifier(VOCAB, ClassifierConfig(epochs=1, max_chunk_tokens=16, stride=2))
    with pytest.raises(ValueError, match=r"train_labels\[0\].*icd10:Q99"):
        clf.fit(TEXTS[:1], [["icd10:Q99"]])
