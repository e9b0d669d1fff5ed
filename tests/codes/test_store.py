"""Importers: NHS release text, CSV (incl. HES column names), NHS ICD-10 metadata TSV; the store is
used by get_terminology() afterwards."""

from __future__ import annotations

import json

import pytest

from autocoder.codes import get_terminology, reset_terminology
from autocoder.codes.store import ImportFormatError, detect_format, import_file, load_store, store_path
from autocoder.errors import UnknownCodeError


def test_store_import_icd10_release_text_without_dots(fresh_home, fixtures_dir):
    rep = import_file(fixtures_dir / "icd10_release.txt")
    assert (rep.system, rep.format, rep.n_codes) == ("icd10", "text", 9)
    assert rep.n_structural == 2 and rep.n_skipped == 0                   # chapter and block rows
    assert rep.n_with_5th == 3
    assert store_path("icd10").is_file() and str(fresh_home) in rep.store_path
    reset_terminology()
    icd = get_terminology().icd10
    assert icd.normalise_with_warning("J96.00") == ("J96.00", None)     # kept: the UK table knows it
    assert icd.normalise("J9601") == "J96.01"
    assert icd.title("J96.01").startswith("Acute respiratory failure, type II")
    assert icd.is_valid("U07.3") and icd.chapter("U07.3") == "XXII"    # UK-only code
    assert not icd.is_leaf("J96.0") and icd.who_children("J96.0") == []
    assert icd.display("J96.00") == "J96.00"
    assert icd.is_valid("U06.9") and icd.parent("U06.9") == "U06" and icd.chapter("U06.9") == "XXII"
    assert not icd.is_leaf("U06")                  # category created for a code the WHO table lacks


def test_store_import_opcs4_release_text_with_dots_and_header(fresh_home, fixtures_dir):
    rep = import_file(fixtures_dir / "opcs4_release.txt")
    assert (rep.system, rep.format, rep.n_codes, rep.n_skipped) == ("opcs4", "text", 6, 0)
    assert rep.n_categories == 1
    reset_terminology()
    opcs = get_terminology().opcs4
    assert opcs.strict
    assert opcs.title("B04.1") == "Pituitary lesion excision (fixture)"
    assert opcs.title("E85.1") == "Ventilation, invasive (fixture)"     # imported title wins
    assert opcs.is_valid("W37.1")                                        # core codes stay
    assert opcs.category_title("E85.2") == "Ventilation support (fixture category)"
    with pytest.raises(UnknownCodeError, match="imported OPCS-4 table"):
        opcs.normalise("B04.9")


def test_store_import_csv_code_title(fresh_home, fixtures_dir):
    rep = import_file(fixtures_dir / "opcs4_codes.csv")
    assert (rep.system, rep.format, rep.n_codes) == ("opcs4", "csv", 5)
    data = load_store("opcs4")
    assert data["codes"]["W37.1"]["t"] == "Hip replacement - cemented (fixture)"


def test_store_import_csv_hes_column_names(fresh_home, fixtures_dir):
    rep = import_file(fixtures_dir / "hes_style_icd10.csv")
    assert (rep.system, rep.format) == ("icd10", "csv")
    assert set(load_store("icd10")["codes"]) == {"I10", "J44.1", "R69", "U07.3", "N39.0"}
    rep = import_file(fixtures_dir / "hes_style_opcs4.csv")
    assert (rep.system, rep.n_codes) == ("opcs4", 4)


def test_store_import_system_override(fresh_home, fixtures_dir):
    rep = import_file(fixtures_dir / "opcs4_codes.csv", system="opcs4")
    assert rep.system == "opcs4"
    with pytest.raises(ImportFormatError):
        import_file(fixtures_dir / "opcs4_codes.csv", system="icd9")


def test_store_import_metadata_tsv_gives_uk_fifth_characters_and_limits(fresh_home, fixtures_dir):
    rep = import_file(fixtures_dir / "icd10_metadata.tsv")
    assert (rep.system, rep.format) == ("icd10", "nhs-icd10-metadata")
    assert rep.n_codes == 16 and rep.n_skipped == 0 and rep.n_structural == 1   # block row A00-A09
    assert rep.n_with_5th == 3 and rep.n_with_sex == 3 and rep.n_with_age == 3   # 0/0/999 = no limits
    reset_terminology()
    term = get_terminology()
    assert term.uk_metadata_loaded
    assert term.icd10.normalise("J96.00") == "J96.00"
    assert term.icd10.title("J96.00") == "Acute respiratory failure, type I [hypoxic]"
    assert term.sex_limit("C61") == "M" and term.sex_limit("O80.0") == "F"
    assert term.age_limits("O80.0") == (10, 55)
    assert term.age_limits("P07.3") == (0, 1)               # metadata overrides the built-in 0-0
    assert term.age_limits("R54") == (65, 130)
    assert term.sex_limit("I10") is None and term.age_limits("I10") is None
    assert term.icd10.item("H36.0").usage == "asterisk"
    assert term.icd10.item("G01").usage == "asterisk"            # mark on the code itself
    assert term.icd10.title("E11.9") == "Type 2 diabetes mellitus - Without complications"
    assert term.icd10.title("E10") == "Type 1 diabetes mellitus"      # CODE "E10.-" is the category
    assert term.age_limits("E11.9") is None and term.sex_limit("E11.9") is None
    # codes absent from the UK file keep the built-in limits
    assert term.sex_limit("N70.0") == "F"


def test_store_detect_format_and_errors(fresh_home, tmp_path):
    assert detect_format("CODE\tALT_CODE\tUSAGE\tDESCRIPTION\n") == "nhs-icd10-metadata"
    assert detect_format("A011\tSomething\n") == "text"
    assert detect_format("opcs4_code,description\n") == "csv"
    bad = tmp_path / "bad.txt"
    bad.write_text("just some words\nwithout codes\n")
    with pytest.raises(ImportFormatError):
        import_file(bad)
    with pytest.raises(FileNotFoundError):
        import_file(tmp_path / "absent.tsv")


def test_store_unreadable_store_is_ignored(fresh_home):
    store_path("icd10").write_text("{not json")
    assert load_store("icd10") is None
    reset_terminology()
    assert get_terminology().icd10.uk_source is None
    store_path("icd10").write_text(json.dumps({"codes": {}}))
    assert load_store("icd10") == {"codes": {}}


def test_store_import_hes_csvs(fresh_home, shared_data):
    rep = import_file(shared_data / "hes" / "opcs4_codes_hes_usage.csv")
    assert rep.system == "opcs4" and rep.n_codes > 9000
    rep = import_file(shared_data / "hes" / "icd10_codes_hes_usage.csv")
    assert rep.system == "icd10" and rep.n_codes > 12000
    reset_terminology()
    term = get_terminology()
    assert term.opcs4.strict and term.opcs4.is_valid("B04.1")
    assert term.icd10.normalise("I10X") == "I10"
    assert term.icd10.is_valid("U07.3")
    assert term.icd10.title("U07.1") == "COVID-19, virus identified"   # HES placeholder title ignored
    assert term.sex_limit("C61") == "M"          # no metadata in HES: built-in limits still apply


def test_store_detect_system_from_titles(fresh_home, tmp_path):
    # 4-character dotted codes exist in both systems: the titles decide
    icd = tmp_path / "icd.txt"
    icd.write_text("A01.1\tParatyphoid fever A\nJ44.1\tChronic obstructive pulmonary disease with acute "
                   "exacerbation\nE85.1\tNeuropathic heredofamilial amyloidosis\n")
    assert import_file(icd).system == "icd10"
    opcs = tmp_path / "opcs.txt"
    opcs.write_text("A01.1\tHemispherectomy of the brain\nJ44.1\tSomething about the rectum\n"
                    "E85.1\tInvasive ventilation\n")
    assert import_file(opcs).system == "opcs4"


def test_store_import_keeps_national_usage_counts(fresh_home, tmp_path):
    f = tmp_path / "usage.csv"
    f.write_text("opcs4_code,description,total_usage,years,last_year\n"
                 "V296,Primary microdiscectomy of cervical intervertebral disc,323,12,2023-04-01\n"
                 "V337,Primary microdiscectomy of lumbar intervertebral disc,37116,12,2023-04-01\n"
                 "V338,Other specified primary excision of lumbar intervertebral disc,,12,2023-04-01\n")
    import_file(f)
    codes = load_store("opcs4")["codes"]
    assert codes["V33.7"]["n"] == 37116 and "n" not in codes["V33.8"]
    op = get_terminology().opcs4
    assert (op.usage_count("V33.7"), op.usage_count("V29.6"), op.usage_count("W37.1")) == (37116, 323, None)
