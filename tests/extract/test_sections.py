import pytest

from autocoder.extract.config import load_config
from autocoder.extract.sections import SECTION_CATEGORIES, SectionDetector, section_at


@pytest.fixture(scope="module")
def detector():
    cfg = load_config()
    return SectionDetector.from_file(cfg.path(cfg.sections.aliases))


@pytest.mark.parametrize("heading,category", [
    ("Presenting complaint:", "presenting_complaint"), ("HPC:", "history"),
    ("Past medical history:", "past_medical_history"), ("PMH", "past_medical_history"),
    ("Diagnosis -", "diagnosis"), ("Impression:", "diagnosis"), ("Procedures:", "procedures"),
    ("Operation:", "procedures"), ("Investigations:", "investigations"), ("TTO:", "medications"),
    ("Medications on discharge:", "medications"), ("Plan:", "plan"), ("GP actions:", "plan"),
    ("Allergies:", "allergies"), ("Social history:", "social_history"), ("FH:", "family_history"),
    ("  * Family history:", "family_history"),
    ("Procedure (day 2):", "procedures"), ("Diagnosis (final):", "diagnosis"),   # a short bracketed note
    ("Secondary:", "secondary_diagnoses"), ("Secondary diagnoses:", "secondary_diagnoses"),
])
def test_sections_headings(detector, heading, category):
    sep = " " if heading.rstrip().endswith((":", "-")) else "\n"   # a bare heading stands alone on its line
    text = f"Dear GP\n{heading}{sep}something here\nmore"
    secs = detector.detect(text)
    assert [s.category for s in secs] == [category]
    assert section_at(secs, text.index("something")).category == category


def test_sections_inline_and_spans(detector):
    text = "PC: SOB. PMH: COPD. Diagnosis: IECOPD"
    secs = detector.detect(text)
    assert [s.category for s in secs] == ["presenting_complaint", "past_medical_history", "diagnosis"]
    assert section_at(secs, text.index("COPD")).category == "past_medical_history"
    assert section_at(secs, text.index("IECOPD")).category == "diagnosis"
    assert section_at(secs, 0).category == "presenting_complaint"
    assert secs[0].end == secs[1].start


def test_sections_capitals_under_an_empty_known_heading_are_its_content(detector):
    """'Primary diagnosis:' then 'RCA STEMI' on its own line: the capitals are the diagnosis, not a new
    heading of category other (the primary's diagnosis section was lost and another code went first)."""
    for text, second in (("Primary diagnosis:\nRCA STEMI\nSecondary dx:\n1) COPD", "secondary_diagnoses"),
                         ("PRIMARY DX\nN-STEMI\nOTHER DIAGNOSES\n- AKI", "diagnosis")):
        secs = detector.detect(text)
        assert [s.category for s in secs] == ["diagnosis", second], text
        assert section_at(secs, text.index("STEMI")).category == "diagnosis"
    # an ALL-CAPS line after a heading that has text of its own still ends the section
    secs = detector.detect("Diagnosis: sepsis\nWARD COURSE NOTES\nnil")
    assert [s.category for s in secs] == ["diagnosis", "other"]


def test_sections_not_fooled_by_sentences(detector):
    text = "History of falls is noted.\nThe plan was discussed"
    assert detector.detect(text) == []


def test_sections_alias_file_uses_known_categories(detector):
    assert set(detector.alias_to_cat.values()) <= set(SECTION_CATEGORIES)


def test_inline_background_in_a_sentence_reads_as_past_medical_history():
    from autocoder.extract.sections import inline_section

    text = "She has a background of gout and IHD and was admitted with chest pain. Known to have AF."
    assert inline_section(text, text.index("gout"), None) == "past_medical_history"
    assert inline_section(text, text.index("IHD"), "history") == "past_medical_history"
    assert inline_section(text, text.index("chest pain"), None) is None          # the admission, not background
    assert inline_section(text, text.index("AF"), None) == "past_medical_history"
    assert inline_section(text, text.index("gout"), "diagnosis") == "diagnosis"   # a heading's meaning wins
    assert inline_section("Admitted with a 3-day history of cough.", 30, None) is None
