"""Fusion's out-of-vocabulary simulation: matcher-only evidence must not be learned as 'always wrong'."""

from __future__ import annotations

import numpy as np

from autocoder.model.fusion import Cand, FusionConfig, FusionModel, simulate_oov
from autocoder.schemas import Entity


def _mention(start: int, section: str = "Diagnosis") -> Entity:
    return Entity(text="xxxx", start=start, end=start + 4, label="DIAGNOSIS", section=section)


def _dev(n_ep: int = 120, seed: int = 0):
    """Synthetic-dev-like candidates: every gold code is in the vocabulary (classifier confident and a
    diagnosis-section mention); the only out-of-vocabulary candidates are false matcher hits."""
    rng = np.random.default_rng(seed)
    eps, gold_dx = [], []
    for i in range(n_ep):
        gold = [f"A{(i + k) % 40:02d}.0" for k in range(2)]
        cands = [Cand(code=g, system="icd10", clf_prob=float(rng.uniform(0.6, 0.95)), in_vocab=True,
                      present=[_mention(10 * k)], max_match=float(rng.uniform(0.85, 1.0)), best_rank=0,
                      diag_rank=k, first_rank=k, main_rank=k) for k, g in enumerate(gold)]
        cands.append(Cand(code=f"B{i % 40:02d}.0", system="icd10", clf_prob=float(rng.uniform(0.0, 0.1)),
                          in_vocab=True))                       # classifier-only noise
        cands.append(Cand(code=f"C{i % 40:02d}.0", system="icd10", present=[_mention(50)],
                          max_match=float(rng.uniform(0.8, 1.0)), best_rank=0, diag_rank=2, first_rank=2,
                          main_rank=2))   # matcher-only hit on the same mentions: always wrong on this dev
        eps.append(cands)
        gold_dx.append(gold)
    return eps, gold_dx, [[] for _ in eps]


def test_simulate_oov_masks_a_share_of_codes_and_drops_mentionless_candidates():
    eps, _, _ = _dev()
    out, n = simulate_oov(eps, 0.5, seed=1)
    in_vocab_codes = {c.key for cands in eps for c in cands if c.in_vocab}
    assert 0.3 * len(in_vocab_codes) < n < 0.7 * len(in_vocab_codes)
    masked = [c for cands in out for c in cands if c.code.startswith("A") and not c.in_vocab]
    assert masked and all(c.clf_prob == 0.0 and c.primary_head == 0.0 and c.present for c in masked)
    # the classifier-only noise of a masked code disappears (no mention could have proposed it)
    assert sum(len(c) for c in out) < sum(len(c) for c in eps)
    assert all(c.in_vocab for cands in eps for c in cands if c.code[0] in "AB")   # inputs untouched
    assert simulate_oov(eps, 0.0)[1] == 0


def test_fusion_with_oov_simulation_scores_a_strong_unknown_code_mention_as_likely():
    eps, gdx, gpr = _dev()
    unknown = Cand(code="G35", system="icd10", present=[_mention(0)], max_match=1.0, best_rank=0,
                   diag_rank=0, first_rank=0, main_rank=0)
    plain = FusionModel(FusionConfig(oov_simulation_share=0.0))
    plain.fit(eps, gdx, gpr)
    simulated = FusionModel(FusionConfig(oov_simulation_share=0.3))
    report = simulated.fit(eps, gdx, gpr)
    assert report["oov_simulated_codes"] > 0
    p_plain, p_sim = float(plain.score([unknown])[0]), float(simulated.score([unknown])[0])
    assert p_plain < plain.thresholds["icd10"] and p_sim >= simulated.thresholds["icd10"], (p_plain, p_sim)
