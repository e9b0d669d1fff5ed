"""`autocoder train`: data -> NER -> classifier -> baseline -> fusion/calibration on dev -> evaluation ->
bundle -> MLflow run + registered version (alias "candidate").

Why one function: the whole recipe is reproducible from one config file (resolved and hashed into the
bundle and the MLflow run), and tests can run it end to end with configs/train_tiny.yaml."""

from __future__ import annotations

import json
import logging
import random
import shutil
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autocoder.metrics import canon_icd10, canon_opcs4
from autocoder.model.bundle import (
    bundle_hash,
    config_hash,
    copy_bundle,
    models_dir,
    package_versions,
    update_card,
    write_card,
)
from autocoder.paths import default_model_dir
from autocoder.schemas import Episode
from training.config import TrainConfig, load_config

log = logging.getLogger(__name__)


@dataclass
class TrainOutcome:
    bundle_dir: Path
    run_id: str | None
    model_version: str
    metrics: dict = field(default_factory=dict)
    seconds: float = 0.0


def _say(msg: str) -> None:
    log.info(msg)
    print(f"[train] {msg}", flush=True)


def build_data(cfg: TrainConfig) -> tuple[list[Episode], list[Episode], list[Episode]]:
    """train/dev/test episodes, plus `data.extra_train` (extra gold, e.g. corrections): repeated into train,
    except a seeded share of whole letters (`extra_dev_fraction`) put once into dev; never into test."""
    train_eps, dev_eps, test_eps = _build_base_data(cfg)
    d = cfg.data
    if not d.extra_train:
        return train_eps, dev_eps, test_eps
    from autocoder.io import load_episodes

    extra = load_episodes(d.extra_train, strict=True)
    # A corrected episode supersedes its base copy wherever that copy landed (no stale gold, no leak).
    ids = {e.id for e in extra}
    keep = [[e for e in split if e.id not in ids] for split in (train_eps, dev_eps, test_eps)]
    extra = sorted(extra, key=lambda e: e.id)
    random.Random(cfg.seed).shuffle(extra)
    n_dev = round(len(extra) * d.extra_dev_fraction) if len(extra) > 1 else 0
    to_dev, to_train = extra[:n_dev], extra[n_dev:]
    weighted = [e if k == 0 else e.model_copy(update={"id": f"{e.id}#w{k + 1}"})
                for e in to_train for k in range(d.extra_train_repeat)]
    return keep[0] + weighted, keep[1] + to_dev, keep[2]


def _build_base_data(cfg: TrainConfig) -> tuple[list[Episode], list[Episode], list[Episode]]:
    """Synthetic: train+dev from the training forms, test from held-out forms with another seed;
    JSONL: a seeded split of the file."""
    d = cfg.data
    if d.source == "jsonl":
        from autocoder.io import load_episodes

        if not d.path:
            raise ValueError("data.path: expected a JSONL file when data.source is 'jsonl', received nothing")
        eps = [e for e in load_episodes(d.path, strict=True) if e.diagnoses]
        rng = random.Random(cfg.seed)
        rng.shuffle(eps)
        n_test = max(1, round(len(eps) * d.n_test / (d.n_train + d.n_dev + d.n_test)))
        n_dev = max(1, round(len(eps) * d.n_dev / (d.n_train + d.n_dev + d.n_test)))
        return eps[n_test + n_dev:], eps[n_test:n_test + n_dev], eps[:n_test]
    from training.synth import generate_episodes

    kw = {"form_split_seed": d.form_split_seed, "holdout_fraction": d.holdout_fraction, "use_hes": d.hes_prior}
    trdev = list(generate_episodes(d.n_train + d.n_dev, seed=d.train_seed, forms="train", **kw))
    test = list(generate_episodes(d.n_test, seed=d.test_seed, forms="test", **kw))
    if d.apply_coding_policy:
        from autocoder.model.policy import recode_under_policy

        trdev, test = recode_under_policy(trdev), recode_under_policy(test)
    return trdev[:d.n_train], trdev[d.n_train:], test


def episode_labels(ep: Episode) -> list[str]:
    return [f"icd10:{canon_icd10(c)}" for c in (ep.diagnoses or [])] + \
           [f"opcs4:{canon_opcs4(c)}" for c in (ep.procedures or [])]


def choose_labels(train: list[Episode], min_count: int, max_labels: int | None) -> list[str]:
    counts = Counter(lab for ep in train for lab in dict.fromkeys(episode_labels(ep)))
    labels = [lab for lab, n in counts.most_common() if n >= min_count]
    if max_labels:
        labels = labels[:max_labels]
    return sorted(labels)


def evidence_phrases(train: list[Episode], per_code: int = 8) -> dict[str, list[str]]:
    """code -> the most frequent gold evidence phrases (present assertion) seen in training letters."""
    acc: dict[str, Counter] = defaultdict(Counter)
    for ep in train:
        for span in ep.entities or []:
            if not span.code or span.assertion not in ("present", "uncertain", "historical"):
                continue
            system = "opcs4" if span.label == "PROCEDURE" else "icd10"
            code = canon_opcs4(span.code) if system == "opcs4" else canon_icd10(span.code)
            text = (span.text or ep.text[span.start:span.end]).strip()
            if 2 < len(text) < 120:
                acc[f"{system}:{code}"][text.lower()] += 1
    return {k: [t for t, _ in c.most_common(per_code)] for k, c in acc.items()}


def _filter(labels_of: list[list[str]], vocab: set[str]) -> list[list[str]]:
    return [[lab for lab in labs if lab in vocab] for labs in labels_of]


def _primary(ep_labels: list[list[str]], vocab: set[str], proc: bool) -> list[str | None]:
    out = []
    for labs in ep_labels:
        sys_labs = [lab for lab in labs if lab.startswith("opcs4:") == proc]
        if not sys_labs:
            out.append(None)
        elif sys_labs[0] in vocab:
            out.append(sys_labs[0])
        elif proc:  # the gold primary procedure is out of vocabulary: use the first known one, if any
            known = [lab for lab in sys_labs if lab in vocab]
            out.append(known[0] if known else None)
        else:
            out.append(None)
    return out


def train(config: str | Path | TrainConfig | dict, *, out_dir: str | Path | None = None) -> TrainOutcome:
    """Run the whole recipe; returns where the bundle is, the MLflow run and registered version, metrics."""
    t_start = time.perf_counter()
    cfg = load_config(config)
    resolved = cfg.model_dump(mode="json")
    chash = config_hash(resolved)
    timings: dict[str, float] = {}

    t = time.perf_counter()
    train_eps, dev_eps, test_eps = build_data(cfg)
    timings["data_seconds"] = time.perf_counter() - t
    _say(f"data: {len(train_eps)} train, {len(dev_eps)} dev, {len(test_eps)} test episodes "
         f"({timings['data_seconds']:.1f}s)")

    final_dir = Path(out_dir) if out_dir else models_dir() / cfg.name
    work = final_dir.with_name(final_dir.name + ".building")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)

    # NER (the extractor's trainable part)
    extractor = None
    t = time.perf_counter()
    from autocoder.extract import load_extractor

    if cfg.ner.enabled:
        from autocoder.extract.ner import train_ner

        ner_eps = train_eps[:cfg.ner.max_train_episodes] if cfg.ner.max_train_episodes else train_eps
        ner_dir = Path(train_ner(ner_eps, work / "ner", n_iter=cfg.ner.n_iter))
        if ner_dir.resolve() != (work / "ner").resolve():
            shutil.copytree(ner_dir, work / "ner", dirs_exist_ok=True)
        extractor = load_extractor(work / "ner")
    else:
        extractor = load_extractor(None)
    timings["ner_seconds"] = time.perf_counter() - t
    _say(f"ner: {timings['ner_seconds']:.1f}s")

    # classifier
    labels = choose_labels(train_eps, cfg.data.min_label_count, cfg.data.max_labels)
    vocab = set(labels)
    tr_labels = [episode_labels(e) for e in train_eps]
    dv_labels = [episode_labels(e) for e in dev_eps]
    from autocoder.model.classifier import ClassifierConfig, LabelAttentionClassifier

    t = time.perf_counter()
    clf_cfg = ClassifierConfig(**{"seed": cfg.seed, **cfg.classifier})
    clf = LabelAttentionClassifier(labels, clf_cfg)
    history = clf.fit([e.text for e in train_eps], _filter(tr_labels, vocab), [e.text for e in dev_eps],
                      _filter(dv_labels, vocab), primary_dx=_primary(tr_labels, vocab, False),
                      primary_proc=_primary(tr_labels, vocab, True))
    clf.save(work / "classifier")
    timings["classifier_seconds"] = time.perf_counter() - t
    _say(f"classifier: {len(labels)} labels, {timings['classifier_seconds']:.1f}s")

    # TF-IDF baseline (side-by-side evaluation only)
    from training.evaluate import (
        BASELINE_PARAMS,
        baseline_results,
        code_level_calibration,
        evaluate_pipeline,
        fit_baseline_thresholds,
    )

    base = None
    if cfg.baseline_enabled:
        from autocoder.model.baseline import BaselineConfig, TfidfBaseline

        t = time.perf_counter()
        base = TfidfBaseline(labels, BaselineConfig(**{"seed": cfg.seed, **cfg.baseline}))
        base.fit([e.text for e in train_eps], _filter(tr_labels, vocab),
                 primary_dx=_primary(tr_labels, vocab, False), primary_proc=_primary(tr_labels, vocab, True))
        base.save(work / "baseline")
        base_thr = fit_baseline_thresholds(base, labels, dev_eps)
        (work / BASELINE_PARAMS).write_text(json.dumps({"labels": labels, "thresholds": base_thr}, indent=1))
        timings["baseline_seconds"] = time.perf_counter() - t
        _say(f"baseline: {timings['baseline_seconds']:.1f}s")

    # fusion + calibration + thresholds + confidence on dev
    from autocoder.model.fusion import FusionModel
    from autocoder.pipeline import CodingPipeline

    t = time.perf_counter()
    phrases = evidence_phrases(train_eps)
    fusion = FusionModel(cfg.fusion)
    pipe = CodingPipeline(labels=labels, fusion=fusion, classifier=clf, extractor=extractor, phrases=phrases,
                          model_version=f"{cfg.name}-candidate", config_hash=chash, bundle_dir=work)
    dev_cands = pipe.candidates(dev_eps)
    gold_dx = [[canon_icd10(c) for c in e.diagnoses or []] for e in dev_eps]
    gold_pr = [[canon_opcs4(c) for c in e.procedures or []] for e in dev_eps]
    fit_report = fusion.fit(dev_cands, gold_dx, gold_pr, may_be_primary=pipe.codes.may_be_primary, seed=cfg.seed)
    timings["fusion_seconds"] = time.perf_counter() - t
    _say(f"fusion: dev ECE {fit_report['dev_ece_uncalibrated']:.4f} -> {fit_report['dev_ece']:.4f}, "
         f"thresholds icd10 {fusion.thresholds['icd10']:.2f} opcs4 {fusion.thresholds['opcs4']:.2f}")

    (work / "labels.json").write_text(json.dumps(labels, indent=0), encoding="utf-8")
    (work / "fusion.json").write_text(json.dumps(fusion.to_dict(), indent=1), encoding="utf-8")
    (work / "phrases.json").write_text(json.dumps(phrases, indent=0, sort_keys=True), encoding="utf-8")
    (work / "config.json").write_text(json.dumps(resolved, indent=1, sort_keys=True), encoding="utf-8")

    # evaluation: pipeline vs baseline on dev and test
    t = time.perf_counter()
    metrics: dict[str, dict] = {}
    from autocoder.metrics import compute_metrics

    metrics["dev"] = compute_metrics(dev_eps, pipe.results_from_candidates(dev_eps, dev_cands, cfg.top_k),
                                     model_version=pipe.model_version)
    metrics["test"], test_results = evaluate_pipeline(pipe, test_eps, cfg.top_k)
    cal = code_level_calibration(test_eps, test_results)
    extra = {"test_ece": cal["ece"], "dev_ece": fit_report["dev_ece"],
             "dev_ece_uncalibrated": fit_report["dev_ece_uncalibrated"],
             "dev_candidate_recall": fit_report["dev_candidate_recall"]}
    if base is not None:
        tb = time.perf_counter()
        bres = baseline_results(base, labels, base_thr, test_eps, "baseline", cfg.top_k)
        metrics["baseline_test"] = compute_metrics(test_eps, bres, seconds=time.perf_counter() - tb,
                                                   model_version="baseline")
    timings["evaluate_seconds"] = time.perf_counter() - t
    timings["train_seconds"] = time.perf_counter() - t_start
    for split in ("test", "baseline_test"):
        if split in metrics:
            m = metrics[split]
            _say(f"{split}: primary_dx {m['primary_diagnosis_accuracy']:.4f} secondary_dx "
                 f"{m['secondary_diagnosis_accuracy']:.4f} primary_proc {m['primary_procedure_accuracy']:.4f} "
                 f"micro_f1 {m['micro_f1']:.4f}")
    _say(f"test code-level ECE {cal['ece']:.4f}; total {timings['train_seconds']:.1f}s")

    flat = {f"{split}_{k}": v for split, m in metrics.items() for k, v in m.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}
    flat.update(extra)
    flat.update(timings)
    card = {
        "name": cfg.name, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "config_hash": chash,
        "data": {"source": cfg.data.source, "n_train": len(train_eps), "n_dev": len(dev_eps), "n_test": len(test_eps),
                 "n_labels": len(labels), "n_icd10_labels": sum(1 for x in labels if x.startswith("icd10:")),
                 "n_opcs4_labels": sum(1 for x in labels if x.startswith("opcs4:")),
                 "train_seed": cfg.data.train_seed, "test_seed": cfg.data.test_seed},
        "metrics": metrics, "calibration": extra, "fusion": fit_report, "timings": timings,
        "classifier_history": {k: v for k, v in (history or {}).items() if isinstance(v, (int, float, list, str))},
        "versions": package_versions(),
    }
    write_card(work, card)
    digest = bundle_hash(work)
    update_card(work, hash=digest)

    if final_dir.exists():
        shutil.rmtree(final_dir)
    work.rename(final_dir)
    model_version = f"{cfg.name}-{digest[:8]}"
    run_id = None
    if cfg.mlflow.enabled:
        from training.registry import log_and_register

        params = {"name": cfg.name, "seed": cfg.seed, "n_labels": len(labels), "config_hash": chash,
                  "bundle_hash": digest, **{f"data.{k}": v for k, v in resolved["data"].items()},
                  **{f"classifier.{k}": v for k, v in clf_cfg.model_dump().items()},
                  **{f"fusion.{k}": v for k, v in resolved["fusion"].items() if k != "history_keep_prefixes"}}
        run_id, version = log_and_register(
            final_dir, params=params, metrics=flat, config=resolved,
            tags={"config_hash": chash, "bundle_hash": digest, "bundle_name": cfg.name},
            configured_uri=cfg.mlflow.tracking_uri, experiment=cfg.mlflow.experiment,
            model_name=cfg.mlflow.registered_model, alias=cfg.mlflow.alias)
        model_version = f"{cfg.mlflow.registered_model}@{version}"
        update_card(final_dir, registered_model=cfg.mlflow.registered_model, registered_version=version,
                    mlflow_run_id=run_id)
        _say(f"mlflow: run {run_id}, registered {model_version} (alias {cfg.mlflow.alias})")
    install = cfg.install_as_default if cfg.install_as_default is not None else cfg.name == "default"
    if install and final_dir.resolve() != default_model_dir().resolve():
        copy_bundle(final_dir, default_model_dir())
    _say(f"bundle: {final_dir}")
    return TrainOutcome(bundle_dir=final_dir, run_id=run_id, model_version=model_version,
                        metrics={**metrics, "extra": extra}, seconds=time.perf_counter() - t_start)
