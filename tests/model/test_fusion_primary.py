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


def test_fusion_status_code_is_not_primary_beside_a_symptom():
    # "frank haematuria ... on apixaban": the anticoagulant status is surer, the haematuria is the admission
    d = _decide(FusionConfig(), {"Z92.1": 0.9, "R31": 0.3})
    assert next(c.code for c, _ in d.diagnoses) == "R31"
    d = _decide(FusionConfig(), {"Z92.1": 0.9})
    assert next(c.code for c, _ in d.diagnoses) == "Z92.1"   # nothing else to be the primary


def test_fusion_definitive_preference_can_be_switched_off():
    cfg = FusionConfig(prefer_definitive_primary=False, drop_symptoms_with_definitive_primary=False)
    d = _decide(cfg, {"R05": 0.95, "D86.0": 0.7})
    assert next(c.code for c, _ in d.diagnoses) == "R05" and len(d.diagnoses) == 2


def test_fusion_is_definitive_excludes_symptoms_and_history_codes():
    assert not is_definitive("R55") and not is_definitive("Z86.7") and not is_definitive("Z92.1")
    assert is_definitive("I21.4") and is_definitive("Z38.0")



def _pain_vs_torsion(cfg: FusionConfig) -> list[str]:
    from autocoder.schemas import Entity

    def cand(code: str, text: str, p: float) -> Cand:
        e = Entity(text=text, start=0, end=len(text), label="DIAGNOSIS", section="Diagnosis")
        return Cand(code=code, system="icd10", clf_prob=p, primary_head=p, present=[e])

    model = FusionModel(cfg)
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    d = model.decide([cand("N50.8", "testicular pain", 0.95), cand("N44", "testicular torsion", 0.7)],
                     probs=[0.95, 0.7])
    return [c.code for c, _ in d.diagnoses]


def test_fusion_mention_named_by_its_symptom_is_not_primary_beside_a_definitive_diagnosis():
    # N50.8 is in a disease chapter, but "testicular pain" is a symptom: torsion leads
    assert _pain_vs_torsion(FusionConfig())[0] == "N44"


def test_fusion_symptom_words_are_configurable():
    assert _pain_vs_torsion(FusionConfig(symptom_words=[]))[0] == "N50.8"


def test_fusion_both_conditions_of_a_joined_mention_rank_as_top_candidates():
    """'Upper GI bleed from a gastric ulcer' names two conditions; the second is as much the mention's own
    code as the first (the extractor marks both 'joined-'), so neither ranks as a runner-up."""
    from autocoder.model.fusion import build_candidates
    from autocoder.schemas import Candidate, Entity

    text = "Diagnosis: Upper GI bleed from a gastric ulcer."
    phrase = "Upper GI bleed from a gastric ulcer"
    s = text.index(phrase)

    def mention(src: str) -> Entity:
        return Entity(text=phrase, start=s, end=s + len(phrase), label="DIAGNOSIS", section="diagnosis",
                      candidates=[Candidate(code="K92.2", system="icd10", score=1.0, source=src),
                                  Candidate(code="K25.9", system="icd10", score=1.0, source=src)])

    ranks = {}
    for src in ("matcher:joined-exact", "matcher:exact"):
        cands = build_candidates([], None, None, None, [mention(src)], FusionConfig(), text=text)
        ranks[src] = {c.code: c.best_rank for c in cands}
    assert ranks["matcher:joined-exact"] == {"K92.2": 0, "K25.9": 0}
    assert ranks["matcher:exact"] == {"K92.2": 0, "K25.9": 1}


def _queried_secondary(cfg: FusionConfig) -> list[str]:
    from autocoder.schemas import Entity

    def cand(code: str, text: str, p: float, assertion: str) -> Cand:
        e = Entity(text=text, start=0, end=len(text), label="DIAGNOSIS", assertion=assertion,
                   uncertain=assertion == "uncertain")
        return Cand(code=code, system="icd10", clf_prob=p, primary_head=p, present=[e])

    model = FusionModel(cfg)
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    cands = [cand("J18.9", "pneumonia", 0.9, "present"), cand("I26.9", "PE", 0.8, "uncertain"),
             cand("I10", "HTN", 0.7, "present")]
    return [c.code for c, _ in model.decide(cands, probs=[0.9, 0.8, 0.7]).diagnoses]


def test_fusion_queried_secondary_condition_is_not_coded():
    # "?PE" at discharge beside a confirmed main condition: not coded; a confirmed comorbidity is
    assert _queried_secondary(FusionConfig()) == ["J18.9", "I10"]
    assert _queried_secondary(FusionConfig(drop_uncertain_secondary=False)) == ["J18.9", "I26.9", "I10"]


def _listed_operation(cfg: FusionConfig) -> str:
    from autocoder.schemas import Entity

    def cand(code: str, text: str, p: float, rank: int) -> Cand:
        e = Entity(text=text, start=0, end=len(text), label="PROCEDURE", section="Procedures")
        return Cand(code=code, system="opcs4", clf_prob=p, primary_head=p, present=[e], max_match=0.95,
                    best_rank=0, proc_rank=rank)

    model = FusionModel(cfg)
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    # the ranker prefers the grommet; the operation note lists the mastoidectomy first
    cands = [cand("D15.1", "myringotomy with insertion of grommet", 0.9, 1),
             cand("D10.3", "cortical mastoidectomy", 0.7, 0)]
    return model.decide(cands, probs=[0.9, 0.7]).procedures[0][0].code


def test_fusion_first_listed_operation_is_the_primary_procedure():
    assert _listed_operation(FusionConfig()) == "D10.3"
    assert _listed_operation(FusionConfig(primary_procedure_from_section=False)) == "D15.1"


def test_fusion_queried_operation_is_not_coded():
    from autocoder.schemas import Entity

    def cand(code: str, assertion: str) -> Cand:
        e = Entity(text="x", start=0, end=1, label="PROCEDURE", assertion=assertion,
                   uncertain=assertion == "uncertain")
        return Cand(code=code, system="opcs4", clf_prob=0.9, present=[e], max_match=0.9, best_rank=0)

    def procedures(cfg: FusionConfig) -> list[str]:
        model = FusionModel(cfg)
        model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
        return [c.code for c, _ in model.decide([cand("G45.1", "uncertain"), cand("H22.1", "present")],
                                                probs=[0.9, 0.8]).procedures]

    assert procedures(FusionConfig()) == ["H22.1"]
    assert procedures(FusionConfig(drop_uncertain_procedures=False))[0] == "G45.1"


def test_fusion_main_condition_cues_include_a_confirming_test_and_we_diagnosed():
    from autocoder.model.fusion import has_primary_cue

    for text, mention in [("Admitted with pain; CT confirmed a sigmoid volvulus.", "sigmoid volvulus"),
                          ("We diagnosed statin-induced rhabdomyolysis.", "statin-induced"),
                          ("Admitted with chest pain due to PE.", "PE"),
                          ("The CT showed an established left MCA territory infarct.", "MCA territory")]:
        assert has_primary_cue(text, text.index(mention)), text
    text = "CT was normal. He has COPD."
    assert not has_primary_cue(text, text.index("COPD"))
    # the qualifying words may not run across a list ("showed raised CRP and AKI": AKI is not cued)
    text = "Bloods showed raised CRP and AKI."
    assert not has_primary_cue(text, text.index("AKI"))


def _mention_cand(code: str, text: str, section: str, p: float, head: float) -> Cand:
    from autocoder.schemas import Entity

    e = Entity(text=text, start=0, end=len(text), label="DIAGNOSIS", section=section)
    return Cand(code=code, system="icd10", clf_prob=p, primary_head=head, present=[e], max_match=1.0)


def test_fusion_background_condition_does_not_displace_the_admissions_symptom():
    """Asthma under Background is kept, but it is not the admission's condition: the collapse (R55) leads,
    not a poorly supported definitive code such as pulmonary collapse (J98.1)."""
    model = FusionModel(FusionConfig())
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    cands = [_mention_cand("R55", "collapse", "diagnosis", 0.86, 0.8),
             _mention_cand("J45.9", "asthma", "past_medical_history", 0.98, 0.1),
             _mention_cand("J98.1", "collapse", "diagnosis", 0.0, 0.0)]
    d = model.decide(cands, probs=[0.86, 0.98, 0.0])
    assert [c.code for c, _ in d.diagnoses][:2] == ["R55", "J45.9"]
    # the same asthma named in the admission's own story does make a definitive primary
    cands[1] = _mention_cand("J45.9", "asthma", "diagnosis", 0.98, 0.1)
    d = model.decide(cands, probs=[0.86, 0.98, 0.0])
    assert d.diagnoses[0][0].code == "J45.9"


def test_fusion_first_condition_of_a_joined_diagnosis_is_the_primary():
    """'Leptospirosis (Weil's disease) with acute kidney injury' heads the Diagnosis list: the condition named
    first leads even though the classifier is surer of the acute kidney injury."""
    from autocoder.model.fusion import build_candidates
    from autocoder.schemas import Candidate, Entity

    phrase = "Leptospirosis with acute kidney injury"
    text = f"Diagnosis: {phrase}."
    s = text.index(phrase)
    ent = Entity(text=phrase, start=s, end=s + len(phrase), label="DIAGNOSIS", section="diagnosis",
                 candidates=[Candidate(code="A27.9", system="icd10", score=1.0, source="matcher:joined-exact"),
                             Candidate(code="N17.9", system="icd10", score=1.0, source="matcher:joined-exact")])
    cands = build_candidates([], None, None, None, [ent], FusionConfig(), text=text)
    assert {c.code: c.join_rank for c in cands} == {"A27.9": 0, "N17.9": 1}
    model = FusionModel(FusionConfig())
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    probs = [0.74 if c.code == "A27.9" else 0.98 for c in cands]
    assert model.decide(cands, probs=probs).diagnoses[0][0].code == "A27.9"


def test_fusion_weak_match_named_first_does_not_outrank_a_sure_code():
    # "L adnexal mass" (first in the letter, a 0.33 match to C69.8) against "Ruptured left tubal ectopic
    # pregnancy" (named later, 0.85 to O00.1): the ranker trusts the letter's order only as far as the
    # mention really is the code
    from autocoder.model.fusion import PRIMARY_FEATURES, _Linear
    from autocoder.schemas import Entity

    def cand(code: str, text: str, match: float, rank: int) -> Cand:
        e = Entity(text=text, start=0, end=len(text), label="DIAGNOSIS", section="Impression")
        return Cand(code=code, system="icd10", present=[e], max_match=match, main_rank=rank, first_rank=rank,
                    best_rank=0)

    model = FusionModel(FusionConfig(primary_from_diagnosis_section=False, primary_from_cue=False))
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    coef = [0.0] * len(PRIMARY_FEATURES)
    coef[PRIMARY_FEATURES.index("main_rank_inv")] = 3.0
    coef[PRIMARY_FEATURES.index("fused")] = 2.0
    model.primary_rankers["icd10"] = _Linear(coef=coef)
    d = model.decide([cand("C69.8", "L adnexal mass", 0.33, 0), cand("O00.1", "tubal ectopic", 0.85, 3)],
                     probs=[0.16, 0.92])
    assert d.diagnoses[0][0].code == "O00.1"


def test_fusion_imaging_is_the_primary_procedure_only_without_another_operation():
    # "CT head" (U05.1) scored above the temporal artery biopsy (L67.1) it led to
    model = FusionModel(FusionConfig(primary_procedure_from_section=False))
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}

    def procs(scores: dict[str, float]) -> list[str]:
        cands = [Cand(code=c, system="opcs4", clf_prob=p, primary_head=p) for c, p in scores.items()]
        return [c.code for c, _ in model.decide(cands, probs=list(scores.values())).procedures]

    assert procs({"U05.1": 0.95, "L67.1": 0.7}) == ["L67.1", "U05.1"]
    assert procs({"U05.1": 0.95, "Z94.2": 0.9}) == ["U05.1", "Z94.2"]   # a scan alone is the procedure
    model.cfg.secondary_procedure_prefixes = []
    assert procs({"U05.1": 0.95, "L67.1": 0.7}) == ["U05.1", "L67.1"]


def test_fusion_weak_token_overlap_without_the_classifier_is_not_kept():
    from autocoder.schemas import Entity

    e = Entity(text="several broken molars", start=0, end=21, label="DIAGNOSIS", section="Examination")
    weak = Cand(code="S72.0", system="icd10", present=[e], max_match=0.46, clf_prob=0.05)
    backed = Cand(code="S02.5", system="icd10", present=[e], max_match=0.46, clf_prob=0.6)
    main = Cand(code="K04.7", system="icd10", present=[e], max_match=1.0, clf_prob=0.9, primary_head=0.9)
    model = FusionModel(FusionConfig())
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    d = model.decide([main, weak, backed], probs=[0.95, 0.73, 0.73])
    assert [c.code for c, _ in d.diagnoses] == ["K04.7", "S02.5"]
    model.cfg.weak_match_below = 0.0
    assert [c.code for c, _ in model.decide([main, weak], probs=[0.95, 0.73]).diagnoses] == ["K04.7", "S72.0"]


def test_fusion_a_definitive_condition_named_outright_is_the_primary_though_scored_below_threshold():
    """'Sigmoid volvulus' (exact, top of its mention) scored 0.29 by a retrained combiner; kept: only the
    background Parkinson's disease. The symptom (flatulence R14) must not be the main condition."""
    from autocoder.schemas import Entity

    def cand(code, p, section, match=1.0):
        e = Entity(text="x", start=0, end=1, label="DIAGNOSIS", section=section)
        return Cand(code=code, system="icd10", clf_prob=p, primary_head=p, present=[e], max_match=match,
                    best_rank=0, first_rank=0, main_rank=0)

    cands = [cand("R14", 0.45, "history"), cand("G20", 0.97, "past_medical_history"), cand("K56.2", 0.29, "history")]
    for named, want in ((True, "K56.2"), (False, None)):
        model = FusionModel(FusionConfig(named_definitive_primary=named))
        model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
        primary = model.decide(cands, probs=[c.clf_prob for c in cands]).diagnoses[0][0].code
        assert (primary == want) if want else primary != "K56.2"
    weak = [cand("R14", 0.45, "history"), cand("K56.2", 0.29, "history", match=0.6)]   # a loose match: no
    model = FusionModel(FusionConfig())
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    assert model.decide(weak, probs=[c.clf_prob for c in weak]).diagnoses[0][0].code == "R14"
