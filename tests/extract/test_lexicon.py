import pytest

from autocoder.errors import ConfigError
from autocoder.extract.config import load_config
from autocoder.extract.lexicon import pieces, read_synonyms, title_variants


def test_lexicon_pieces_normalise_spacing_case_and_spelling():
    assert pieces("CKD 3") == pieces("ckd3") == ["ckd", "3"]
    assert pieces("#NOF") == ["#", "nof"]
    assert pieces("Hemorrhage") == ["haemorrhage"]


def test_lexicon_title_variants():
    v = dict(title_variants("Fracture of neck of femur"))
    assert "femoral neck fracture" in v and "neck of femur fracture" in v
    assert "pneumonia" in dict(title_variants("Pneumonia, unspecified"))
    assert "essential hypertension" in dict(title_variants("Essential (primary) hypertension"))
    assert "type 2 diabetes mellitus" in dict(title_variants("Type 2 diabetes mellitus without complications"))
    assert "kawasaki syndrome" in dict(title_variants("Mucocutaneous lymph node syndrome [Kawasaki]"))


def test_lexicon_curated_codes_all_valid():
    """Every curated synonym code is in the loaded ICD-10 table / well-formed OPCS-4 (typos fail here)."""
    from autocoder.codes import get_terminology

    term = get_terminology()
    cfg = load_config()
    bad = []
    for text, system, codes in read_synonyms(cfg.path(cfg.matcher.synonyms)):
        for c in codes:
            table = term.icd10 if system == "icd10" else term.opcs4
            try:
                canon = table.normalise(c)
            except ValueError:
                bad.append((text, c))
                continue
            if system == "icd10" and not table.is_valid(canon):
                bad.append((text, c))
    assert not bad


def test_lexicon_bad_synonym_line_is_reported(tmp_path):
    p = tmp_path / "syn.tsv"
    p.write_text("@icd10\npneumonia J18.9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2"):
        read_synonyms(p)


def test_config_rejects_unknown_keys(tmp_path):
    p = tmp_path / "pipeline.yaml"
    p.write_text("matcher:\n  top_kk: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="top_kk"):
        load_config(p)


def test_config_default_loads_and_resolves_paths():
    cfg = load_config()
    assert cfg.path(cfg.matcher.synonyms).exists()
    assert cfg.path(cfg.context.rules).exists()


def test_lexicon_index_synonyms_give_candidates():
    """Generated index terms (configs/extract/synonyms_index.tsv) feed the candidate search."""
    from autocoder.codes import get_terminology
    from autocoder.extract.extractor import build_index

    cfg = load_config()
    if not cfg.matcher.index_synonyms or not cfg.path(cfg.matcher.index_synonyms).exists():
        pytest.skip("no index synonyms file")
    idx = build_index(cfg, get_terminology())
    assert idx.candidates("Wilson's disease", "DIAGNOSIS")[0].code == "E83.0"


@pytest.fixture(scope="module")
def index():
    from autocoder.codes import get_terminology
    from autocoder.extract.extractor import build_index

    return build_index(load_config(), get_terminology())


def _top(index, text, label="DIAGNOSIS", k=5):
    return [c.code for c in index.candidates(text, label)[:k]]


def test_lexicon_cancer_site_forms_and_ca_alias(index):
    """'Malignant neoplasm: Pancreas' is found as pancreatic cancer / carcinoma of the pancreas / ca pancreas."""
    assert "pancreatic cancer" in dict(title_variants("Malignant neoplasm: Pancreas, unspecified"))
    for text in ("carcinoma of the pancreas", "pancreatic carcinoma", "ca pancreas"):
        assert _top(index, text)[0] == "C25.9", text
    assert "C78.7" in _top(index, "liver metastases")


def test_lexicon_title_halves_or_sites_and_single_clinical_words(index):
    assert {"acromegaly", "pituitary gigantism"} <= set(dict(title_variants("Acromegaly and pituitary gigantism")))
    assert "liver injury" in dict(title_variants("Injury of liver or gallbladder"))
    found = index.find_in_text("Known acromegaly, awaiting adrenalectomy.")
    assert [ph.keys for _, _, ph, _ in found] == [("acromegaly",), ("adrenalectomy",)]
    assert not index.find_in_text("Diagnosis made after analysis.")   # ordinary words with clinical endings


def test_lexicon_possessive_eponym_and_plural_abbreviation(index):
    assert [ph.keys for _, _, ph, _ in index.find_in_text("PMH: T1DM, Addison's.")][-1] == ("addison", "s")
    assert _top(index, "Addison's")[0] == "E27.1"
    assert [t for _, _, _, t in index.find_in_text("Bilateral PEs on CTPA")] and _top(index, "PEs")[0] == "I26.9"


def test_lexicon_spelling_fixes_slips_but_not_ordinary_words(index):
    assert index.correct("diseaes") == "disease"            # swap of neighbours, plural ignored
    assert index.correct("athsma") == "asthma"              # a letter out of place
    assert index.correct("fibrilation") == "fibrillation"
    for word in ("started", "uncomplicated", "hypoactive", "referral", "detention"):
        assert index.correct(word) is None, word


def test_lexicon_trimming_keeps_the_diagnosis_word_and_adds_siblings(index):
    assert _top(index, "dengue fever")[0].startswith("A97")   # not "fever" R50.9 after dropping "dengue"
    assert _top(index, "bilateral pneumonia")[0] == "J18.9"
    assert not _top(index, "semi")     # an ordinary word is no near miss of "STEMI"
    top = _top(index, "CKD")
    assert top[0] == "N18.9" and sum(c.startswith("N18.") for c in top[1:4]) == 3   # stages follow N18.9


def test_lexicon_candidates_are_deterministic(index):
    a = index.candidates("gastric ulser", "DIAGNOSIS")
    index._near_cache.clear()
    b = index.candidates("gastric ulser", "DIAGNOSIS")
    assert [(c.code, c.score) for c in a] == [(c.code, c.score) for c in b]


def test_lexicon_curated_capitals_abbreviations_match_case_sensitively(index):
    assert [ph.keys for _, _, ph, _ in index.find_in_text("Plasma exchange for TTP.")][-1] == ("ttp",)
    assert not [ph for _, _, ph, _ in index.find_in_text("ttp") if ph.keys == ("ttp",)]
    assert _top(index, "rectal adenocarcinoma")[0] == "C20"


def test_ner_spans_that_are_only_an_analyte_or_a_drug_are_not_entities():
    from autocoder.extract.extractor import _not_entity_pattern

    rx = _not_entity_pattern(load_config())
    for text in ("ferritin 620", "Sodium 128", "BMI 31", "calcium gluconate 10 ml IV", "CRP 245",
                 "raised troponin", "low sodium"):
        assert rx.fullmatch(text), text
    for text in ("hyponatraemia", "iron deficiency anaemia", "insulin resistance", "urine protein 3+",
                 "raised ferritin due to haemochromatosis"):
        assert not rx.fullmatch(text), text


def test_generic_words_alone_never_carry_a_fuzzy_match(index):
    assert "R24.9" not in [c.code for c in index.candidates("rectum normal on retroflexion", "PROCEDURE")]


def test_lexicon_operation_is_found_by_its_head_word_without_approach_or_side(index):
    assert "microdiscectomy" in dict(title_variants("Primary microdiscectomy of lumbar intervertebral disc"))
    assert "punch biopsy" in dict(title_variants("Unspecified punch biopsy of skin"))
    assert "biopsy" not in dict(title_variants("Biopsy of lesion of skin"))       # too general on its own
    assert _top(index, "laparoscopic left salpingectomy", "PROCEDURE")[0] == _top(index, "salpingectomy",
                                                                                  "PROCEDURE")[0] == "Q24.2"


def test_lexicon_equal_matches_rank_by_national_usage(autocoder_home, tmp_path):
    from autocoder.codes import get_terminology, reset_terminology
    from autocoder.codes.store import import_file
    from autocoder.extract.lexicon import TerminologyIndex

    f = tmp_path / "usage.csv"
    rows = ["V296,Primary microdiscectomy of cervical intervertebral disc,{}",
            "V337,Primary microdiscectomy of lumbar intervertebral disc,{}"]
    tops = []
    for cervical, lumbar in ((323, 37116), (37116, 323)):
        f.write_text("opcs4_code,description,total_usage\n" + "\n".join(rows).format(cervical, lumbar) + "\n")
        reset_terminology()
        import_file(f)
        idx = TerminologyIndex(get_terminology(), [], {}, set())
        tops.append(idx.candidates("microdiscectomy", "PROCEDURE")[0].code)
    reset_terminology()
    assert tops == ["V33.7", "V29.6"]


def test_lexicon_training_corpus_misspellings_do_not_block_spelling_correction():
    """The generator writes "lobar pnuemonia"; a corpus form must not make "pnuemonia" a known word, or a
    letter's bare "pnuemonia" is never corrected and misses J18.9."""
    from autocoder.codes import get_terminology
    from autocoder.extract.lexicon import TerminologyIndex

    idx = TerminologyIndex(get_terminology(), [("pneumonia", "icd10", ["J18.9"])], {}, set(),
                           corpus_forms=[("lobar pnuemonia", "icd10", ["J18.1"])])
    assert idx.correct("pnuemonia") == "pneumonia"
    assert idx.candidates("pnuemonia", "DIAGNOSIS")[0].code == "J18.9"
    assert idx.candidates("lobar pnuemonia", "DIAGNOSIS")[0].code == "J18.1"   # the corpus form still counts


def test_lexicon_an_adjective_half_of_an_and_title_keeps_the_shared_head():
    """'Renal and perinephric abscess' is found as 'renal abscess', never as the bare word 'renal'."""
    from autocoder.extract.lexicon import _and_halves

    assert _and_halves("renal and perinephric abscess") == ["renal abscess", "perinephric abscess"]
    assert _and_halves("acromegaly and pituitary gigantism") == ["acromegaly", "pituitary gigantism"]


def test_extractor_marks_both_conditions_of_a_joined_mention():
    from autocoder.extract.extractor import _joined

    assert _joined("matcher:exact") == "matcher:joined-exact" and _joined("exact") == "joined-exact"


def test_lexicon_a_qualifier_half_of_an_and_title_is_never_a_phrase_alone():
    from autocoder.extract.lexicon import _and_halves

    assert _and_halves("acute and fulminating melioidosis") == ["acute melioidosis", "fulminating melioidosis"]


def test_lexicon_arterial_territory_stroke_with_a_side_letter(index):
    assert _top(index, "L MCA ischaemic stroke")[0] == "I63.5"
    assert _top(index, "right PCA infarct")[0] == "I63.5"


def test_extractor_note_after_a_spaced_dash_does_not_hide_the_condition(index):
    """'Septic arthritis R knee - MSSA on synovial fluid culture': matched whole it is a weak fuzzy hit;
    the part before the dash is the condition. A whole that matches well is kept whole."""
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    assert ex.candidates("Septic arthritis R knee - MSSA on synovial fluid culture", "DIAGNOSIS")[0].code == "M00.9"
    assert ex.candidates("Acute pancreatitis - alcohol-induced", "DIAGNOSIS")[0].code == "K85.2"


def test_extractor_weak_mention_that_begins_with_a_known_operation_is_that_operation():
    """The NER's 'Punch biopsy L forearm (dermatology' matches nothing whole; the operation it begins with
    leads its candidates, and with no label asked (what _relabel asks) the mention reads as a procedure.
    A diagnosis mention is never re-read this way."""
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    text = "Punch biopsy L forearm (dermatology"
    assert ex.candidates(text, "PROCEDURE")[0].code == "S13.2"
    assert ex.candidates(text, None)[0].system == "opcs4"
    assert ex.candidates("Dual chamber permanent pacemaker implant (DDD) via left cephalic vein",
                         "PROCEDURE")[0].code == "K60.6"


def test_extractor_time_ago_swallowed_by_the_ner_is_cut_off_for_context():
    from autocoder.extract.extractor import _TRAILING_CUE

    m = _TRAILING_CUE.search("anterior resection 4 months ago")
    assert m and "anterior resection 4 months ago"[:m.start()] == "anterior resection"
    assert _TRAILING_CUE.search("anterior resection") is None


def test_lexicon_operation_verbs_meet_the_title_nouns():
    from autocoder.extract.lexicon import stem

    assert stem("implanted") == stem("implantation") == stem("implant")
    assert stem("excised") == stem("excision") and stem("repaired") == stem("repair")


def test_lexicon_one_word_disease_titles_are_found_in_running_text(index):
    """'Vitiligo' (L80) is a whole ICD-10 title of one word: found at the end of a PMH list. Ordinary report
    words that happen to be one-word titles ('osteophyte') are not."""
    found = [ph.keys for _, _, ph, _ in index.find_in_text("PMH: coeliac disease, vitiligo. Osteophyte at L4.")]
    assert ("vitiligo",) in found and ("osteophyte",) not in found


def test_extractor_a_bracketed_condition_is_a_second_condition_of_the_mention(index):
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    top = ex.candidates("ESKD (diabetic nephropathy)", "DIAGNOSIS")[:2]
    assert top[0].code == "N18.5" and all(c.source.endswith("joined-exact") for c in top)
    assert ex.candidates("hypertension (amlodipine 5 mg - continued)", "DIAGNOSIS")[0].source == "matcher:exact"


def test_extractor_condition_framed_by_modifiers_or_a_site_is_that_condition():
    """A condition name inside a longer mention: leading modifiers ('Acute uncomplicated type B'), a side
    letter, a trailing site or complication ('of the right distal tibia with subperiosteal abscess')."""
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    assert ex.candidates("Acute uncomplicated type B aortic dissection", "DIAGNOSIS")[0].code == "I71.0"
    assert ex.candidates("Acute haematogenous osteomyelitis of the right distal tibia with subperiosteal abscess",
                         "DIAGNOSIS")[0].code == "M86.0"
    assert ex.candidates("L acute mastoiditis with subperiosteal abscess", "DIAGNOSIS")[0].code == "H70.0"


def test_extractor_one_word_name_that_is_its_own_category_is_the_head_of_a_qualified_mention():
    """'Idiopathic ileocolic intussusception' and 'Acromegaly due to ...' were token overlaps (0.41, 0.51) that
    lost the primary to weak matches elsewhere; a side letter and 'reducible' are modifiers of a hernia, an
    immunotype ('IgG kappa') of a myeloma."""
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    for text, code in (("Idiopathic ileocolic intussusception", "K56.1"),
                       ("Acromegaly due to a 14 mm GH-secreting adenoma", "E22.0"),
                       ("symptomatic reducible R inguinal hernia", "K40.9"),
                       ("IgG kappa multiple myeloma (new diagnosis)", "C90.0")):
        top = ex.candidates(text, "DIAGNOSIS")[0]
        assert (top.code, top.source.endswith("exact")) == (code, True), text


def test_extractor_one_word_name_before_a_connector_or_a_hyphen_is_not_a_head():
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    top = ex.candidates("arteritis with polymyalgic symptoms", "DIAGNOSIS")[0]
    assert top.code != "I77.6"
    assert not ex.candidates("flu-like aches", "SYMPTOM")[0].source.endswith("exact")


def test_extractor_mislabelled_mention_takes_the_label_of_the_terminology_that_knows_it():
    """The NER tags 'L acute mastoiditis with subperiosteal abscess' PROCEDURE: no OPCS-4 code fits, ICD-10
    H70.0 does, so it is re-read as a diagnosis; an operation tagged DIAGNOSIS the other way round. A
    mention its own terminology knows keeps its label."""
    from spacy.tokens import Span

    from autocoder.extract import load_extractor

    ex = load_extractor(None)

    def relabel(text: str, label: str) -> str:
        doc = ex.nlp.make_doc(text)
        return ex._relabel(Span(doc, 0, len(doc), label=label)).label_

    assert relabel("L acute mastoiditis with subperiosteal abscess", "PROCEDURE") == "DIAGNOSIS"
    assert relabel("flexible sigmoidoscopy and decompression", "DIAGNOSIS") == "PROCEDURE"
    assert relabel("Stanford type B dissection", "DIAGNOSIS") == "DIAGNOSIS"


def test_lexicon_congenital_is_a_nonessential_modifier(index):
    assert _top(index, "hypertrophic pyloric stenosis")[0] == "Q40.0"
    assert _top(index, "hydronephrosis")[0] != "Q62.0"   # the shorter phrase already names N13.3


def test_extractor_mention_without_its_bracket_leads_even_when_trimmed():
    """'R empyema (Strep milleri)': the organism in the bracket must not take the lead from the condition
    ('R empyema' is a trimmed match, 0.88); the organism follows it."""
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    codes = [c.code for c in ex.candidates("R empyema (Strep milleri)", "DIAGNOSIS")[:2]]
    assert codes == ["J86.9", "B95.4"]


def test_lexicon_possessive_eponym_without_its_apostrophe(index):
    assert _top(index, "Parkinsons disease")[0] == "G20"


def test_extractor_a_leading_adjective_may_qualify_a_condition_name():
    from autocoder.extract import load_extractor

    ex = load_extractor(None)
    assert ex.candidates("Humoral hypercalcaemia of malignancy (PTHrP-mediated) - SCC lung",
                         "DIAGNOSIS")[0].code == "E83.5"
    assert ex.candidates("advanced Parkinsons disease", "DIAGNOSIS")[0].code == "G20"


def test_lexicon_a_titlecase_word_is_not_an_uppercase_abbreviation():
    """'Age' (in 'Age-related cataract') is a word; the training abbreviation 'AGE' (gastroenteritis) must
    not code it, exactly or by its fuzzy twin. The abbreviation itself, in capitals or lowercase, still does."""
    from autocoder.codes import get_terminology
    from autocoder.extract.lexicon import TerminologyIndex

    idx = TerminologyIndex(get_terminology(), [], {}, set(), corpus_forms=[("AGE", "icd10", ["A09.9"])])
    assert "A09.9" not in [c.code for c in idx.candidates("Age", "DIAGNOSIS")]
    assert idx.candidates("AGE", "DIAGNOSIS")[0].code == "A09.9"
    assert idx.candidates("age", "DIAGNOSIS")[0].code == "A09.9"


def test_lexicon_title_halves_share_their_cause_and_other_and_unspecified_is_stripped_whole():
    v = dict(title_variants("Infection and inflammatory reaction due to cardiac valve prosthesis"))
    assert "infection" not in v   # a bare 'infection' matched every infection in a letter as T82.6
    assert "infection due to cardiac valve prosthesis" in v
    v = dict(title_variants("Other and unspecified cirrhosis of liver"))
    assert "cirrhosis of liver" in v and "and unspecified cirrhosis of liver" not in v
    # an 'and' inside a phrase ("during labour and delivery") does not split the title
    assert "delivery" not in dict(title_variants("Aspiration pneumonitis due to anaesthesia during labour and delivery"))
    # ... but not down to a bare group name, which is also a team's name ("seen by Infectious Diseases")
    assert list(dict(title_variants("Other and unspecified infectious diseases"))) == [
        "other and unspecified infectious diseases"]


def test_lexicon_fuzzy_match_never_rests_on_a_side_or_a_number_alone():
    """'L hemiscrotum' shares only its 'L' with phrases such as 'L cataract': no candidate from that."""
    from autocoder.codes import get_terminology
    from autocoder.extract.lexicon import TerminologyIndex

    idx = TerminologyIndex(get_terminology(), [("L cataract", "icd10", ["H25.9"])], {}, set())
    assert not [c for c in idx.candidates("L hemiscrotum", "DIAGNOSIS") if c.code == "H25.9"]
    assert any(c.code == "H25.9" for c in idx.candidates("L catarct", "DIAGNOSIS"))   # the name still counts
    idx = TerminologyIndex(get_terminology(), [("moderate AS", "icd10", ["I35.0"])], {}, set())
    assert not [c for c in idx.candidates("moderate trabeculation", "DIAGNOSIS") if c.code == "I35.0"]
    idx = TerminologyIndex(get_terminology(), [("end-stage renal failure", "icd10", ["N18.5"])], {}, set())
    assert not [c for c in idx.candidates("hip (end-stage)", "DIAGNOSIS") if c.code == "N18.5"]
