import json

import pytest
from typer.testing import CliRunner

from autocoder.cli import app


@pytest.fixture()
def patched_terminology(monkeypatch, fake_terminology):
    from autocoder import codes

    monkeypatch.setattr(codes, "get_terminology", lambda: fake_terminology)


def test_cli_extract_jsonl_json_output(tmp_path, autocoder_home, patched_terminology):
    f = tmp_path / "eps.jsonl"
    f.write_text(json.dumps({"id": "EP-1", "text": "Diagnosis: ?PE - CTPA negative. IECOPD."}) + "\n"
                 + "{bad json\n" + json.dumps({"id": "EP-2", "text": "No chest pain."}) + "\n")
    res = CliRunner().invoke(app, ["extract", str(f), "--json", "--no-ner", "--top", "2"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert [r["id"] for r in lines] == ["EP-1", "EP-2"]
    ents = {e["text"]: e for e in lines[0]["entities"]}
    assert ents["PE"]["assertion"] == "negated" and ents["IECOPD"]["candidates"][0]["code"] == "J44.0"
    assert len(ents["IECOPD"]["candidates"]) <= 2
    assert "line 2" in res.stderr


def test_cli_extract_txt_human_output(tmp_path, autocoder_home, patched_terminology):
    f = tmp_path / "letter.txt"
    f.write_text("PMH: T2DM.\n")
    res = CliRunner().invoke(app, ["extract", str(f), "--no-ner"])
    assert res.exit_code == 0, res.output
    assert "== letter: 1 entities" in res.stdout and "E11.9" in res.stdout


def test_cli_train_ner_reports_bad_data(tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps({"id": "a", "text": "no gold spans here"}) + "\n")
    res = CliRunner().invoke(app, ["train-ner", "--data", str(f), "--out", str(tmp_path / "ner")])
    assert res.exit_code == 2 and "gold `entities`" in res.stderr
