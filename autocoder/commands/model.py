"""Model commands: code, train, evaluate, promote. Heavy imports happen inside the commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


def code(
    input: Path = typer.Argument(..., help="Episodes: a .jsonl file, a .csv (id,text,...) or a folder of .txt letters."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the coding results (JSONL, one per episode)."),
    top_k: int = typer.Option(0, "--top-k", min=0, help="Also write the top K ranked candidates per system."),
    model: str = typer.Option(None, "--model", "-m", help="Bundle directory or models:/autocoder@champion "
                              "(default: the installed default model)."),
    batch_size: int = typer.Option(32, "--batch-size", min=1, help="Episodes per model batch."),
    quantize: bool = typer.Option(None, "--quantize/--no-quantize", help="int8 classifier encoder (faster; "
                                  "default: env AUTOCODER_QUANTIZE)."),
) -> None:
    """Code discharge summaries: suggested ICD-10 and OPCS-4 codes with evidence, scores and warnings.

    Bad records are reported on stderr (line, id, problem) and skipped; the rest are coded. Exit status is
    non-zero only when nothing could be coded."""
    from tqdm import tqdm

    from autocoder.errors import AutocoderError
    from autocoder.io import read_episodes
    from autocoder.pipeline import CodingPipeline

    episodes, bad = [], 0
    try:
        for ep, err in read_episodes(input):
            if err is not None:
                bad += 1
                _err(f"skipped record: {err}")
                continue
            episodes.append(ep)
    except (FileNotFoundError, AutocoderError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None
    seen: set[str] = set()
    unique = []
    for ep in episodes:
        if ep.id in seen:
            bad += 1
            _err(f"skipped record: id {ep.id!r}: duplicate id (ids must be unique within the input)")
            continue
        seen.add(ep.id)
        unique.append(ep)
    if not unique:
        _err(f"error: no codable episodes in {input} ({bad} bad record(s))")
        raise typer.Exit(1)
    try:
        pipe = CodingPipeline.load(model, quantize=quantize)
    except AutocoderError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None
    pipe.batch_size = batch_size
    bar = tqdm(total=len(unique), unit="ep", desc="coding", disable=not sys.stderr.isatty(), file=sys.stderr)
    results = []
    # code batch by batch; a batch that fails is retried one by one so one bad letter cannot sink the rest
    for b in range(0, len(unique), batch_size):
        batch = unique[b:b + batch_size]
        try:
            results.extend(pipe.predict(batch, top_k=top_k))
        except Exception:  # noqa: BLE001
            for ep in batch:
                try:
                    results.extend(pipe.predict([ep], top_k=top_k))
                except Exception as exc:  # noqa: BLE001
                    bad += 1
                    _err(f"skipped record: id {ep.id!r}: coding failed ({exc.__class__.__name__}: {exc})")
        bar.update(len(batch))
    bar.close()
    from autocoder.io import write_jsonl

    n = write_jsonl(out, results)
    _err(f"coded {n} episode(s) with {pipe.model_version} -> {out}; {bad} record(s) skipped")
    if n == 0:
        raise typer.Exit(1)


def train(
    config: Path = typer.Option(Path("configs/train.yaml"), "--config", "-c",
                                help="Training config YAML (configs/train.yaml is the default recipe)."),
    out_dir: Path = typer.Option(None, "--out-dir", help="Write the bundle here instead of <data_home>/models/<name>."),
) -> None:
    """Train NER, classifier and baseline, fit fusion/calibration on dev, evaluate, log and register in MLflow."""
    from autocoder.errors import AutocoderError
    from training.train import train as run

    try:
        outcome = run(config, out_dir=out_dir)
    except AutocoderError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"bundle_dir": str(outcome.bundle_dir), "run_id": outcome.run_id,
                           "model_version": outcome.model_version, "seconds": round(outcome.seconds, 1),
                           "test": outcome.metrics.get("test"), "baseline_test": outcome.metrics.get("baseline_test"),
                           "calibration": outcome.metrics.get("extra")}, indent=2))


def evaluate(
    data: Path = typer.Option(..., "--data", "-d", help="JSONL episodes with gold diagnoses/procedures."),
    model: str = typer.Option(None, "--model", "-m", help="Bundle directory or models:/autocoder@champion."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the metrics JSON here."),
    baseline: bool = typer.Option(False, "--baseline", help="Evaluate the bundle's TF-IDF baseline instead."),
    top_k: int = typer.Option(50, "--top-k", min=1, help="Ranked list length for the ranking metrics."),
) -> None:
    """Print the FORMATS.md audit metrics (JSON) of a model on gold episodes."""
    from autocoder.errors import AutocoderError
    from training.evaluate import evaluate as run

    try:
        metrics = run(data, model, baseline=baseline, top_k=top_k)
    except (AutocoderError, FileNotFoundError) as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None
    text = json.dumps(metrics, indent=2)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    typer.echo(text)


def promote(
    version: str = typer.Option(None, "--version", help="Registered version to promote (default: @candidate)."),
    tolerance: float = typer.Option(None, "--tolerance", min=0.0,
                                    help="Allowed drop per gated metric (default from config, 0.0)."),
    model_name: str = typer.Option("autocoder", "--name", help="Registered model name."),
) -> None:
    """Move alias @champion to the candidate when it is not worse than the champion on the fixed evaluation
    set (primary_diagnosis_accuracy and micro_f1). The first model always promotes."""
    from autocoder.errors import AutocoderError
    from training.evaluate import promote as run

    try:
        report = run(version, model_name=model_name, tolerance=tolerance)
    except AutocoderError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(2) from None
    typer.echo(json.dumps(report, indent=2))
    if not report.get("promoted") and report.get("reason", "").startswith("candidate worse"):
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.command("code")(code)
    app.command("train")(train)
    app.command("evaluate")(evaluate)
    app.command("promote")(promote)
