"""OPCS-4 core table: size, Y/Z marking, normalisation forms, titles written for the project."""

from __future__ import annotations

import csv

import pytest

from autocoder.codes import get_terminology
from autocoder.codes.opcs4 import CORE_TABLE
from autocoder.errors import UnknownCodeError

REQUIRED = ["E85.1", "E85.2", "E85.6", "X40.3", "H01.1", "H01.2", "H01.3", "G45.1", "G45.9", "H22.1",
            "H22.9", "H20.1", "W37.1", "W38.1", "W39.1", "W40.1", "W46.1", "W19.1", "W24.1", "K40.1",
            "K40.4", "K49.1", "K75.1", "U05.1", "U05.2", "U20.1", "G47.5", "M47.9", "L35.4", "X83.3",
            "R17.1", "R17.2", "R18.2", "Y53.2", "Y53.4", "Y75.2", "Y20.3", "Z94.1", "Z94.2", "Z94.3",
            "Z27.2", "Z28.2", "X56.2", "J18.3"]


@pytest.fixture(scope="module")
def opcs():
    return get_terminology().opcs4


def _rows():
    with CORE_TABLE.open(encoding="utf-8") as fh:
        return list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))


def test_opcs4_core_table_has_at_least_400_unique_codes(opcs):
    rows = _rows()
    codes = [r["code"] for r in rows]
    assert len(codes) >= 400
    assert len(set(codes)) == len(codes)
    assert len(opcs.codes()) == len(codes)
    assert all(r["title"].strip() for r in rows)


def test_opcs4_core_table_includes_common_inpatient_codes(opcs):
    missing = [c for c in REQUIRED if not opcs.is_valid(c)]
    assert not missing


def test_opcs4_core_table_marks_y_method_and_z_site(opcs):
    for r in _rows():
        assert r["chapter"] == r["code"][0], r
        if r["code"][0] == "Y":
            assert r["kind"] == "method", r
        elif r["code"][0] == "Z":
            assert r["kind"] == "site", r
    assert opcs.is_subsidiary("Y53.4") and opcs.kind("Y53.4") == "method"
    assert opcs.is_subsidiary("Z94.2") and opcs.kind("Z94.2") == "site"
    assert opcs.is_subsidiary("O16.1")          # O-chapter site
    assert not opcs.is_subsidiary("E85.1") and opcs.kind("E85.1") == ""
    assert opcs.is_laterality("Z94.3") and not opcs.is_laterality("Z27.2")


@pytest.mark.parametrize("raw", ["E85.1", "E851", "E85,1", "e85.1", " e851 ", "E 85.1"])
def test_opcs4_normalise_accepts_every_form(opcs, raw):
    assert opcs.normalise(raw) == "E85.1"


@pytest.mark.parametrize("raw", ["", "E85", "E8", "I10.1", "hello", "E85.1.2", "1234"])
def test_opcs4_normalise_rejects_non_codes(opcs, raw):
    with pytest.raises(UnknownCodeError):
        opcs.normalise(raw)


def test_opcs4_three_character_category_message(opcs):
    with pytest.raises(UnknownCodeError, match="4th character"):
        opcs.normalise("E85")


def test_opcs4_code_outside_core_is_accepted_with_warning(opcs):
    code, warn = opcs.normalise_with_warning("A01.1")
    assert code == "A01.1" and warn and "core table" in warn
    assert not opcs.is_valid("A01.1")
    assert opcs.normalise_with_warning("E85.11")[0] == "E85.1"


def test_opcs4_title_display_chapter(opcs):
    assert "ventilation" in opcs.title("E851").lower()
    assert opcs.display("e85,1") == "E85.1"
    assert opcs.dataset_form("E85.1") == "E851"
    assert opcs.chapter("W37.1") == "W"
    assert opcs.chapter_title("E85.1") == "Respiratory tract"
