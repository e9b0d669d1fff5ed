"""`autocoder retrain`: feedback episodes + base training data -> challenger -> same fixed evaluation as
the champion -> registered as `candidate` -> promoted to `champion` only when the gate passes.

How it uses training.train (D2) without a special hook: the merge (base episodes, then every feedback
episode repeated `repeat` times, as the weight) is written to a JSONL file, and a copy of the training
config with `data.source: jsonl`, `data.path: <merged>` is trained as usual. The promotion gate is
training.evaluate.promote (the same rule as `autocoder promote`). Lineage (feedback path and sha256,
number of corrections, parent champion version, merged data sha256) goes onto the challenger's MLflow
run and registered version, so the registry alone says which corrections made which model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autocoder.errors import AutocoderError, ConfigError

log = logging.getLogger(__name__)

TABLE_METRICS = ("primary_diagnosis_accuracy", "secondary_diagnosis_accuracy", "primary_procedure_accuracy",
                 "secondary_procedure_accuracy", "micro_f1", "micro_precision", "micro_recall", "macro_f1",
                 "exact_match_rate", "recall_at_10", "autonomy_at_95")


@dataclass
class RetrainOptions:
    feedback: Path
    base: Path | None = None
    config: Path = Path("configs/train.yaml")
    repeat: int = 5
    eval_data: Path | None = None
    model_name: str = "autocoder"
    promote: bool = True
    work_dir: Path | None = None
    name_suffix: str = "retrain"


@dataclass
class RetrainResult:
    challenger_version: str
    champion_version: str | None
    run_id: str | None
    promoted: bool
    reason: str
    n_feedback: int
    n_corrections: int
    n_base: int
    n_eval: int
    feedback_sha256: str
    merged_path: Path
    challenger_metrics: dict
    champion_metrics: dict | None
    seconds: float = 0.0
    lineage: dict = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _ep_dict(ep: Any) -> dict:
    return ep.model_dump(exclude_none=True) if hasattr(ep, "model_dump") else dict(ep)


def is_correction(ep: dict) -> bool:
    """A feedback episode whose final codes differ from the model's suggestion (unknown counts as one)."""
    fb = ep.get("feedback") or {}
    if "decision" in fb:
        return fb["decision"] == "corrected"
    if "suggested_diagnoses" in fb:
        return (fb.get("suggested_diagnoses") != ep.get("diagnoses")
                or fb.get("suggested_procedures") != ep.get("procedures"))
    return True


def merge_feedback(base: list[Any], feedback: list[Any], repeat: int) -> list[dict]:
    """Base episodes (a feedback episode with the same id supersedes its base copy), then each feedback
    episode `repeat` times with distinct ids ("EP-1", "EP-1#fb2", ...): repetition is the weight."""
    if repeat < 1:
        raise ConfigError(f"--repeat must be at least 1 (the feedback weight), got {repeat}")
    fb = [_ep_dict(e) for e in feedback]
    fb_ids = {e["id"] for e in fb}
    out = [d for d in (_ep_dict(e) for e in base) if d["id"] not in fb_ids]
    for e in fb:
        for k in range(repeat):
            out.append(e if k == 0 else {**e, "id": f"{e['id']}#fb{k + 1}"})
    return out


# ---------------------------------------------------------------- default dependencies (D2's training)

@dataclass
class Deps:
    """Everything retrain calls outside this package; unit tests swap in fakes."""

    load_config: Callable[[Any], Any]
    build_base: Callable[[Any], list]
    train: Callable[[Path], Any]
    champion_version: Callable[[str], str | None]
    fixed_eval_set: Callable[[Any], list]
    evaluate: Callable[[str, list], dict]
    promote: Callable[..., dict]
    log_lineage: Callable[[str | None, str, str, dict, dict], None]


class _EvalCache:
    """Loads each registered version and evaluates it on a given episode list once per retrain.

    Why: the comparison table and D2's gate (training.evaluate.promote) evaluate the same two models on
    the same fixed set. promote() has no parameter for precomputed scores, so while it runs its module's
    evaluate_pipeline and CodingPipeline.load are wrapped by this memo: same rule, half the work."""

    def __init__(self) -> None:
        from autocoder.pipeline import CodingPipeline
        from training import evaluate as E

        self.pipes: dict = {}
        self.evals: dict = {}
        self._load = CodingPipeline.load          # the real (bound) classmethod, captured before any patch
        self._evaluate = E.evaluate_pipeline

    def load(self, source, **kw):
        key = (str(source), tuple(sorted(kw.items())))
        if key not in self.pipes:
            self.pipes[key] = self._load(source, **kw)
        return self.pipes[key]

    def evaluate(self, pipe, episodes, top_k: int = 50):
        key = (pipe.model_version, getattr(pipe, "config_hash", ""), str(getattr(pipe, "bundle_dir", "")),
               tuple(getattr(e, "id", None) for e in episodes), top_k)
        if key not in self.evals:
            self.evals[key] = self._evaluate(pipe, episodes, top_k)
        return self.evals[key]

    @contextmanager
    def patched(self, eval_module):
        from autocoder.pipeline import CodingPipeline

        orig_eval = eval_module.evaluate_pipeline
        orig_load = CodingPipeline.__dict__["load"]

        def evaluate_pipeline(pipe, episodes, top_k=50):
            return self.evaluate(pipe, episodes, top_k)

        cache = self

        def load(cls, source=None, **kw):
            return cache.load(source, **kw)

        eval_module.evaluate_pipeline = evaluate_pipeline
        CodingPipeline.load = classmethod(load)
        try:
            yield
        finally:
            eval_module.evaluate_pipeline = orig_eval
            CodingPipeline.load = orig_load


def _default_deps() -> Deps:
    from training.config import load_config

    def build_base(cfg) -> list:
        """The config's own training data (train + dev; the held-out test forms stay held out)."""
        if cfg.data.source == "jsonl":
            from autocoder.io import load_episodes

            return load_episodes(cfg.data.path, strict=True)
        from training.train import build_data

        tr, dv, _ = build_data(cfg)
        return [*tr, *dv]

    def train(path: Path):
        from training.train import train as _train

        return _train(path)

    def champion_version(name: str) -> str | None:
        from training.registry import get_version

        mv = get_version(name, alias="champion")
        return str(mv.version) if mv is not None else None

    def fixed_eval(cfg) -> list:
        from training.evaluate import promotion_eval_set

        return promotion_eval_set(cfg.promote)

    cache = _EvalCache()

    def evaluate(uri: str, eps: list) -> dict:
        return cache.evaluate(cache.load(uri), eps)[0]

    def promote(**kw) -> dict:
        import training.evaluate as E

        with cache.patched(E):
            return E.promote(**kw)

    def log_lineage(run_id, model_name, version, params, metrics) -> None:
        from mlflow import MlflowClient

        from training.registry import setup

        setup()
        client = MlflowClient()
        if run_id:
            for k, v in params.items():
                client.log_param(run_id, k, str(v)[:500])
                client.set_tag(run_id, k, str(v)[:500])
            for k, v in metrics.items():
                client.log_metric(run_id, k, float(v))
        for k, v in params.items():
            client.set_model_version_tag(model_name, version, k, str(v)[:500])

    return Deps(load_config, build_base, train, champion_version, fixed_eval, evaluate, promote, log_lineage)


def _version_of(outcome: Any) -> str:
    mv = str(getattr(outcome, "model_version", ""))
    if "@" not in mv:
        raise AutocoderError(f"training did not register a model version (got model_version {mv!r}); "
                             "retrain needs mlflow.enabled: true in the training config")
    return mv.rsplit("@", 1)[1]


def run_retrain(opts: RetrainOptions, deps: Deps | None = None) -> RetrainResult:
    t0 = time.perf_counter()
    deps = deps or _default_deps()
    from autocoder.io import load_episodes

    feedback_path = Path(opts.feedback)
    feedback = [_ep_dict(e) for e in load_episodes(feedback_path, strict=True)]
    if not feedback:
        raise AutocoderError(f"{feedback_path}: no feedback episodes (run `autocoder review import` first)")
    no_gold = [e["id"] for e in feedback if not e.get("diagnoses")]
    if no_gold:
        raise AutocoderError(f"{feedback_path}: feedback episodes need gold 'diagnoses'; missing in {no_gold[:5]}")
    fb_sha = sha256_file(feedback_path)
    n_corr = sum(1 for e in feedback if is_correction(e))

    cfg = deps.load_config(opts.config)
    if not cfg.mlflow.enabled:
        raise ConfigError(f"{opts.config}: mlflow.enabled is false; retrain registers the challenger in MLflow")
    name = opts.model_name
    if cfg.mlflow.registered_model != name:
        cfg = cfg.model_copy(update={"mlflow": cfg.mlflow.model_copy(update={"registered_model": name})})
    parent = deps.champion_version(name)

    if opts.base is not None:
        base = load_episodes(opts.base, strict=True)
        base_desc = str(opts.base)
    else:
        base = deps.build_base(cfg)
        base_desc = f"config:{opts.config}:{cfg.data.source}"
    merged = merge_feedback(base, feedback, opts.repeat)

    work = Path(opts.work_dir) if opts.work_dir else feedback_path.resolve().parent / f"retrain-{fb_sha[:12]}"
    work.mkdir(parents=True, exist_ok=True)
    merged_path = work / "merged_train.jsonl"
    with merged_path.open("w", encoding="utf-8") as fh:
        for e in merged:
            fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    # training.train splits a JSONL source by the n_train:n_dev:n_test ratio. Keep the dev share of the
    # original recipe and hold out a single test episode: the honest comparison is the fixed evaluation
    # set below, and a larger test share would take base episodes away from the challenger.
    d = cfg.data
    n_dev = max(1, round(len(merged) * d.n_dev / (d.n_train + d.n_dev)))
    split = {"n_train": max(1, len(merged) - n_dev - 1), "n_dev": n_dev, "n_test": 1}
    # With max_labels (the most frequent codes), repeated feedback letters could push codes of the base
    # recipe out of the label set. Each code found in the feedback can overtake a base code at most
    # once, so widening by their number keeps every base label in.
    extra = {}
    if d.max_labels:
        fb_codes = {(s, c) for e in feedback for s, key in (("icd10", "diagnoses"), ("opcs4", "procedures"))
                    for c in (e.get(key) or [])}
        extra["max_labels"] = d.max_labels + len(fb_codes)
    data = d.model_copy(update={"source": "jsonl", "path": str(merged_path), **split, **extra})
    rcfg = cfg.model_copy(update={"data": data, "name": f"{cfg.name}-{opts.name_suffix}", "install_as_default": False,
                                  "mlflow": cfg.mlflow.model_copy(update={"alias": "candidate"})})
    rcfg_path = work / "train_retrain.yaml"
    import yaml

    rcfg_path.write_text(yaml.safe_dump(rcfg.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    log.info("retrain: %d base + %d feedback x%d -> %s", len(base), len(feedback), opts.repeat, merged_path)

    outcome = deps.train(rcfg_path)
    version = _version_of(outcome)
    run_id = getattr(outcome, "run_id", None)

    eval_eps = (load_episodes(opts.eval_data, strict=True) if opts.eval_data else deps.fixed_eval_set(cfg))
    chall_m = deps.evaluate(f"models:/{name}/{version}", eval_eps)
    champ_m = deps.evaluate(f"models:/{name}/{parent}", eval_eps) if parent else None

    lineage = {"retrain.feedback_path": str(feedback_path.resolve()), "retrain.feedback_sha256": fb_sha,
               "retrain.n_feedback_episodes": len(feedback), "retrain.n_corrections": n_corr,
               "retrain.feedback_repeat": opts.repeat, "retrain.parent_model_version": parent or "none",
               "retrain.parent_model": f"{name}/{parent}" if parent else "none",
               "retrain.base_data": base_desc, "retrain.n_base_episodes": len(base),
               "retrain.merged_data_sha256": sha256_file(merged_path),
               "retrain.split": f"{split['n_train']}/{split['n_dev']}/{split['n_test']}",
               "retrain.max_labels": data.max_labels,
               "retrain.eval_data": str(opts.eval_data) if opts.eval_data else "fixed_eval_set",
               "retrain.n_eval_episodes": len(eval_eps)}
    metrics = {f"fixed_eval_challenger_{k}": chall_m[k] for k in TABLE_METRICS if k in chall_m}
    if champ_m:
        metrics.update({f"fixed_eval_champion_{k}": champ_m[k] for k in TABLE_METRICS if k in champ_m})
    deps.log_lineage(run_id, name, version, lineage, metrics)

    if opts.promote:
        rep = deps.promote(version=version, model_name=name, config=cfg.promote, eval_episodes=eval_eps)
        promoted, reason = bool(rep.get("promoted")), str(rep.get("reason", ""))
    else:
        promoted, reason = False, "--no-promote: registered as candidate only"
    deps.log_lineage(run_id, name, version, {"retrain.promoted": promoted, "retrain.gate_reason": reason[:480]}, {})
    return RetrainResult(challenger_version=version, champion_version=parent, run_id=run_id, promoted=promoted,
                         reason=reason, n_feedback=len(feedback), n_corrections=n_corr, n_base=len(base),
                         n_eval=len(eval_eps), feedback_sha256=fb_sha, merged_path=merged_path,
                         challenger_metrics=chall_m, champion_metrics=champ_m,
                         seconds=time.perf_counter() - t0, lineage=lineage)


def format_comparison(res: RetrainResult) -> str:
    champ = f"champion v{res.champion_version}" if res.champion_version else "champion (none)"
    chall = f"challenger v{res.challenger_version}"
    head = (f"retrain: {res.n_feedback} feedback episodes ({res.n_corrections} corrections) x "
            f"{res.lineage.get('retrain.feedback_repeat', '?')} + {res.n_base} base episodes; "
            f"fixed evaluation set: {res.n_eval} episodes")
    lines = [head, f"{'metric':32s} {champ:>20s} {chall:>20s} {'delta':>8s}"]
    for k in TABLE_METRICS:
        if k not in res.challenger_metrics:
            continue
        c = res.challenger_metrics[k]
        b = res.champion_metrics.get(k) if res.champion_metrics else None
        before = f"{b:.4f}" if b is not None else "-"
        delta = f"{c - b:+.4f}" if b is not None else ""
        lines.append(f"{k:32s} {before:>20s} {c:>20.4f} {delta:>8s}")
    verdict = (f"PROMOTED: {res.challenger_version} is now @champion" if res.promoted
               else f"NOT promoted: @champion stays {res.champion_version or 'unset'}; "
                    f"v{res.challenger_version} is @candidate")
    lines.append(f"{verdict} ({res.reason})")
    if res.promoted:
        lines.append("a running service picks it up with: curl -X POST http://127.0.0.1:8000/v1/admin/reload")
    lines.append(f"MLflow run {res.run_id}; merged data {res.merged_path}; {res.seconds:.1f}s")
    return "\n".join(lines)
