"""Drug rules: adverse effect in therapeutic use -> Y40-Y59 after its condition; overdose -> T-code first
plus intent code; 'OD' as once-daily is not an overdose."""

from __future__ import annotations

import pytest

from autocoder.model.drugs import DrugTable, apply_drug_rules
from autocoder.model.fusion import Cand, Decision, DrugConfig
from autocoder.schemas import Entity


@pytest.fixture()
def table(tmp_path):
    p = tmp_path / "drugs.tsv"
    p.write_text("# test table\ndrug\tadverse_effect\tpoisoning\tclass\n"
                 "gliclazide\tY42.3\tT38.3\tsulfonylurea\nramipril\tY52.4\tT46.4\tace inhibitor\n"
                 "steroid\tY42.0\tT38.0\tglucocorticoid\nparacetamol\tY45.5\tT39.1\tanalgesic\n"
                 "sertraline\tY49.2\tT43.2\tssri\namlodipine\tY52.1\tT46.1\tccb\n", encoding="utf-8")
    return DrugTable.load(p)


def _dx(text: str, *items: tuple[str, str]) -> Decision:
    dx = []
    for code, phrase in items:
        s = text.index(phrase)
        dx.append((Cand(code=code, system="icd10", present=[Entity(text=phrase, start=s, end=s + len(phrase),
                                                                   label="DIAGNOSIS")], max_match=0.9), 0.8))
    return Decision(dx, [], list(dx), [], [], 0.5, 0.5)


def _codes(d: Decision) -> list[str]:
    return [c.code for c, _ in d.diagnoses]


def test_drug_adverse_effect_follows_its_condition_with_the_drug_as_evidence(table):
    text = "Hypoglycaemia secondary to gliclazide. AKI. Steroid-induced hyperglycaemia."
    d = apply_drug_rules(_dx(text, ("E16.0", "Hypoglycaemia"), ("N17.9", "AKI"), ("R73.9", "hyperglycaemia")),
                         text, DrugConfig(), table)
    assert _codes(d) == ["E16.0", "Y42.3", "N17.9", "R73.9", "Y42.0"]
    ev = d.diagnoses[1][0].present[0]
    assert text[ev.start:ev.end] == "gliclazide"


def test_drug_named_without_a_causal_cue_adds_nothing(table):
    text = "Hypertension. Medications: ramipril 5mg OD, amlodipine 10 mg OD."
    d = apply_drug_rules(_dx(text, ("I10", "Hypertension")), text, DrugConfig(), table)
    assert _codes(d) == ["I10"]


def test_drug_overdose_puts_poisoning_first_with_intent(table):
    text = "Admitted after an intentional overdose of 32 paracetamol tablets. Low mood."
    d = apply_drug_rules(_dx(text, ("F32.9", "Low mood")), text, DrugConfig(), table)
    assert _codes(d) == ["T39.1", "X60", "F32.9"]
    text = "Accidental ingestion of her husband's sertraline."
    assert _codes(apply_drug_rules(_dx(text, ("R11", "ingestion")), text, DrugConfig(), table))[:2] == ["T43.2", "X41"]
    text = "No evidence of overdose. Paracetamol level undetectable."
    assert _codes(apply_drug_rules(_dx(text, ("R11", "evidence")), text, DrugConfig(), table)) == ["R11"]


def test_drug_rules_can_be_switched_off(table):
    text = "Hypoglycaemia secondary to gliclazide."
    d = apply_drug_rules(_dx(text, ("E16.0", "Hypoglycaemia")), text,
                         DrugConfig(adverse_effects=False, poisoning=False), table)
    assert _codes(d) == ["E16.0"]


def test_drug_bare_od_is_an_overdose_only_right_after_the_drug_outside_a_prescription(table):
    text = "Low mood. Discharged on sertraline 100 mg BD for 8 weeks, then OD."
    assert _codes(apply_drug_rules(_dx(text, ("F32.9", "Low mood")), text, DrugConfig(), table)) == ["F32.9"]
    text = "Low mood. Brought in after paracetamol OD."
    assert _codes(apply_drug_rules(_dx(text, ("F32.9", "Low mood")), text, DrugConfig(), table))[:2] == ["T39.1", "X60"]


def test_matcher_never_proposes_an_adverse_effect_code_from_a_mention_alone():
    from autocoder.model.fusion import FusionConfig, build_candidates
    from autocoder.schemas import Candidate

    ent = Entity(text="depression (sertraline 100mg)", start=0, end=29, label="DIAGNOSIS",
                 candidates=[Candidate(code="F32.9", system="icd10", score=0.9),
                             Candidate(code="Y49.2", system="icd10", score=0.8)])
    cands = build_candidates([], None, None, None, [ent], FusionConfig())
    assert [c.code for c in cands] == ["F32.9"]


def test_matcher_site_codes_and_uncued_poisoning_codes_are_not_proposed_from_mentions():
    from autocoder.model.fusion import FusionConfig, build_candidates
    from autocoder.schemas import Candidate

    site = Entity(text="sigmoid colon", start=0, end=13, label="PROCEDURE",
                  candidates=[Candidate(code="Z28.6", system="opcs4", score=0.8),
                              Candidate(code="Z94.2", system="opcs4", score=0.7)])
    ulcer = Entity(text="NSAID-associated ulcer", start=20, end=42, label="DIAGNOSIS",
                   candidates=[Candidate(code="T39.3", system="icd10", score=0.5),
                               Candidate(code="K25.9", system="icd10", score=0.5)])
    od = Entity(text="aspirin overdose", start=50, end=66, label="DIAGNOSIS",
                candidates=[Candidate(code="T39.0", system="icd10", score=0.9)])
    cands = build_candidates([], None, None, None, [site, ulcer, od], FusionConfig())
    assert sorted(c.code for c in cands) == ["K25.9", "T39.0", "Z94.2"]


def test_drug_caused_condition_takes_its_drug_induced_code_when_icd10_has_one(table):
    text = "Admitted with hypoglycaemia due to gliclazide."
    d = apply_drug_rules(_dx(text, ("E16.2", "hypoglycaemia due to gliclazide")), text, DrugConfig(), table)
    assert _codes(d) == ["E16.0", "Y42.3"]


def test_previous_mi_is_coded_as_old_myocardial_infarction():
    from autocoder.model.fusion import FusionConfig, build_candidates
    from autocoder.schemas import Candidate

    mi = Entity(text="MI", start=9, end=11, label="DIAGNOSIS", assertion="historical", historical=True,
                candidates=[Candidate(code="I21.9", system="icd10", score=1.0),
                            Candidate(code="I21.0", system="icd10", score=0.86)])
    cands = build_candidates([], None, None, None, [mi], FusionConfig())
    assert [(c.code, bool(c.present)) for c in cands] == [("I25.2", True)]


def test_drug_class_cause_takes_the_named_drug_and_a_cause_sentence_adds_its_code(table):
    t2 = DrugTable.load_rows([("nsaid", "Y45.3", "T39.3", "other NSAID"), ("ibuprofen", "Y45.2", "T39.3", "NSAID"),
                              ("combined oral contraceptive", "Y42.4", "T38.4", "pill")])
    text = "Taking ibuprofen for back pain. Perforated duodenal ulcer (NSAID-related)."
    d = apply_drug_rules(_dx(text, ("K26.5", "Perforated duodenal ulcer (NSAID-related)")), text, DrugConfig(), t2)
    assert _codes(d) == ["K26.5", "Y45.2"]
    text = ("Cerebral venous sinus thrombosis. She had been taking a combined oral contraceptive for 8 years, "
            "which we think is the likely provoking factor.")
    d = apply_drug_rules(_dx(text, ("I67.6", "Cerebral venous sinus thrombosis")), text, DrugConfig(), t2)
    assert _codes(d) == ["I67.6", "Y42.4"]
    text = "Took 24 x 500mg paracetamol over 6 hours after an argument."
    assert _codes(apply_drug_rules(_dx(text, ("R11", "argument")), text, DrugConfig(), table))[:2] == ["T39.1", "X60"]
