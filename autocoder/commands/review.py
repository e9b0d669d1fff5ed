"""`autocoder review export|import` and `autocoder retrain`: the coder feedback loop.

Heavy imports (label-studio-sdk, MLflow, the pipeline) happen inside the commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from autocoder.errors import AutocoderError

review_app = typer.Typer(help="Export reviewed episodes to Label Studio and import audited corrections.",
                         no_args_is_help=True)


class ExportTarget(str, Enum):
    label_studio = "label-studio"
    file = "file"


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code)


def _parse_since(since: str | None) -> datetime | None:
    if not since:
        return None
    try:
        d = datetime.fromisoformat(since)  # 3.11 parses a trailing Z
    except ValueError:
        raise typer.BadParameter(f"expected an ISO date like 2026-11-23 or 2026-11-23T10:00:00Z, got {since!r}",
                                 param_hint="--since") from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _store(db: str | None):
    try:
        from autocoder.serve.store import ReviewStore
    except ImportError as exc:
        raise AutocoderError(f"the review store (autocoder.serve.store) is not available: {exc}") from None
    return ReviewStore(db)


URL = Annotated[str | None, typer.Option("--url", envvar="LABEL_STUDIO_URL",
                                            help="Label Studio base URL, e.g. http://127.0.0.1:8080")]
TOKEN = Annotated[str | None, typer.Option("--token", envvar="LABEL_STUDIO_API_KEY",
                                              help="Label Studio API token (legacy token or personal access token)")]


@review_app.command("export")
def export_cmd(
    to: Annotated[ExportTarget, typer.Option("--to", help="label-studio (a server) or file (import JSON)")],
    url: URL = None,
    token: TOKEN = None,
    project: Annotated[str, typer.Option(help="Label Studio project title (created if missing, reused by title)")]
    = "autocoder review audit",
    since: Annotated[str | None, typer.Option(help="only episodes reviewed at/after this ISO date")] = None,
    db: Annotated[str | None, typer.Option(help="review store SQLAlchemy URL (default: data home review.db)")]
    = None,
    out: Annotated[Path | None, typer.Option(help="with --to file: where to write the tasks JSON")] = None,
    label_config: Annotated[Path | None, typer.Option(help="labelling config XML")] = None,
) -> None:
    """Each reviewed episode becomes one task: the model's suggestion as a prediction, the coder's review
    as an annotation. Running it twice adds no duplicates."""
    from review_export.exporter import export_to_file, export_to_label_studio

    since_dt = _parse_since(since)
    try:
        if to == ExportTarget.file:
            if out is None:
                raise typer.BadParameter("--to file needs --out tasks.json", param_hint="--out")
            rep = export_to_file(_store(db), out, since_dt)
            typer.echo(f"wrote {rep.exported} tasks to {out} (Label Studio import JSON; nothing marked as exported)")
            return
        if not url:
            raise typer.BadParameter("--to label-studio needs --url (or LABEL_STUDIO_URL)", param_hint="--url")
        from review_export.client import LabelStudioClient

        client = LabelStudioClient(url, token or "")
        rep = export_to_label_studio(_store(db), client, project, since_dt, label_config)
    except AutocoderError as exc:
        raise _fail(exc) from None
    typer.echo(f"Label Studio {url} project {project!r}: {rep.summary()}")


@review_app.command("import")
def import_cmd(
    from_: Annotated[ExportTarget, typer.Option("--from", help="label-studio (a server) or file (a JSON export)")],
    out: Annotated[Path, typer.Option(help="feedback episodes JSONL to write")],
    url: URL = None,
    token: TOKEN = None,
    project: Annotated[str, typer.Option(help="Label Studio project title")] = "autocoder review audit",
    in_: Annotated[Path | None, typer.Option("--in", help="with --from file: the Label Studio JSON export")]
    = None,
) -> None:
    """Write training episodes (FORMATS.md) whose gold codes come from each task's final annotation:
    ground_truth first, else the latest; cancelled annotations are ignored."""
    from review_export.importer import episodes_from_export, load_export_file, write_feedback

    try:
        if from_ == ExportTarget.file:
            if in_ is None:
                raise typer.BadParameter("--from file needs --in export.json", param_hint="--in")
            rows = load_export_file(in_)
        else:
            if not url:
                raise typer.BadParameter("--from label-studio needs --url", param_hint="--url")
            from review_export.client import LabelStudioClient

            client = LabelStudioClient(url, token or "")
            pid = client.find_project(project)
            if pid is None:
                raise AutocoderError(f"no project titled {project!r} on Label Studio at {url}")
            rows = client.export_json(pid)
        episodes, stats = episodes_from_export(rows)
        n = write_feedback(episodes, out)
    except (AutocoderError, FileNotFoundError) as exc:
        raise _fail(exc) from None
    for p in stats.problems:
        typer.echo(f"warning: {p}", err=True)
    typer.echo(f"wrote {n} feedback episodes to {out}: " + json.dumps(stats.as_dict()))


def retrain_cmd(
    feedback: Annotated[Path, typer.Option(help="feedback episodes JSONL from `autocoder review import`")],
    base: Annotated[Path | None, typer.Option(help="base training episodes (default: the config's data)")]
    = None,
    config: Annotated[Path, typer.Option(help="training config YAML")] = Path("configs/train.yaml"),
    repeat: Annotated[int, typer.Option(help="feedback weight: each feedback episode is repeated N times")] = 5,
    eval_data: Annotated[Path | None, typer.Option("--eval", help="fixed evaluation episodes JSONL "
                                                      "(default: the config's evaluation data)")] = None,
    model_name: Annotated[str, typer.Option(help="MLflow registered model name")] = "autocoder",
    no_promote: Annotated[bool, typer.Option("--no-promote", help="register as candidate only")] = False,
    work_dir: Annotated[Path | None, typer.Option(help="where the merged data and config are written")] = None,
) -> None:
    """Merge feedback into the training data, train a challenger, compare it with the champion on the
    same fixed evaluation set, register it as `candidate` and promote it to `champion` if the gate passes.
    A running service picks the new champion up with POST /v1/admin/reload."""
    from review_export.retrain import RetrainOptions, format_comparison, run_retrain

    try:
        res = run_retrain(RetrainOptions(feedback=feedback, base=base, config=config, repeat=repeat,
                                         eval_data=eval_data, model_name=model_name, promote=not no_promote,
                                         work_dir=work_dir))
    except (AutocoderError, FileNotFoundError) as exc:
        raise _fail(exc) from None
    typer.echo(format_comparison(res))


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
    app.command("retrain")(retrain_cmd)
