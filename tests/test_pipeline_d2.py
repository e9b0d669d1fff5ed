"""CodingPipeline with fake classifier/extractor: evidence, FORMATS.md shape, sequencing, CLI `code`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autocoder.model.fusion import FusionModel
from autocoder.pipeline import CodeBook, CodingPipeline, classifier_evidence
from autocoder.schemas import Candidate, CodingResult, Entity, Episode, RuleWarning

LABELS = ["icd10:J44.1", "icd10:I10", "icd10:E11.9", "opcs4:E85.2", "opcs4:Z94.2"]
TEXT = ("Diagnosis: acute exacerbation of COPD. Hypertension. No evidence of pulmonary embolism.\n"
        "Procedures: non-invasive ventilation on the ward.\nFamily history of bowel cancer.")


class FakeClassifier:
    def predict_all(self, texts):
        n = len(texts)
        p = np.tile(np.array([0.95, 0.8, 0.03, 0.9, 0.02]), (n, 1))
        dx = np.tile(np.array([0.9, 0.1, 0.0, 0.0, 0.0]), (n, 1))
        pr = np.tile(np.array([0.0, 0.0, 0.0, 0.85, 0.0]), (n, 1))
        return p, dx, pr


class FakeExtractor:
    def extract_many(self, texts, batch_size=32):
        out = []
        for t in texts:
            ents = []
            for phrase, code, system, flags, section in (
                ("acute exacerbation of COPD", "J44.1", "icd10", {}, "Diagnosis"),
                ("pulmonary embolism", "I26.9", "icd10", {"negated": True}, "Diagnosis"),
                ("bowel cancer", "C18.9", "icd10", {"family": True}, None),
                ("non-invasive ventilation", "E85.2", "opcs4", {}, "Procedures"),
            ):
                i = t.find(phrase)
                if i < 0:
                    continue
                assertion = next(iter(flags), "present")
                ents.append(Entity(text=phrase, start=i, end=i + len(phrase),
                                   label="PROCEDURE" if system == "opcs4" else "DIAGNOSIS", section=section,
                                   assertion=assertion, **flags,
                                   candidates=[Candidate(code=code, system=system, score=0.95)]))
            out.append(ents)
        return out


class FakeRules:
    """Records calls; puts codes in reverse (except the primary) to prove the rule order is used."""

    calls: list = []

    @staticmethod
    def sequence_diagnoses(codes, primary=None):
        FakeRules.calls.append(("dx", list(codes), primary))
        return [primary] + sorted((c for c in codes if c != primary), reverse=True)

    @staticmethod
    def sequence_procedures(codes, primary=None):
        FakeRules.calls.append(("proc", list(codes), primary))
        return list(codes)

    @staticmethod
    def validate_codes(dx, proc, sex=None, age=None):
        return [RuleWarning(rule="test-rule", codes=["I10"], message="hypertension checked", severity="info")]

    @staticmethod
    def may_be_primary(code, system="icd10"):
        return not (system == "opcs4" and code.startswith(("Y", "Z")))


def make_pipe(rules=None, extractor=True):
    fm = FusionModel()
    fm.thresholds = {"icd10": 0.5, "opcs4": 0.5}
    cb = CodeBook()
    if rules is not None:
        cb.rules = rules
    return CodingPipeline(labels=LABELS, fusion=fm, classifier=FakeClassifier(),
                          extractor=FakeExtractor() if extractor else None,
                          phrases={"icd10:I10": ["hypertension"]}, codebook=cb, model_version="autocoder@test")


def test_pipeline_result_matches_formats_shape_and_every_code_has_evidence():
    res = make_pipe().predict([Episode(id="EP-1", text=TEXT, sex="F", age=70)], top_k=10)[0]
    assert isinstance(res, CodingResult)
    obj = json.loads(res.model_dump_json(exclude_none=True))
    assert set(obj) >= {"id", "model_version", "diagnoses", "procedures", "confidence", "needs_review", "warnings",
                        "ranked_diagnoses", "ranked_procedures"}
    dx = [d["code"] for d in obj["diagnoses"]]
    assert dx[0] == "J44.1" and "I10" in dx
    assert "I26.9" not in dx and "C18.9" not in dx                         # negated / family suppressed
    assert [p["code"] for p in obj["procedures"]] == ["E85.2"]             # Z94.2 below threshold
    for s in obj["diagnoses"] + obj["procedures"]:
        assert set(s) >= {"code", "display", "title", "score", "primary", "evidence", "sources", "warnings"}
        assert 0.0 <= s["score"] <= 1.0
        assert s["evidence"], s["code"]
        for ev in s["evidence"]:
            assert TEXT[ev["start"]:ev["end"]] == ev["text"] and ev["text"].strip()
    assert [s["primary"] for s in obj["diagnoses"]] == [True] + [False] * (len(dx) - 1)
    j44 = obj["diagnoses"][0]
    assert j44["evidence"][0]["text"] == "acute exacerbation of COPD"
    assert set(j44["sources"]) == {"classifier", "extractor"}
    i10 = next(s for s in obj["diagnoses"] if s["code"] == "I10")
    assert i10["sources"] == ["classifier"] and i10["evidence"][0]["text"].lower() == "hypertension"
    assert 0.0 <= obj["confidence"] <= 1.0
    assert obj["ranked_diagnoses"][0]["score"] >= obj["ranked_diagnoses"][-1]["score"]
    assert "I26.9" not in [r["code"] for r in obj["ranked_diagnoses"]]


def test_pipeline_uses_sequencing_rules_and_attaches_validation_warnings():
    FakeRules.calls = []
    res = make_pipe(rules=FakeRules).predict([Episode(id="EP-2", text=TEXT)])[0]
    assert ("dx", ["J44.1", "I10"], "J44.1") in FakeRules.calls or any(c[0] == "dx" for c in FakeRules.calls)
    assert res.diagnosis_codes() == ["J44.1", "I10"]
    assert [w.rule for w in res.warnings] == ["test-rule"]
    by = {s.code: s for s in res.diagnoses}
    assert [w.rule for w in by["I10"].warnings] == ["test-rule"] and by["J44.1"].warnings == []


def test_pipeline_classifier_only_evidence_falls_back_to_title_sentence_never_empty():
    text = "Seen in clinic. Known essential hypertension, well controlled. Home today."
    s, e = classifier_evidence(text, [], "Essential (primary) hypertension")
    assert "hypertension" in text[s:e]
    s, e = classifier_evidence("Letter.", [], "Zzz unrelated")
    assert text and e > s
    res = make_pipe(extractor=False).predict([Episode(id="EP-3", text="Patient reviewed and discharged home.")])[0]
    assert res.diagnoses and all(d.evidence for d in res.diagnoses + res.procedures)


def test_pipeline_needs_review_follows_confidence_threshold():
    pipe = make_pipe()
    pipe.fusion.review_threshold = 0.0
    assert not pipe.predict([Episode(id="a", text=TEXT)])[0].needs_review
    pipe.fusion.review_threshold = 1.01
    assert pipe.predict([Episode(id="a", text=TEXT)])[0].needs_review


@pytest.fixture()
def tiny_bundle(tmp_path, monkeypatch):
    """A bundle with fusion params and labels, no classifier; the extractor is the fake."""
    d = tmp_path / "bundle"
    d.mkdir()
    fm = FusionModel()
    fm.thresholds = {"icd10": 0.0, "opcs4": 0.0}
    (d / "fusion.json").write_text(json.dumps(fm.to_dict()))
    (d / "labels.json").write_text(json.dumps(LABELS))
    (d / "model_card.json").write_text(json.dumps({"name": "tiny", "config_hash": "abc123", "hash": "f" * 64}))
    monkeypatch.setattr("autocoder.pipeline._load_extractor", lambda ner: FakeExtractor())
    return d


def test_pipeline_load_bundle_sets_version_and_hash(tiny_bundle):
    pipe = CodingPipeline.load(str(tiny_bundle))
    assert pipe.model_version == "tiny-ffffffff" and pipe.config_hash == "abc123"
    res = pipe.predict([Episode(id="x", text=TEXT)])[0]
    assert res.diagnosis_codes()[0] == "J44.1"


def test_pipeline_cli_code_reports_bad_record_and_codes_the_rest(tiny_bundle, tmp_path, autocoder_home):
    from typer.testing import CliRunner

    from autocoder.cli import app

    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"id": "A", "text": TEXT}) + "\n" + "{not json\n"
                   + json.dumps({"id": "B", "text": "  "}) + "\n" + json.dumps({"id": "C", "text": TEXT}) + "\n")
    out = tmp_path / "out.jsonl"
    r = CliRunner().invoke(app, ["code", str(inp), "--out", str(out), "--model", str(tiny_bundle), "--top-k", "5"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == ["A", "C"]
    assert all("ranked_diagnoses" in x for x in lines)
    err = r.stderr if hasattr(r, "stderr") else r.output
    assert "line 2" in err and "line 3" in err and "'B'" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    r2 = CliRunner().invoke(app, ["code", str(bad), "--out", str(tmp_path / "o2.jsonl"), "--model", str(tiny_bundle)])
    assert r2.exit_code != 0
