"""Batch API: bad lines reported by line and id, results in input order and identical to the pipeline's
own output (what `autocoder code` writes), and a restart resumes with exactly-once results."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient
from serve_fakes import CODER, ENGINEER, FakePipeline

from autocoder.io import iter_jsonl_lines
from autocoder.serve.app import create_app
from autocoder.serve.store import ReviewStore

TEXTS = ["COPD", "hypertension and diabetes", "pneumonia", "endoscopy for COPD", "ventilation", "COPD pneumonia",
         "nothing to code here", "diabetes"]


def _jsonl(n: int = len(TEXTS)) -> str:
    return "".join(json.dumps({"id": f"B-{i}", "text": TEXTS[i % len(TEXTS)], "age": 60 + i}) + "\n"
                   for i in range(n))


def _drain(app, max_steps: int = 100) -> None:
    """Run the worker synchronously (the tests' apps do not start its thread)."""
    for _ in range(max_steps):
        if not app.state.worker.step():
            return
    raise AssertionError("worker did not finish")


def _wait_done(client, batch_id: str, timeout: float = 20.0) -> dict:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        st = client.get(f"/v1/batches/{batch_id}", headers=ENGINEER).json()
        if st["status"] == "done":
            return st
        time.sleep(0.05)
    raise AssertionError(f"batch not done: {st}")


def test_batch_reports_bad_lines_and_codes_the_rest(client):
    body = ('{"id": "A", "text": "COPD"}\n'
            '{"id": "B"}\n'
            '\n'
            'not json\n'
            '{"id": "C", "text": "pneumonia", "age": 300}\n'
            '{"id": "A", "text": "again"}\n'
            '{"id": "D", "text": "hypertension"}\n')
    r = client.post("/v1/batches", content=body, headers={**ENGINEER, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 202, r.text
    created = r.json()
    assert created["total"] == 6 and created["accepted"] == 2 and created["failed"] == 4
    errs = {e["line"]: e for e in created["errors"]}
    assert set(errs) == {2, 4, 5, 6}
    assert errs[2]["id"] == "B" and "'text'" in errs[2]["problem"]
    assert "malformed JSON" in errs[4]["problem"] and errs[4]["id"] is None
    assert errs[5]["id"] == "C" and "'age'" in errs[5]["problem"]
    assert "duplicate id" in errs[6]["problem"] and "line 1" in errs[6]["problem"]
    bid = created["id"]
    st = client.get(f"/v1/batches/{bid}", headers=ENGINEER).json()
    assert st["status"] == "queued" and st["counts"] == {"total": 6, "coded": 0, "failed": 4, "pending": 2}
    assert client.get(f"/v1/batches/{bid}/results", headers=ENGINEER).status_code == 409
    _drain(client.app)
    st = client.get(f"/v1/batches/{bid}", headers=ENGINEER).json()
    assert st["status"] == "done" and st["progress"] == 1.0
    assert st["counts"] == {"total": 6, "coded": 2, "failed": 4, "pending": 0}
    assert [e["line"] for e in st["errors"]] == [2, 4, 5, 6]
    r = client.get(f"/v1/batches/{bid}/results", headers=ENGINEER)
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(x)["id"] for x in r.text.splitlines()] == ["A", "D"]
    # coded batch episodes are on the worklist like API-coded ones
    d = client.get("/v1/episodes/A", headers=CODER).json()
    assert d["batch_id"] == bid


def test_batch_multipart_upload_and_errors(client):
    r = client.post("/v1/batches", files={"file": ("b.jsonl", _jsonl(3).encode(), "application/x-ndjson")},
                    headers=ENGINEER)
    assert r.status_code == 202 and r.json()["accepted"] == 3
    r = client.post("/v1/batches", files={"other": ("b.jsonl", b"{}", "text/plain")}, headers=ENGINEER)
    assert r.status_code == 422 and "'file'" in r.json()["detail"]
    assert client.post("/v1/batches", content=b"\n\n", headers=ENGINEER).status_code == 422
    r = client.post("/v1/batches", content=b"\xff\xfe\x00", headers=ENGINEER)
    assert r.status_code == 422 and "UTF-8" in r.json()["detail"]
    assert client.post("/v1/batches", content=_jsonl(1), headers=CODER).status_code == 403
    assert client.get("/v1/batches/nope", headers=ENGINEER).status_code == 404
    assert client.get("/v1/batches/nope/results", headers=ENGINEER).status_code == 404


def test_batch_body_limit_is_413(settings, pipeline, store, terminology, autocoder_home):
    s = settings.model_copy(update={"max_batch_bytes": 200, "max_body_bytes": 10_000})
    with TestClient(create_app(s, pipeline=pipeline, store=store, terminology=terminology)) as c:
        r = c.post("/v1/batches", content=_jsonl(8), headers=ENGINEER)
        assert r.status_code == 413 and "max_batch_bytes" in r.json()["detail"]
        s2 = settings.model_copy(update={"max_batch_lines": 2})
    with TestClient(create_app(s2, pipeline=pipeline, store=store, terminology=terminology)) as c:
        r = c.post("/v1/batches", content=_jsonl(3), headers=ENGINEER)
        assert r.status_code == 413 and "max_batch_lines" in r.json()["detail"]


def test_batch_results_identical_to_direct_pipeline_output(client, pipeline):
    """Parity with `autocoder code`: same reader, same predict, same JSON (write_jsonl's exclude_none)."""
    body = _jsonl(11)
    r = client.post("/v1/batches?top_k=3", content=body, headers=ENGINEER)
    _drain(client.app)
    served = client.get(f"/v1/batches/{r.json()['id']}/results", headers=ENGINEER).text.splitlines()
    episodes = [ep for ep, err in iter_jsonl_lines(body.splitlines())]
    direct = FakePipeline().predict(episodes, top_k=3)
    expected = [json.dumps(res.model_dump(exclude_none=True), ensure_ascii=False) for res in direct]
    assert served == expected
    assert "ranked_diagnoses" in served[0]


def test_batch_worker_isolates_an_episode_the_model_fails_on(settings, store, terminology, autocoder_home):
    app = create_app(settings, pipeline=FakePipeline(fail_on="BOOM"), store=store, terminology=terminology)
    with TestClient(app) as c:
        body = '{"id": "1", "text": "COPD"}\n{"id": "2", "text": "BOOM"}\n{"id": "3", "text": "diabetes"}\n'
        bid = c.post("/v1/batches", content=body, headers=ENGINEER).json()["id"]
        _drain(app)
        st = c.get(f"/v1/batches/{bid}", headers=ENGINEER).json()
        assert st["counts"]["coded"] == 2 and st["counts"]["failed"] == 1
        assert st["errors"][0]["line"] == 2 and "RuntimeError" in st["errors"][0]["problem"]
        assert "BOOM" not in st["errors"][0]["problem"]


def test_batch_resumes_after_restart_exactly_once(settings, db_url, terminology, autocoder_home):
    """Worker stopped mid-batch (after its 2nd chunk); a new app on the same DB finishes the rest."""
    n = 9
    first = FakePipeline()

    def stop_after_two_chunks(p):
        if p.calls == 2:
            app1.state.worker.stop_event.set()

    first.after_predict = stop_after_two_chunks
    s = settings.model_copy(update={"start_worker": True, "batch_chunk_size": 2})
    store1 = ReviewStore(db_url, terminology=terminology)
    app1 = create_app(s, pipeline=first, store=store1, terminology=terminology)
    with TestClient(app1) as c1:
        bid = c1.post("/v1/batches", content=_jsonl(n), headers=ENGINEER).json()["id"]
        app1.state.worker._thread.join(10)
        st = c1.get(f"/v1/batches/{bid}", headers=ENGINEER).json()
    store1.close()
    assert st["status"] == "running" and st["counts"]["coded"] == 4 and st["counts"]["pending"] == n - 4
    assert first.coded_ids == ["B-0", "B-1", "B-2", "B-3"]

    second = FakePipeline()
    store2 = ReviewStore(db_url, terminology=terminology)
    app2 = create_app(s, pipeline=second, store=store2, terminology=terminology)
    with TestClient(app2) as c2:
        st = _wait_done(c2, bid)
        results = c2.get(f"/v1/batches/{bid}/results", headers=ENGINEER).text.splitlines()
    store2.close()
    assert second.coded_ids == [f"B-{i}" for i in range(4, n)]   # nothing coded twice
    ids = [json.loads(x)["id"] for x in results]
    assert ids == [f"B-{i}" for i in range(n)]                      # nothing lost, input order
    assert st["counts"] == {"total": n, "coded": n, "failed": 0, "pending": 0}


def test_batch_chunk_interrupted_before_commit_is_redone_once(settings, store, terminology, autocoder_home):
    """A crash inside a chunk (before its commit) leaves the lines pending: they are coded on the next run."""
    class Crash(BaseException):
        pass

    pipe = FakePipeline()
    app = create_app(settings, pipeline=pipe, store=store, terminology=terminology)
    with TestClient(app) as c:
        bid = c.post("/v1/batches", content=_jsonl(4), headers=ENGINEER).json()["id"]
        orig = store.commit_batch_chunk

        def crash(*a, **k):
            raise Crash()

        store.commit_batch_chunk = crash
        try:
            app.state.worker.step()
        except Crash:
            pass
        store.commit_batch_chunk = orig
        assert c.get(f"/v1/batches/{bid}", headers=ENGINEER).json()["counts"]["pending"] == 4
        _drain(app)
        results = c.get(f"/v1/batches/{bid}/results", headers=ENGINEER).text.splitlines()
    assert [json.loads(x)["id"] for x in results] == ["B-0", "B-1", "B-2", "B-3"]
    with store.engine.connect() as conn:
        n_events = conn.exec_driver_sql("SELECT count(*) FROM coding_events").scalar()
    assert n_events == 4


def test_batch_worker_thread_codes_in_background(settings, pipeline, store, terminology, autocoder_home):
    s = settings.model_copy(update={"start_worker": True})
    with TestClient(create_app(s, pipeline=pipeline, store=store, terminology=terminology)) as c:
        bid = c.post("/v1/batches", content=_jsonl(5), headers=ENGINEER).json()["id"]
        st = _wait_done(c, bid)
        assert st["counts"]["coded"] == 5
        assert c.get(f"/v1/batches/{bid}/results", headers=ENGINEER).text.count("\n") == 5
        text = c.get("/metrics").text
    assert 'autocoder_episodes_coded_total{via="batch"} 5.0' in text
