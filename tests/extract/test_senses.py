"""Ambiguous abbreviations read by the cue words on their own line (autocoder.extract.senses)."""

from __future__ import annotations

import pytest

from autocoder.errors import ConfigError
from autocoder.extract.senses import SenseRules
from autocoder.schemas import Candidate, Entity

SENSES = (
    "# comment\n"
    "IOL\topcs4\tC75.1\tphaco|cataract|\\blens\\b\n"
    "IOL\topcs4\tR14.1\tlabou?r|propess\n"
    "ICD\topcs4\tT12.4\tdrain|\\d+\\s*Fr\\b|seldinger\n"
    "ICD\topcs4\t-\tdefibrillat|\\bVT\\b\n"
)


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "senses.tsv"
    p.write_text(SENSES, encoding="utf-8")
    return SenseRules.from_file(p)


def mention(text: str, phrase: str, *codes: str) -> Entity:
    s = text.index(phrase)
    return Entity(text=phrase, start=s, end=s + len(phrase), label="PROCEDURE",
                  candidates=[Candidate(code=c, system="opcs4", score=0.9 - 0.1 * i) for i, c in enumerate(codes)])


def coded(rules: SenseRules, text: str, phrase: str, *codes: str) -> list[str]:
    [e] = rules.apply([mention(text, phrase, *codes)], text, lambda c, s: "")
    return [c.code for c in e.candidates]


def test_senses_the_cue_on_the_mentions_line_picks_the_meaning(rules):
    assert coded(rules, "Procedure: L phaco + IOL in the bag.", "IOL", "R14.1") == ["C75.1"]
    assert coded(rules, "Admitted at 41+3 for IOL with propess.", "IOL", "R14.1") == ["R14.1"]
    assert coded(rules, "ED: ICD inserted (12 Fr Seldinger).", "ICD inserted", "T12.4") == ["T12.4"]


def test_senses_a_cue_on_another_line_does_not_count(rules):
    text = "Cataract surgery 2019.\nPlan: IOL tomorrow."
    assert coded(rules, text, "IOL", "R14.1") == []


def test_senses_an_uncoded_sense_keeps_the_mentions_own_other_codes(rules):
    # "ICD insertion" beside VT keeps its defibrillator code; the drain sense's category goes
    assert coded(rules, "Dual chamber ICD insertion for VT.", "ICD insertion", "K59.9", "T12.2") == ["K59.9"]
    assert coded(rules, "PMH: VT arrest, ICD.", "ICD", "T12.4", "T12.3") == []


def test_senses_a_longer_mention_loses_only_the_other_senses_codes(rules):
    text = "Procedure: L phacoemulsification + IOL in the bag."
    assert coded(rules, text, "L phacoemulsification + IOL", "C71.2", "R14.1") == ["C71.2"]


def test_senses_lowercase_words_are_not_the_abbreviation(rules):
    assert coded(rules, "the icd drain", "icd drain", "T12.4") == ["T12.4"]


def test_senses_file_errors_name_the_line(tmp_path):
    p = tmp_path / "bad.tsv"
    p.write_text("IOL\topcs4\tC75.1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.tsv:1: expected 4"):
        SenseRules.from_file(p)
    p.write_text("IOL\topcs9\tC75.1\tphaco\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="system must be"):
        SenseRules.from_file(p)
    p.write_text("IOL\topcs4\tC75.1\tphaco(\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid regex"):
        SenseRules.from_file(p)


def test_senses_codes_missing_from_the_tables_are_dropped_and_reported(rules):
    missing = rules.keep_codes(lambda code, system: code != "C75.1")
    assert missing == ["IOL C75.1 (opcs4)"]
    assert coded(rules, "L phaco + IOL.", "IOL", "R14.1") == []


def test_senses_the_shipped_file_loads_and_reads_a_chest_drain():
    from autocoder.extract.config import load_config

    cfg = load_config(None)
    rules = SenseRules.from_file(cfg.path(cfg.matcher.senses))
    text = "ED 12/07: ICD inserted (12 Fr Seldinger, US guided, L 5th ICS MAL)."
    assert coded(rules, text, "ICD inserted", "T12.4") == ["T12.4"]
    assert coded(rules, "Procedure: phaco + IOL (21.5 D).", "IOL", "R14.1") == ["C75.1"]


def test_senses_the_shipped_file_codes_a_coronary_angiogram_only_on_a_cardiology_line():
    from autocoder.extract.config import load_config

    cfg = load_config(None)
    rules = SenseRules.from_file(cfg.path(cfg.matcher.senses))
    leg = "Right femoral embolectomy; on-table angiogram showed satisfactory run-off."
    assert coded(rules, leg, "angiogram", "K63.6", "K63.4") == []
    assert coded(rules, "Coronary angiography + PCI to the LAD (right radial).", "angiography", "K63.6") == ["K63.6"]
    assert coded(rules, "Imaging: CT angiogram - femoral occlusion.", "CT angiogram", "U11.4", "K63.6") == ["U11.4"]


def test_senses_a_lower_case_term_is_a_word_matched_in_any_case(tmp_path):
    p = tmp_path / "senses.tsv"
    p.write_text(SENSES + "angiogram\topcs4\tK63.6\tcoronar\nangiogram\topcs4\t-\t-\n", encoding="utf-8")
    rules = SenseRules.from_file(p)
    assert coded(rules, "Angiogram: satisfactory run-off.", "Angiogram", "K63.6", "U11.4") == ["U11.4"]
    assert coded(rules, "Coronary ANGIOGRAM: LAD disease.", "ANGIOGRAM", "K63.4") == ["K63.6"]
