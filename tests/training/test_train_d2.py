"""End to end (slow): `autocoder train` with configs/train_tiny.yaml -> bundle + MLflow run + registered
version @candidate -> load from models:/autocoder@candidate in a fresh process -> evaluate (exact keys)
-> promote (first model) -> the evaluation notebook runs against the tiny model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autocoder.metrics import METRIC_KEYS

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def _run(args: list[str], env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("train_tiny")
    env = {**os.environ, "AUTOCODER_HOME": str(root / "home"), "MLFLOW_DISABLE_TELEMETRY": "true",
           "DO_NOT_TRACK": "true", "HF_HUB_OFFLINE": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    r = _run([str(BIN / "autocoder"), "train", "--config", "configs/train_tiny.yaml"], env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    summary = json.loads(r.stdout[r.stdout.index("{\n"):])
    from training.synth import generate_episodes

    data = root / "eval.jsonl"
    data.write_text("".join(e.model_dump_json(exclude_none=True) + "\n"
                            for e in generate_episodes(12, seed=99, forms="test")))
    return {"root": root, "env": env, "summary": summary, "data": data}


def test_train_tiny_writes_bundle_and_mlflow_run_with_registered_candidate(tiny):
    s = tiny["summary"]
    bundle = Path(s["bundle_dir"])
    assert bundle == tiny["root"] / "home" / "models" / "tiny"
    for f in ("model_card.json", "fusion.json", "labels.json", "config.json", "classifier", "ner", "baseline"):
        assert (bundle / f).exists(), f
    card = json.loads((bundle / "model_card.json").read_text())
    assert len(card["hash"]) == 64 and card["config_hash"] and card["registered_version"] == "1"
    assert set(card["metrics"]) == {"dev", "test", "baseline_test"}
    assert set(card["metrics"]["test"]) == set(METRIC_KEYS)
    assert s["model_version"] == "autocoder@1"
    from mlflow import MlflowClient

    uri = f"sqlite:///{tiny['root'] / 'home' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    mv = client.get_model_version_by_alias("autocoder", "candidate")
    assert str(mv.version) == "1"
    run = client.get_run(s["run_id"])
    for k in ("test_primary_diagnosis_accuracy", "test_micro_f1", "dev_micro_f1", "baseline_test_micro_f1",
              "test_ece", "train_seconds"):
        assert k in run.data.metrics, k
    assert run.data.params["config_hash"] == card["config_hash"]
    assert (tiny["root"] / "home" / "mlartifacts").is_dir()
    assert not (REPO / "mlruns").exists()


def test_train_tiny_loads_from_registry_in_fresh_process_and_codes(tiny):
    code = ("import json,sys\nfrom autocoder.pipeline import CodingPipeline\nfrom autocoder.schemas import Episode\n"
            "p = CodingPipeline.load('models:/autocoder@candidate')\n"
            "r = p.predict([Episode(id='x', text='Diagnosis: community acquired pneumonia. Hypertension.')])[0]\n"
            "print(json.dumps({'v': p.model_version, 'h': p.config_hash, 'r': r.model_dump()}))\n")
    r = _run([sys.executable, "-c", code], tiny["env"])
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["v"] == "autocoder@1" and out["h"] != "unknown"
    res = out["r"]
    assert res["diagnoses"] and res["diagnoses"][0]["primary"]
    assert all(s["evidence"] for s in res["diagnoses"] + res["procedures"])


def test_train_evaluate_cli_prints_exact_metric_keys_and_promote_first_model(tiny):
    out = tiny["root"] / "metrics.json"
    r = _run([str(BIN / "autocoder"), "evaluate", "--data", str(tiny["data"]), "--model",
              "models:/autocoder@candidate", "--out", str(out)], tiny["env"])
    assert r.returncode == 0, r.stderr[-3000:]
    m = json.loads(r.stdout)
    assert list(m) == list(METRIC_KEYS) and json.loads(out.read_text()) == m
    assert m["n_episodes"] == 12 and m["model_version"] == "autocoder@1"
    rb = _run([str(BIN / "autocoder"), "evaluate", "--data", str(tiny["data"]), "--model",
               str(tiny["root"] / "home" / "models" / "tiny"), "--baseline"], tiny["env"])
    assert rb.returncode == 0, rb.stderr[-3000:]
    assert list(json.loads(rb.stdout)) == list(METRIC_KEYS)
    rp = _run([str(BIN / "autocoder"), "promote"], tiny["env"])
    assert rp.returncode == 0, rp.stderr[-3000:]
    rep = json.loads(rp.stdout)
    assert rep["promoted"] is True and rep["candidate_version"] == "1"
    rp2 = _run([str(BIN / "autocoder"), "promote"], tiny["env"])
    assert json.loads(rp2.stdout)["promoted"] is False   # already the champion


def test_train_tiny_evaluation_notebook_executes(tiny, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "notebooks" / "evaluation.ipynb", as_version=4)
    keys = {"AUTOCODER_HOME": tiny["env"]["AUTOCODER_HOME"], "AUTOCODER_NB_MODEL": "models:/autocoder@candidate",
            "AUTOCODER_NB_DATA": str(tiny["data"]), "AUTOCODER_NB_OUT": str(tmp_path), "MPLBACKEND": "Agg",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # kernelspec argv is plain `python`
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "code-level ECE" in text and "gold episodes" in text
    assert (tmp_path / "calibration.png").stat().st_size > 1000



def test_train_tiny_code_cli_quantize_marks_model_version_and_codes(tiny, tmp_path):
    """`autocoder code --quantize` runs the int8 encoder and says so in every result's model_version."""
    out = tmp_path / "q.jsonl"
    r = _run([str(BIN / "autocoder"), "code", str(tiny["data"]), "--out", str(out), "--quantize",
              "--model", "models:/autocoder@candidate"], tiny["env"])
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 12 and all(row["model_version"].endswith("+int8") for row in rows)
    assert all(row["diagnoses"] for row in rows)
