"""The one `autocoder` command. Each command group lives in autocoder/commands/<name>.py and
registers itself here, so heavy imports happen inside the commands, never at `--help` time."""

from __future__ import annotations

import importlib
import logging
import os

import typer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(
    name="autocoder",
    help="Clinical auto-coding for NHS discharge summaries: ICD-10 (5th ed.) and OPCS-4 suggestions, "
    "coder review and retraining.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# order = order in --help
COMMAND_MODULES = ["codes", "synth", "extract", "model", "serve", "review", "setup"]

for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"autocoder.commands.{_name}")
    except ModuleNotFoundError as _exc:  # a command module not written yet
        if _exc.name != f"autocoder.commands.{_name}":
            raise
        continue
    _mod.register(app)


def main() -> None:
    logging.basicConfig(level=os.environ.get("AUTOCODER_LOG_LEVEL", "WARNING"),
                        format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
