"""CLI: `autocoder codes show|search|import` and `autocoder validate` (exit codes and output)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from autocoder.codes import reset_terminology
from autocoder.commands import codes as codes_cmd

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    # only our command group, so a half-written sibling module cannot break these tests
    a = typer.Typer()
    codes_cmd.register(a)
    return a


def test_commands_show_icd10_uk_display(app):
    res = runner.invoke(app, ["codes", "show", "I10"])
    assert res.exit_code == 0, res.output
    first = res.output.splitlines()[0]
    assert first.startswith("I10.X") and "Essential (primary) hypertension" in first
    assert "chapter: IX" in res.output and "leaf: yes" in res.output


def test_commands_show_json_flags(app):
    res = runner.invoke(app, ["codes", "show", "H36.0", "--json"])
    assert res.exit_code == 0
    info = json.loads(res.output)
    assert info["code"] == "H36.0" and info["system"] == "icd10" and "asterisk" in info["flags"]
    res = runner.invoke(app, ["codes", "show", "Z942", "--system", "opcs4", "--json"])
    info = json.loads(res.output)
    assert info["code"] == "Z94.2" and info["kind"] == "site" and "subsidiary" in info["flags"]
    res = runner.invoke(app, ["codes", "show", "C61", "--json"])
    assert "sex:M" in json.loads(res.output)["flags"]


def test_commands_show_both_systems_and_warning(app):
    res = runner.invoke(app, ["codes", "show", "E85.1"])
    assert res.exit_code == 0 and "icd10" in res.output and "opcs4" in res.output
    res = runner.invoke(app, ["codes", "show", "J96.00"])
    assert res.exit_code == 0 and "J96.0" in res.output and "truncated" in res.output


def test_commands_show_unknown_code_exits_1(app):
    res = runner.invoke(app, ["codes", "show", "ZZZ"])
    assert res.exit_code == 1
    assert "unknown" in res.output


def test_commands_search_text_and_json(app):
    res = runner.invoke(app, ["codes", "search", "hip replacement cement", "--system", "opcs4", "--limit", "3"])
    assert res.exit_code == 0 and "W37.1" in res.output.splitlines()[0]
    res = runner.invoke(app, ["codes", "search", "essential hypertension", "--json", "--system", "icd10"])
    hits = json.loads(res.output)
    assert hits[0]["code"] == "I10" and hits[0]["display"] == "I10.X"
    res = runner.invoke(app, ["codes", "search", "qqqzzz"])
    assert res.exit_code == 1 and "no matches" in res.output
    assert runner.invoke(app, ["codes", "search", "x", "--system", "snomed"]).exit_code == 2


def test_commands_import_then_show_uses_store(app, fresh_home, fixtures_dir):
    res = runner.invoke(app, ["codes", "import", str(fixtures_dir / "icd10_metadata.tsv")])
    assert res.exit_code == 0, res.output
    assert "imported 16 icd10 codes" in res.output and "5-character UK codes: 3" in res.output
    res = runner.invoke(app, ["codes", "show", "J96.00", "--json"])
    assert json.loads(res.output)["code"] == "J96.00"
    res = runner.invoke(app, ["codes", "import", str(fixtures_dir / "opcs4_codes.csv"), "--json"])
    assert json.loads(res.output)["system"] == "opcs4"
    res = runner.invoke(app, ["codes", "import", str(fixtures_dir / "nope.tsv")])
    assert res.exit_code == 2
    reset_terminology()


def _write(tmp_path, lines):
    p = tmp_path / "eps.jsonl"
    p.write_text("\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines) + "\n")
    return p


def test_commands_validate_clean_file_exit_0(app, tmp_path):
    p = _write(tmp_path, [{"id": "EP-1", "text": "letter", "sex": "M", "age": 70,
                           "diagnoses": ["J44.1", "I10X"], "procedures": ["E85.2"]}])
    res = runner.invoke(app, ["validate", str(p)])
    assert res.exit_code == 0, res.output
    assert "episodes: 1" in res.output and "bad records: 0" in res.output


def test_commands_validate_errors_and_bad_records_exit_1(app, tmp_path):
    p = _write(tmp_path, [
        {"id": "EP-1", "text": "letter", "diagnoses": ["H36.0", "E11.3"], "procedures": []},
        {"id": "EP-2", "text": "letter", "sex": "M", "diagnoses": ["O80.0"]},
        {"id": "EP-3", "text": "letter", "diagnoses": ["S72.0", "I10", "W19"]},
        "{not json",
        {"id": "EP-5", "text": ""},
    ])
    res = runner.invoke(app, ["validate", str(p)])
    assert res.exit_code == 1
    assert "EP-1\tH36.0\tasterisk-not-primary\terror" in res.output
    assert "EP-2\tO80.0\tsex-mismatch\terror" in res.output
    assert "bad records: 2" in res.output and "episodes: 3" in res.output
    res = runner.invoke(app, ["validate", str(p), "--json"])
    rep = json.loads(res.output)
    assert rep["summary"]["bad_records"] == 2 and rep["summary"]["by_severity"]["error"] == 2
    assert rep["summary"]["by_rule"]["external-cause-not-after-condition"] == 1
    assert {e["id"] for e in rep["episodes"]} == {"EP-1", "EP-2", "EP-3"}


def test_commands_validate_warnings_only_exit_0(app, tmp_path):
    p = _write(tmp_path, [{"id": "EP-1", "text": "letter", "diagnoses": ["S72.0", "I10", "W19"]}])
    res = runner.invoke(app, ["validate", str(p), "--quiet"])
    assert res.exit_code == 0 and "warning=1" in res.output and "EP-1\t" not in res.output


def test_commands_validate_missing_file_exit_2(app, tmp_path):
    assert runner.invoke(app, ["validate", str(tmp_path / "absent.jsonl")]).exit_code == 2


def test_commands_registered_in_main_cli():
    from autocoder.cli import app as main_app

    res = runner.invoke(main_app, ["codes", "show", "J441"])
    assert res.exit_code == 0 and res.output.startswith("J44.1")


def test_commands_validate_with_rules_config(app, tmp_path):
    p = _write(tmp_path, [{"id": "EP-1", "text": "letter", "age": 1, "diagnoses": ["P07.3"]}])
    assert runner.invoke(app, ["validate", str(p)]).exit_code == 1          # perinatal: age 0 only
    cfg = tmp_path / "rules.yaml"
    cfg.write_text("perinatal_max_age: 1\n")
    res = runner.invoke(app, ["validate", str(p), "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    cfg.write_text("no_such_setting: 1\n")
    res = runner.invoke(app, ["validate", str(p), "--config", str(cfg)])
    assert res.exit_code == 2 and "no_such_setting" in res.output


def test_commands_info(app):
    res = runner.invoke(app, ["codes", "info", "--json"])
    assert res.exit_code == 0
    info = json.loads(res.output)
    assert info["icd10_codes"] > 12000 and info["opcs4_codes"] >= 400 and info["opcs4_strict"] is False


def test_commands_check_ad_hoc_codes(app):
    res = runner.invoke(app, ["codes", "check", "H36.0", "E11.3", "I10", "--proc", "Z94.2,W37.1"])
    assert res.exit_code == 1
    assert "asterisk-not-primary" in res.output and "opcs4-subsidiary-not-primary" in res.output
    assert "diagnoses E11.3 H36.0 I10 | procedures W37.1 Z94.2" in res.output
    res = runner.invoke(app, ["codes", "check", "J44.1", "I10", "--sex", "m", "--age", "70", "--json"])
    assert res.exit_code == 0
    out = json.loads(res.output)
    assert out["warnings"] == [] and out["sequence_diagnoses"] == ["J44.1", "I10"]
