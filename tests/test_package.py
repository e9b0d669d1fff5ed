"""The package stays light to import and the CLI documents every command."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from autocoder.cli import app


def test_package_import_does_not_load_heavy_libraries():
    code = ("import sys, autocoder, autocoder.cli, autocoder.metrics, autocoder.io;"
            "heavy = [m for m in ('torch', 'spacy', 'mlflow', 'transformers', 'sklearn') if m in sys.modules];"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported at package import: {out.stdout}"


def test_package_cli_help_lists_commands_and_each_has_help():
    runner = CliRunner()
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert "setup" in names
    for name in names:
        sub = runner.invoke(app, [name, "--help"])
        assert sub.exit_code == 0, f"autocoder {name} --help failed: {sub.output}"
        assert "Usage" in sub.output
