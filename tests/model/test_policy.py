"""Local coding policy: excluded codes, qualifiers of dropped operations, major primary procedure,
Z37.0 with a delivery, caesarean urgency, config validation."""

from __future__ import annotations

import pytest

from autocoder.errors import ConfigError
from autocoder.model.fusion import Cand, Decision
from autocoder.model.policy import CodingPolicy, filter_gold, load_policy, recode_under_policy
from autocoder.model.policy import apply_policy as apply
from autocoder.schemas import Entity, Episode


def _c(code, system, start=0, end=4):
    return Cand(code=code, system=system, present=[Entity(text="x", start=start, end=end, label="PROCEDURE")],
                max_match=0.9)


def _d(dx, pr):
    dx = [(_c(c, "icd10"), p) for c, p in dx]
    pr = [(_c(c, "opcs4"), p) for c, p in pr]
    return Decision(dx, pr, list(dx), list(pr), [], 0.5, 0.5)


POLICY = CodingPolicy(never_code={"icd10": ["F17", "Z95"], "opcs4": ["U", "Y98", "X33"]},
                      allow={"opcs4": ["U05.1"]}, minor_procedures=["U", "X33"])


def test_policy_drops_excluded_codes_but_keeps_allowed_exceptions():
    d = apply(_d([("I21.4", .9), ("F17.1", .8), ("Z95.1", .7), ("I10", .6)],
                 [("U05.1", .9), ("Y98.1", .9), ("U35.4", .8)]), "", POLICY)
    assert [c.code for c, _ in d.diagnoses] == ["I21.4", "I10"]
    assert [c.code for c, _ in d.procedures] == ["U05.1"]
    assert "F17.1" not in [c.code for c, _ in d.ranked_diagnoses]


def test_policy_dropped_operation_takes_its_qualifiers_and_major_operation_becomes_primary():
    d = apply(_d([("S72.0", .9)], [("X33.2", .9), ("Z94.2", .9), ("U05.1", .8), ("W46.1", .7), ("Z94.3", .7)]),
              "", POLICY)
    assert [c.code for c, _ in d.procedures] == ["W46.1", "Z94.3", "U05.1"]


def test_policy_adds_z37_with_a_delivery_and_reads_caesarean_urgency():
    text = "Category 1 emergency caesarean section for fetal distress."
    start = text.index("caesarean")
    d = _d([("O68.2", .9)], [])
    d.procedures = [(_c("R17.2", "opcs4", start, start + 17), .9)]
    out = apply(d, text, CodingPolicy())
    assert [c.code for c, _ in out.diagnoses] == ["O68.2", "Z37.0"]
    assert [c.code for c, _ in out.procedures] == ["R18.2"]
    assert out.diagnoses[1][0].present, "Z37.0 carries the delivery mention as its evidence"
    planned = "Planned elective caesarean section for breech."
    d.procedures = [(_c("R18.2", "opcs4", planned.index("caesarean"), planned.index("caesarean") + 9), .9)]
    assert [c.code for c, _ in apply(d, planned, CodingPolicy()).procedures] == ["R17.2"]


def test_policy_keeps_a_primary_when_every_kept_code_is_excluded():
    d = apply(_d([("F17.1", .9), ("J44.1", .3)], []), "", POLICY)
    d0 = _d([("F17.1", .9)], [])
    d0.ranked_diagnoses.append((_c("J44.1", "icd10"), .3))
    assert [c.code for c, _ in apply(d0, "", POLICY).diagnoses] == ["J44.1"]
    assert [c.code for c, _ in d.diagnoses] == ["J44.1"]


def test_filter_gold_recodes_training_gold_under_the_policy():
    assert filter_gold(["I21.4", "F17.1", "I10"], "icd10", POLICY) == ["I21.4", "I10"]
    assert filter_gold(["X33.2", "Z94.2", "W46.1", "Z94.3"], "opcs4", POLICY) == ["W46.1", "Z94.3"]
    assert filter_gold(["Y98.1"], "opcs4", POLICY) == []


def test_recode_under_policy_rewrites_episode_gold_and_keeps_a_primary():
    eps = [Episode(id="a", text="t", diagnoses=["I21.4", "F17.1"], procedures=["X33.2", "K75.1"]),
           Episode(id="b", text="t", diagnoses=["F17.1"], procedures=[]),
           Episode(id="c", text="t", diagnoses=["I10"], procedures=[])]
    a, b, c = recode_under_policy(eps, POLICY)
    assert (a.diagnoses, a.procedures) == (["I21.4"], ["K75.1"])
    assert b.diagnoses == ["F17.1"]          # nothing left: the original primary stays
    assert c is eps[2]                       # untouched episodes are not copied


def test_default_policy_file_loads_and_bad_policy_names_the_file(tmp_path):
    pol = load_policy()
    assert pol.excluded("Z95.1", "icd10") and not pol.excluded("U05.1", "opcs4") and pol.excluded("U35.4", "opcs4")
    bad = tmp_path / "policy.yaml"
    bad.write_text("never_cod: {icd10: [F17]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="policy.yaml"):
        load_policy(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_policy(tmp_path / "missing.yaml")


def test_policy_z92_1_only_for_an_anticoagulant_taken_before_admission():
    new = "New AF. Started apixaban 5 mg BD, CHA2DS2-VASc 4."
    d = _d([("I48.9", .9)], [])
    d.diagnoses.append((Cand(code="Z92.1", system="icd10", in_vocab=True, clf_prob=0.6), .6))   # classifier only
    assert [c.code for c, _ in apply(d, new, CodingPolicy()).diagnoses] == ["I48.9"]
    old = "Known AF on apixaban. Apixaban held for 48 hours then restarted."
    s = old.index("on apixaban")
    d = _d([("I48.9", .9)], [])
    d.diagnoses.append((Cand(code="Z92.1", system="icd10", present=[
        Entity(text="on apixaban", start=s, end=s + 11, label="DIAGNOSIS")], max_match=1.0), .7))
    assert [c.code for c, _ in apply(d, old, CodingPolicy()).diagnoses] == ["I48.9", "Z92.1"]


def test_policy_can_add_z92_1_for_a_long_term_anticoagulant_the_letter_shows():
    from autocoder.model.policy import AnticoagulantStatus, long_term_anticoagulant

    on = CodingPolicy(anticoagulant_status=AnticoagulantStatus(add_from_text=True))
    text = "Background:\n- Permanent AF on warfarin - stopped 5 days pre-op, restarted evening of day 2\n"
    d = apply(_d([("N40", .9)], []), text, on)
    assert [c.code for c, _ in d.diagnoses] == ["N40", "Z92.1"]
    assert d.diagnoses[1][0].present[0].text == "warfarin"                  # the evidence is the drug
    assert [c.code for c, _ in apply(_d([("N40", .9)], []), text, CodingPolicy()).diagnoses] == ["N40"]  # default off
    cfg = on.anticoagulant_status
    for text in ("Meds change: apixaban 5mg BD started day 4 (lifelong).", "GCS 15, not anticoagulated.",
                 "Warfarin stopped 2019 after a GI bleed.", "Consider a DOAC at clinic review."):
        assert long_term_anticoagulant(text, cfg) is None, text


def test_policy_adds_no_z37_for_a_delivery_code_read_from_a_non_obstetric_mention():
    text = "Colonoscopy to caecum. Rectum normal on retroflexion."
    start = text.index("Rectum")
    d = _d([("K57.3", .9)], [])
    d.procedures = [(_c("R24.9", "opcs4", start, len(text) - 1), .4)]
    assert [c.code for c, _ in apply(d, text, CodingPolicy()).diagnoses] == ["K57.3"]


def test_default_policy_high_cost_drug_code_is_never_the_primary_beside_an_operation():
    """'Alteplase' (X83.3, a drug band) and the mechanical thrombectomy (L35.4): the operation leads."""
    d = apply(_d([("I63.4", .9)], [("X83.3", .9), ("L35.4", .8)]), "", load_policy())
    assert [c.code for c, _ in d.procedures] == ["L35.4", "X83.3"]


def test_default_policy_codes_a_catheter_insertion_but_not_its_removal():
    pol = load_policy()
    assert pol.excluded("M47.3", "opcs4") and not pol.excluded("M47.9", "opcs4")


def test_policy_integral_codes_go_beside_a_definitive_primary_and_give_way_as_the_primary():
    policy = CodingPolicy(integral_secondaries=["E86", "A09.9"])
    d = apply(_d([("K56.1", .9), ("E86", .9), ("I10", .8)], []), "", policy)
    assert [c.code for c, _ in d.diagnoses] == ["K56.1", "I10"]       # dehydration with an intussusception
    d = apply(_d([("A09.9", .9), ("A48.1", .8), ("E86", .7)], []), "", policy)
    assert [c.code for c, _ in d.diagnoses] == ["A48.1"]              # the diarrhoea of Legionnaires' disease
    d = apply(_d([("E86", .9), ("R11", .6)], []), "", policy)
    assert [c.code for c, _ in d.diagnoses] == ["E86", "R11"]         # nothing definitive: dehydration leads
    assert filter_gold(["K56.1", "E86", "I10"], "icd10", policy) == ["K56.1", "I10"]
    assert [c.code for c, _ in apply(_d([("K56.1", .9), ("E86", .9)], []), "", CodingPolicy()).diagnoses] == \
        ["K56.1", "E86"]                                               # off without the list
