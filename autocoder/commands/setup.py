"""`autocoder setup`: the README's main job on embedded defaults, as one visible sequence of the
product's own commands (each step is a command a user could run by hand)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import typer

from autocoder.paths import REPO_ROOT, data_home, default_model_dir, shared_data_dir


def _run(step: str, args: list[str], ok: tuple[int, ...] = (0,)) -> None:
    typer.secho(f"==> {step}: autocoder {' '.join(args)}", fg=typer.colors.CYAN, err=True)
    rc = subprocess.call([sys.executable, "-m", "autocoder.cli", *args])
    if rc not in ok:
        typer.secho(f"step '{step}' failed with exit status {rc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(rc)


def setup(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API and review page at the end."),
    config: Path = typer.Option(REPO_ROOT / "configs" / "train.yaml", help="Training config for the default model."),
    retrain: bool = typer.Option(False, help="Train even if a default model already exists."),
    batch_size: int = typer.Option(200, help="Episodes in the demo batch."),
) -> None:
    """Set up and run the main job: import terminology, train + promote the default model if there is
    none, code a demo batch, evaluate it, then serve suggestions on 127.0.0.1:8000."""
    home = data_home()
    shared = shared_data_dir()
    hes_opcs = shared / "hes" / "opcs4_codes_hes_usage.csv" if shared else None
    if hes_opcs and hes_opcs.exists() and not (home / ".opcs4_imported").exists():
        _run("import full OPCS-4 titles", ["codes", "import", str(hes_opcs), "--system", "opcs4"])
        (home / ".opcs4_imported").touch()
    if retrain or not default_model_dir().exists():
        _run("train the default model", ["train", "--config", str(config)])
        # exit 3 = the gate kept the champion (and put it back as the default model): the job goes on with it
        _run("promote it if the gate passes", ["promote"], ok=(0, 3))
    demo = home / "demo"
    demo.mkdir(exist_ok=True)
    batch, results = demo / "batch.jsonl", demo / "results.jsonl"
    _run("generate a demo batch", ["synth", "--n", str(batch_size), "--seed", "4242", "--forms", "test",
                                   "--out", str(batch)])
    _run("code the batch", ["code", str(batch), "--out", str(results), "--top-k", "20"])
    _run("evaluate the batch", ["evaluate", "--data", str(batch), "--out", str(demo / "metrics.json")])
    own = REPO_ROOT / "tests" / "data" / "own_letters.jsonl"
    if own.exists():
        _run("evaluate on our hand-written letters", ["evaluate", "--data", str(own),
                                                      "--out", str(demo / "own_letters_metrics.json")])
    typer.secho(f"results: {results}", err=True)
    if serve:
        if not os.environ.get("AUTOCODER_API_KEYS"):
            # A local admin key so the review page works out of the box; kept in the data directory only.
            key_file = home / "local_api_key"
            if not key_file.exists():
                key_file.write_text(secrets.token_urlsafe(24))
                key_file.chmod(0o600)
            os.environ["AUTOCODER_API_KEYS"] = f"{key_file.read_text().strip()}:admin"
            typer.secho(f"API key for http://127.0.0.1:8000/review (admin role): see {key_file}", err=True)
        _run("serve suggestions and the review page", ["serve"])


def register(app: typer.Typer) -> None:
    app.command("setup")(setup)
