"""Retrain orchestration with fake training/registry (the real loop runs in tests/e2e)."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from autocoder.errors import AutocoderError, ConfigError
from review_export.retrain import Deps, RetrainOptions, format_comparison, merge_feedback, run_retrain


def _fb(i, corrected=True):
    return {"id": f"EP-{i}", "text": f"letter {i}", "diagnoses": ["I48.9"], "procedures": [],
            "feedback": {"decision": "corrected" if corrected else "accepted"}}


class FakeTraining:
    def __init__(self, champion="1", promoted=True):
        self.champion = champion
        self.promoted = promoted
        self.trained_cfg = None
        self.calls = []
        self.lineage = []

    def deps(self) -> Deps:
        from training.config import load_config

        def train(path):
            from training.config import load_config as lc

            self.trained_cfg = lc(path)
            return SimpleNamespace(model_version="autocoder@2", run_id="run-2", bundle_dir=Path("x"))

        def evaluate(uri, eps):
            self.calls.append(uri)
            v = 0.8 if uri.endswith("/2") else 0.7
            return {"micro_f1": v, "primary_diagnosis_accuracy": v, "n_episodes": len(eps)}

        def promote(**kw):
            self.calls.append(("promote", kw["version"], len(kw["eval_episodes"])))
            return {"promoted": self.promoted, "reason": "gate"}

        return Deps(load_config=load_config,
                    build_base=lambda cfg: [{"id": f"B-{i}", "text": "base", "diagnoses": ["J44.1"]} for i in range(4)],
                    train=train, champion_version=lambda name: self.champion,
                    fixed_eval_set=lambda cfg: [{"id": "E1"}, {"id": "E2"}], evaluate=evaluate, promote=promote,
                    log_lineage=lambda run, name, ver, params, metrics: self.lineage.append((run, ver, params, metrics)))


@pytest.fixture()
def feedback_file(tmp_path):
    p = tmp_path / "feedback.jsonl"
    p.write_text("\n".join(json.dumps(_fb(i, corrected=i != 3)) for i in (1, 2, 3)) + "\n")
    return p


@pytest.fixture()
def train_config(tmp_path):
    p = tmp_path / "train.yaml"
    p.write_text("name: tiny\ndata: {source: synthetic, n_train: 10, n_dev: 2, n_test: 2, max_labels: 5}\n")
    return p


def test_retrain_merge_repeats_feedback_with_distinct_ids_and_supersedes_base():
    base = [{"id": "EP-1", "text": "old", "diagnoses": ["J44.1"]}, {"id": "B-1", "text": "b", "diagnoses": ["I10"]}]
    out = merge_feedback(base, [_fb(1)], repeat=3)
    assert [e["id"] for e in out] == ["B-1", "EP-1", "EP-1#fb2", "EP-1#fb3"]
    assert all(e["diagnoses"] == ["I48.9"] for e in out[1:])
    with pytest.raises(ConfigError, match="at least 1"):
        merge_feedback(base, [_fb(1)], repeat=0)


def test_retrain_trains_on_merged_jsonl_logs_lineage_and_promotes(feedback_file, train_config, tmp_path):
    fake = FakeTraining()
    res = run_retrain(RetrainOptions(feedback=feedback_file, config=train_config, repeat=2, work_dir=tmp_path / "w"),
                      fake.deps())
    cfg = fake.trained_cfg
    assert cfg.data.source == "jsonl" and cfg.install_as_default is False and cfg.mlflow.alias == "candidate"
    assert cfg.data.max_labels == 5 + 1  # widened by the feedback's distinct codes (I48.9)
    merged = [json.loads(x) for x in Path(cfg.data.path).read_text().splitlines()]
    assert len(merged) == 4 + 3 * 2
    assert res.challenger_version == "2" and res.champion_version == "1" and res.promoted
    assert res.n_feedback == 3 and res.n_corrections == 2
    # both models on the same evaluation set, then D2's gate on that set too
    assert fake.calls[:2] == ["models:/autocoder/2", "models:/autocoder/1"] and fake.calls[2] == ("promote", "2", 2)
    run, ver, params, metrics = fake.lineage[0]
    assert run == "run-2" and ver == "2"
    assert params["retrain.parent_model_version"] == "1" and params["retrain.n_corrections"] == 2
    assert len(params["retrain.feedback_sha256"]) == 64
    assert metrics["fixed_eval_challenger_micro_f1"] == 0.8 and metrics["fixed_eval_champion_micro_f1"] == 0.7
    table = format_comparison(res)
    assert "micro_f1" in table and "+0.1000" in table and "PROMOTED" in table


def test_retrain_gate_failure_keeps_champion(feedback_file, train_config, tmp_path):
    res = run_retrain(RetrainOptions(feedback=feedback_file, config=train_config, work_dir=tmp_path / "w"),
                      FakeTraining(promoted=False).deps())
    assert not res.promoted and "NOT promoted" in format_comparison(res)


def test_retrain_without_champion_compares_nothing(feedback_file, train_config, tmp_path):
    fake = FakeTraining(champion=None)
    res = run_retrain(RetrainOptions(feedback=feedback_file, config=train_config, work_dir=tmp_path / "w"), fake.deps())
    assert res.champion_metrics is None and fake.lineage[0][2]["retrain.parent_model_version"] == "none"


def test_retrain_rejects_feedback_without_gold(tmp_path, train_config):
    p = tmp_path / "fb.jsonl"
    p.write_text(json.dumps({"id": "EP-9", "text": "x"}) + "\n")
    with pytest.raises(AutocoderError, match="EP-9"):
        run_retrain(RetrainOptions(feedback=p, config=train_config), FakeTraining().deps())


def test_retrain_eval_cache_evaluates_each_model_once_and_restores_the_patch(monkeypatch):
    import types

    from autocoder.pipeline import CodingPipeline
    from review_export.retrain import _EvalCache
    from training import evaluate as E

    calls = []
    monkeypatch.setattr(E, "evaluate_pipeline", lambda pipe, eps, top_k=50: calls.append(pipe.model_version)
                        or ({"micro_f1": 0.5}, []))
    loads = []
    monkeypatch.setattr(CodingPipeline, "load", classmethod(
        lambda cls, source=None, **kw: loads.append(source) or SimpleNamespace(model_version=source)))
    cache = _EvalCache()
    eps = [SimpleNamespace(id="E1")]
    cache.evaluate(cache.load("models:/autocoder/2"), eps)
    fake_module = types.SimpleNamespace(evaluate_pipeline=E.evaluate_pipeline)
    original_load = CodingPipeline.__dict__["load"]
    with cache.patched(fake_module):
        # what promote() does inside: load by URI, evaluate on the same episodes
        fake_module.evaluate_pipeline(CodingPipeline.load("models:/autocoder/2"), eps)
        fake_module.evaluate_pipeline(CodingPipeline.load("models:/autocoder/1"), eps)
    assert calls == ["models:/autocoder/2", "models:/autocoder/1"] and loads == calls
    assert CodingPipeline.__dict__["load"] is original_load and fake_module.evaluate_pipeline is E.evaluate_pipeline
