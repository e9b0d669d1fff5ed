"""Routes of the coding service with a fake pipeline: happy paths, every error a 4xx naming the field."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from serve_fakes import ADMIN, CODER, ENGINEER, FakePipeline, code

from autocoder.serve.app import create_app
from autocoder.serve.settings import ServeSettings

LETTER = "Discharge summary\nDiagnosis: infective exacerbation of COPD. Hypertension.\nPlan: inhalers, ?pneumonia."


def test_code_returns_result_with_evidence_and_stores_it(client, store):
    res = code(client, "EP-1", LETTER, sex="F", age=74)
    assert res["id"] == "EP-1" and res["model_version"] == "fake@1"
    assert [d["code"] for d in res["diagnoses"]] == ["J44.1", "I10", "J18.9"]
    ev = res["diagnoses"][0]["evidence"][0]
    assert LETTER[ev["start"]:ev["end"]] == ev["text"] == "COPD"
    assert "ranked_diagnoses" not in res  # None fields are left out, as in FORMATS.md
    st = store.get("EP-1")
    assert st.config_hash == "cfg-fake-1" and st.result.diagnosis_codes() == ["J44.1", "I10", "J18.9"]
    assert st.episode.age == 74


def test_code_top_k_adds_ranked_lists(client):
    res = client.post("/v1/code?top_k=5", json={"id": "EP-2", "text": LETTER}, headers=CODER).json()
    assert res["ranked_diagnoses"][0] == {"code": "J44.1", "score": 0.93}


@pytest.mark.parametrize("body, field", [
    ({"id": "EP-1"}, "text"),
    ({"text": "x"}, "id"),
    ({"id": "EP-1", "text": "   "}, "text"),
    ({"id": "EP-1", "text": "COPD", "age": 200}, "age"),
    ({"id": "EP-1", "text": "COPD", "sex": "Q"}, "sex"),
    ({"id": "E" * 201, "text": "COPD"}, "id"),
])
def test_code_invalid_episode_is_422_naming_the_field(client, body, field):
    r = client.post("/v1/code", json=body, headers=CODER)
    assert r.status_code == 422
    assert field in r.json()["message"]
    assert any(e["loc"][-1] == field for e in r.json()["detail"])
    assert "COPD" not in r.text or body.get("text") is None or "input" not in r.json()["detail"][0]


def test_code_bad_json_is_422(client):
    r = client.post("/v1/code", content=b'{"id": "EP-1", "text": ', headers={**CODER,
                                                                             "Content-Type": "application/json"})
    assert r.status_code == 422
    assert "malformed JSON" in r.json()["message"]


def test_code_oversized_body_is_413_naming_the_limit(client, settings):
    big = "COPD " * (settings.max_body_bytes // 4)
    r = client.post("/v1/code", json={"id": "EP-big", "text": big}, headers=CODER)
    assert r.status_code == 413
    assert "max_body_bytes" in r.json()["detail"]


def test_code_oversized_body_without_content_length_is_413(client, settings):
    def chunks():
        for _ in range(settings.max_body_bytes // 1000 + 2):
            yield b"x" * 1000

    r = client.post("/v1/code", content=chunks(), headers={**CODER, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert "max_body_bytes" in r.json()["detail"]


def test_code_text_over_max_chars_is_413_naming_text(settings, pipeline, store, terminology, autocoder_home):
    s = settings.model_copy(update={"max_text_chars": 50})
    with TestClient(create_app(s, pipeline=pipeline, store=store, terminology=terminology)) as c:
        r = c.post("/v1/code", json={"id": "EP-long", "text": "COPD " * 20}, headers=CODER)
    assert r.status_code == 413
    assert "'text'" in r.json()["detail"] and "max_text_chars" in r.json()["detail"]


def test_code_pipeline_failure_is_not_a_silent_success(settings, store, terminology, autocoder_home):
    app = create_app(settings, pipeline=FakePipeline(fail_on="BOOM"), store=store, terminology=terminology)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/code", json={"id": "EP-x", "text": "BOOM COPD"}, headers=CODER)
    assert r.status_code == 500 and "RuntimeError" in r.json()["detail"]


# ------------------------------------------------------------------------------------------ auth
@pytest.mark.parametrize("headers, status", [
    ({}, 401),
    ({"X-API-Key": "nope"}, 401),
    ({"Authorization": "Bearer nope"}, 401),
    ({"Authorization": "Basic coder-key"}, 401),
    (CODER, 200),
    ({"Authorization": "Bearer coder-key"}, 200),
])
def test_auth_keys_by_header_or_bearer(client, headers, status):
    r = client.post("/v1/code", json={"id": "EP-a", "text": "COPD"}, headers=headers)
    assert r.status_code == status
    if status == 401:
        assert "API key" in r.json()["detail"]


@pytest.mark.parametrize("method, path, role_ok", [
    ("get", "/v1/episodes", "coder"),
    ("get", "/v1/codes/search?q=copd", "coder"),
    ("get", "/v1/batches/none", "engineer"),
    ("get", "/v1/admin/model", "engineer"),
    ("post", "/v1/admin/reload", "admin"),
])
def test_roles_are_enforced_with_403(client, method, path, role_ok):
    rank = {"coder": 1, "engineer": 2, "admin": 3}
    for role, headers in (("coder", CODER), ("engineer", ENGINEER), ("admin", ADMIN)):
        r = getattr(client, method)(path, headers=headers)
        if rank[role] < rank[role_ok]:
            assert r.status_code == 403, (role, path)
            assert f"needs role {role_ok!r}" in r.json()["detail"]
        else:
            assert r.status_code not in (401, 403), (role, path, r.text)


def test_health_and_metrics_are_open(client):
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/health/ready").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_auth_disabled_only_when_configured(pipeline, store, terminology, db_url, autocoder_home):
    s = ServeSettings(database_url=db_url, auth_disabled=True, start_worker=False)
    with TestClient(create_app(s, pipeline=pipeline, store=store, terminology=terminology)) as c:
        assert c.post("/v1/admin/reload").status_code in (202, 409)
    s2 = ServeSettings(database_url=db_url, start_worker=False)   # no keys, not disabled: closed
    with TestClient(create_app(s2, pipeline=pipeline, store=store, terminology=terminology)) as c:
        assert c.get("/v1/episodes").status_code == 401


# ------------------------------------------------------------------------------------------ codes
def test_codes_search_and_lookup(client):
    r = client.get("/v1/codes/search", params={"q": "hypertension"}, headers=CODER)
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert hits[0]["code"] == "I10" and hits[0]["display"] == "I10.X" and hits[0]["system"] == "icd10"
    r = client.get("/v1/codes/search", params={"q": "ventilation", "system": "icd10"}, headers=CODER)
    assert r.json()["hits"] == []
    assert client.get("/v1/codes/i10x", headers=CODER).json()["code"] == "I10"
    assert client.get("/v1/codes/E851", params={"system": "opcs4"}, headers=CODER).json()["title"].startswith("Non")


def test_codes_errors_are_4xx(client):
    r = client.get("/v1/codes/Q99.9", headers=CODER)
    assert r.status_code == 404 and "'Q99.9'" in r.json()["detail"]
    assert client.get("/v1/codes/search", headers=CODER).status_code == 422          # q missing
    r = client.get("/v1/codes/search", params={"q": "x", "system": "snomed"}, headers=CODER)
    assert r.status_code == 422 and "system" in r.json()["message"]
    assert client.get("/v1/codes/search", params={"q": "x", "limit": 0}, headers=CODER).status_code == 422


# ------------------------------------------------------------------------------------------ episodes
def test_episode_detail_has_text_result_and_reviews(client):
    code(client, "EP-1", LETTER)
    r = client.get("/v1/episodes/EP-1", headers=CODER)
    assert r.status_code == 200
    d = r.json()
    assert d["episode"]["text"] == LETTER and d["status"] == "needs_review"
    assert d["result"]["diagnoses"][0]["code"] == "J44.1" and d["reviews"] == []
    assert client.get("/v1/episodes/nope", headers=CODER).status_code == 404


def test_worklist_paginates_least_confident_first(client):
    texts = ["pneumonia", "COPD pneumonia", "hypertension", "COPD", "diabetes", "COPD hypertension"]
    for i, t in enumerate(texts):
        code(client, f"EP-{i}", t)
    # fake confidence: min score; needs_review when < 0.85 -> pneumonia(0.55) x2, hypertension 0.88 no,
    # COPD 0.93 no, diabetes 0.81 yes, COPD+hypertension 0.88 no
    r = client.get("/v1/episodes", params={"limit": 2}, headers=CODER).json()
    assert r["total"] == 3 and r["limit"] == 2 and r["offset"] == 0
    first = [i["id"] for i in r["items"]]
    r2 = client.get("/v1/episodes", params={"limit": 2, "offset": 2}, headers=CODER).json()
    assert [i["id"] for i in r2["items"]] == ["EP-4"]
    assert sorted(first) == ["EP-0", "EP-1"]
    assert all("text" not in i for i in r["items"])
    allr = client.get("/v1/episodes", params={"status": "all", "limit": 100}, headers=CODER).json()
    assert allr["total"] == 6
    assert client.get("/v1/episodes", params={"status": "auto_coded"}, headers=CODER).json()["total"] == 3
    bad = client.get("/v1/episodes", params={"status": "done"}, headers=CODER)
    assert bad.status_code == 422 and "status" in bad.json()["message"]
    assert client.get("/v1/episodes", params={"limit": 10_000}, headers=CODER).status_code == 422


def _review(**kw) -> dict:
    body = {"reviewer": "coder-17", "decisions": [{"code": "J44.1", "decision": "accepted"},
                                                  {"code": "I10", "decision": "rejected"},
                                                  {"code": "I48.9", "decision": "added"}],
            "final_diagnoses": ["j441", "I48.9"], "final_procedures": []}
    body.update(kw)
    return body


def test_review_is_stored_normalised_and_moves_episode_off_the_worklist(client, store):
    code(client, "EP-1", "COPD hypertension pneumonia")
    assert client.get("/v1/episodes", headers=CODER).json()["total"] == 1
    r = client.post("/v1/episodes/EP-1/reviews", json=_review(), headers=CODER)
    assert r.status_code == 201, r.text
    rec = r.json()["record"]
    assert rec["final_diagnoses"] == ["J44.1", "I48.9"] and rec["model_version"] == "fake@1"
    assert rec["decided_at"].endswith("Z")
    assert client.get("/v1/episodes", headers=CODER).json()["total"] == 0
    d = client.get("/v1/episodes/EP-1", headers=CODER).json()
    assert d["status"] == "reviewed" and d["reviews"][0]["submitted_by"] == "carol"


@pytest.mark.parametrize("override, field, code_", [
    ({"final_diagnoses": ["J44.1", "Q99.9"]}, "final_diagnoses[1]", "Q99.9"),
    ({"decisions": [{"code": "E11.9", "decision": "accepted"}], "final_diagnoses": ["E11.9"]},
     "decisions[0].code", "E11.9"),
    ({"decisions": [{"code": "J44.1", "decision": "added"}], "final_diagnoses": ["J44.1"]},
     "decisions[0].code", "J44.1"),
    ({"decisions": [{"code": "ZZZ", "decision": "added"}], "final_diagnoses": []}, "decisions[0].code", "ZZZ"),
    ({"decisions": [{"code": "I10", "decision": "rejected"}], "final_diagnoses": ["I10"]},
     "decisions[0].code", "I10"),
    ({"final_diagnoses": ["J44.1", "J441"]}, "final_diagnoses[1]", "J44.1"),
    ({"final_procedures": ["Q99.9"]}, "final_procedures[0]", "Q99.9"),
])
def test_review_validation_names_field_and_code(client, override, field, code_):
    code(client, "EP-1", "COPD hypertension pneumonia")
    r = client.post("/v1/episodes/EP-1/reviews", json=_review(**override), headers=CODER)
    assert r.status_code == 422, r.text
    problems = r.json()["detail"]
    assert any(p["field"] == field and p["code"] == code_ for p in problems), problems
    assert field in r.json()["message"] and code_ in r.json()["message"]


def test_review_errors_other_than_codes(client):
    code(client, "EP-1", "COPD")
    assert client.post("/v1/episodes/nope/reviews", json=_review(), headers=CODER).status_code == 404
    r = client.post("/v1/episodes/EP-1/reviews", json=_review(episode_id="EP-2"), headers=CODER)
    assert r.status_code == 422 and "episode_id" in r.json()["detail"]
    r = client.post("/v1/episodes/EP-1/reviews", json=_review(reviewer=""), headers=CODER)
    assert r.status_code == 422 and "reviewer" in r.json()["message"]
    r = client.post("/v1/episodes/EP-1/reviews", json={"reviewer": "x", "decisions": [{"code": "J44.1",
                                                                                        "decision": "maybe"}]},
                    headers=CODER)
    assert r.status_code == 422 and "decision" in r.json()["message"]
    r = client.post("/v1/episodes/EP-1/reviews", json=_review(model_version="fake@0",
                                                               decisions=[], final_diagnoses=[]), headers=CODER)
    assert r.status_code == 409 and "fake@0" in r.json()["detail"]
    r = client.post("/v1/episodes/EP-1/reviews", json=_review(decided_at="yesterday", decisions=[],
                                                               final_diagnoses=[]), headers=CODER)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "decided_at"
    r = client.post("/v1/episodes/EP-1/reviews", content=b"[", headers={**CODER, "Content-Type": "application/json"})
    assert r.status_code == 422


def test_second_review_is_appended_and_latest_counts(client, store):
    code(client, "EP-1", "COPD hypertension")
    body = {"reviewer": "a", "decisions": [{"code": "J44.1", "decision": "accepted"}],
            "final_diagnoses": ["J44.1", "I10"]}
    assert client.post("/v1/episodes/EP-1/reviews", json=body, headers=CODER).status_code == 201
    body2 = {"reviewer": "b", "decisions": [{"code": "I10", "decision": "rejected"}], "final_diagnoses": ["J44.1"]}
    assert client.post("/v1/episodes/EP-1/reviews", json=body2, headers=CODER).status_code == 201
    d = client.get("/v1/episodes/EP-1", headers=CODER).json()
    assert [r["reviewer"] for r in d["reviews"]] == ["a", "b"]
    (latest,) = store.reviewed_since(None)
    assert latest.reviews[0].reviewer == "b"


# ------------------------------------------------------------------------------------------ metrics, docs
def test_metrics_count_requests_coded_reviews_and_model(client):
    code(client, "EP-1", "COPD")
    client.post("/v1/code", json={"id": "EP-2"}, headers=CODER)
    client.post("/v1/episodes/EP-1/reviews", json={"reviewer": "x", "final_diagnoses": ["J44.1"]}, headers=CODER)
    text = client.get("/metrics").text
    assert 'autocoder_http_requests_total{method="POST",route="/v1/code",status="200"} 1.0' in text
    assert 'autocoder_http_requests_total{method="POST",route="/v1/code",status="422"} 1.0' in text
    assert 'autocoder_episodes_coded_total{via="api"} 1.0' in text
    assert "autocoder_reviews_submitted_total 1.0" in text
    assert 'autocoder_model_info{config_hash="cfg-fake-1",model_version="fake@1"} 1.0' in text
    assert 'autocoder_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/code"}' in text


def test_metrics_registries_are_per_app(settings, pipeline, store, terminology, autocoder_home):
    a = create_app(settings, pipeline=pipeline, store=store, terminology=terminology)
    b = create_app(settings, pipeline=pipeline, store=store, terminology=terminology)
    assert a.state.metrics.registry is not b.state.metrics.registry


def test_openapi_has_examples_and_every_route(client):
    spec = client.get("/openapi.json").json()
    for path in ("/v1/code", "/v1/batches", "/v1/batches/{batch_id}", "/v1/batches/{batch_id}/results",
                 "/v1/episodes", "/v1/episodes/{episode_id}", "/v1/episodes/{episode_id}/reviews",
                 "/v1/codes/search", "/v1/codes/{code}", "/v1/admin/reload", "/health/live", "/health/ready",
                 "/metrics"):
        assert path in spec["paths"], path
    assert "examples" in spec["components"]["schemas"]["CodingResultOut"]
    body = spec["paths"]["/v1/code"]["post"]["requestBody"]["content"]["application/json"]
    assert "examples" in body or "example" in body


def test_logs_never_contain_letter_text(client, caplog):
    secret = "Mrs Zebedee-Quux has COPD"
    with caplog.at_level(logging.DEBUG):
        code(client, "EP-log", secret)
        client.post("/v1/code", json={"id": "EP-bad", "text": secret, "age": 999}, headers=CODER)
        client.post("/v1/batches", content=f'{{"id": "B1", "text": "{secret}"}}\n', headers=ENGINEER)
    joined = "\n".join(r.getMessage() for r in caplog.records)
    assert "EP-log" in joined
    assert "Zebedee" not in joined


def test_review_page_is_served(client):
    r = client.get("/review/")
    assert r.status_code == 200 and "<title>" in r.text and "review.js" in r.text
    assert client.get("/review/review.js").status_code == 200
    assert client.get("/review", follow_redirects=False).status_code in (301, 302, 307)


def test_code_through_the_micro_batcher(settings, pipeline, store, terminology, autocoder_home):
    s = settings.model_copy(update={"micro_batch_max": 4})
    app = create_app(s, pipeline=pipeline, store=store, terminology=terminology)
    with TestClient(app) as c:
        assert app.state.batcher is not None
        res = code(c, "EP-mb", LETTER)
        assert res["diagnoses"][0]["code"] == "J44.1" and store.get("EP-mb").config_hash == "cfg-fake-1"


def test_review_export_is_engineer_only_jsonl_of_latest_reviews(client):
    code(client, "EP-1", "COPD hypertension")
    code(client, "EP-2", "COPD")
    for reviewer, final in (("a", ["J44.1", "I10"]), ("b", ["J44.1"])):
        body = {"reviewer": reviewer, "final_diagnoses": final,
                "decisions": [] if reviewer == "a" else [{"code": "I10", "decision": "rejected"}]}
        assert client.post("/v1/episodes/EP-1/reviews", json=body, headers=CODER).status_code == 201
    assert client.get("/v1/reviews/export", headers=CODER).status_code == 403
    r = client.get("/v1/reviews/export", headers=ENGINEER)
    assert r.status_code == 200 and r.headers["x-reviews"] == "1"
    import json as _json

    (rec,) = [_json.loads(x) for x in r.text.splitlines()]
    assert rec["episode_id"] == "EP-1" and rec["reviewer"] == "b" and rec["final_diagnoses"] == ["J44.1"]
    r = client.get("/v1/reviews/export", params={"since": "2999-01-01T00:00:00Z"}, headers=ENGINEER)
    assert r.text == ""
    r = client.get("/v1/reviews/export", params={"since": "last week"}, headers=ENGINEER)
    assert r.status_code == 422 and "'since'" in r.json()["detail"]
