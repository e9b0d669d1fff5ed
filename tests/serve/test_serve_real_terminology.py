"""The service with the real terminology (autocoder.codes, WHO ICD-10 + OPCS-4 core; ~0.5 s to build):
code search and look-up, and review validation against the real tables."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from serve_fakes import CODER, FakePipeline, code

from autocoder.serve.app import create_app
from autocoder.serve.store import ReviewStore


@pytest.fixture()
def real_client(settings, db_url, autocoder_home):
    codes = pytest.importorskip("autocoder.codes")
    codes.reset_terminology()
    store = ReviewStore(db_url)          # terminology resolved lazily by the store itself
    app = create_app(settings, pipeline=FakePipeline(), store=store)
    with TestClient(app) as c:
        yield c
    store.close()
    codes.reset_terminology()


def test_real_terminology_search_and_lookup(real_client):
    r = real_client.get("/v1/codes/search", params={"q": "atrial fibrillation", "system": "icd10", "limit": 5},
                        headers=CODER)
    assert r.status_code == 200
    assert any(h["code"].startswith("I48") for h in r.json()["hits"])
    r = real_client.get("/v1/codes/I10", headers=CODER).json()
    assert r["display"] == "I10.X" and "hypertension" in r["title"].lower()
    r = real_client.get("/v1/codes/E851", params={"system": "opcs4"}, headers=CODER).json()
    assert r["system"] == "opcs4" and r["code"] == "E85.1"
    assert real_client.get("/v1/codes/ZZZ9", headers=CODER).status_code == 404


def test_real_terminology_review_validation(real_client):
    code(real_client, "EP-1", "COPD with pneumonia; non-invasive ventilation")
    bad = {"reviewer": "c", "decisions": [{"code": "I48.9", "decision": "added"}],
           "final_diagnoses": ["J44.1", "I48.9", "U99.9"], "final_procedures": ["E85.1"]}
    r = real_client.post("/v1/episodes/EP-1/reviews", json=bad, headers=CODER)
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "U99.9"
    good = {**bad, "final_diagnoses": ["j441", "I48.9"],
            "decisions": [{"code": "I48.9", "decision": "added"}, {"code": "J18.9", "decision": "rejected"},
                          {"code": "E851", "decision": "accepted"}]}
    r = real_client.post("/v1/episodes/EP-1/reviews", json=good, headers=CODER)
    assert r.status_code == 201, r.text
    rec = r.json()["record"]
    assert rec["final_diagnoses"] == ["J44.1", "I48.9"] and rec["final_procedures"] == ["E85.1"]
    # E85.1 is an ICD-10 code too: the decision resolves to the OPCS-4 suggestion it refers to
    assert {"code": "E85.1", "decision": "accepted"} in rec["decisions"]
