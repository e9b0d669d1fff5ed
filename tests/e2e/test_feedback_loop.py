"""The whole feedback loop, for real: champion -> coders correct through the review API -> export to a
real Label Studio -> an engineer changes one decision there -> import -> retrain -> gate -> promote ->
the service reloads -> NEW letters with the corrected phrasing get the code. MLflow shows both runs,
the lineage and the alias move.

The phrasing: "EHT" (essential hypertension, a real UK letter abbreviation) for I10. The synthetic
corpus writes I10 as hypertension / HTN / HBP / high blood pressure ..., never "EHT", and neither the
synonym table nor the terminology knows it, so the tiny champion cannot suggest I10 from it.
"""

from __future__ import annotations

import importlib
import json
import re
import time
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.slow, pytest.mark.labelstudio]

TARGET = "I10"
PHRASE = "EHT"
# every way the corpus (and the synonym table) writes I10, plus words that would give it away
GIVEAWAY = re.compile(r"hypertens|hypertention|\bhtn\b|\bhbp\b|blood pressure|\bbp\b", re.IGNORECASE)
N_FEEDBACK = 12
N_PROBES = 8
REPEAT = 6
ROOT = Path(__file__).resolve().parents[2]


def _missing_piece() -> str | None:
    """Name the upstream piece that is not there yet (the loop needs all of them)."""
    for mod, attr, owner in (("autocoder.serve.app", "create_app", "helper E: FastAPI app"),
                             ("autocoder.serve.store", "ReviewStore", "helper E: review store"),
                             ("training.train", "train", "helper D2: training.train"),
                             ("training.evaluate", "promote", "helper D2: promote gate"),
                             ("training.synth", "generate_episodes", "helper B: synthetic corpus"),
                             ("autocoder.codes", "get_terminology", "terminology (autocoder.codes)")):
        try:
            m = importlib.import_module(mod)
        except Exception as exc:  # noqa: BLE001
            return f"{owner} is missing: import {mod} failed ({exc.__class__.__name__}: {exc})"
        if not hasattr(m, attr):
            return f"{owner} is missing: {mod}.{attr} not defined"
    if not (ROOT / "configs" / "train_tiny.yaml").is_file():
        return "helper D2: configs/train_tiny.yaml is missing"
    return None


def _rephrase(ep) -> dict | None:
    """The episode with every I10 mention rewritten as EHT; None if I10 is not a present gold code or
    another wording of it would remain."""
    if TARGET not in (ep.diagnoses or []):
        return None
    spans = [s for s in (ep.entities or []) if s.code == TARGET]
    if not spans or not any(s.assertion == "present" for s in spans):
        return None
    text = ep.text
    for s in sorted(spans, key=lambda s: s.start, reverse=True):
        text = text[:s.start] + PHRASE + text[s.end:]
    if GIVEAWAY.search(text):
        return None
    d = ep.model_dump(exclude_none=True, exclude={"entities"})
    d["text"] = text
    return d


def _eht_letters(n: int, seed: int, prefix: str) -> list[dict]:
    from training.synth import generate_episodes

    out: list[dict] = []
    batch = 0
    while len(out) < n and batch < 20:
        for ep in generate_episodes(400, seed=seed + batch, forms="train"):
            d = _rephrase(ep)
            if d is not None:
                d["id"] = f"{prefix}-{len(out) + 1:02d}"
                out.append(d)
                if len(out) == n:
                    break
        batch += 1
    assert len(out) == n, f"could only build {len(out)} of {n} letters with {TARGET} written as {PHRASE}"
    return out


def _suggests(client, headers, letters) -> list[bool]:
    hits = []
    for d in letters:
        r = client.post("/v1/code", json={k: d[k] for k in ("id", "text", "sex", "age") if k in d}, headers=headers)
        assert r.status_code == 200, r.text
        hits.append(TARGET in [s["code"] for s in r.json()["diagnoses"]])
    return hits


def _wait(client, headers, pred, what, timeout=180):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        info = client.get("/v1/admin/model", headers=headers).json()
        if pred(info):
            return info
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}: {info}")


def test_feedback_loop_end_to_end(request, tmp_path, monkeypatch):
    reason = _missing_piece()
    if reason:
        pytest.skip(reason)
    label_studio = request.getfixturevalue("label_studio")  # only boot it when the loop can run
    t_start = time.perf_counter()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("AUTOCODER_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    from fastapi.testclient import TestClient
    from mlflow import MlflowClient
    from typer.testing import CliRunner

    from autocoder.cli import app as cli
    from autocoder.serve.app import create_app
    from autocoder.serve.settings import ServeSettings
    from training.evaluate import promote
    from training.registry import get_version, setup
    from training.train import train

    # 1. the champion: the tiny recipe, first model promotes itself
    cfg = yaml.safe_load((ROOT / "configs" / "train_tiny.yaml").read_text())
    cfg["name"] = "e2e"
    cfg["data"].update(n_train=100, n_dev=30, n_test=20)   # smaller than tiny: two trainings fit in CI
    # The gate is D2's rule (no gate metric worse than the champion's minus the tolerance). A tiny model
    # judged on 20 letters moves by +-0.1 between identical runs, and the repeated feedback letters cost
    # it some precision (measured -0.015..-0.065 micro-F1): this test tolerates 0.15, production keeps 0.
    cfg["promote"] = {**cfg.get("promote", {}), "tolerance": 0.15}
    cfg_path = tmp_path / "train_e2e.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    outcome = train(cfg_path)
    assert promote(version=outcome.model_version.rsplit("@", 1)[1])["promoted"]
    champ_v1 = get_version("autocoder", alias="champion").version
    t_champion = time.perf_counter()

    feedback_letters = _eht_letters(N_FEEDBACK, seed=7100, prefix="FB")
    probes = _eht_letters(N_PROBES, seed=9300, prefix="NEW")
    db_url = f"sqlite:///{home / 'review.db'}"
    coder, admin = {"X-API-Key": "k-coder"}, {"X-API-Key": "k-admin"}
    settings = ServeSettings(model="models:/autocoder@champion", database_url=db_url, start_worker=False,
                             api_keys={"k-coder": "coder:coder-17", "k-admin": "admin:ops"})
    runner = CliRunner()
    with TestClient(create_app(settings)) as client:
        first = _wait(client, admin, lambda i: i["ready"], "the champion to load")
        # 2. the champion misses I10 when the letter says EHT
        before = _suggests(client, coder, probes)
        assert sum(before) <= N_PROBES // 4, f"champion already suggests {TARGET} for {PHRASE}: {before}"

        # 3. coders code and correct a handful of episodes through the review API
        n_fb_hits = 0
        for i, d in enumerate(feedback_letters):
            r = client.post("/v1/code", json={k: d[k] for k in ("id", "text", "sex", "age") if k in d},
                            headers=coder)
            res = r.json()
            suggested = [s["code"] for s in res["diagnoses"]]
            n_fb_hits += TARGET in suggested
            gold_dx, gold_px = d["diagnoses"], d.get("procedures", [])
            if i == N_FEEDBACK - 1:   # this coder accepts as suggested; the engineer fixes it in Label Studio
                final_dx, final_px = suggested, [s["code"] for s in res["procedures"]]
            else:
                final_dx, final_px = gold_dx, gold_px
            decisions = ([{"code": c, "decision": "accepted" if c in final_dx else "rejected"} for c in suggested]
                         + [{"code": c, "decision": "added"} for c in final_dx if c not in suggested])
            r = client.post(f"/v1/episodes/{d['id']}/reviews", headers=coder, json={
                "reviewer": "coder-17", "model_version": res["model_version"], "decisions": decisions,
                "final_diagnoses": final_dx, "final_procedures": final_px,
                "comment": f"{PHRASE} = essential hypertension" if TARGET in final_dx else ""})
            assert r.status_code == 201, r.text

        # 4. export to a real Label Studio, twice (idempotent)
        args = ["review", "export", "--to", "label-studio", "--url", label_studio.url, "--token",
                label_studio.token, "--project", "e2e feedback loop", "--db", db_url]
        r = runner.invoke(cli, args)
        assert r.exit_code == 0 and f"{N_FEEDBACK} exported" in r.output, r.output
        r = runner.invoke(cli, args)
        assert r.exit_code == 0 and "0 exported" in r.output, r.output

        # 5. an ML engineer audits in Label Studio and changes one decision: FB-08 needs I10
        from review_export.client import LabelStudioClient

        ls_client = LabelStudioClient(label_studio.url, label_studio.token)
        ls = ls_client._sdk()
        pid = ls_client.find_project("e2e feedback loop")
        tasks = {t.data["episode_id"]: t for t in ls.tasks.list(project=pid, fields="all")}
        assert len(tasks) == N_FEEDBACK
        last = feedback_letters[-1]
        fixed_dx = list(last["diagnoses"])
        opts = {o["value"].split(" ", 1)[0]: o["value"] for o in tasks[last["id"]].data["dx_options"]}
        typed = " ".join(("*" if j == 0 else "") + c for j, c in enumerate(fixed_dx) if c not in opts)
        result = [{"from_name": "dx_codes", "to_name": "letter", "type": "choices",
                   "value": {"choices": [opts[c] for c in fixed_dx if c in opts]}},
                  {"from_name": "extra_diagnoses", "to_name": "letter", "type": "textarea", "value": {"text": [typed]}},
                  {"from_name": "decision", "to_name": "letter", "type": "choices", "value": {"choices": ["corrected"]}},
                  {"from_name": "note", "to_name": "letter", "type": "textarea",
                   "value": {"text": [f"{PHRASE} is essential hypertension: {TARGET}"]}}]
        if fixed_dx[0] in opts:
            result.append({"from_name": "primary_dx", "to_name": "letter", "type": "choices",
                           "value": {"choices": [opts[fixed_dx[0]]]}})
        ls.annotations.create(id=tasks[last["id"]].id, result=result)

        # 6. import: gold from the final annotation
        fb = tmp_path / "feedback.jsonl"
        r = runner.invoke(cli, ["review", "import", "--from", "label-studio", "--url", label_studio.url,
                                "--token", label_studio.token, "--project", "e2e feedback loop", "--out", str(fb)])
        assert r.exit_code == 0, r.output
        fb_eps = {e["id"]: e for e in map(json.loads, fb.read_text().splitlines())}
        assert len(fb_eps) == N_FEEDBACK
        assert all(TARGET in e["diagnoses"] for e in fb_eps.values())  # incl. the engineer's fix
        got = fb_eps[last["id"]]["diagnoses"]
        assert got[0] == fixed_dx[0] and sorted(got) == sorted(fixed_dx)
        assert fb_eps[last["id"]]["feedback"]["annotation_id"] != tasks[last["id"]].annotations[0]["id"]
        t_loop_io = time.perf_counter()

        # 7. retrain: challenger, same fixed evaluation, gate, promote
        from training.synth import generate_episodes

        fixed_eval = tmp_path / "fixed_eval.jsonl"   # held-out synthetic forms, fixed seed
        fixed_eval.write_text("".join(e.model_dump_json(exclude_none=True) + "\n"
                                      for e in generate_episodes(20, seed=4242, forms="test")))
        r = runner.invoke(cli, ["retrain", "--feedback", str(fb), "--config", str(cfg_path), "--repeat",
                                str(REPEAT), "--eval", str(fixed_eval), "--work-dir", str(tmp_path / "retrain")])
        print(r.output)
        assert r.exit_code == 0, r.output
        assert "PROMOTED" in r.output, r.output
        champ_v2 = get_version("autocoder", alias="champion").version
        assert int(champ_v2) > int(champ_v1)

        # 8. the service picks the new champion up; NEW letters with EHT now get I10
        assert client.post("/v1/admin/reload", headers=admin).status_code == 202
        _wait(client, admin, lambda i: i["ready"] and not i["loading"]
              and i["model_version"] != first["model_version"], "the new champion to load")
        after = _suggests(client, coder, probes)
        assert sum(after) >= (3 * N_PROBES) // 4, f"new champion still misses {TARGET} for {PHRASE}: {after}"

    # 9. MLflow: both runs, the lineage and the alias move
    setup()
    mc = MlflowClient()
    v1, v2 = mc.get_model_version("autocoder", champ_v1), mc.get_model_version("autocoder", champ_v2)
    run1, run2 = mc.get_run(v1.run_id), mc.get_run(v2.run_id)
    assert run1.info.run_id != run2.info.run_id
    assert run1.info.experiment_id == run2.info.experiment_id  # both runs in the same experiment
    import hashlib

    p = run2.data.params
    assert p["retrain.feedback_sha256"] == hashlib.sha256(fb.read_bytes()).hexdigest()
    assert p["retrain.parent_model_version"] == str(champ_v1)
    assert int(p["retrain.n_corrections"]) >= N_FEEDBACK - 1
    assert run2.data.tags["retrain.promoted"] == "True"
    assert "fixed_eval_challenger_micro_f1" in run2.data.metrics and "fixed_eval_champion_micro_f1" in run2.data.metrics
    assert str(mc.get_model_version_by_alias("autocoder", "champion").version) == str(champ_v2) != str(champ_v1)
    assert str(mc.get_model_version_by_alias("autocoder", "candidate").version) == str(champ_v2)
    print(f"\n[e2e] champion train {t_champion - t_start:.1f}s; loop to import {t_loop_io - t_champion:.1f}s; "
          f"whole test {time.perf_counter() - t_start:.1f}s; champion hits {sum(before)}/{N_PROBES}, "
          f"new champion hits {sum(after)}/{N_PROBES}; feedback hits before {n_fb_hits}/{N_FEEDBACK}")
