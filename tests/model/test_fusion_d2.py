"""Fusion: suppression by assertion, terminology-only codes, combiner fitting, primaries, persistence."""

from __future__ import annotations

import numpy as np

from autocoder.model.fusion import FusionConfig, FusionModel, build_candidates
from autocoder.schemas import Candidate, Entity

LABELS = ["icd10:J44.1", "icd10:I10", "icd10:I26.9", "opcs4:E85.1", "opcs4:Z94.2"]


def ent(code, system="icd10", start=0, end=4, label="DIAGNOSIS", section="Diagnosis", score=0.9, **flags):
    assertion = next((k for k, v in flags.items() if v), "present")
    return Entity(text="x" * (end - start), start=start, end=end, label=label, section=section,
                  assertion=assertion if assertion != "uncertain" else "uncertain", **flags,
                  candidates=[Candidate(code=code, system=system, score=score)])


def probs(**kw):
    p = np.zeros(len(LABELS))
    for k, v in kw.items():
        p[[lab.split(":")[1].replace(".", "_") for lab in LABELS].index(k)] = v
    return p


def test_fusion_suppresses_negated_family_hypothetical_evidence():
    cfg = FusionConfig()
    model = FusionModel(cfg)
    p = probs(J44_1=0.9, I26_9=0.6)
    for flag in ("negated", "family", "hypothetical"):
        cands = build_candidates(LABELS, p, p, None, [ent("I26.9", **{flag: True})], cfg)
        by = {c.code: c for c in cands}
        assert by["I26.9"].is_suppressed
        d = model.decide(cands)
        assert "I26.9" not in [c.code for c, _ in d.diagnoses], flag
        assert "I26.9" not in [c.code for c, _ in d.ranked_diagnoses]
        assert "J44.1" in [c.code for c, _ in d.diagnoses]
    # a present mention alongside a negated one keeps the code
    cands = build_candidates(LABELS, p, p, None, [ent("I26.9", negated=True), ent("I26.9", start=10, end=14)], cfg)
    assert "I26.9" in [c.code for c, _ in model.decide(cands).diagnoses]


def test_fusion_a_negated_mention_that_only_loosely_names_a_code_does_not_suppress_it():
    """'no Richter's transformation' ~ C91.1 at 0.46 is not a negated CLL; a good match still suppresses."""
    cfg = FusionConfig()
    loose = ent("C91.1", start=20, end=24, negated=True, score=0.46)
    cands = build_candidates(LABELS, None, None, None, [ent("C91.1", score=1.0), loose], cfg)
    assert not {c.code: c for c in cands}["C91.1"].suppressed
    cands = build_candidates(LABELS, None, None, None, [ent("C91.1", score=1.0), ent("C91.1", start=20, end=24,
                                                                                     negated=True)], cfg)
    assert {c.code: c for c in cands}["C91.1"].suppressed


def test_fusion_historical_suppresses_unless_chronic_or_history_code():
    cfg = FusionConfig()
    cands = build_candidates(LABELS, None, None, None,
                             [ent("I26.9", historical=True), ent("I10", historical=True),
                              ent("Z86.7", historical=True)], cfg)
    by = {c.code: c for c in cands}
    assert by["I26.9"].is_suppressed
    assert not by["I10"].is_suppressed and not by["Z86.7"].is_suppressed


def test_fusion_adds_terminology_only_code_never_seen_by_classifier():
    cfg = FusionConfig()
    p = probs(J44_1=0.95)
    # mentioned outside a diagnosis list (a listed diagnosis would be taken as the primary)
    cands = build_candidates(LABELS, p, p, None, [ent("N17.9", score=0.95, start=20, end=23, section=None)], cfg)
    by = {c.code: c for c in cands}
    assert not by["N17.9"].in_vocab and by["N17.9"].present
    model = FusionModel(cfg)
    # a fitted combiner that trusts strong matches: fit on toy dev data where matched codes are gold
    dev = []
    gold_dx = []
    rng = np.random.default_rng(1)
    for i in range(60):
        extra = "K35.8" if i % 2 else "N39.0"
        pp = probs(J44_1=rng.uniform(0.7, 1.0), I10=rng.uniform(0, 0.2))
        es = [ent(extra, score=rng.uniform(0.8, 1.0), start=30, end=35)]
        if i % 3 == 0:
            es.append(ent("A41.9", score=rng.uniform(0.8, 1.0), negated=True, start=40, end=45))
        dev.append(build_candidates(LABELS, pp, pp, None, es, cfg))
        gold_dx.append(["J44.1", extra])
    report = model.fit(dev, gold_dx, [[] for _ in dev])
    assert report["dev_candidate_recall"] == 1.0
    d = model.decide(cands)
    codes = [c.code for c, _ in d.diagnoses]
    assert codes[0] == "J44.1" and "N17.9" in codes and "I10" not in codes
    assert all(0.0 <= p <= 1.0 for _, p in d.ranked_diagnoses)
    # persistence round trip gives identical decisions
    again = FusionModel.from_dict(model.to_dict())
    assert [c.code for c, _ in again.decide(cands).diagnoses] == codes


def test_fusion_thresholds_and_primary_procedure_rules():
    cfg = FusionConfig()
    model = FusionModel(cfg)
    model.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    p = probs(J44_1=0.9, I10=0.4, E85_1=0.3, Z94_2=0.9)
    cands = build_candidates(LABELS, p, p, p, [], cfg)
    d = model.decide(cands)
    assert [c.code for c, _ in d.diagnoses] == ["J44.1"]          # I10 under threshold
    assert d.procedures == []                                     # a Z qualifier alone is not a procedure
    model.thresholds["icd10"] = 0.95
    d2 = model.decide(cands)
    assert [c.code for c, _ in d2.diagnoses] == ["J44.1"]         # always a primary diagnosis
    p2 = probs(J44_1=0.9, E85_1=0.8, Z94_2=0.9)
    model.thresholds["icd10"] = 0.5
    d3 = model.decide(build_candidates(LABELS, p2, p2, p2, [], cfg))
    assert [c.code for c, _ in d3.procedures][0] == "E85.1"      # Y/Z never primary
    # confidence is lower when a near miss is close to the threshold
    p4 = probs(J44_1=0.9, I10=0.45)
    d4 = model.decide(build_candidates(LABELS, p4, p4, None, [], cfg))
    p5 = probs(J44_1=0.9, I10=0.05)
    d5 = model.decide(build_candidates(LABELS, p5, p5, None, [], cfg))
    assert d4.raw_confidence < d5.raw_confidence


def test_fusion_a_secondary_list_is_coded_but_never_names_the_primary():
    """'Reason for admission: #NOF' then 'Secondary problems: hypernatraemia': the Diagnosis-list rule must
    not make the first secondary the primary (it would, were the secondary list a Diagnosis list)."""
    cfg = FusionConfig()
    first = ent("J44.1", start=0, end=4, section="presenting_complaint", score=1.0)
    second = ent("I10", start=10, end=14, section="secondary_diagnoses", score=1.0)
    by = {c.code: c for c in build_candidates(LABELS, None, None, None, [first, second], cfg)}
    assert by["I10"].diag_rank is None and by["I10"].present
    by = {c.code: c for c in build_candidates(LABELS, None, None, None,
                                              [first, ent("I10", start=10, end=14, section="diagnosis")], cfg)}
    assert by["I10"].diag_rank == 0
