"""Terminology: caching, lookup across systems, built-in sex/age limits, title search."""

from __future__ import annotations

import pytest

from autocoder.codes import CodeHit, get_terminology, reset_terminology


@pytest.fixture(scope="module")
def term():
    return get_terminology()


def test_terminology_is_cached_and_resettable(term):
    assert get_terminology() is term
    reset_terminology()
    t2 = get_terminology()
    assert t2 is not term and t2.icd10.normalise("I10X") == "I10"


def test_terminology_lookup_both_systems():
    term = get_terminology()
    hit = term.lookup("I10X")
    assert isinstance(hit, CodeHit) and (hit.code, hit.system, hit.display) == ("I10", "icd10", "I10.X")
    assert term.lookup("E851", system="opcs4").title.lower().startswith("invasive")
    both = term.lookup_all("E85.1")
    assert [h.system for h in both] == ["icd10", "opcs4"]
    assert term.lookup("not a code") is None
    assert term.lookup("A01.1", system="opcs4") is None       # well formed, not in the core table


def test_terminology_builtin_sex_limits():
    term = get_terminology()
    assert term.sex_limit("C61") == "M" and term.sex_limit("N40") == "M" and term.sex_limit("C62.1") == "M"
    assert term.sex_limit("O80") == "F" and term.sex_limit("C53.9") == "F" and term.sex_limit("N95.1") == "F"
    assert term.sex_limit("I10") is None and term.sex_limit("C50.9") is None
    assert term.sex_limit("rubbish") is None


def test_terminology_builtin_age_limits_perinatal_configurable():
    term = get_terminology()
    assert term.age_limits("P07.3") == (0, 0)
    assert term.age_limits("P07.3", perinatal_max_age=1) == (0, 1)
    assert term.age_limits("J44.1") is None


def test_terminology_search_ranks_title_matches():
    term = get_terminology()
    hits = term.search("essential hypertension", system="icd10", limit=5)
    assert hits[0].code == "I10"
    hits = term.search("total hip replacement cement", system="opcs4", limit=3)
    assert hits[0].code == "W37.1"
    assert all(h.system == "opcs4" for h in hits)
    scores = [h.score for h in term.search("pneumonia", limit=20)]
    assert scores == sorted(scores, reverse=True)


def test_terminology_search_prefix_and_plural():
    term = get_terminology()
    assert "J18.9" in [h.code for h in term.search("pneumon unspec", system="icd10", limit=10)]
    assert any(h.code == "K75.1" for h in term.search("drug-eluting stents", system="opcs4", limit=5))


def test_terminology_search_code_query_and_empty():
    term = get_terminology()
    hits = term.search("E85.1", limit=5)
    assert {(h.code, h.system) for h in hits[:2]} == {("E85.1", "icd10"), ("E85.1", "opcs4")}
    assert term.search("   ", limit=5) == []
    with pytest.raises(ValueError):
        term.search("x", system="snomed")


def test_terminology_search_expands_clinical_abbreviations():
    term = get_terminology()
    assert term.search("copd exacerbation", system="icd10", limit=1)[0].code == "J44.1"
    assert term.search("nstemi", system="icd10", limit=1)[0].code == "I21.4"
    assert term.search("cabg", system="opcs4", limit=1)[0].code.startswith("K40")
    assert term.search("hypertension", system="icd10", limit=1)[0].code == "I10"   # bracketed words not penalised


def test_terminology_code_query_lists_subdivisions():
    term = get_terminology()
    codes = [h.code for h in term.search("J44", system="icd10", limit=10)]
    assert codes[0] == "J44" and "J44.1" in codes
    codes = [h.code for h in term.search("W19", system="icd10", limit=20)]
    assert codes[0] == "W19" and "W19.0" in codes and len(codes) == 11    # optional place codes
    assert term.icd10.optional_children("R17") == ["R17.0", "R17.9"]
