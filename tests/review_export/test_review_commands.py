"""The `autocoder review` / `retrain` commands: options, messages and exit codes."""

import json

from typer.testing import CliRunner

from autocoder.cli import app
from review_export.tasks import build_task

runner = CliRunner()


def test_commands_export_to_file_and_import_from_file(fake_store, monkeypatch, tmp_path):
    monkeypatch.setattr("autocoder.commands.review._store", lambda db: fake_store)
    out = tmp_path / "tasks.json"
    r = runner.invoke(app, ["review", "export", "--to", "file", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "wrote 3 tasks" in r.output and len(json.loads(out.read_text())) == 3

    # what Label Studio would export after importing that file
    tasks = json.loads(out.read_text())
    rows = [{"id": i, "data": t["data"], "predictions": [i],
             "annotations": [dict(t["annotations"][0], id=i, was_cancelled=False,
                                  created_at="2026-11-25T09:00:00Z", updated_at="2026-11-25T09:00:00Z")]}
            for i, t in enumerate(tasks, start=1)]
    exp = tmp_path / "export.json"
    exp.write_text(json.dumps(rows))
    fb = tmp_path / "feedback.jsonl"
    r = runner.invoke(app, ["review", "import", "--from", "file", "--in", str(exp), "--out", str(fb)])
    assert r.exit_code == 0, r.output
    eps = [json.loads(x) for x in fb.read_text().splitlines()]
    assert [e["diagnoses"] for e in eps] == [["J44.1", "I10"], ["J18.9", "I10"], ["J44.1", "I48.9"]]
    assert '"corrections": 2' in r.output


def test_commands_export_to_down_label_studio_is_a_clear_error(fake_store, monkeypatch):
    from review_export.testing import free_port

    monkeypatch.setattr("autocoder.commands.review._store", lambda db: fake_store)
    url = f"http://127.0.0.1:{free_port()}"
    r = runner.invoke(app, ["review", "export", "--to", "label-studio", "--url", url, "--token", "tok-123456"])
    assert r.exit_code == 1 and f"error: Label Studio at {url} is unreachable" in r.output
    assert fake_store.marks == {}


def test_commands_export_to_file_needs_out():
    r = runner.invoke(app, ["review", "export", "--to", "file"])
    assert r.exit_code == 2 and "--out" in r.output


def test_commands_build_task_is_json_serialisable(stored_factory):
    json.dumps(build_task(stored_factory(1)))
