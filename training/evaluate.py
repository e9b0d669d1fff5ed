"""Evaluation: pipeline or baseline over gold episodes -> the FORMATS.md audit metrics; promotion gate.

Why here: `autocoder evaluate`, `autocoder train`, `autocoder promote` and the notebook must report the
same numbers, all from autocoder.metrics.compute_metrics on CodingResults."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from autocoder.errors import AutocoderError
from autocoder.metrics import canon_icd10, canon_opcs4, compute_metrics
from autocoder.model.calibration import expected_calibration_error, fit_threshold, raw_episode_confidence
from autocoder.schemas import CodeSuggestion, CodingResult, Episode, RankedCode

log = logging.getLogger(__name__)

BASELINE_PARAMS = "baseline_params.json"


def gold_sets(ep: Episode) -> tuple[list[str], list[str]]:
    return ([canon_icd10(c) for c in (ep.diagnoses or [])], [canon_opcs4(c) for c in (ep.procedures or [])])


def code_level_calibration(gold: Sequence[Episode], results: Sequence[CodingResult]) -> dict:
    """ECE of the ranked candidate scores against gold membership (needs results with ranked lists)."""
    probs, ys = [], []
    for ep, r in zip(gold, results):
        gdx, gpr = gold_sets(ep)
        for items, g in ((r.ranked_diagnoses, set(gdx)), (r.ranked_procedures, set(gpr))):
            for it in items or []:
                probs.append(it.score)
                ys.append(1 if it.code in g else 0)
    return {"ece": expected_calibration_error(probs, ys), "n_scored": len(probs),
            "probs": probs, "labels": ys}


# ---- baseline as CodingResults --------------------------------------------------------------
def _is_proc(label: str) -> bool:
    return label.startswith("opcs4:")


def fit_baseline_thresholds(baseline, labels: Sequence[str], dev: Sequence[Episode]) -> dict:
    probs = np.asarray(baseline.predict_proba([e.text for e in dev]))
    out = {}
    for system, mask_fn in (("icd10", lambda lab: not _is_proc(lab)), ("opcs4", _is_proc)):
        cols = [j for j, lab in enumerate(labels) if mask_fn(lab)]
        ps, ys, n_gold = [], [], 0
        for i, ep in enumerate(dev):
            gdx, gpr = gold_sets(ep)
            gold = set(gdx) if system == "icd10" else set(gpr)
            n_gold += len(gold)
            for j in cols:
                ps.append(float(probs[i, j]))
                ys.append(1 if labels[j].split(":", 1)[1] in gold else 0)
        out[system] = fit_threshold(ps, ys, n_gold=n_gold)
    return out


def baseline_results(baseline, labels: Sequence[str], thresholds: dict, episodes: Sequence[Episode],
                     model_version: str, top_k: int = 50) -> list[CodingResult]:
    """TF-IDF baseline decisions: per-system thresholds, primary from its primary heads."""
    texts = [e.text for e in episodes]
    probs = np.asarray(baseline.predict_proba(texts))
    dxh, prh = baseline.predict_primary(texts)
    dxh, prh = np.asarray(dxh), np.asarray(prh)
    dx_cols = [j for j, lab in enumerate(labels) if not _is_proc(lab)]
    pr_cols = [j for j, lab in enumerate(labels) if _is_proc(lab)]
    code = [lab.split(":", 1)[1] for lab in labels]
    out = []
    for i, ep in enumerate(episodes):
        def pick(cols, t, i=i):
            return [j for j in cols if probs[i, j] >= t]
        kept_dx = pick(dx_cols, thresholds.get("icd10", 0.5))
        prim = max(dx_cols, key=lambda j: dxh[i, j]) if dx_cols else None
        dx = ([prim] if prim is not None else []) + sorted((j for j in kept_dx if j != prim), key=lambda j: -probs[i, j])
        kept_pr = pick(pr_cols, thresholds.get("opcs4", 0.5))
        main = [j for j in kept_pr if not code[j].startswith(("Y", "Z"))]
        pr = []
        if main:
            pp = max(main, key=lambda j: prh[i, j])
            pr = [pp] + sorted((j for j in kept_pr if j != pp), key=lambda j: -probs[i, j])
        rejected = [probs[i, j] for j in dx_cols + pr_cols if j not in set(dx) | set(pr)]
        conf = raw_episode_confidence([probs[i, j] for j in dx + pr], rejected)

        def sugg(js, i=i):
            return [CodeSuggestion(code=code[j], display=code[j], score=round(float(probs[i, j]), 4),
                                   primary=(k == 0), sources=["baseline"]) for k, j in enumerate(js)]
        rdx = sorted(dx_cols, key=lambda j: -probs[i, j])[:top_k]
        rpr = sorted(pr_cols, key=lambda j: -probs[i, j])[:top_k]
        out.append(CodingResult(
            id=ep.id, model_version=model_version, diagnoses=sugg(dx), procedures=sugg(pr),
            confidence=round(conf, 4), needs_review=conf < 0.8,
            ranked_diagnoses=[RankedCode(code=code[j], score=round(float(probs[i, j]), 4)) for j in rdx],
            ranked_procedures=[RankedCode(code=code[j], score=round(float(probs[i, j]), 4)) for j in rpr]))
    return out


def load_bundle_baseline(bundle_dir: Path):
    """(baseline, labels, thresholds) stored in a bundle, or raise when it has none."""
    bdir = bundle_dir / "baseline"
    params = bundle_dir / BASELINE_PARAMS
    if not bdir.is_dir() or not params.exists():
        raise AutocoderError(f"model bundle {bundle_dir} has no TF-IDF baseline (baseline/ and {BASELINE_PARAMS})")
    from autocoder.model.baseline import TfidfBaseline

    base = TfidfBaseline.load(bdir)
    p = json.loads(params.read_text(encoding="utf-8"))
    labels = list(getattr(base, "labels", None) or p["labels"])
    return base, labels, p["thresholds"]


# ---- evaluate ----------------------------------------------------------------------------------
def evaluate_pipeline(pipe, episodes: Sequence[Episode], top_k: int = 50) -> tuple[dict, list[CodingResult]]:
    t0 = time.perf_counter()
    results = pipe.predict(list(episodes), top_k=top_k)
    secs = time.perf_counter() - t0
    return compute_metrics(list(episodes), results, seconds=secs, model_version=pipe.model_version), results


def evaluate(data: str | Path | Sequence[Episode], model: str | Path | None = None, *, baseline: bool = False,
             top_k: int = 50, pipe=None) -> dict:
    """compute_metrics dict for the pipeline (or, with baseline=True, the bundle's TF-IDF baseline)."""
    from autocoder.io import load_episodes

    episodes = load_episodes(data, strict=True) if isinstance(data, (str, Path)) else list(data)
    if not episodes:
        raise AutocoderError(f"no episodes to evaluate in {data}")
    missing = [e.id for e in episodes if not e.diagnoses]
    if missing:
        raise AutocoderError(f"evaluation needs gold codes: episode(s) {missing[:5]} have no 'diagnoses'")
    if pipe is None:
        from autocoder.pipeline import CodingPipeline

        pipe = CodingPipeline.load(model, with_extractor=not baseline)
    if not baseline:
        return evaluate_pipeline(pipe, episodes, top_k)[0]
    base, labels, thr = load_bundle_baseline(pipe.bundle_dir)
    t0 = time.perf_counter()
    results = baseline_results(base, labels, thr, episodes, f"{pipe.model_version}/baseline", top_k)
    return compute_metrics(episodes, results, seconds=time.perf_counter() - t0,
                           model_version=f"{pipe.model_version}/baseline")


# ---- promotion gate ----------------------------------------------------------------------------
def fixed_eval_set(n: int = 200, seed: int = 20261125, include_test_letters: bool = True, *,
                   hes_prior: bool | None = None, exclude_letters: Sequence[str] | None = None
                   ) -> list[Episode]:
    """The committed-seed synthetic evaluation set (test forms) plus tests/data letters with gold codes.
    `hes_prior` / `exclude_letters` default to PromoteConfig's (training.config says why: the gate judges
    on the training distribution, and a hold-out set that chooses the champion is no longer a hold-out)."""
    from autocoder.io import load_episodes
    from autocoder.paths import REPO_ROOT
    from training.config import PromoteConfig
    from training.synth import generate_episodes

    defaults = PromoteConfig()
    hes_prior = defaults.hes_prior if hes_prior is None else hes_prior
    exclude_letters = defaults.exclude_letters if exclude_letters is None else exclude_letters
    eps = list(generate_episodes(n, seed=seed, forms="test", use_hes=hes_prior))
    if include_test_letters:
        skip = set(exclude_letters)
        for f in sorted((REPO_ROOT / "tests" / "data").glob("*.jsonl")):
            if f.name in skip:
                continue
            try:
                eps.extend(e for e in load_episodes(f, strict=False) if e.diagnoses)
            except Exception as exc:  # noqa: BLE001 - a fixture file that is not episodes
                log.info("skipping %s for the promotion set (%s)", f.name, exc.__class__.__name__)
    return eps


def promotion_eval_set(cfg) -> list[Episode]:
    """The gate's fixed evaluation set as a PromoteConfig describes it (promote and the review retrain)."""
    return fixed_eval_set(cfg.eval_n, cfg.eval_seed, cfg.include_test_letters, hes_prior=cfg.hes_prior,
                          exclude_letters=cfg.exclude_letters)


def restore_champion_as_default(model_name: str, candidate_version: str, champion_version: str) -> str | None:
    """Put the champion back in the default model dir when training installed a candidate there that the
    gate then rejected. Why: `autocoder code`, the service and the README's main command load the default
    dir; a rejected model must not be what they serve. Returns the restored version, or None when the
    default dir holds something else (a hand-installed bundle is left alone)."""
    from autocoder.model.bundle import CARD, copy_bundle, read_card, update_card
    from autocoder.paths import default_model_dir
    from training.registry import download_registered

    dst = default_model_dir()
    card = read_card(dst) if (dst / CARD).exists() else {}
    if card.get("registered_model") != model_name or str(card.get("registered_version")) != candidate_version:
        return None
    src, _ = download_registered(model_name, version=champion_version)
    copy_bundle(src, dst)
    update_card(dst, registered_model=model_name, registered_version=champion_version)
    log.info("gate rejected %s v%s: default model dir restored to the champion v%s", model_name,
             candidate_version, champion_version)
    return f"{model_name}@{champion_version}"


def promote(version: str | None = None, *, model_name: str = "autocoder", tolerance: float | None = None,
            config=None, eval_episodes: Sequence[Episode] | None = None) -> dict:
    """Move alias 'champion' to `version` (default: the 'candidate' alias) when it is not worse than the
    current champion on the fixed evaluation set (tolerance per metric). The first model always promotes."""
    from autocoder.pipeline import CodingPipeline
    from training.config import PromoteConfig
    from training.registry import get_version, set_alias, set_version_tags

    cfg = config or PromoteConfig()
    tol = cfg.tolerance if tolerance is None else tolerance
    cand = get_version(model_name, version=version) if version else get_version(model_name, alias="candidate")
    if cand is None:
        raise AutocoderError(f"no candidate to promote: model {model_name!r} has no "
                             f"{'version ' + str(version) if version else 'alias @candidate'}")
    champ = get_version(model_name, alias="champion")
    report = {"model": model_name, "candidate_version": str(cand.version),
              "champion_version": str(champ.version) if champ else None, "tolerance": tol, "metrics": list(cfg.metrics)}
    if champ is None:
        set_alias(model_name, "champion", str(cand.version))
        return {**report, "promoted": True, "reason": "first model: no champion yet"}
    if str(champ.version) == str(cand.version):
        return {**report, "promoted": False, "reason": "candidate is already the champion"}
    eps = list(eval_episodes) if eval_episodes is not None else promotion_eval_set(cfg)
    scores = {}
    for role, mv in (("candidate", cand), ("champion", champ)):
        pipe = CodingPipeline.load(f"models:/{model_name}/{mv.version}")
        m, _ = evaluate_pipeline(pipe, eps)
        scores[role] = {k: m[k] for k in cfg.metrics}
        set_version_tags(model_name, str(mv.version), {f"gate_{k}": m[k] for k in cfg.metrics})
    worse = [k for k in cfg.metrics if scores["candidate"][k] < scores["champion"][k] - tol]
    report.update(scores=scores, n_eval_episodes=len(eps))
    if worse:
        restored = restore_champion_as_default(model_name, str(cand.version), str(champ.version))
        return {**report, "promoted": False, "default_model_restored_to": restored,
                "reason": "candidate worse than champion on " + ", ".join(
                    f"{k} ({scores['candidate'][k]:.4f} < {scores['champion'][k]:.4f} - {tol})" for k in worse)}
    set_alias(model_name, "champion", str(cand.version))
    return {**report, "promoted": True, "reason": "candidate not worse than champion on " + ", ".join(cfg.metrics)}
