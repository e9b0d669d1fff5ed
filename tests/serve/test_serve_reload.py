"""Startup load in the background (503 until ready), failed loads, and reload with an atomic swap while
the old pipeline keeps serving."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from serve_fakes import ADMIN, CODER, ENGINEER, FakePipeline

from autocoder.serve.app import create_app
from autocoder.serve.settings import load_settings


class GatedLoader:
    """loader(source): blocks until released, then returns a FakePipeline named after the load count."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.sources: list[str | None] = []
        self.fail = False

    def __call__(self, source):
        self.sources.append(source)
        self.gate.wait(10)
        self.gate.clear()
        if self.fail:
            raise FileNotFoundError("no bundle at /nowhere")
        return FakePipeline(model_version=f"fake@{len(self.sources)}", config_hash=f"h{len(self.sources)}")


def test_ready_is_503_until_the_model_loads(settings, store, terminology, autocoder_home):
    loader = GatedLoader()
    s = settings.model_copy(update={"model": "models:/autocoder@champion"})
    app = create_app(s, store=store, terminology=terminology, loader=loader)
    with TestClient(app) as c:
        assert c.get("/health/live").status_code == 200
        r = c.get("/health/ready")
        assert r.status_code == 503 and r.json()["status"] == "loading" and r.headers["retry-after"]
        r = c.post("/v1/code", json={"id": "E", "text": "COPD"}, headers=CODER)
        assert r.status_code == 503 and "not loaded" in r.json()["detail"]
        assert "autocoder_model_ready 0.0" in c.get("/metrics").text
        loader.gate.set()
        app.state.holder.wait(10)
        r = c.get("/health/ready")
        assert r.status_code == 200 and r.json()["model_version"] == "fake@1"
        assert c.post("/v1/code", json={"id": "E", "text": "COPD"}, headers=CODER).json()["model_version"] == "fake@1"
        assert 'autocoder_model_info{config_hash="h1",model_version="fake@1"} 1.0' in c.get("/metrics").text
    assert loader.sources == ["models:/autocoder@champion"]


def test_failed_load_keeps_ready_503_with_the_reason(settings, store, terminology, autocoder_home):
    loader = GatedLoader()
    loader.fail = True
    loader.gate.set()
    app = create_app(settings, store=store, terminology=terminology, loader=loader)
    with TestClient(app) as c:
        app.state.holder.wait(10)
        r = c.get("/health/ready")
        assert r.status_code == 503 and "no bundle" in r.json()["last_error"]


def test_reload_swaps_atomically_and_old_model_serves_meanwhile(settings, store, terminology, autocoder_home):
    loader = GatedLoader()
    app = create_app(settings, pipeline=FakePipeline("fake@0", "h0"), store=store, terminology=terminology,
                     loader=loader)
    with TestClient(app) as c:
        r = c.post("/v1/admin/reload", headers=ADMIN)
        assert r.status_code == 202 and r.json()["loading"] is True
        assert c.post("/v1/admin/reload", headers=ADMIN).status_code == 409   # one load at a time
        # while loading: still ready, still the old model
        assert c.get("/health/ready").json() == {"status": "ready", "model_version": "fake@0",
                                                 "config_hash": "h0", "reloading": True}
        assert c.post("/v1/code", json={"id": "E1", "text": "COPD"}, headers=CODER).json()["model_version"] == "fake@0"
        loader.gate.set()
        app.state.holder.wait(10)
        assert c.post("/v1/code", json={"id": "E2", "text": "COPD"}, headers=CODER).json()["model_version"] == "fake@1"
        m = c.get("/v1/admin/model", headers=ENGINEER).json()
        assert m["model_version"] == "fake@1" and m["loading"] is False and m["last_error"] is None
        # another source on request; it becomes the served source once loaded
        assert c.post("/v1/admin/reload", params={"source": "/bundles/b2"}, headers=ADMIN).status_code == 202
        loader.gate.set()
        app.state.holder.wait(10)
        assert c.get("/v1/admin/model", headers=ENGINEER).json()["source"] == "/bundles/b2"
        assert loader.sources == [None, "/bundles/b2"]
        text = c.get("/metrics").text
        assert 'model_version="fake@2"' in text and 'model_version="fake@0"' not in text


def test_failed_reload_keeps_the_old_model(settings, store, terminology, autocoder_home):
    loader = GatedLoader()
    loader.fail = True
    app = create_app(settings, pipeline=FakePipeline("fake@0", "h0"), store=store, terminology=terminology,
                     loader=loader)
    with TestClient(app) as c:
        c.post("/v1/admin/reload", headers=ADMIN)
        loader.gate.set()
        app.state.holder.wait(10)
        assert c.get("/health/ready").json()["model_version"] == "fake@0"
        assert "no bundle" in c.get("/v1/admin/model", headers=ADMIN).json()["last_error"]


def test_settings_from_yaml_and_env(tmp_path):
    cfg = tmp_path / "serve.yaml"
    cfg.write_text("port: 9001\nmax_text_chars: 10\napi_keys: {k1: coder}\n")
    s = load_settings(cfg, env={"AUTOCODER_PORT": "9002", "AUTOCODER_API_KEYS": "a:admin:alice,b:engineer",
                                "AUTOCODER_AUTH_DISABLED": "false"})
    assert s.port == 9002 and s.max_text_chars == 10
    keys = s.keys()
    assert keys["a"].role == "admin" and keys["a"].name == "alice" and keys["b"].role == "engineer"
    assert "k1" not in keys
    import pytest

    from autocoder.errors import ConfigError

    with pytest.raises(ConfigError, match="role"):
        load_settings(cfg, env={"AUTOCODER_API_KEYS": "a:superuser"})
    with pytest.raises(ConfigError, match="port"):
        load_settings(cfg, env={"AUTOCODER_PORT": "many"})
    cfg.write_text("bogus_key: 1\n")
    with pytest.raises(ConfigError, match="bogus_key"):
        load_settings(cfg, env={})
    default = load_settings(env={})
    assert default.host == "127.0.0.1" and default.auth_disabled is False and default.api_keys == {}


def test_micro_batcher_groups_queued_requests_and_isolates_failures():
    from autocoder.schemas import Episode
    from autocoder.serve.runtime import MicroBatcher, PipelineHolder

    gate = threading.Event()
    sizes: list[int] = []

    class Slow(FakePipeline):
        def predict(self, episodes, top_k=0):
            sizes.append(len(episodes))
            gate.wait(10)
            return super().predict(episodes, top_k)

    pipe = Slow(fail_on="BOOM")
    b = MicroBatcher(PipelineHolder(None, pipeline=pipe), max_batch=8)
    try:
        first = b.submit(Episode(id="0", text="COPD"))
        while not sizes:           # the model is busy with the first request ...
            threading.Event().wait(0.01)
        futs = [b.submit(Episode(id=str(i), text=t)) for i, t in
                enumerate(["diabetes", "BOOM", "pneumonia"], start=1)]
        ranked = b.submit(Episode(id="4", text="COPD"), top_k=3)
        gate.set()                 # ... so the next three go in one call, the top_k one in its own
        assert first.result(10)[1].id == "0"
        assert futs[0].result(10)[1].diagnosis_codes() == ["E11.9"]
        assert futs[2].result(10)[1].id == "3"
        try:
            futs[1].result(10)
            raise AssertionError("the failing letter must fail its own request")
        except RuntimeError as exc:
            assert "simulated" in str(exc)
        assert ranked.result(10)[1].ranked_diagnoses[0].code == "J44.1"
        assert sizes[:2] == [1, 3] and sorted(pipe.coded_ids) == ["0", "1", "3", "4"]
    finally:
        b.stop()
