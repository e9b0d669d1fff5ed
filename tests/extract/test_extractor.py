import pytest

from autocoder.schemas import Candidate, Entity

LETTER = ("DISCHARGE SUMMARY\nPresenting complaint: SOB++ and productive cough x3/7.\n"
          "PMH:\n- COPD\n- T2DM\n- Appendicectomy 1989\n"
          "Diagnosis: Infective exacerbation of COPD. Femoral neck fracture.\n"
          "Procedures: NIV\nPlan: GP to review in 2/52\n")


def test_extractor_offsets_index_original_text(extractor):
    text = "  \tPMH:\r\n- COPD   (2009)\n\nDiagnosis:\u00a0#NOF — for DHS.\n"
    ents = extractor.extract(text)
    assert ents
    for e in ents:
        assert text[e.start:e.end] == e.text


def test_extractor_converter_shape(extractor):
    ents = extractor.extract(LETTER)
    assert all(isinstance(e, Entity) for e in ents)
    by_text = {e.text: e for e in ents}
    e = by_text["Infective exacerbation of COPD"]
    assert e.label == "DIAGNOSIS" and e.section == "diagnosis" and e.assertion == "present"
    assert isinstance(e.candidates[0], Candidate) and e.candidates[0].code == "J44.0"   # infective: with acute LRI
    assert e.candidates[0].system == "icd10" and 0 < e.candidates[0].score <= 1
    assert by_text["NIV"].label == "PROCEDURE" and by_text["NIV"].candidates[0].code == "E85.2"
    assert by_text["SOB"].label == "SYMPTOM"
    assert [e.start for e in ents] == sorted(e.start for e in ents)


def test_extractor_rare_code_from_titles_only(extractor):
    """Codes in no synonym list and no training data come from the ICD-10 titles (all leaves)."""
    ents = extractor.extract("Diagnosis: Kawasaki disease. Also hyperemesis gravidarum with dehydration.")
    codes = {e.text: [c.code for c in e.candidates[:5]] for e in ents}
    assert "M30.3" in codes["Kawasaki disease"]
    assert any("O21" in c for cs in codes.values() for c in cs)


def test_extractor_title_variant_and_misspelling(extractor):
    ents = extractor.extract("Diagnosis: femoral neck fracture. Pnuemonia.")
    codes = {e.text: e.candidates[0].code for e in ents}
    assert codes["femoral neck fracture"] == "S72.0"
    assert codes["Pnuemonia"] == "J18.9"


def test_extractor_candidates_for_unmatched_text(extractor):
    cands = extractor.candidates("acute kidney injury stage 2", "DIAGNOSIS")
    assert cands[0].code == "N17.9"
    assert extractor.candidates("total hip replacement", "PROCEDURE")[0].system == "opcs4"


def test_extractor_extract_many_matches_extract(extractor):
    texts = [LETTER, "No chest pain.", "Plain text with nothing clinical."]
    many = extractor.extract_many(texts, batch_size=2)
    assert many == [extractor.extract(t) for t in texts]
    assert many[2] == []


def test_extractor_case_sensitive_abbreviations(extractor):
    ents = extractor.extract("He was as well as could be. Known AS.")
    assert [e.text for e in ents] == ["AS"]


def test_extractor_extract_many_in_worker_processes_matches_extract(extractor):
    texts = [LETTER, "No chest pain.", "Plain text with nothing clinical.", "Known AS. ?PE"]
    try:
        many = extractor.extract_many(texts, batch_size=1, n_process=2)
        assert len(extractor.worker_pids()) == 2
    finally:
        extractor.close()
    assert extractor.worker_pids() == []
    assert many == [extractor.extract(t) for t in texts]


def test_extractor_processes_from_environment(extractor, monkeypatch):
    from autocoder.errors import ConfigError
    from autocoder.extract.extractor import PROCESSES_ENV, _processes

    monkeypatch.setenv(PROCESSES_ENV, "2")
    assert _processes(None) == 2 and _processes(1) == 1
    monkeypatch.setenv(PROCESSES_ENV, "two")
    with pytest.raises(ConfigError, match=PROCESSES_ENV):
        _processes(None)


def test_extractor_relabel_skips_fuzzy_search_safely(extractor):
    """_relabel looks up phrase hits only: a fuzzy hit can never be the >= 0.9 exact top it needs."""
    for text in ("COPD", "femoral neck fracture", "Pnuemonia", "OA right hip", "chest pain", "THR", "gastric ulser"):
        full = extractor._ranked(text, None)
        fuzzy_scores = [c.score for c in full if c.source == "matcher:fuzzy"]
        assert all(s < 0.9 for s in fuzzy_scores)
        exact = extractor._ranked(text, None, fuzzy=False)
        keep = [c for c in full if c.source.endswith(("exact", "trimmed")) and c.score >= 0.9]
        assert [c.code for c in exact if c.score >= 0.9][:1] == [c.code for c in keep][:1]


def test_extractor_context_in_entity_sentences_matches_medspacy(extractor):
    """ConText matches cues only in sentences holding an entity: same assertions as medspaCy's own
    path over the whole letter (cues in entity-free sentences, an entity across a sentence break)."""
    text = ("PMH: no known allergies. Previous MI 2010. Mother had breast ca.\nNo chest pain. "
            "?PE - CTPA negative. Plan: if febrile consider sepsis. Denies vomiting.\n"
            "Appendicectomy as a child. Lap. cholecystectomy as a child. Nil else.\nDiagnosis: CAP, AKI.")
    fast = extractor.extract(text)
    ctx = extractor.context
    assert ctx._matchers() is not None        # the restricted path is the one in use
    saved = ctx._parts
    try:
        ctx._parts = None                     # force medspaCy's own ConText call
        slow = extractor.extract(text)
    finally:
        ctx._parts = saved
    assert [(e.text, e.assertion) for e in fast] == [(e.text, e.assertion) for e in slow]
    assert {e.assertion for e in fast} >= {"negated", "historical", "family"}


def test_ner_span_that_swallowed_a_trailing_negation_cue_is_cut_before_it(clinical_nlp):
    from spacy.tokens import Span

    from autocoder.extract.extractor import Extractor

    doc = clinical_nlp("GCS 15 - CT head not indicated.")
    span = Span(doc, 3, 7, label="PROCEDURE")        # "CT head not indicated"
    assert Extractor._repair(doc, span).text == "CT head"
    doc = clinical_nlp("Normal pressure hydrocephalus.")
    assert Extractor._repair(doc, Span(doc, 0, 3, label="DIAGNOSIS")).text == "Normal pressure hydrocephalus"


def test_ner_span_running_over_a_full_stop_is_split_into_its_sentences(clinical_nlp):
    from spacy.tokens import Span

    from autocoder.extract.extractor import Extractor

    doc = clinical_nlp("COPD GOLD 3 / group E. HTN")
    parts = Extractor._split_at_sentences(doc, Span(doc, 0, len(doc), label="DIAGNOSIS"))
    assert [p.text for p in parts] == ["COPD GOLD 3 / group E.", "HTN"]


def test_parenthetical_note_does_not_outrank_the_mention_itself(extractor):
    ranked = extractor.candidates("hypertension (amlodipine 5 mg - continued)", "DIAGNOSIS")
    assert ranked[0].code == "I10"


@pytest.mark.parametrize("text", ["The ECG showed ST depression in the lateral leads.",
                                  "ECG: ST-segment depression V4-6.", "T wave inversion in V1-3."])
def test_ecg_st_depression_is_not_the_mood_disorder(extractor, text):
    assert not any(c.code.startswith("F3") for e in extractor.extract(text) for c in e.candidates)


def test_depression_itself_is_still_found(extractor):
    ents = extractor.extract("Past history of depression.")
    assert any(c.code.startswith("F32") for e in ents for c in e.candidates[:3])


@pytest.mark.parametrize("text,code", [("Perforated anterior duodenal ulcer (NSAID-related)", "K26.5"),
                                       ("posterior gastric ulcer", "K25.9")])
def test_qualifier_inside_a_mention_is_dropped_to_reach_a_known_phrase(extractor, text, code):
    top = extractor.candidates(text, "DIAGNOSIS")[0]
    assert (top.code, top.score >= 0.9) == (code, True)


def test_extractor_analyte_with_a_value_is_a_measurement_not_a_condition():
    """'SBP' is spontaneous bacterial peritonitis, but 'SBP <120' is a blood pressure; a drug with its dose
    named as an operation ('Alteplase 0.9 mg/kg', X83.3) stays."""
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    texts = [e.text for e in ex.extract("Labetalol infusion to SBP <120. Admitted with SBP and ascites.")]
    assert texts.count("SBP") == 1
    assert any(e.label == "PROCEDURE" for e in ex.extract("Alteplase 0.9mg/kg at 08:58."))


def test_extractor_name_of_a_test_is_not_the_disease():
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    assert not [e for e in ex.extract("Myositis panel sent. Coeliac screen negative.") if e.label == "DIAGNOSIS"]
    assert [e.text for e in ex.extract("Diagnosis: myositis.")] == ["myositis"]


def test_extractor_repair_cuts_an_ner_span_before_a_bracket_that_never_closes_nearby(clinical_nlp):
    from spacy.tokens import Span

    from autocoder.extract.extractor import Extractor

    doc = clinical_nlp("L total knee replacement (Attune cruciate-retaining implant with patella left native)")
    span = Span(doc, 0, 7, label="PROCEDURE")           # what the NER tagged: "... replacement (Attune cruciate"
    assert "(" in span.text
    assert Extractor._repair(doc, span).text == "L total knee replacement"
    near = clinical_nlp("Sepsis (urinary source) treated")
    assert Extractor._repair(near, Span(near, 0, 3, label="DIAGNOSIS")).text == "Sepsis (urinary source)"


def test_extractor_a_condition_span_ends_before_on_and_its_drug(extractor, clinical_nlp):
    from spacy.tokens import Span

    doc = clinical_nlp("permanent atrial fibrillation on apixaban 5 mg BD")
    assert extractor._cut_at_drug(doc, Span(doc, 0, 6, label="DIAGNOSIS")).text == "permanent atrial fibrillation"
    doc = clinical_nlp("AF on long-term warfarin")
    assert extractor._cut_at_drug(doc, Span(doc, 0, len(doc), label="DIAGNOSIS")).text == "AF"
    doc = clinical_nlp("consolidation on CXR")      # 'on' + not a drug: the span is left alone
    assert extractor._cut_at_drug(doc, Span(doc, 0, 3, label="DIAGNOSIS")).text == "consolidation on CXR"


def test_extractor_repair_cuts_a_date_to_come_and_the_anaesthetic_off_an_operation(clinical_nlp):
    from spacy.tokens import Span

    from autocoder.extract.extractor import Extractor

    for text, want in (("cystoscopy in 3-4 months", "cystoscopy"), ("TURP next month", "TURP"),
                       ("lower segment caesarean section under spinal anaesthesia", "lower segment caesarean section"),
                       ("OGD under sedation", "OGD"), ("colonoscopy as an outpatient", "colonoscopy"),
                       ("TURBT under GA will be booked", "TURBT"),
                       ("L4/5 microdiscectomy via left-sided approach", "L4/5 microdiscectomy")):
        doc = clinical_nlp(text)
        assert Extractor._repair(doc, Span(doc, 0, len(doc), label="PROCEDURE")).text == want, text


def test_extractor_procedure_with_a_date_to_come_is_hypothetical_and_a_done_one_is_not():
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    text = ("He underwent OGD which showed a duodenal ulcer.\nPlan:\n- repeat OGD in 6-8 weeks\n"
            "- cystoscopy in 2/52\n- flexible sigmoidoscopy as OP\nWe will arrange a colonoscopy.")
    procs = [(e.text, e.hypothetical) for e in ex.extract(text) if e.label == "PROCEDURE"]
    assert procs[0] == ("OGD", False)
    assert len(procs) >= 4 and all(h for _, h in procs[1:]), procs


@pytest.mark.parametrize("text", ["Seen by Mr D. Jones.", "Seen at age 3 months.", "MRC 3, GOLD 3 / group E.",
                                  "Total cholesterol 5.9 mmol/L.", "ABG on 2 L NC: pH 7.31.",
                                  "Wears bilateral hearing aids.", "Memory worse with age.", "Low K diet advised.",
                                  "2 units crossmatched."])
def test_extractor_shapes_that_are_never_conditions_are_dropped(text):
    """configs/extract/not_entity_patterns.txt: a person, an age, a scale value, a lipid result, a gas."""
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    assert not [e.text for e in ex.extract(text) if e.label == "DIAGNOSIS"], text


def test_extractor_shape_patterns_keep_the_conditions_that_look_alike():
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    codes = {c.code for e in ex.extract("Known MR and raised cholesterol.") for c in e.candidates[:1]}
    assert {"I34.0", "E78.0"} <= codes, codes
    for kept in ("AGE", "MR", "high cholesterol", "COPD GOLD 3", "acute pancreatitis", "Mrs", "Ca lung"):
        assert ex._never.fullmatch(kept) is None, kept
    for dropped in ("Weekly Ca", "corrected Ca 2.91", "repeat Ca",   # calcium checks, not cancers
                    "Hit back of head on pavement"):                  # a knock, not HIT
        assert ex._never.fullmatch(dropped) is not None, dropped


def test_extractor_a_bad_shape_pattern_is_a_config_error_naming_the_line(tmp_path):
    from autocoder.errors import ConfigError
    from autocoder.extract.config import load_config
    from autocoder.extract.extractor import _never_entity_pattern

    cfg = load_config()
    bad = tmp_path / "patterns.txt"
    bad.write_text("# comment\nMr\\.? [A-Z]\n(unclosed\n", encoding="utf-8")
    cfg.matcher.not_entity_patterns = str(bad)
    with pytest.raises(ConfigError, match=r"patterns.txt:3"):
        _never_entity_pattern(cfg)


def test_extractor_repair_ends_a_span_at_a_colon_that_opens_its_finding(clinical_nlp):
    from spacy.tokens import Span

    from autocoder.extract.extractor import Extractor

    doc = clinical_nlp("OGD 23:10: meat bolus mid-oesophagus")
    assert Extractor._repair(doc, Span(doc, 0, len(doc), label="PROCEDURE")).text == "OGD 23:10"
    doc = clinical_nlp("Type 2 diabetes: diet controlled")
    assert Extractor._repair(doc, Span(doc, 0, len(doc), label="DIAGNOSIS")).text == "Type 2 diabetes"


def test_extractor_joins_a_name_the_ner_broke_at_a_bracket_but_not_two_listed_conditions(extractor, clinical_nlp):
    text = "Giant cell (temporal) arteritis with polymyalgic symptoms"
    doc = clinical_nlp(text)
    cut = text.index(" arteritis")
    parts = [doc.char_span(0, cut, label="DIAGNOSIS"), doc.char_span(cut + 1, len(text), label="DIAGNOSIS")]
    assert [s.text for s in extractor._join_split_names(doc, parts)] == [text]
    doc = clinical_nlp("asthma hypertension")
    parts = [doc.char_span(0, 6, label="DIAGNOSIS"), doc.char_span(7, 19, label="DIAGNOSIS")]
    assert [s.text for s in extractor._join_split_names(doc, parts)] == ["asthma", "hypertension"]


def test_extractor_a_bracket_holding_only_a_qualifier_qualifies_the_name(extractor):
    assert extractor.candidates("AF (permanent)", "DIAGNOSIS")[0].code == "I48.2"
    assert extractor.candidates("AF (paroxysmal)", "DIAGNOSIS")[0].code == "I48.0"
    assert extractor.candidates("hypertension (amlodipine)", "DIAGNOSIS")[0].code == "I10"   # a drug is not one


def test_extractor_merge_joins_ner_pieces_of_a_known_term():
    """The NER cut "Giant cell arteritis with polymyalgic symptoms" in two ("Giant cell" was I40.1, giant cell
    myocarditis); the exact synonym "giant cell arteritis" crossing the cut makes the pieces one mention. A fuzzy
    match or a word between the pieces does not join them."""
    import spacy
    from spacy.tokens import Span

    from autocoder.extract.extractor import Extractor

    doc = spacy.blank("en")("Giant cell arteritis with polymyalgic symptoms")
    ner = [Span(doc, 0, 2, label="DIAGNOSIS"), Span(doc, 2, 6, label="DIAGNOSIS")]
    merged, sources = Extractor._merge(doc, ner, [(Span(doc, 0, 3, label="DIAGNOSIS"), "synonym")])
    assert [s.text for s in merged] == ["Giant cell arteritis with polymyalgic symptoms"]
    assert sources[(0, len(doc.text))] == "ner+matcher"
    merged, _ = Extractor._merge(doc, ner, [(Span(doc, 0, 3, label="DIAGNOSIS"), "fuzzy")])
    assert [s.text for s in merged] == ["Giant cell", "arteritis with polymyalgic symptoms"]
    gap = [Span(doc, 0, 2, label="DIAGNOSIS"), Span(doc, 3, 6, label="DIAGNOSIS")]
    merged, _ = Extractor._merge(doc, gap, [(Span(doc, 1, 4, label="DIAGNOSIS"), "synonym")])
    assert [s.text for s in merged] == ["Giant cell", "with polymyalgic symptoms"]


def test_extractor_merge_joins_ner_pieces_cut_at_the_hyphen_of_a_word():
    """'R acute primary angle-closure glaucoma' came out as 'R acute primary angle' (H40.1 open-angle at 0.45)
    and 'closure glaucoma'; a known term over the hyphen joins them. A spaced dash still separates."""
    import spacy
    from spacy.tokens import Span

    from autocoder.extract.extractor import Extractor

    doc = spacy.blank("en")("primary angle-closure glaucoma")
    assert [t.text for t in doc] == ["primary", "angle", "-", "closure", "glaucoma"]
    ner = [Span(doc, 0, 2, label="DIAGNOSIS"), Span(doc, 3, 5, label="DIAGNOSIS")]
    merged, _ = Extractor._merge(doc, ner, [(Span(doc, 1, 5, label="DIAGNOSIS"), "title")])
    assert [s.text for s in merged] == ["primary angle-closure glaucoma"]
    doc = spacy.blank("en")("primary angle - closure glaucoma")
    ner = [Span(doc, 0, 2, label="DIAGNOSIS"), Span(doc, 3, 5, label="DIAGNOSIS")]
    merged, _ = Extractor._merge(doc, ner, [(Span(doc, 1, 5, label="DIAGNOSIS"), "title")])
    assert [s.text for s in merged] == ["primary angle", "closure glaucoma"]


def test_extractor_merge_runs_a_ner_span_on_to_the_end_of_a_known_term_it_stopped_inside():
    """The NER took 'Left malignant otitis' (H66.9 otitis media) out of 'Left malignant otitis externa'; the
    exact title 'malignant otitis externa' that starts inside it and ends later carries it to 'externa'.
    A fuzzy match does not."""
    import spacy
    from spacy.tokens import Span

    from autocoder.extract.extractor import Extractor

    doc = spacy.blank("en")("Left malignant otitis externa")
    ner = [Span(doc, 0, 3, label="DIAGNOSIS")]
    merged, sources = Extractor._merge(doc, ner, [(Span(doc, 1, 4, label="DIAGNOSIS"), "title")])
    assert [s.text for s in merged] == ["Left malignant otitis externa"]
    assert sources[(0, len(doc.text))] == "ner+matcher"
    merged, _ = Extractor._merge(doc, ner, [(Span(doc, 1, 4, label="DIAGNOSIS"), "fuzzy")])
    assert [s.text for s in merged] == ["Left malignant otitis"]


def test_extractor_a_condition_triggered_by_another_names_both(extractor):
    """'X triggered by Y' / 'precipitated by' join two known conditions like 'X due to Y'."""
    top = [c.code for c in extractor.candidates("Addisonian crisis triggered by norovirus gastroenteritis")[:2]]
    assert top == ["E27.2", "A08.1"]
    top = [c.code for c in extractor.candidates("Addisonian crisis precipitated by norovirus gastroenteritis")[:2]]
    assert top == ["E27.2", "A08.1"]


def test_extractor_a_spinal_level_before_a_condition_is_only_a_modifier(extractor):
    cands = extractor.candidates("L3/4 pyogenic discitis with adjacent vertebral osteomyelitis")
    assert cands[0].code == "M46.3" and cands[0].score >= 0.9


def test_extractor_a_mention_tagged_procedure_whose_only_opcs_match_is_a_site_reads_as_the_diagnosis(extractor):
    """'open fracture R tibial shaft' tagged PROCEDURE matches only the site code Z77.2 (shaft of tibia):
    a site is no operation, so the fracture S82.2 it names wins the label."""
    from spacy.tokens import Span

    doc = extractor.nlp.make_doc("Injury: open fracture R tibial shaft (Gustilo-Anderson IIIA).")
    span = Span(doc, 2, 7, label="PROCEDURE")
    assert span.text == "open fracture R tibial shaft"
    assert extractor._ranked(span.text, "PROCEDURE")[0].code == "Z77.2"
    assert extractor._relabel(span).label_ == "DIAGNOSIS"


def test_extractor_a_section_heading_the_ner_tagged_is_not_a_mention(extractor):
    """'Mechanism:' heads the injury story of a trauma letter; tagged DIAGNOSIS it became D89.8 (disorder
    of the immune mechanism) and the primary. 'Injury:' is the diagnosis heading of such letters."""
    from spacy.tokens import Span

    text = "Mechanism: slipped and fell.\nInjury: Colles fracture of the left wrist."
    doc = extractor.nlp(text)
    doc.ents = [Span(doc, 0, 1, label="DIAGNOSIS")]
    ents = extractor._post(doc, text)
    assert "Mechanism" not in [e.text for e in ents]
    assert [(e.text, e.section) for e in ents if e.text.startswith("Colles")] == [("Colles fracture", "diagnosis")]


def test_extractor_merge_starts_a_ner_span_at_the_start_of_a_known_term_it_began_inside():
    """The NER took 'hypertension both eyes' (I10) out of 'Ocular hypertension both eyes'; the exact term
    'Ocular hypertension' (H40.0) that ends inside it and starts earlier carries it back to 'Ocular'."""
    import spacy
    from spacy.tokens import Span

    from autocoder.extract.extractor import Extractor

    doc = spacy.blank("en")("- Ocular hypertension both eyes, on latanoprost")
    ner = [Span(doc, 2, 5, label="DIAGNOSIS")]
    merged, _ = Extractor._merge(doc, ner, [(Span(doc, 1, 3, label="DIAGNOSIS"), "synonym")])
    assert [s.text for s in merged] == ["Ocular hypertension both eyes"]
    merged, _ = Extractor._merge(doc, ner, [(Span(doc, 1, 3, label="DIAGNOSIS"), "fuzzy")])
    assert [s.text for s in merged] == ["hypertension both eyes"]


def test_extractor_one_known_word_is_no_fuzzy_name_but_a_misspelt_one_may_be(extractor):
    """'Immune' overlaps 'Immune thrombocytopenic purpura' only by a word: no candidate. A close form
    ('hypokalaemic') or a word no title knows (a misspelling) keeps its fuzzy candidates."""
    assert [c for c in extractor.candidates("Immune") if c.source.endswith("fuzzy")] == []
    assert extractor.candidates("arthroplasty")[0].code == "W46.1"     # an operation word names an operation
    assert extractor.candidates("hypokalaemic")[0].code == "E87.6"
    assert extractor.candidates("hypercholesteraemia")[0].code == "E78.0"


def test_extractor_uk_alcohol_related_wordings_and_acute_respiratory_failure(extractor):
    assert extractor.candidates("Alcohol-related cirrhosis")[0].code == "K70.3"
    assert extractor.candidates("alcohol-related fatty liver")[0].code == "K70.0"
    assert extractor.candidates("acute hypercapnic (type 2) respiratory failure")[0].code == "J96.0"
