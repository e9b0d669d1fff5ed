"""`autocoder setup` runs its steps as subprocesses; a gate that keeps the champion (exit 3) is not a failure."""

from __future__ import annotations

import pytest
import typer


def test_setup_step_failure_stops_the_job_but_a_kept_champion_does_not(monkeypatch):
    import autocoder.commands.setup as setup_cmd

    monkeypatch.setattr(setup_cmd.subprocess, "call", lambda *a, **k: 3)
    setup_cmd._run("promote it if the gate passes", ["promote"], ok=(0, 3))   # goes on
    with pytest.raises(typer.Exit) as exc:
        setup_cmd._run("train the default model", ["train"])
    assert exc.value.exit_code == 3
