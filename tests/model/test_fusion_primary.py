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


def _mention(text: str) -> "Entity":
    from autocoder.schemas import Entity
    return Entity(text=text, start=0, end=len(text), label="DIAGNOSIS", section="Diagnosis")


def test_fusion_mention_named_by_its_symptom_is_not_primary_beside_a_definitive_diagnosis():
    # N50.8 is in a disease chapter, but "testicular pain" is a symptom: torsion leads
    model = FusionModel(FusionConfig())
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    pain = Cand(code="N50.8", system="icd10", clf_prob=0.95, primary_head=0.95, present=[_mention("testicular pain")])
    torsion = Cand(code="N44", system="icd10", clf_prob=0.7, primary_head=0.7, present=[_mention("testicular torsion")])
    d = model.decide([pain, torsion], probs=[0.95, 0.7])
    assert [c.code for c, _ in d.diagnoses][0] == "N44"


def test_fusion_symptom_words_are_configurable():
    model = FusionModel(FusionConfig(symptom_words=[]))
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    pain = Cand(code="N50.8", system="icd10", clf_prob=0.95, primary_head=0.95, present=[_mention("testicular pain")])
    torsion = Cand(code="N44", system="icd10", clf_prob=0.7, primary_head=0.7, present=[_mention("testicular torsion")])
    d = model.decide([pain, torsion], probs=[0.95, 0.7])
    assert [c.code for c, _ in d.diagnoses][0] == "N50.8"
