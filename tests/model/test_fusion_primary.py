"""DGCS.1 in fusion: a symptom or history/status code leads only when no definitive diagnosis is found,
and symptoms are not added beside a definitive main condition."""

from __future__ import annotations

from autocoder.model.fusion import Cand, FusionConfig, FusionModel, is_definitive


def _decide(cfg: FusionConfig, scores: dict[str, float]):
    model = FusionModel(cfg)
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    cands = [Cand(code=c, system="icd10", clf_prob=p, primary_head=p) for c, p in scores.items()]
    return model.decide(cands, probs=list(scores.values()))


def test_fusion_primary_is_definitive_when_one_is_kept():
    # the primary ranker on its own would take the symptom (highest score)
    d = _decide(FusionConfig(), {"R05": 0.95, "Z92.1": 0.9, "D86.0": 0.7})
    assert [c.code for c, _ in d.diagnoses] == ["D86.0", "Z92.1"]   # R05 dropped, Z92.1 kept as secondary


def test_fusion_symptom_stays_primary_without_a_definitive_diagnosis():
    d = _decide(FusionConfig(), {"R31": 0.9, "Z92.1": 0.8, "C67.9": 0.2})
    assert next(c.code for c, _ in d.diagnoses) == "R31"


def test_fusion_definitive_preference_can_be_switched_off():
    cfg = FusionConfig(prefer_definitive_primary=False, drop_symptoms_with_definitive_primary=False)
    d = _decide(cfg, {"R05": 0.95, "D86.0": 0.7})
    assert next(c.code for c, _ in d.diagnoses) == "R05" and len(d.diagnoses) == 2


def test_fusion_is_definitive_excludes_symptoms_and_history_codes():
    assert not is_definitive("R55") and not is_definitive("Z86.7") and not is_definitive("Z92.1")
    assert is_definitive("I21.4") and is_definitive("Z38.0")
