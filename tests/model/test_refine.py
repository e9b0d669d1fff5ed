"""Coding-convention refinements after fusion: highest specificity, OPCS-4 laterality and laparoscopic codes."""

from __future__ import annotations

from autocoder.model.fusion import Cand, Decision, RefineConfig
from autocoder.model.refine import add_qualifiers, is_unspecified, prefer_specific, refine
from autocoder.schemas import Entity

TITLES = {"E10.9": "Type 1 diabetes mellitus without complications", "E10.1": "Type 1 diabetes mellitus with ketoacidosis",
          "I64": "Stroke, not specified as haemorrhage or infarction", "I63.4": "Cerebral infarction due to embolism",
          "I10": "Essential (primary) hypertension", "J18.3": "Total cholecystectomy NEC",
          "W37.1": "Primary total prosthetic replacement of hip joint using cement",
          "G45.1": "Fibreoptic endoscopic examination of upper gastrointestinal tract and biopsy"}


def title(code: str, system: str) -> str:
    return TITLES.get(code, "")


def ent(text: str, phrase: str, label: str = "DIAGNOSIS") -> Entity:
    s = text.index(phrase)
    return Entity(text=phrase, start=s, end=s + len(phrase), label=label)


def cand(code: str, system: str = "icd10", present: list[Entity] | None = None, match: float = 0.9,
         best_rank: int | None = 0) -> Cand:
    return Cand(code=code, system=system, present=present or [], max_match=match if present else 0.0,
                best_rank=best_rank if present else None)


def decision(dx: list[tuple[Cand, float]], ranked: list[tuple[Cand, float]] | None = None,
             proc: list[tuple[Cand, float]] | None = None) -> Decision:
    return Decision(dx, proc or [], ranked or dx, proc or [], [], 0.5, 0.5)


def test_refine_is_unspecified_by_code_or_title():
    assert is_unspecified("E10.9", "") and is_unspecified("I64", "Stroke, unspecified")
    assert not is_unspecified("E10.1", TITLES["E10.1"])


def test_refine_specific_mentioned_sibling_replaces_unspecified_primary():
    text = "Admitted in DKA. Known type 1 diabetic. HTN."
    unspec = cand("E10.9", present=[ent(text, "type 1 diabetic")], match=0.8)
    spec = cand("E10.1", present=[ent(text, "DKA")], match=0.9)
    htn = cand("I10", present=[ent(text, "HTN")])
    d = prefer_specific(decision([(unspec, 0.9), (htn, 0.8)], ranked=[(unspec, 0.9), (htn, 0.8), (spec, 0.3)]), title)
    assert [c.code for c, _ in d.diagnoses] == ["E10.1", "I10"]
    assert d.diagnoses[0][1] == 0.9   # the replaced code's score carries over


def test_refine_unspecified_dropped_when_specific_sibling_already_kept():
    text = "Embolic stroke. Stroke."
    unspec = cand("I64", present=[ent(text, "Stroke.")], match=0.5)   # I64 has another category: kept
    i639 = cand("I63.9", present=[ent(text, "Stroke.")], match=0.5)
    i634 = cand("I63.4", present=[ent(text, "Embolic stroke")], match=0.9)
    d = prefer_specific(decision([(i639, 0.9), (unspec, 0.7), (i634, 0.6)]), title)
    assert [c.code for c, _ in d.diagnoses] == ["I63.4", "I64"]


def test_refine_other_sibling_dropped_beside_a_kept_specific_one_but_not_as_primary():
    """'GCA' gives M31.6 (Other giant cell arteritis) beside 'GCA with PMR' M31.5: one condition."""
    text = "Giant cell arteritis with polymyalgia rheumatica. Treat as GCA."
    titles = {"M31.5": "Giant cell arteritis with polymyalgia rheumatica", "M31.6": "Other giant cell arteritis"}
    spec = cand("M31.5", present=[ent(text, "Giant cell arteritis with polymyalgia rheumatica")])
    other = cand("M31.6", present=[ent(text, "GCA")])
    d = prefer_specific(decision([(spec, 0.9), (other, 0.7)]), lambda c, s: titles.get(c, ""))
    assert [c.code for c, _ in d.diagnoses] == ["M31.5"]
    d = prefer_specific(decision([(other, 0.9), (spec, 0.7)]), lambda c, s: titles.get(c, ""))
    assert [c.code for c, _ in d.diagnoses] == ["M31.6", "M31.5"]   # the primary is the ranker's call


def test_refine_sibling_without_its_own_mention_never_replaces():
    text = "Type 1 diabetes."
    unspec = cand("E10.9", present=[ent(text, "Type 1 diabetes")])
    spec = Cand(code="E10.1", system="icd10", clf_prob=0.4, in_vocab=True)   # classifier-only, no mention
    d = prefer_specific(decision([(unspec, 0.9)], ranked=[(unspec, 0.9), (spec, 0.4)]), title)
    assert [c.code for c, _ in d.diagnoses] == ["E10.9"]


def test_refine_laterality_read_next_to_the_operation_mention():
    text = "PMH: left knee OA.\nOperation: Right total hip replacement (cemented) on 3/3."
    thr = cand("W37.1", "opcs4", present=[ent(text, "total hip replacement", "PROCEDURE")])
    d = add_qualifiers(decision([], proc=[(thr, 0.9)]), text, frozenset({"W37"}), title, RefineConfig())
    assert [c.code for c, _ in d.procedures] == ["W37.1", "Z94.2"]
    assert d.procedures[1][0].present   # the qualifier carries the operation's evidence


def test_refine_laterality_from_a_bare_letter_just_after_or_the_drain_site():
    sided = frozenset({"T12"})
    for text, phrase, side in (("Seldinger 14Fr ICD R 5th ICS MAL: 1.2 L pus drained", "ICD", "Z94.2"),
                               ("ICD inserted (12 Fr Seldinger, US guided, L 5th ICS mid-axillary)", "ICD", "Z94.3")):
        drain = cand("T12.4", "opcs4", present=[ent(text, phrase, "PROCEDURE")])
        d = add_qualifiers(decision([], proc=[(drain, 0.9)]), text, sided, title,
                           RefineConfig(add_image_guidance=False))
        assert [c.code for c, _ in d.procedures] == ["T12.4", side], text


def test_refine_sided_table_covers_paired_organs_and_limb_bones():
    from autocoder.codes.rules import sided_categories

    assert {"C71", "D15", "M30", "W28", "B28", "T12"} <= sided_categories()
    assert not {"H22", "G45", "J18", "K63"} & sided_categories()   # colon, OGD, gallbladder, heart: no side


def test_refine_no_laterality_without_a_side_word_or_for_unsided_categories():
    text = "Operation: total hip replacement. Left ward on day 3."
    thr = cand("W37.1", "opcs4", present=[ent(text, "total hip replacement", "PROCEDURE")])
    d = add_qualifiers(decision([], proc=[(thr, 0.9)]), text, frozenset({"W37"}), title, RefineConfig())
    assert [c.code for c, _ in d.procedures] == ["W37.1"]
    d2 = add_qualifiers(decision([], proc=[(thr, 0.9)]), "Right total hip replacement", frozenset(), title,
                        RefineConfig())
    assert [c.code for c, _ in d2.procedures] == ["W37.1"]


def test_refine_laparoscopic_approach_added_but_not_to_endoscopies():
    text = "Lap cholecystectomy done day 2. OGD and biopsy."
    chole = cand("J18.3", "opcs4", present=[ent(text, "cholecystectomy", "PROCEDURE")])
    ogd = cand("G45.1", "opcs4", present=[ent(text, "OGD and biopsy", "PROCEDURE")])
    d = refine(decision([], proc=[(chole, 0.9), (ogd, 0.8)]), text, title=title, sided=frozenset())
    assert [c.code for c, _ in d.procedures] == ["J18.3", "Y75.2", "G45.1"]


def test_refine_can_be_switched_off():
    text = "Lap cholecystectomy."
    chole = cand("J18.3", "opcs4", present=[ent(text, "cholecystectomy", "PROCEDURE")])
    cfg = RefineConfig(prefer_specific=False, add_laterality=False, add_laparoscopic=False)
    d = refine(decision([], proc=[(chole, 0.9)]), text, title=title, sided=frozenset(), cfg=cfg)
    assert [c.code for c, _ in d.procedures] == ["J18.3"]


def _codes(d: Decision) -> list[str]:
    return [c.code for c, _ in d.diagnoses]


def test_refine_completes_dagger_asterisk_pairs_in_both_directions():
    from autocoder.model.refine import complete_dagger_asterisk

    text = "Diabetic nephropathy. Alzheimer's dementia. Neuropathy."
    e = ent(text, "Diabetic nephropathy")
    # a dagger whose title implies the manifestation gets its asterisk, carrying the dagger's evidence
    d = complete_dagger_asterisk(decision([(cand("E11.2", present=[e]), 0.9), (cand("I10", present=[e]), 0.8)]))
    assert _codes(d) == ["E11.2", "N08.3", "I10"] and d.diagnoses[1][0].present == [e]
    # an asterisk alone gets its only dagger first
    a = ent(text, "Alzheimer's dementia")
    assert _codes(complete_dagger_asterisk(decision([(cand("F00.9", present=[a]), 0.9)]))) == ["G30.9", "F00.9"]
    # an unspecified code of the dagger's category becomes the dagger; another pair's dagger is left alone
    n = ent(text, "Neuropathy")
    assert _codes(complete_dagger_asterisk(decision([(cand("E11.9", present=[e]), .9), (cand("G63.2", present=[n]), .8)]))) \
        == ["E11.4", "G63.2"]
    kept = _codes(complete_dagger_asterisk(decision([(cand("E11.2", present=[e]), .9), (cand("N08.3", present=[e]), .9),
                                                     (cand("G63.2", present=[n]), .8)])))
    assert kept[:2] == ["E11.2", "N08.3"] and "G63.2" in kept
    # Parkinson's disease does not imply dementia
    assert _codes(complete_dagger_asterisk(decision([(cand("G20", present=[e]), 0.9)]))) == ["G20"]


def test_refine_delirium_beside_dementia_is_f05_1_and_coded_siblings_drop_the_unspecified():
    from autocoder.model.refine import combine_delirium_dementia

    text = "Delirium. Vascular dementia. COPD with infective exacerbation."
    dl, dm = ent(text, "Delirium"), ent(text, "Vascular dementia")
    d = combine_delirium_dementia(decision([(cand("F05.9", present=[dl]), .9), (cand("F01.9", present=[dm]), .8)]))
    assert _codes(d) == ["F05.1", "F01.9"]
    assert _codes(combine_delirium_dementia(decision([(cand("F05.9", present=[dl]), .9)]))) == ["F05.9"]
    copd, exac = ent(text, "COPD"), ent(text, "COPD with infective exacerbation")
    d = prefer_specific(decision([(cand("J44.1", present=[exac], match=0.7), .9),
                                  (cand("J44.9", present=[copd], match=1.0), .8)]), title)
    assert _codes(d) == ["J44.1"]


def test_refine_endoscopy_with_biopsy_in_its_sentence_takes_the_biopsy_code():
    from autocoder.model.refine import endoscopy_biopsy

    text = "OGD: gastritis, biopsies taken for CLO. Colonoscopy normal."
    ogd, colo = ent(text, "OGD", "PROCEDURE"), ent(text, "Colonoscopy", "PROCEDURE")
    d = decision([], proc=[(cand("G45.9", "opcs4", [ogd]), .9), (cand("H22.9", "opcs4", [colo]), .8)])
    assert [c.code for c, _ in endoscopy_biopsy(d, text, RefineConfig()).procedures] == ["G45.1", "H22.9"]


def test_refine_endoscopy_biopsy_stated_later_in_its_report_takes_the_biopsy_code_unless_not_done():
    from autocoder.model.refine import endoscopy_biopsy

    def code(text: str) -> str:
        ogd = ent(text, "Gastroscopy (OGD)", "PROCEDURE")
        d = decision([], proc=[(cand("G45.9", "opcs4", [ogd]), .9)])
        return endoscopy_biopsy(d, text, RefineConfig()).procedures[0][0].code

    report = ("Procedure: Gastroscopy (OGD), throat spray only.\nFindings: Oesophagus normal. Stomach normal - "
              "no ulcer. Duodenum: scalloping and reduced folds in D2.\n{}\n\nPlan: gluten-free diet.")
    assert code(report.format("Four D2 biopsies and a CLO biopsy taken.")) == "G45.1"
    assert code(report.format("Biopsy not possible (on apixaban).")) == "G45.9"
    assert code(report.format("If the ulcer persists a biopsy will be taken at the repeat OGD.")) == "G45.9"


def test_refine_diabetes_codes_share_the_type_the_letter_states():
    from autocoder.model.refine import merge_diabetes_type

    text = "T2DM. Diabetic foot ulcer."
    d = decision([(cand("E11.9", present=[ent(text, "T2DM")]), .9),
                  (cand("E14.5", present=[ent(text, "Diabetic foot")]), .8)])
    assert [c.code for c, _ in merge_diabetes_type(d).diagnoses] == ["E11.5"]
    # no stated type: nothing is guessed
    d = decision([(cand("E14.9", present=[ent(text, "T2DM")]), .9), (cand("E14.5", present=[ent(text, "Diabetic foot")]), .8)])
    assert [c.code for c, _ in merge_diabetes_type(d).diagnoses] == ["E14.9", "E14.5"]


def test_refine_organism_named_in_the_letter_codes_pneumonia_sepsis_and_other_infections():
    from autocoder.model.refine import organism_codes

    text = "Right lower lobe pneumonia. Blood cultures grew Streptococcus pneumoniae."
    d = decision([(cand("J18.1", present=[ent(text, "pneumonia")]), .9)])
    out = organism_codes(d, text).diagnoses
    assert [c.code for c, _ in out] == ["J13"]
    assert any(e.text == "Streptococcus pneumoniae" for e in out[0][0].present)
    text = "Urosepsis. Urine grew E. coli."
    d = decision([(cand("A41.9", present=[ent(text, "Urosepsis")]), .9), (cand("N39.0", present=[ent(text, "Urosepsis")]), .8)])
    assert [c.code for c, _ in organism_codes(d, text).diagnoses] == ["A41.5", "N39.0", "B96.2"]
    for text in ("Pneumonia. MRSA screen negative.", "Pneumonia. Sputum: no growth of Klebsiella.",
                 "Pneumonia. Cultures grew E. coli and Klebsiella."):
        d = decision([(cand("J18.9", present=[ent(text, "Pneumonia")]), .9)])
        assert [c.code for c, _ in organism_codes(d, text).diagnoses] == ["J18.9"], text


def test_refine_image_guided_approach_follows_the_operation_it_guided():
    text = "Ultrasound-guided renal biopsy on day 3. CT head normal."
    bx = cand("M13.1", "opcs4", present=[ent(text, "renal biopsy", "PROCEDURE")])
    ct = cand("U05.1", "opcs4", present=[ent(text, "CT head", "PROCEDURE")])
    d = refine(decision([], proc=[(bx, 0.9), (ct, 0.5)]), text, title=title, sided=frozenset())
    assert [c.code for c, _ in d.procedures] == ["M13.1", "Y53.2", "U05.1"]
    text = "Renal biopsy. US abdomen: normal."
    bx = cand("M13.1", "opcs4", present=[ent(text, "Renal biopsy", "PROCEDURE")])
    assert [c.code for c, _ in refine(decision([], proc=[(bx, 0.9)]), text, title=title,
                                      sided=frozenset()).procedures] == ["M13.1"]


def test_refine_pyogenic_arthritis_takes_the_organism_in_its_fourth_character():
    from autocoder.model.refine import organism_codes

    text = "Dx: Septic arthritis R knee - MSSA on synovial fluid culture."
    d = decision([(cand("M00.9", present=[ent(text, "Septic arthritis R knee")]), .9)])
    assert [c.code for c, _ in organism_codes(d, text).diagnoses] == ["M00.0"]
    text = "Dx: Septic arthritis L hip. Aspirate grew E. coli."
    d = decision([(cand("M00.9", present=[ent(text, "Septic arthritis L hip")]), .9)])
    assert [c.code for c, _ in organism_codes(d, text).diagnoses] == ["M00.8", "B96.2"]


def test_refine_other_streptococci_take_b95_4_after_the_infection():
    from autocoder.model.refine import organism_codes

    text = "Infective endocarditis. Blood cultures grew Streptococcus mitis."
    d = decision([(cand("I33.0", present=[ent(text, "Infective endocarditis")]), .9)])
    assert [c.code for c, _ in organism_codes(d, text).diagnoses] == ["I33.0", "B95.4"]


def test_refine_laparotomy_is_not_coded_beside_the_operation_done_through_it():
    from autocoder.model.refine import drop_implicit_approach

    lap, closure, ct = cand("T30.9", "opcs4"), cand("G52.1", "opcs4"), cand("U05.1", "opcs4")
    codes = frozenset(["T30.9"])
    d = drop_implicit_approach(decision([(cand("K26.5"), 0.9)], proc=[(lap, 0.8), (closure, 0.7)]), codes)
    assert [c.code for c, _ in d.procedures] == ["G52.1"]
    # an exploratory laparotomy (nothing else done; a scan is not an operation) keeps its code
    d = drop_implicit_approach(decision([(cand("K26.5"), 0.9)], proc=[(lap, 0.8), (ct, 0.7)]), codes)
    assert [c.code for c, _ in d.procedures] == ["T30.9", "U05.1"]


def test_refine_an_injury_after_a_stated_fall_gets_its_fall_code_from_the_fall_sentence():
    text = ("Mechanism: tripped over a rug and fell onto her right side; long lie. Falls assessment booked.\n"
            "Injury: fracture of the right neck of femur.")
    nof = cand("S72.0", present=[ent(text, "fracture of the right neck of femur")])
    cfg = RefineConfig(add_laterality=False, add_laparoscopic=False)
    d = refine(decision([(nof, 0.9)]), text, title=title, sided=frozenset(), cfg=cfg)
    assert _codes(d) == ["S72.0", "W01"]                      # W19, made W01 by "tripped" in its sentence
    # a kept W19 read from another sentence ("long lie") also reads the fall's own sentence
    w19 = cand("W19", present=[ent(text, "long lie")])
    d = refine(decision([(nof, 0.9), (w19, 0.8)]), text, title=title, sided=frozenset(), cfg=cfg)
    assert _codes(d) == ["S72.0", "W01"]
    # no fall stated (a service, a plan, a condition's name): nothing added
    for other in ("Falls assessment booked. If she falls again, return.", "Left slipped upper femoral epiphysis."):
        d = refine(decision([(nof, 0.9)]), other + " Injury: fracture", title=title, sided=frozenset(), cfg=cfg)
        assert _codes(d) == ["S72.0"], other
    off = RefineConfig(add_laterality=False, add_laparoscopic=False, fall_from_text=False)
    assert _codes(refine(decision([(nof, 0.9)]), text, title=title, sided=frozenset(), cfg=off)) == ["S72.0"]
