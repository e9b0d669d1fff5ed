"""The service with the real CodingPipeline loaded by the app itself (default loader, background thread),
and batch parity with `autocoder code` on the same input: the same JSON lines, byte for byte.

The bundle: $AUTOCODER_SERVE_TEST_BUNDLE when set (e.g. one trained by `autocoder train --config
configs/train_tiny.yaml --out-dir DIR`), else a minimal real bundle (fusion + labels + card, no
classifier: the real extractor, terminology, fusion and rules do the coding)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from serve_fakes import CODER, ENGINEER

from autocoder.serve.app import create_app
from autocoder.serve.settings import ServeSettings
from autocoder.serve.store import ReviewStore

pytestmark = pytest.mark.slow

LETTERS = [
    ("Discharge summary\nDiagnosis: infective exacerbation of COPD. Hypertension.\n"
     "Procedure: non-invasive ventilation.\nPlan: inhalers."),
    "Admitted with community acquired pneumonia. Background: type 2 diabetes mellitus, atrial fibrillation.",
    "Presenting complaint: chest pain.\nDiagnosis: NSTEMI.\nProcedure: coronary angiography.",
    "Diagnosis: urinary tract infection. No evidence of pulmonary embolism.",
]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    env = os.environ.get("AUTOCODER_SERVE_TEST_BUNDLE")
    if env:
        return Path(env)
    pytest.importorskip("spacy")
    from autocoder.model.fusion import FusionModel

    d = tmp_path_factory.mktemp("serve_bundle")
    fm = FusionModel()
    fm.thresholds = {"icd10": 0.0, "opcs4": 0.0}
    (d / "fusion.json").write_text(json.dumps(fm.to_dict()))
    (d / "labels.json").write_text("[]")
    (d / "model_card.json").write_text(json.dumps({"name": "serve-test", "config_hash": "serve-cfg",
                                                   "hash": "0123456789" * 6 + "abcd"}))
    return d


def test_real_pipeline_code_batch_parity_with_cli(bundle, tmp_path, autocoder_home):
    from typer.testing import CliRunner

    from autocoder.cli import app as cli

    store = ReviewStore(f"sqlite:///{tmp_path / 'review.db'}")
    settings = ServeSettings(api_keys={"coder-key": "coder", "eng-key": "engineer"}, model=str(bundle),
                             start_worker=True)
    app = create_app(settings, store=store)
    with TestClient(app) as c:
        assert c.get("/health/ready").status_code in (200, 503)
        assert app.state.holder.wait(600), app.state.holder.last_error
        ready = c.get("/health/ready").json()
        assert ready["status"] == "ready"
        # one episode
        r = c.post("/v1/code", json={"id": "R-0", "text": LETTERS[0], "sex": "F", "age": 70}, headers=CODER)
        assert r.status_code == 200, r.text
        res = r.json()
        assert res["model_version"] == ready["model_version"]
        for s in res["diagnoses"] + res["procedures"]:
            for ev in s["evidence"]:
                assert LETTERS[0][ev["start"]:ev["end"]] == ev["text"]
        assert store.get("R-0").config_hash == app.state.holder.pipeline.config_hash
        # a batch with one bad line, against `autocoder code` on the same file
        lines = [json.dumps({"id": f"R-{i}", "text": t}) for i, t in enumerate(LETTERS)]
        lines.insert(2, '{"id": "R-bad"}')
        body = "\n".join(lines) + "\n"
        bid = c.post("/v1/batches?top_k=5", content=body, headers=ENGINEER).json()["id"]
        t0 = time.monotonic()
        while c.get(f"/v1/batches/{bid}", headers=ENGINEER).json()["status"] != "done":
            assert time.monotonic() - t0 < 120
            time.sleep(0.1)
        st = c.get(f"/v1/batches/{bid}", headers=ENGINEER).json()
        assert st["counts"] == {"total": 5, "coded": 4, "failed": 1, "pending": 0}
        assert st["errors"][0]["line"] == 3 and st["errors"][0]["id"] == "R-bad"
        served = c.get(f"/v1/batches/{bid}/results", headers=ENGINEER).text.splitlines()
    store.close()

    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text(body)
    r = CliRunner().invoke(cli, ["code", str(inp), "--out", str(out), "--model", str(bundle), "--top-k", "5"])
    assert r.exit_code == 0, r.output
    assert served == out.read_text().splitlines()
    assert len(served) == 4
