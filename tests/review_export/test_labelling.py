from pathlib import Path

import pytest

from autocoder.errors import ConfigError
from review_export import labelling as L


def test_labelling_default_config_has_every_control_and_no_data_key_clash():
    xml = L.load_label_config()
    for name in (*L.CONTROLS, L.TEXT_TAG):
        assert f'name="{name}"' in xml
    assert 'value="$dx_options"' in xml and 'value="$proc_options"' in xml


def test_labelling_config_rejects_control_named_like_data_key(tmp_path: Path):
    xml = L.load_label_config().replace('name="note"', 'name="text"').replace("</View>", "")
    p = tmp_path / "bad.xml"
    p.write_text(xml + '<TextArea name="note" toName="letter"/></View>')
    with pytest.raises(ConfigError, match="equal task data keys"):
        L.load_label_config(p)


def test_labelling_config_names_missing_control(tmp_path: Path):
    p = tmp_path / "bad.xml"
    p.write_text('<View><Text name="letter" value="$text"/></View>')
    with pytest.raises(ConfigError, match="missing controls"):
        L.load_label_config(p)


@pytest.mark.parametrize("raw,system,want", [("j441", "icd10", "J44.1"), ("I10.X", "icd10", "I10"),
                                             ("I10X", "icd10", "I10"), ("E851", "opcs4", "E85.1"),
                                             ("E85,1", "opcs4", "E85.1")])
def test_labelling_normalise_code_accepts_uk_forms(raw, system, want):
    assert L.normalise_code(raw, system) == want


def test_labelling_parse_typed_codes_star_marks_primary_and_titles_are_ignored():
    t = L.parse_typed_codes("I48.9 atrial fibrillation, *k57.3; I48.9", "icd10")
    assert t.codes == ["I48.9", "K57.3"] and t.primary == "K57.3" and t.problems == []


def test_labelling_parse_typed_codes_reports_text_without_codes():
    t = L.parse_typed_codes("atrial fibrillation", "icd10")
    assert t.codes == [] and "no icd10 code" in t.problems[0]


def test_labelling_option_string_round_trips_code():
    assert L.option_code(L.option_string("J44.1", "COPD with acute exacerbation")) == "J44.1"
    assert L.option_code(L.option_string("J18.9")) == "J18.9"
