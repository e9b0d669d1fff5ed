"""Condition-aware clinical story fragments: what real discharge letters tell between the headings.

Real letters explain how the main condition was found and treated (a presenting story, examination,
investigations with results, a management paragraph, the response), then deal with each other
problem in turn. This module holds that content by clinical group (pneumonia, ACS, hip fracture,
...), chosen from the code of the condition being written about, plus many paraphrases for the
slots every letter has (how the diagnosis is stated, how comorbidities are woven in, the discharge).

Rule for every fragment here: results and findings may only support the condition they are written
for (a group's fragments are used only for a coded condition of that group); they never name another
condition, because an unannotated condition in the text would contradict the gold codes.
Slots: {Pt}/{pt} patient, {he}/{He}/{his}/{His}/{him}, {side}, {n} days, {d} a day of stay, and
the numeric slots made in `values()`. Written by hand for this project."""

from __future__ import annotations

import random

# ---------------------------------------------------------------- groups by code prefix
_GROUP_PREFIXES: list[tuple[tuple[str, ...], str]] = [
    (("J12", "J13", "J14", "J15", "J16", "J17", "J18", "J69", "U07", "J85", "J86"), "pneumonia"),
    (("J06", "J09", "J10", "J11", "J20", "J21", "J22", "J40", "J47"), "lrti"),
    (("J43", "J44", "J45", "J46"), "airways"),
    (("J90", "J91", "J92", "J93", "J94", "J84", "J96", "J98", "J80", "J81"), "chest_other"),
    (("I21", "I22", "I23"), "mi"), (("I20", "I24"), "angina"),
    (("I47", "I48", "I49"), "tachy"), (("I44", "I45"), "brady"),
    (("I50", "I11", "I13", "I42", "I34", "I35", "I05", "I06", "I08", "I51"), "hf"),
    (("I26",), "pe"), (("I80", "I82"), "dvt"),
    (("I60", "I61", "I62", "I63", "I64", "I65", "I66", "I67", "I69"), "stroke"), (("G45",), "tia"),
    (("I70", "I73", "I74", "R02"), "vascular"),
    (("I95", "R55"), "collapse"),
    (("K92", "K25", "K26", "K27", "K28", "I85"), "gi_bleed"), (("K20", "K21", "K22", "K29", "K31", "R13"), "upper_gi"),
    (("K80", "K81", "K82", "K83", "K85", "K86"), "hpb"),
    (("K35", "K36", "K37", "K38", "K56", "K57", "K61", "K63", "K65", "K66", "K55", "K91"), "surg_abdo"),
    (("K40", "K41", "K42", "K43", "K44", "K45", "K46"), "hernia"),
    (("K50", "K51", "K52", "K58", "A00", "A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "R19"), "lower_gi"),
    (("K70", "K71", "K72", "K73", "K74", "K75", "K76", "K77", "B15", "B16", "B17", "B18", "B19", "R17", "R18"), "liver"),
    (("N10", "N11", "N12", "N15", "N30", "N34", "N39", "N41", "N45"), "uti"),
    (("N17", "N19", "E86"), "aki"),
    (("N13", "N20", "N21", "N23", "N28"), "stone"),
    (("N32", "N35", "N40", "N43", "N47", "N48", "R31", "R33", "C61", "C67", "D41"), "lower_uro"),
    (("A40", "A41", "R65", "R50", "A49"), "sepsis"),
    (("L00", "L01", "L02", "L03", "L04", "L05", "L08", "L97", "L98", "M86", "R22"), "skin"), (("L89",), "pressure"),
    (("E101", "E111", "E131", "E141"), "dka"), (("E10", "E11", "E13", "E14", "R73"), "diabetes"), (("E15", "E16"), "hypo"),
    (("E83", "E87", "E55", "E03", "E04", "E05", "E06", "E27", "E22", "E23", "E24", "E21", "E20", "E43", "E44", "E46", "R63"),
     "metabolic"),
    (("G40", "G41", "R56"), "seizure"),
    (("G35", "G20", "G43", "G44", "G51", "G61", "G62", "G70", "G93", "R51", "G03", "G04", "A87", "A39", "R20", "R26", "R42",
      "H81", "R47"), "neuro"),
    (("F00", "F01", "F02", "F03", "F05", "G30", "G31", "R41"), "cognitive"),
    (("T36", "T37", "T38", "T39", "T40", "T41", "T42", "T43", "T44", "T45", "T46", "T47", "T48", "T49", "T50", "T51",
      "T52", "T53", "T54", "T55", "T56", "T57", "T58", "T59", "T60", "T61", "T62", "T63", "T64", "T65"), "poison"),
    (("F10", "F11", "F12", "F13", "F14", "F15", "F16", "F19"), "alcohol"),
    (("F2", "F3", "F4", "F5", "F6", "F8", "F9"), "mental"),
    (("S72",), "hip"),
    (("S32", "S22", "S42", "S52", "S62", "S82", "S92", "S12", "S02", "S27", "S43", "S46", "S73", "S83", "S86", "S93",
      "T02", "T14", "M80", "M84"), "fracture"),
    (("S00", "S01", "S06", "S09"), "head_injury"),
    (("M15", "M16", "M17", "M18", "M19", "M23", "M24", "M25", "M79", "M75", "M65", "M72", "T84"), "joint"),
    (("M54", "M51", "M48", "M47"), "back"), (("M10", "M11", "M06", "M05", "M00", "M35", "M31", "M32"), "inflam"),
    (("C", "D0", "D37", "D38", "D39", "D40", "D41", "D42", "D43", "D44", "D45", "D46", "D47", "D48"), "cancer"),
    (("D5", "D6", "D7", "D8"), "haem"),
    (("H25", "H26", "H28"), "cataract"), (("H0", "H1", "H2", "H3", "H4", "H5"), "eye"),
    (("J02", "J03", "J35", "J36", "J38"), "throat"), (("H6", "H7", "H8", "H9", "J30", "J31", "J32", "J33", "J34", "R04"), "ear_nose"),
    (("K60", "K62", "K64", "D12"), "anorectal"), (("K59",), "constipation"), (("G56", "G57", "M20", "M72.0", "M65.3"), "hand"),
    (("L20", "L21", "L23", "L24", "L25", "L27", "L30", "L40", "L50", "L51", "L53", "T78"), "rash"),
    (("B01", "B02", "B05", "B08", "B09", "B27", "B33", "B34", "A08"), "viral"),
    (("N7", "N8", "N9", "O00", "O01", "O02", "O03", "O04", "O05", "O06", "O08", "O20", "O21", "R10"), "gyn_abdo"),
]
_SYMPTOM_OK = {"collapse", "neuro", "cognitive", "seizure", "lower_uro"}  # groups whose content suits an unexplained symptom
_CACHE: dict[str, str] = {}


def group_of(code: str, symptom_main: bool = False) -> str:
    """The clinical group of a code (longest matching prefix wins; 'generic' when none). An unexplained
    symptom as the main condition gets the 'symptom' group (tests normal) unless its group suits it."""
    if symptom_main:
        grp = group_of(code)
        return grp if grp in _SYMPTOM_OK else "symptom"
    code = code.replace(".", "")[:4] if code[:1] == "E" else code
    got = _CACHE.get(code)
    if got is None:
        best, got = -1, "generic"
        for prefixes, grp in _GROUP_PREFIXES:
            for pre in prefixes:
                if code.startswith(pre) and len(pre) > best:
                    best, got = len(pre), grp
        _CACHE[code] = got
    return got


# ---------------------------------------------------------------- group content
# story: history sentences; exam: findings; ix: results (prose-ready); mx: management; resp: response
G: dict[str, dict[str, list[str]]] = {
    "pneumonia": {
        "story": ["{He} [had|reported|described] a [productive cough|cough productive of green sputum|wet cough] for {n} days and [had become increasingly short of breath|was more breathless than usual|was breathless on minimal exertion].",
                  "Over {n} days {he} developed [fevers|temperatures], [rigors|sweats] and a cough, with [sharp|pleuritic|stabbing] pain on the {side} side [on deep breathing|when breathing in|on coughing].",
                  "{His} [family|daughter|wife|husband|carers] noticed {he} was [off {his} food|not eating|more tired], more breathless and coughing more than usual.",
                  "[A course of oral antibiotics from the GP had not helped.|The GP had started amoxicillin {n2} days earlier without improvement.|{He} had not responded to a course of doxycycline from the GP.]"],
        "exam": ["There were [coarse crackles|crackles|creps] and [bronchial breathing|reduced air entry] at the {side} base.",
                 "{He} was [febrile at {temp_hi}|pyrexial ({temp_hi})] with a respiratory rate of {rr_hi} and saturations of {sats_lo}% on [air|room air].",
                 "[Dull to percussion|Dullness] and reduced air entry at the {side} base."],
        "ix": ["[the chest X-ray|CXR|the chest film] showed {side} [lower zone|basal|mid zone] consolidation", "CRP [was |]{crp_hi} with a white cell count of {wcc_hi}",
               "CURB-65 [score was|was|=] {curb}", "blood cultures [showed no growth|were negative|had no growth at 48 hours]", "[sputum culture was not obtained|sputum was sent|no sputum sample was obtained]",
               "[urinary antigens were sent|legionella and pneumococcal antigens were sent]", "CXR: new {side} [basal|lower lobe] consolidation"],
        "mx": ["{He} was started on [IV antibiotics|intravenous antibiotics] [as per the trust pneumonia guideline|according to local guidance|for a severe community-acquired infection], with [oxygen to target saturations|controlled oxygen].",
               "Treatment was with [IV co-amoxiclav and clarithromycin|IV amoxicillin and clarithromycin|IV ceftriaxone and doxycycline], [stepped down to oral antibiotics|switched to the oral route] after {n2} days.",
               "{He} received [amoxicillin and clarithromycin|doxycycline|co-amoxiclav], with [chest physiotherapy|physiotherapy] and IV fluids while oral intake was poor.",
               "[Oxygen was weaned|{He} was weaned off oxygen] and the antibiotics were [switched to|changed to] the oral route once {he} was [afebrile|apyrexial]."],
        "resp": ["The [fever|temperature] settled within [48 hours|two days|72 hours] and the CRP fell to {crp_lo}.", "{He} was [weaned off oxygen|back on room air|off oxygen] by day {d}.",
                 "[A repeat chest X-ray in 6 weeks has been requested|Please arrange a repeat CXR at 6 weeks] to confirm resolution."],
    },
    "lrti": {
        "story": ["{He} [described|had|reported] a cough and [coryzal symptoms|a runny nose|a sore throat] for {n} days with [increasing|worsening] wheeze and breathlessness.",
                  "[Several members of the household|Family members|Contacts at work] had been unwell with similar symptoms.", "The cough was productive of [clear to yellow|white|discoloured] sputum.",
                  "{He} had felt [feverish|hot and cold|achy] [at home|for a few days]."],
        "exam": ["[Scattered|Some] [crackles and wheeze|wheeze] on auscultation.", "Saturations {sats_lo}% on air, temperature {temp_hi}.", "Chest: [scattered coarse crackles|a few crackles|mild wheeze]."],
        "ix": ["the chest X-ray showed no consolidation", "CRP {crp_mid}", "[a viral swab was sent|a respiratory viral PCR was sent]", "WCC {wcc}"],
        "mx": ["{He} was treated with [oral antibiotics|a short course of doxycycline], [nebulised bronchodilators|salbutamol nebulisers] and simple analgesia.",
               "Management was supportive, with [oxygen|oxygen as needed], fluids and a short course of oral antibiotics."],
        "resp": ["{He} improved over {n2} days and was back on air.", "The cough was [easing|improving] by discharge."],
    },
    "airways": {
        "story": ["{He} reported [worsening|increasing] breathlessness and wheeze over {n} days, using the [reliever|blue] inhaler [many times a day|every hour or so|more than usual].",
                  "The sputum had [changed colour|become green] and increased in volume.", "{He} could [manage only a few steps|walk only a few metres] before stopping for breath.",
                  "The breathlessness had not responded to the [rescue pack kept at home|steroids and antibiotics in {his} rescue pack].",
                  "{He} had [been unwell with a cold|a viral illness] [the week before|for several days beforehand]."],
        "exam": ["There was [widespread|diffuse] expiratory wheeze[ with a prolonged expiratory phase|].", "{He} was tachypnoeic at {rr_hi}[, using accessory muscles|], saturations {sats_lo}%.",
                 "Peak flow was {pef}[ (best {pef_best})|]."],
        "ix": ["[an arterial gas|ABG] showed pH {ph}, pCO2 {pco2}", "the chest X-ray was [hyperexpanded|hyperinflated] with no consolidation", "CRP {crp_mid}",
               "peak flow {pef} (best {pef_best})"],
        "mx": ["{He} was given [back-to-back|regular] salbutamol and ipratropium nebulisers, oral prednisolone and controlled oxygen.",
               "Treatment comprised nebulised bronchodilators, a [five-day|5 day|seven-day] course of prednisolone and [oral doxycycline|oral amoxicillin].",
               "Inhaler technique was checked by the [respiratory nurse|specialist nurse] and the [regular inhaler was stepped up|maintenance therapy was increased]."],
        "resp": ["The wheeze settled over {n2} days and {he} was back to [baseline exercise tolerance|{his} usual level of activity].", "Nebulisers were [converted back to|switched to] inhalers on day {d}."],
    },
    "chest_other": {
        "story": ["{He} had been [increasingly|progressively] breathless over {n} days, now on minimal exertion.", "There was a dry cough and [discomfort|tightness] in the chest on the {side} side."],
        "exam": ["Reduced breath sounds on the {side} side.", "Saturations {sats_lo}% on air, RR {rr_hi}."],
        "ix": ["the chest X-ray [confirmed the clinical findings|showed the abnormality]", "[CT chest|a CT of the chest] was performed to characterise the abnormality", "blood gas on air: pO2 {po2}"],
        "mx": ["{He} was reviewed by the respiratory team, who [guided further management|advised on treatment].", "Oxygen was given to target saturations and the respiratory team advised on [treatment|next steps]."],
        "resp": ["The breathlessness improved and {he} was off oxygen by day {d}."],
    },
    "mi": {
        "story": ["{He} developed [central chest tightness|crushing central chest pain|heavy central chest pain] radiating to the {side} arm [while at rest|while watching television|at rest], lasting [about {mins} minutes|over {mins} minutes].",
                  "The pain was associated with [sweating and nausea|sweating|nausea and breathlessness].", "There had been [exertional chest discomfort|chest tightness on walking uphill] for [some weeks|a fortnight] beforehand.",
                  "The paramedics gave [aspirin and GTN|aspirin 300 mg and sublingual GTN] with partial relief."],
        "exam": ["Heart sounds were normal [with no murmurs|] and the chest was clear.", "HR {hr}, BP {sbp}/{dbp}, saturations {sats}% on air.", "{He} looked [pale and clammy|grey and sweaty|uncomfortable]."],
        "ix": ["serial [high-sensitivity |hs-|]troponins were {trop1} and {trop2}", "the ECG showed {ecg_isch}", "[echo|an echocardiogram] showed an ejection fraction of {ef}%",
               "lipids and HbA1c were sent", "[troponin|trop] {trop1} [rising to|then] {trop2}"],
        "mx": ["{He} was loaded with aspirin and [ticagrelor|clopidogrel] and started on fondaparinux [as per the ACS protocol|per local ACS guidance].",
               "{He} was discussed with [the cardiology team|cardiology] and [agreed a plan regarding coronary angiography|discussed the need for angiography].",
               "Secondary prevention was started: aspirin, a second antiplatelet, [high-intensity statin|atorvastatin 80 mg], bisoprolol and ramipril."],
        "resp": ["{He} remained pain free after day {d}.", "[Cardiac rehabilitation has been referred.|{He} has been referred to cardiac rehab.]", "There were no arrhythmias on telemetry."],
    },
    "angina": {
        "story": ["{He} described chest tightness on exertion, now coming on with less activity and [once at rest|at night].", "The discomfort eased with GTN within [minutes|a few minutes]."],
        "exam": ["Cardiovascular examination was unremarkable.", "HR {hr}, BP {sbp}/{dbp}."],
        "ix": ["serial troponins were below the threshold", "the ECG showed {ecg_isch}", "[echo|an echocardiogram] showed preserved function"],
        "mx": ["{He} was started on antianginal therapy and discussed with cardiology regarding angiography.", "Antiplatelet and statin therapy was optimised."],
        "resp": ["There was no further pain on the ward.", "{He} was mobilising around the ward without symptoms."],
    },
    "tachy": {
        "story": ["{He} noticed a [fast, irregular heartbeat|racing heart|pounding in the chest] with breathlessness on exertion for {n} days.", "There were episodes of light-headedness but no loss of consciousness.",
                  "Palpitations came on suddenly [while at rest|in the evening|after a large meal]."],
        "exam": ["Pulse {hr_hi} and irregular, BP {sbp}/{dbp}.", "Heart sounds normal, chest clear."],
        "ix": ["the ECG confirmed the rhythm", "thyroid function was normal", "[echo|an echocardiogram] showed a structurally normal heart with EF {ef}%",
               "potassium {k} and magnesium 0.9"],
        "mx": ["Rate control was achieved with [bisoprolol|bisoprolol and digoxin|diltiazem], titrated on the ward.", "{He} was monitored on telemetry and electrolytes were replaced.",
               "Stroke and bleeding risk scores were calculated and anticoagulation was discussed."],
        "resp": ["The ventricular rate was below [100|90|110] at rest by day {d}.", "Symptoms settled with rate control."],
    },
    "brady": {
        "story": ["{He} had several episodes of dizziness and near-collapse over {n} days.", "{He} felt increasingly tired and breathless on exertion."],
        "exam": ["Pulse {hr_slow}, regular; BP {sbp}/{dbp}.", "Heart sounds normal."],
        "ix": ["the ECG confirmed the conduction abnormality", "electrolytes and thyroid function were normal", "telemetry showed pauses"],
        "mx": ["Rate-limiting medicines were stopped and {he} was monitored on the coronary care unit.", "The cardiology team reviewed {him} for pacing."],
        "resp": ["{He} had no further symptoms on the ward.", "The heart rate was stable at discharge."],
    },
    "hf": {
        "story": ["{He} reported [increasing|worsening] breathlessness on exertion, orthopnoea on {n_pillows} pillows and swollen ankles over {n} days.",
                  "{His} weight had gone up by about {kg} kg over [a fortnight|two weeks|ten days].", "{He} had been waking at night [gasping for breath|short of breath|needing to sit up]."],
        "exam": ["There were [bibasal crackles|crackles at both bases], a raised JVP and pitting oedema to the [knees|mid-shins|thighs].", "Saturations {sats_lo}% on air, RR {rr_hi}, BP {sbp}/{dbp}."],
        "ix": ["NT-proBNP was {bnp}", "the chest X-ray showed [upper lobe diversion and small bilateral effusions|cardiomegaly with upper lobe diversion]",
               "[echo|the echocardiogram] showed an ejection fraction of {ef_lo}%", "ECG showed no acute ischaemic change"],
        "mx": ["{He} was treated with [IV furosemide|intravenous diuretics|a furosemide infusion] with daily weights and fluid balance monitoring.",
               "Diuretics were converted to oral on day {d} and [prognostic therapy was started|heart failure medicines were optimised].",
               "The heart failure [nurse team|specialist nurses] reviewed {him} and [optimised the medicines|adjusted the treatment]."],
        "resp": ["{He} lost {kg} kg during the admission and the oedema improved.", "By discharge {he} could walk [the ward|to the bathroom and back] without stopping."],
    },
    "pe": {
        "story": ["{He} presented with [pleuritic chest pain|sharp chest pain on breathing in] and breathlessness that came on over {n} days.", "{He} had recently been less mobile [after a long journey|after a flight|following an injury].",
                  "There was a small amount of [blood-streaked sputum|haemoptysis]."],
        "exam": ["HR {hr_hi}, saturations {sats_lo}% on air, calves soft.", "The chest was clear[ to auscultation|]."],
        "ix": ["D-dimer was raised", "Wells score {wells}", "[CTPA|the CT pulmonary angiogram] confirmed the diagnosis", "baseline clotting and renal function were normal"],
        "mx": ["{He} was started on treatment-dose anticoagulation, initially [low molecular weight heparin|dalteparin] and then a DOAC.",
               "Anticoagulation was commenced and a three-month course is planned with review."],
        "resp": ["Symptoms improved and {he} was mobilising without breathlessness.", "{He} was counselled about anticoagulation and given an alert card."],
    },
    "dvt": {
        "story": ["There was pain and swelling of the {side} calf for {n} days.", "{He} had recently been less mobile."],
        "exam": ["The {side} calf was swollen and tender, {calfdiff} cm larger than the other side.", "Chest clear, saturations {sats}%."],
        "ix": ["D-dimer was raised", "Doppler ultrasound confirmed the diagnosis", "baseline clotting was normal"],
        "mx": ["{He} was started on a DOAC for at least three months.", "Anticoagulation was started and compression advice given."],
        "resp": ["The swelling was settling at discharge."],
    },
    "stroke": {
        "story": ["{He} woke with weakness of the {side} arm and leg and slurred speech.", "Symptoms came on suddenly while {he} was [eating breakfast|watching television|in the garden]; the family called 999.",
                  "{He} was last seen well [the evening before|at {hrs} o'clock]."],
        "exam": ["There was {side}-sided weakness, power {power}/5, with facial droop.", "NIHSS on arrival was {nihss}.", "Neurological examination: {side} pronator drift."],
        "ix": ["[brain imaging|urgent head imaging] showed no haemorrhage", "MRI brain confirmed the diagnosis", "carotid Dopplers showed no significant stenosis",
               "ECG showed sinus rhythm and a [72-hour tape|72 h Holter] is pending", "lipids and HbA1c were checked"],
        "mx": ["{He} was given aspirin 300 mg for two weeks, then clopidogrel, with atorvastatin.",
               "{He} was seen by the stroke team, SALT, physiotherapy and occupational therapy.", "A swallow screen was passed and {he} was started on a [normal|soft] diet."],
        "resp": ["Power improved to {power2}/5 by discharge.", "{He} was mobilising with a frame and supervision.", "Speech had [returned to normal|improved considerably]."],
    },
    "tia": {
        "story": ["{He} had an episode of {side} arm weakness and word-finding difficulty lasting about {mins} minutes, which resolved fully.",
                  "{He} had a similar brief episode the week before."],
        "exam": ["Neurological examination was normal by the time of assessment.", "Pulse regular, BP {sbp}/{dbp}."],
        "ix": ["brain imaging showed no acute change", "carotid Dopplers showed no significant stenosis", "ECG showed sinus rhythm", "MRI brain showed no infarct"],
        "mx": ["{He} was started on clopidogrel and a statin and seen in the TIA service.", "Driving advice was given."],
        "resp": ["There were no further episodes.", "Symptoms have not recurred."],
    },
    "vascular": {
        "story": ["{He} described pain in the {side} leg on walking that now came on at rest.", "The {side} foot had become cold and painful."],
        "exam": ["Pulses were weak on the {side} with delayed capillary refill.", "The {side} foot was cool with reduced pulses."],
        "ix": ["ABPI on the {side} was {abpi}", "arterial duplex confirmed the clinical findings", "CT angiogram was performed"],
        "mx": ["{He} was reviewed by the vascular team and started on antiplatelet and statin therapy.", "Analgesia was optimised and {he} was listed for intervention."],
        "resp": ["Pain was controlled on oral analgesia by discharge."],
    },
    "collapse": {
        "story": ["{He} collapsed at home after standing up [from a chair|from the toilet|quickly], with a brief loss of consciousness and rapid recovery.",
                  "There was no tongue biting or incontinence, and no chest pain or palpitations beforehand.", "A witness said {he} went pale and was out for under a minute."],
        "exam": ["Lying BP {sbp}/{dbp}, standing BP {sbp_drop}/{dbp}.", "Heart sounds normal, no murmur; neurological examination unremarkable."],
        "ix": ["ECG showed sinus rhythm with a normal QTc", "bloods were unremarkable", "telemetry showed no arrhythmia", "echo was normal"],
        "mx": ["Antihypertensives were reviewed and {he} was given IV fluids.", "{He} was observed on telemetry and assessed by physiotherapy."],
        "resp": ["There were no further episodes on the ward.", "Lying and standing BP had improved by discharge."],
    },
    "gi_bleed": {
        "story": ["{He} [vomited fresh blood|had a large haematemesis] {n_times} times and passed [black tarry stools|melaena].", "There was epigastric pain for {n} days, worse after food.",
                  "{He} had been taking over-the-counter ibuprofen for [back pain|joint pain]."],
        "exam": ["HR {hr_hi}, BP {sbp_lo}/{dbp}; epigastric tenderness only.", "PR examination confirmed melaena."],
        "ix": ["Hb fell from {hb} to {hb_lo}", "urea {urea_hi}", "Glasgow-Blatchford score {gbs}", "the endoscopy plan was agreed with gastroenterology"],
        "mx": ["{He} was resuscitated with IV fluids and started on a PPI, and endoscopy was arranged.",
               "A high-dose PPI was continued and endoscopy was discussed with the gastroenterology team.", "NSAIDs were stopped and H. pylori testing was sent."],
        "resp": ["There was no further bleeding and the Hb was stable on repeat.", "{He} tolerated a light diet from day {d}."],
    },
    "upper_gi": {
        "story": ["{He} had [epigastric discomfort|upper abdominal pain] and reflux for {n} days, with difficulty keeping food down.", "Symptoms were worse [lying flat|after meals]."],
        "exam": ["Mild epigastric tenderness, abdomen otherwise soft.", "Observations stable."],
        "ix": ["bloods were unremarkable", "an outpatient OGD was requested", "H. pylori testing was sent"],
        "mx": ["{He} was started on a PPI and antiemetics.", "The gastroenterology team advised on further investigation."],
        "resp": ["Symptoms settled and {he} was eating normally.", "{He} tolerated a normal diet by day {d}."],
    },
    "hpb": {
        "story": ["{He} had [severe|constant] epigastric and right upper quadrant pain radiating to the back, with vomiting, for {n} days.",
                  "The pain came on after a [fatty meal|large meal|takeaway].", "{He} had had similar but milder attacks over the past [few months|year]."],
        "exam": ["Tender in the right upper quadrant, Murphy's sign positive.", "Epigastric tenderness with guarding; temperature {temp_hi}.", "[Mildly jaundiced.|Not jaundiced.]"],
        "ix": ["LFTs showed bilirubin {bili} and ALP {alp}", "lipase {lipase}", "[USS abdomen|ultrasound of the abdomen] confirmed the clinical picture", "CRP {crp_hi}"],
        "mx": ["{He} was managed with IV fluids, analgesia and antiemetics, initially nil by mouth.",
               "{He} received IV antibiotics and was discussed with the HPB team.", "The surgical team reviewed {him} regarding definitive management."],
        "resp": ["The pain settled and {he} was eating by day {d}.", "LFTs were improving on repeat."],
    },
    "surg_abdo": {
        "story": ["{He} had {n} days of abdominal pain, [initially central and then localising|initially colicky and then constant], with [vomiting and anorexia|nausea and loss of appetite].",
                  "{He} had not been able to keep anything down.", "The pain was [constant and worse on movement|worse on coughing and walking].", "Bowels had been [irregular|loose] for a few days."],
        "exam": ["The abdomen was tender with guarding in the {quadrant}.", "Temperature {temp_hi}, HR {hr_hi}.", "Bowel sounds were [reduced|sluggish]."],
        "ix": ["CT abdomen and pelvis confirmed the diagnosis", "WCC {wcc_hi}, CRP {crp_hi}", "lactate {lac_lo}", "amylase [normal|was not raised]"],
        "mx": ["{He} was kept nil by mouth with IV fluids, analgesia and antibiotics and reviewed by the surgical registrar.",
               "{He} was managed with [bowel rest|a period of rest] and IV fluids.", "The consultant surgeon reviewed {him} on the post-take round.",
               "[IV antibiotics were started|{He} was started on IV co-amoxiclav] and [a plan made|the options discussed] with {him}."],
        "resp": ["{He} was eating and drinking by day {d} with bowels open.", "Inflammatory markers settled and the pain resolved.", "[Diet was reintroduced|{He} started on free fluids, then a light diet,] without problems."],
    },
    "hernia": {
        "story": ["{He} had noticed a lump for some months that had become painful and harder to push back.", "The lump was more prominent on coughing and lifting."],
        "exam": ["There was a reducible swelling with a cough impulse.", "The abdomen was otherwise soft."],
        "ix": ["pre-operative bloods were normal", "ECG was normal"],
        "mx": ["{He} was listed for repair and consented.", "Analgesia and advice on lifting were given."],
        "resp": ["The wound was healing well.", "{He} was comfortable and eating normally."],
    },
    "lower_gi": {
        "story": ["{He} had loose watery stools up to {n_times} times a day for {n} days with [crampy lower abdominal pain|abdominal cramps].",
                  "There was [some blood mixed with the stool|no blood in the stool].", "{He} felt dizzy on standing because of poor oral intake."],
        "exam": ["The abdomen was soft with mild generalised tenderness.", "{He} was clinically dry with HR {hr_hi}."],
        "ix": ["stool culture and C. difficile testing were sent", "CRP {crp_mid}", "faecal calprotectin was [raised|sent]", "AXR showed no colonic dilatation"],
        "mx": ["{He} was rehydrated with IV fluids and kept in a side room until stools were formed.",
               "Stool charts were kept and the gastroenterology team advised on treatment."],
        "resp": ["The diarrhoea settled by day {d}.", "{He} was tolerating a normal diet by discharge."],
    },
    "liver": {
        "story": ["{He} noticed yellowing of the eyes and increasing abdominal swelling over {n} days.", "Alcohol intake was reported as {units} units a week.", "[{He} had been more confused at times.|There was no confusion.]"],
        "exam": ["{He} was jaundiced with shifting dullness and palmar erythema.", "There was no asterixis."],
        "ix": ["bilirubin {bili}, ALT {alt}, INR {inr_hi}", "liver ultrasound was performed", "a non-invasive liver screen was sent", "albumin {alb}"],
        "mx": ["{He} was seen by the hepatology team; treatment included vitamins, nutrition support and diuretics.",
               "{He} was started on spironolactone with daily weights."],
        "resp": ["Bilirubin was falling at discharge.", "Weight fell by {kg} kg with diuretics."],
    },
    "uti": {
        "story": ["{He} had [dysuria and frequency|burning on passing urine] for {n} days, then developed [fevers|temperatures] and {side} loin pain.", "[Carers|Family|Staff at the home] noticed {he} was more [muddled|confused] and the urine was [offensive|smelly|dark].",
                  "There had been rigors at home.", "{He} had been [off {his} food|drinking less] for a few days."],
        "exam": ["[Suprapubic tenderness|Mild suprapubic tenderness]; renal angle tenderness on the {side}.", "Temperature {temp_hi}, HR {hr_hi}."],
        "ix": ["urine dip positive for [leucocytes and nitrites|nitrites]", "urine culture grew a [sensitive coliform|fully sensitive E. coli|coliform]", "CRP {crp_hi}", "blood cultures were negative"],
        "mx": ["{He} was treated with IV antibiotics [per the trust urinary guideline|per local guidance], switched to oral on culture sensitivities.",
               "IV gentamicin was given and then oral antibiotics for a total of {abx_days} days.", "{He} was encouraged to drink and given IV fluids initially."],
        "resp": ["The [fever|temperature] settled within 48 hours.", "[Confusion resolved|{He} was back to {his} usual self] as the infection was treated."],
    },
    "aki": {
        "story": ["{He} had been eating and drinking [very little|poorly] for {n} days while continuing all regular tablets.", "Urine output had dropped and {he} felt [weak and dizzy|lightheaded]."],
        "exam": ["{He} was clinically dry with [reduced skin turgor|dry mucous membranes].", "BP {sbp_lo}/{dbp}, HR {hr_hi}."],
        "ix": ["creatinine was {cr_hi} (baseline {cr0})", "urea {urea_hi}", "[renal ultrasound|USS renal tract] showed no hydronephrosis", "urine dip was bland"],
        "mx": ["[Nephrotoxic and antihypertensive medicines were withheld|Ramipril and metformin were held] and {he} was given IV fluids with a fluid balance chart.",
               "Renal function was checked daily and fluids adjusted."],
        "resp": ["Creatinine improved to {cr_mid} by discharge.", "Urine output recovered on fluids."],
    },
    "stone": {
        "story": ["{He} had [severe colicky|sudden severe] {side} loin pain radiating to the groin, with vomiting.", "{He} had noticed blood in the urine.", "[{He} had had a stone before.|This was the first episode.]"],
        "exam": ["Renal angle tenderness on the {side}.", "Temperature {temp}, HR {hr}."],
        "ix": ["CT KUB confirmed the clinical diagnosis", "urine dip showed blood only", "creatinine {cr0}"],
        "mx": ["Analgesia and antiemetics were given and the urologists advised on definitive treatment.", "{He} was started on tamsulosin to aid passage."],
        "resp": ["Pain settled and {he} was passing urine normally.", "The pain resolved by day {d}."],
    },
    "lower_uro": {
        "story": ["{He} had been unable to pass urine for {hrs} hours, with [lower abdominal pain|suprapubic discomfort].", "There had been increasing [frequency, nocturia and a poor stream|hesitancy and dribbling] over [several months|the past year].",
                  "[There was visible blood in the urine.|{He} had passed some clots.|No haematuria was reported.]"],
        "exam": ["The bladder was palpable [above the pubic bone|to the umbilicus].", "PR: [smooth enlarged prostate|benign-feeling prostate]."],
        "ix": ["residual volume {rv} ml on bladder scan", "PSA was sent", "renal function was normal", "urine culture was sent"],
        "mx": ["{He} was reviewed by the urology team.", "{He} was started on tamsulosin[ and advised on fluid intake|]."],
        "resp": ["By day {d} {he} was voiding with small residuals.", "{He} was passing urine [comfortably|without difficulty]."],
    },
    "sepsis": {
        "story": ["{He} was found by {his} [family|partner|carers] to be [drowsy, hot and shivering|confused and feverish].", "{He} had been generally unwell for {n} days with [fevers|sweats] and poor intake."],
        "exam": ["HR {hr_hi}, BP {sbp_lo}/{dbp}, RR {rr_hi}, temperature {temp_hi}; NEWS2 {news_hi}.", "{He} was [peripherally shut down|cool peripherally] with a capillary refill of 4 seconds."],
        "ix": ["lactate {lac} falling to {lac_lo}", "CRP {crp_hi}, WCC {wcc_hi}", "blood cultures were taken before antibiotics", "a septic screen was completed"],
        "mx": ["The sepsis six bundle was delivered within the hour[: oxygen, cultures, IV antibiotics, fluids, lactate and urine output|].",
               "{He} received broad-spectrum IV antibiotics and fluid boluses and was reviewed by [critical care outreach|the outreach team]."],
        "resp": ["The lactate normalised and {he} did not need critical care.", "Antibiotics were rationalised on culture results."],
    },
    "skin": {
        "story": ["{He} noticed spreading redness, heat and swelling over {n} days.", "There was a small break in the skin that may have been the entry point.", "[{He} felt feverish and shivery.|There were no systemic symptoms.]"],
        "exam": ["The area of erythema was marked out; it was warm and tender.", "Temperature {temp_hi}."],
        "ix": ["CRP {crp_hi}", "WCC {wcc_hi}", "a wound swab was sent", "X-ray showed no gas or bony involvement"],
        "mx": ["{He} was treated with IV flucloxacillin with elevation and analgesia, then switched to oral antibiotics.",
               "The tissue viability nurses reviewed {him} and advised on dressings."],
        "resp": ["The erythema receded within the marked margins.", "{He} was afebrile from day {d}."],
    },
    "pressure": {
        "story": ["Nursing staff identified skin damage over a pressure area.", "{He} had been largely immobile."],
        "exam": ["The wound was documented and photographed by the nursing team.", "Heels were checked."],
        "ix": ["the Waterlow score was recalculated", "the wound was measured and documented"],
        "mx": ["Pressure-relieving mattress, repositioning and dressings were started, with tissue viability input.", "The tissue viability nurse reviewed the area."],
        "resp": ["The area was improving at discharge.", "District nurses will continue dressings."],
    },
    "dka": {
        "story": ["{He} had polyuria, thirst and vomiting for {n} days.", "{He} had missed insulin doses while unwell."],
        "exam": ["{He} was clinically dry, with deep sighing respirations.", "HR {hr_hi}."],
        "ix": ["capillary glucose {glu_hi}", "blood ketones {ketones}", "venous pH {ph}", "bicarbonate {bicarb}"],
        "mx": ["{He} was managed with the trust DKA protocol, fluids and a fixed-rate insulin infusion, with hourly monitoring.",
               "The diabetes specialist nurses reviewed {him} and sick day rules were reinforced."],
        "resp": ["Ketones cleared within 24 hours.", "{He} was back on subcutaneous insulin by day {d}."],
    },
    "diabetes": {
        "story": ["{He} had thirst and passing more urine for {n} days.", "Capillary glucose readings at home had been high."],
        "exam": ["Examination was otherwise unremarkable.", "Feet were examined and documented."],
        "ix": ["capillary glucose {glu_hi}", "HbA1c {a1c_hi}", "ketones were negative"],
        "mx": ["The diabetes team reviewed {him} and adjusted the treatment.", "Diabetes education was given."],
        "resp": ["Glucose control had improved by day {d}.", "{He} was confident with the new regimen."],
    },
    "hypo": {
        "story": ["{He} was found drowsy and sweaty by {his} partner.", "{He} had been eating less than usual."],
        "exam": ["GCS {gcs} on arrival, improving with glucose.", "No focal neurology once glucose corrected."],
        "ix": ["capillary glucose {glu_lo} on arrival", "renal function was checked", "repeat glucose monitored hourly"],
        "mx": ["{He} was given IV glucose and then a dextrose infusion, and the precipitating medicine was reviewed.", "The diabetes nurses reviewed {him}."],
        "resp": ["There were no further low readings for 48 hours before discharge."],
    },
    "metabolic": {
        "story": ["{He} had been [increasingly lethargic and unsteady|tired and unsteady on {his} feet] for {n} days.", "[Family|Carers|{His} daughter] reported [muddle|confusion] and reduced oral intake.",
                  "There had been a recent change to {his} regular medicines.", "{He} had [vomited a few times|had diarrhoea] beforehand."],
        "exam": ["{He} appeared clinically [euvolaemic|dry|well perfused].", "No focal neurology."],
        "ix": ["the admission bloods confirmed the biochemical abnormality", "serum and urine osmolality were sent", "TFTs and cortisol were checked",
               "repeat electrolytes were monitored daily", "an ECG showed no acute changes"],
        "mx": ["The abnormality was corrected slowly with careful monitoring.", "[Precipitating medicines were stopped and replacement given.|The likely culprit medicine was stopped and replacement was given.]",
               "[Fluids were adjusted|Fluid balance was monitored] and levels checked [daily|twice daily]."],
        "resp": ["Levels were back in range by day {d}.", "{He} was [brighter and more mobile|more alert and eating better] by discharge."],
    },
    "seizure": {
        "story": ["{He} had a witnessed episode of [shaking of all four limbs|generalised jerking] lasting about {mins} minutes, followed by drowsiness.",
                  "There was [tongue biting|incontinence] and {he} was confused for about an hour afterwards.", "[{He} had missed doses of medication.|There had been poor sleep and alcohol the night before.|There was no obvious trigger.]"],
        "exam": ["Neurological examination showed no focal deficit.", "GCS 15 by the time of assessment."],
        "ix": ["imaging of the head showed no acute abnormality", "glucose, calcium and magnesium were normal", "an EEG was requested", "prolactin was sent"],
        "mx": ["{He} was reviewed by the neurology team who advised on treatment.", "Driving and safety advice was given."],
        "resp": ["There were no further events during the admission."],
    },
    "neuro": {
        "story": ["{He} described new neurological symptoms over {n} days.", "Symptoms were worrying {his} family and {he} was struggling at home.", "[There was no headache.|There was an associated headache.]"],
        "exam": ["Neurological examination was documented in full.", "GCS 15."],
        "ix": ["imaging of the head showed no acute abnormality", "routine bloods were normal", "MRI was arranged"],
        "mx": ["{He} was reviewed by the neurology team who advised on treatment.", "{He} was observed with regular neurological observations."],
        "resp": ["Symptoms had settled at discharge.", "{He} was back to normal by day {d}."],
    },
    "cognitive": {
        "story": ["[Carers|Family|Staff at the home] reported that {he} had become more confused and agitated over {n} days, not sleeping at night.",
                  "Baseline: {he} is usually orientated to person and place.", "{He} had been [wandering at night|calling out at night] and refusing food."],
        "exam": ["4AT score {fourat}.", "{He} was inattentive, disorientated in time and place.", "No focal neurology."],
        "ix": ["a confusion screen was sent", "urine dip was unremarkable", "previous brain imaging showed only age-related changes", "B12 and folate normal"],
        "mx": ["{He} was managed with non-pharmacological measures, family involvement and a review of medicines.",
               "Constipation and pain were addressed and sedatives avoided where possible."],
        "resp": ["Confusion had improved towards baseline by discharge.", "{He} was sleeping better by day {d}."],
    },
    "poison": {
        "story": ["{He} was brought in after taking a number of tablets.", "Collateral history came from {his} partner.", "{He} presented within {hrs} hours of ingestion."],
        "exam": ["GCS {gcs}, pupils equal and reactive.", "Observations were stable."],
        "ix": ["timed drug levels were sent at 4 hours", "LFTs and INR were monitored", "ECG showed a normal QTc"],
        "mx": ["{He} was treated per TOXBASE guidance and reviewed by the liaison psychiatry team.", "Treatment was given according to the drug levels."],
        "resp": ["Bloods remained stable and {he} was declared medically fit on day {d}.", "{He} was seen by the mental health liaison team before discharge."],
    },
    "alcohol": {
        "story": ["{He} had been drinking about {units} units a week and stopped suddenly {n} days ago.", "{He} was tremulous and sweaty."],
        "exam": ["{He} was tremulous, HR {hr_hi}.", "No flap."],
        "ix": ["LFTs were deranged", "magnesium and phosphate were replaced", "GGT raised"],
        "mx": ["A reducing regime of chlordiazepoxide was given with IV Pabrinex, monitored with CIWA scores.", "The alcohol liaison nurse saw {him}."],
        "resp": ["Withdrawal settled and {he} completed the regime.", "{He} was given community alcohol service details."],
    },
    "mental": {
        "story": ["{He} had low mood, poor sleep and reduced appetite over several weeks.", "{His} family were concerned about changes in behaviour."],
        "exam": ["Mental state examination documented.", "Physical examination unremarkable."],
        "ix": ["routine bloods were unremarkable", "drug screen was negative"],
        "mx": ["{He} was reviewed by the liaison psychiatry team who advised on treatment and follow-up.", "A risk assessment was completed."],
        "resp": ["{He} engaged well with the team.", "Mood had improved by discharge."],
    },
    "hip": {
        "story": ["{He} [tripped at home|slipped in the kitchen|fell from standing] and landed on the {side} side, and could not weight bear afterwards.",
                  "{He} was on the floor for [about {hrs} hours|several hours] before being found.", "There was no head injury and no loss of consciousness."],
        "exam": ["The {side} leg was shortened and externally rotated.", "Distal neurovascular status [intact|was normal]."],
        "ix": ["X-rays confirmed the fracture", "Hb {hb} pre-operatively", "CK {ck}", "group and save sent"],
        "mx": ["{He} was reviewed by the orthogeriatric team and optimised for theatre.", "A fascia iliaca block was given for analgesia in ED.",
               "VTE prophylaxis and [bone health assessment|a falls and bone health review] were completed."],
        "resp": ["{He} was mobilising with a frame and physiotherapy by day {d}.", "The wound was clean and dry.", "Check X-ray was satisfactory."],
    },
    "fracture": {
        "story": ["{He} [fell|tripped|slipped] and injured the {side} side, with immediate pain and swelling.", "There was no head injury and no loss of consciousness.",
                  "[{He} could not use the limb afterwards.|Pain was worse on any movement.]"],
        "exam": ["There was bony tenderness and swelling on the {side}.", "Distal neurovascular status intact."],
        "ix": ["X-rays confirmed the fracture", "Hb {hb}", "bone profile was normal"],
        "mx": ["{He} was reviewed by the orthopaedic team, who advised on management.", "Analgesia was optimised and physiotherapy started.",
               "[A cast was applied|The limb was immobilised] and [fracture clinic follow-up arranged|elevation advised]."],
        "resp": ["{He} was mobilising safely with physiotherapy by day {d}.", "Pain was controlled on oral analgesia."],
    },
    "head_injury": {
        "story": ["{He} fell and struck {his} head, with a brief loss of consciousness.", "There was a headache and one episode of vomiting afterwards."],
        "exam": ["GCS {gcs} on arrival.", "There was a scalp haematoma with no focal neurology."],
        "ix": ["imaging was reviewed with the neurosurgical team", "clotting was normal"],
        "mx": ["{He} had neurological observations for 24 hours.", "The case was discussed with the neurosurgical team."],
        "resp": ["GCS remained 15 throughout.", "{He} was given head injury advice on discharge."],
    },
    "joint": {
        "story": ["{He} has had worsening joint pain for [several|many] years, now limiting walking to {yards} yards and disturbing sleep.",
                  "Pain had become constant despite regular analgesia and physiotherapy.", "[An injection had helped only briefly.|{He} had tried weight loss and physiotherapy.]"],
        "exam": ["Reduced range of movement with pain at the extremes.", "Neurovascularly intact distally."],
        "ix": ["X-rays showed the expected changes", "pre-operative bloods were normal", "MRSA screen was negative"],
        "mx": ["Analgesia was optimised and {he} was seen by physiotherapy.", "{He} was reviewed by the orthopaedic team.", "[Enhanced recovery protocol followed.|{He} followed the enhanced recovery pathway.]"],
        "resp": ["{He} was mobilising independently with [sticks|crutches] by day {d}.", "Pain was well controlled on oral analgesia.", "{He} managed the stairs with physiotherapy before discharge."],
    },
    "back": {
        "story": ["{He} had severe low back pain for {n} days radiating down the {side} leg.", "There were no bladder or bowel symptoms.", "[The pain started after lifting.|There was no injury.]"],
        "exam": ["Straight leg raise was limited on the {side}.", "Perianal sensation was normal."],
        "ix": ["MRI spine was performed", "bloods were unremarkable"],
        "mx": ["Analgesia was optimised and physiotherapy arranged.", "The spinal team reviewed the imaging."],
        "resp": ["{He} was mobilising independently by day {d}.", "Pain was manageable on oral analgesia."],
    },
    "inflam": {
        "story": ["There was sudden onset of a hot, swollen, painful joint over {n} days.", "{He} could not bear weight on it."],
        "exam": ["The joint was warm and swollen with an effusion.", "Temperature {temp}."],
        "ix": ["inflammatory markers were checked", "CRP {crp_mid}", "urate was checked"],
        "mx": ["{He} was treated as advised by the rheumatology team.", "Analgesia and rest were given."],
        "resp": ["The swelling settled by day {d}."],
    },
    "cancer": {
        "story": ["{He} [described|reported|had noticed] weight loss of about {kg} kg over three months, with [fatigue|tiredness] and reduced appetite.",
                  "{He} had been referred on a suspected cancer pathway by the GP.", "[There were night sweats.|{He} had felt increasingly tired.|Family had noticed {he} had lost weight.]",
                  "[An abnormality was found on a scan arranged by the GP.|{He} was admitted from clinic because of worsening symptoms.|Symptoms had progressed despite outpatient treatment.]"],
        "exam": ["{He} looked [thin|cachectic|tired]; examination findings were documented.", "[ECOG performance status|Performance status (ECOG)|PS] {ecog}."],
        "ix": ["staging CT chest, abdomen and pelvis was performed", "histology confirmed the diagnosis", "tumour markers were sent", "histology was reviewed at the MDT"],
        "mx": ["The case was discussed at the specialist MDT.", "{He} was seen by the [oncology team|oncologists] and the [specialist nurse|clinical nurse specialist], and the diagnosis was explained.",
               "Symptom control was optimised with the palliative care team.", "[Dexamethasone and analgesia were started|Analgesia was titrated] and {his} symptoms improved."],
        "resp": ["{He} will be seen in the oncology clinic to discuss treatment.", "{He} and {his} family understand the diagnosis.", "[Treatment options will be discussed in clinic.|A plan for treatment will be made in clinic.]"],
    },
    "haem": {
        "story": ["{He} complained of [tiredness|fatigue] and breathlessness on exertion over [several|a few] weeks.", "{He} [noticed easy bruising|had felt dizzy on standing]."],
        "exam": ["{He} looked pale; no lymphadenopathy.", "Examination otherwise unremarkable."],
        "ix": ["haematinics were sent", "a blood film was reviewed", "reticulocyte count was checked", "coeliac serology was sent"],
        "mx": ["{He} was discussed with the haematology team.", "Replacement therapy was started and a plan for further investigation made.",
               "[Treatment was started|Replacement therapy was started] as advised by haematology."],
        "resp": ["Counts were stable on repeat.", "Energy levels had improved."],
    },
    "cataract": {
        "story": ["{He} reported gradual blurring of vision in the {side} eye over months, with glare at night.", "Reading and driving had become difficult."],
        "exam": ["Visual acuity {side} eye 6/{va}.", "Slit lamp examination findings were documented."],
        "ix": ["biometry was completed", "intraocular pressure was measured"],
        "mx": ["{He} was listed and consented for surgery.", "Post-operative drops were prescribed."],
        "resp": ["Vision improved post-operatively.", "Drops to continue for four weeks."],
    },
    "eye": {
        "story": ["{He} had a painful red eye with blurred vision for {n} days.", "There was sensitivity to light."],
        "exam": ["Visual acuity {side} eye 6/{va}.", "Slit lamp findings documented."],
        "ix": ["intraocular pressure was measured", "swabs were sent"],
        "mx": ["Topical treatment was started by the ophthalmology team.", "{He} was reviewed daily by ophthalmology."],
        "resp": ["Vision was improving at discharge."],
    },
    "throat": {
        "story": ["{He} had a sore throat and difficulty swallowing for {n} days.", "There were recurrent episodes over the past year."],
        "exam": ["Examination of the throat and neck was documented.", "Temperature {temp_hi}."],
        "ix": ["CRP {crp_mid}", "a throat swab was sent"],
        "mx": ["{He} was managed with IV antibiotics, steroids and analgesia.", "The ENT team reviewed {him}."],
        "resp": ["{He} was swallowing normally by day {d}."],
    },
    "ear_nose": {
        "story": ["{He} had symptoms affecting the ear and nose for {n} days.", "Symptoms had been recurrent."],
        "exam": ["ENT examination findings were documented.", "Observations were stable."],
        "ix": ["CRP {crp_mid}", "a swab was sent"],
        "mx": ["The ENT team reviewed {him} and advised on treatment.", "Analgesia was given."],
        "resp": ["Symptoms settled."],
    },
    "anorectal": {
        "story": ["{He} had noticed [bright red blood on the paper|rectal bleeding|blood after opening {his} bowels] for [some weeks|several months].",
                  "There was [discomfort|pain|itching] around the back passage.", "Bowel habit had [changed|been erratic] [recently|over the last few months]."],
        "exam": ["[PR examination|Rectal examination] findings were documented.", "The abdomen was soft and non-tender."],
        "ix": ["Hb {hb}", "[flexible sigmoidoscopy|endoscopy] was arranged", "bloods were unremarkable"],
        "mx": ["{He} was listed for [the procedure|treatment] as a day case.", "[Stool softeners|Laxatives] and [topical treatment|simple analgesia] were started."],
        "resp": ["{He} was comfortable at discharge.", "Histology will be reviewed in clinic."],
    },
    "constipation": {
        "story": ["{He} had not opened {his} bowels for {n} days, with [abdominal discomfort|bloating] and reduced appetite.", "[Codeine|Opioid analgesia] had recently been started."],
        "exam": ["The abdomen was soft, [mildly distended|a little distended] and non-tender.", "PR: [hard stool in the rectum|loaded rectum]."],
        "ix": ["AXR showed faecal loading", "bloods including calcium and TFTs were normal"],
        "mx": ["{He} was treated with [regular laxatives|macrogol and senna] and an enema.", "Constipating medicines were reviewed."],
        "resp": ["Bowels opened on day {d}.", "{He} was comfortable and eating well."],
    },
    "hand": {
        "story": ["{He} described [numbness and tingling|pins and needles] in the {side} hand, worse at night, for [several months|over a year].",
                  "[Splinting|A steroid injection] had helped only briefly."],
        "exam": ["[Tinel's and Phalen's tests were positive|Sensation was reduced in the affected fingers] on the {side}.", "[Grip|Hand function] was documented."],
        "ix": ["nerve conduction studies confirmed the diagnosis", "pre-operative checks were satisfactory"],
        "mx": ["{He} was listed for day-case surgery under local anaesthetic.", "Hand therapy advice was given."],
        "resp": ["{He} went home the same day with the hand elevated.", "Sutures to be removed in 10-14 days."],
    },
    "rash": {
        "story": ["{He} developed [an itchy rash|a widespread itchy eruption] over {n} days.", "[There had been a recent new medicine.|No new soaps or medicines were reported.]"],
        "exam": ["The rash was [widespread|patchy] and documented with photographs.", "No mucosal involvement."],
        "ix": ["bloods were [unremarkable|normal]", "[a skin swab was sent|IgE was sent]"],
        "mx": ["{He} was treated with [emollients and topical steroids|antihistamines and emollients] and reviewed by dermatology.", "Possible triggers were discussed."],
        "resp": ["The rash was [settling|much improved] by discharge."],
    },
    "viral": {
        "story": ["{He} had [fevers, aches and tiredness|a viral-type illness with fevers] for {n} days.", "[Contacts|Family members] had similar symptoms."],
        "exam": ["Temperature {temp_hi}; examination otherwise [unremarkable|non-focal].", "No neck stiffness or rash of concern."],
        "ix": ["[a viral swab|a viral PCR] was sent", "CRP {crp_mid}", "bloods were otherwise unremarkable"],
        "mx": ["Management was supportive with fluids and antipyretics.", "{He} was [isolated|nursed in a side room] while infectious."],
        "resp": ["The fever settled and {he} was eating and drinking.", "{He} improved with supportive care."],
    },
    "gyn_abdo": {
        "story": ["{He} presented with [lower abdominal pain|pelvic pain] for {n} days.", "The pain was [cramping and intermittent|constant and dull].", "[There was some vaginal bleeding.|There was no vaginal bleeding.]"],
        "exam": ["Tender in the lower abdomen without peritonism.", "Observations within normal limits."],
        "ix": ["[pelvic ultrasound|a transvaginal scan] was performed", "pregnancy test was documented", "CRP {crp_mid}"],
        "mx": ["{He} was reviewed by the gynaecology team and given analgesia.", "Management options were discussed[ with {him}|]."],
        "resp": ["Pain settled.", "{He} was comfortable at discharge."],
    },
    "symptom": {
        "story": ["Symptoms had come on over {n} days [with no obvious trigger|without a clear precipitant].", "{He} had [no similar episodes before|never had anything like this before].",
                  "{He} was worried about a serious cause.", "[Nothing seemed to make it better or worse.|Simple analgesia had helped a little.]"],
        "exam": ["Examination was [unremarkable|normal|essentially normal].", "Observations were within normal limits."],
        "ix": ["bloods including FBC, U&E, LFTs and CRP were normal", "[ECG|the ECG] was normal", "imaging showed no acute abnormality", "urinalysis was normal"],
        "mx": ["{He} was observed, given symptomatic treatment and reassessed.", "After senior review no specific cause was found.", "{He} was kept in for observation overnight."],
        "resp": ["Symptoms settled with simple measures.", "{He} was reassured.", "{He} felt much better by the next morning."],
    },
    "generic": {
        "story": ["Symptoms had developed over {n} days.", "{He} had been feeling [unwell|under the weather] and was struggling at home.", "{He} had not had anything similar before."],
        "exam": ["Examination findings were in keeping with the diagnosis.", "Observations: HR {hr}, BP {sbp}/{dbp}, temperature {temp}."],
        "ix": ["routine bloods were sent", "imaging was arranged", "results supported the clinical diagnosis"],
        "mx": ["{He} was managed by the specialist team.", "Treatment was started on the ward and {his} progress monitored.", "The specialist team advised on treatment."],
        "resp": ["{He} improved steadily.", "{He} responded to treatment.", "{He} made good progress."],
    },
}
# the obstetric / neonatal / paediatric letters keep their own filler (fragments.OBS_* etc.)


def values(rng: random.Random, p) -> dict:
    """Per-letter filler values (pronouns, side, numbers); numbers for a group's own abnormal findings."""
    he = p.sex == "M"
    r, u = rng.randint, rng.uniform
    cr0 = r(60, 100)
    codes = [c for it in [p.main] + p.secondaries + p.comorbs for c in it.concept.codes]
    anaemic = any(c.startswith(("D5", "D60", "D61", "D62", "D63", "D64", "O99.0")) for c in codes)
    if any(c.startswith("N18") for c in codes):
        cr0 = r(130, 260)  # CKD: the baseline creatinine is not normal
    k = round(u(2.6, 3.2), 1) if "E87.6" in codes else round(u(6.0, 6.9), 1) if "E87.5" in codes else round(u(3.8, 4.8), 1)
    return {
        "he": "he" if he else "she", "He": "He" if he else "She", "his": "his" if he else "her", "His": "His" if he else "Her",
        "him": "him" if he else "her", "side": p.side, "n": r(2, 7), "n2": r(2, 4), "d": r(2, max(3, p.los)), "hrs": r(2, 14),
        "mins": r(10, 50), "n_times": r(3, 8), "n_pillows": r(2, 4), "kg": r(2, 6), "units": r(30, 120), "yards": r(50, 200),
        "hr": r(64, 98), "hr_hi": r(104, 138), "sbp": r(112, 160), "sbp_lo": r(84, 102), "sbp_drop": r(88, 100), "dbp": r(52, 88),
        "rr_hi": r(22, 32), "sats": r(95, 99), "sats_lo": r(86, 93), "temp": round(u(36.2, 37.4), 1), "temp_hi": round(u(37.9, 39.6), 1),
        "news_hi": r(5, 10), "crp_hi": r(110, 340), "crp_mid": r(20, 90), "crp_lo": r(10, 45), "wcc": round(u(5, 11), 1),
        "wcc_hi": round(u(13.5, 24), 1), "curb": r(1, 3), "pef": r(120, 260), "pef_best": r(350, 480), "ph": round(u(7.18, 7.33), 2),
        "pco2": round(u(6.4, 8.9), 1), "po2": round(u(7.2, 8.9), 1), "trop1": r(30, 180), "trop2": r(220, 2400),
        "ecg_isch": rng.choice(["ST depression in the lateral leads", "T-wave inversion in V1-V4", "ST elevation in the inferior leads",
                                "dynamic ST changes"]),
        "ef": r(50, 62), "ef_lo": r(20, 40), "bnp": f"{r(1200, 9800):,}", "k": k, "calf": "soft and non-tender",
        "wells": r(4, 8), "power": r(2, 4), "power2": r(4, 5), "nihss": r(3, 14), "abpi": round(u(0.3, 0.6), 2),
        "hb": (hb := r(88, 99) if anaemic else r(118, 145)), "hb_lo": r(62, hb - 8), "urea_hi": round(u(14, 32), 1), "gbs": r(6, 14), "bili": r(45, 180), "alp": r(180, 420),
        "lipase": f"{r(900, 4200):,}", "alt": r(80, 420), "inr_hi": round(u(1.4, 2.2), 1), "alb": r(22, 30),
        "quadrant": rng.choice(["right iliac fossa", "left iliac fossa", "lower abdomen", "central abdomen"]),
        "lac": round(u(3.2, 6.5), 1), "lac_lo": round(u(0.9, 1.8), 1), "abx_days": rng.choice((7, 10, 14)), "cr0": cr0,
        "cr_hi": r(cr0 * 2, cr0 * 4), "cr_mid": r(cr0 + 5, cr0 + 40), "rv": r(600, 1400), "glu_hi": r(22, 38), "ketones": round(u(3.5, 6.8), 1),
        "a1c_hi": r(70, 110), "rr": r(14, 20), "news": r(0, 4), "look": rng.choice(["comfortable at rest", "unwell", "uncomfortable", "tired", "well"]), "w": rng.choice((2, 4, 6, 8, 12)), "hr_slow": r(28, 44), "calfdiff": r(2, 5), "bicarb": r(6, 14), "glu_lo": round(u(1.2, 2.9), 1), "gcs": r(11, 14), "fourat": r(4, 10), "ck": r(300, 2400), "ecog": r(0, 3), "va": rng.choice((18, 24, 36, 60)),
    }


_MARKERS = {
    "story": ["", "", "", "", "Of note, ", "In addition, ", "{He} said that ", "According to {his} family, ", "Apparently ", "Initially, "],
    "mx": ["", "", "", "Initially ", "On admission ", "Subsequently ", "In the first instance, ", "Following senior review, ", "Thereafter ",
           "From the outset ", "Early in the admission "],
    "resp": ["", "", "", "Thankfully, ", "Reassuringly, ", "Over the following days ", "Encouragingly, ", "Overall, ", "Pleasingly, "],
}


def frag(rng: random.Random, group: str, key: str, v: dict, k: int = 1) -> list[str]:
    """k different fragments of a group's slot, filled in; story, management and response sentences
    sometimes get a discourse marker in front ("Subsequently he was ...")."""
    pool = G.get(group, G["generic"])[key]
    k = min(k, len(pool))
    out = [pool[i].format_map(v) for i in sorted(rng.sample(range(len(pool)), k))]  # authored order is chronological
    marks = _MARKERS.get(key)
    if marks:
        for i, s in enumerate(out):
            mk = rng.choice(marks)
            if mk and s[1:2].islower() and s[:1] != "[":
                out[i] = mk.format_map(v) + s[:1].lower() + s[1:]
    return out


# ---------------------------------------------------------------- slot paraphrases (with {m} = a coded mention)
DX_SENTENCES = [
    "The working diagnosis was {m}.", "This was felt to be {m}.", "Impression: {m}.", "The final diagnosis was {m}.",
    "We concluded that {his} symptoms were caused by {m}.", "Taken together, the findings were consistent with {m}.",
    "A diagnosis of {m} was made on the post-take ward round.", "The consultant's impression was of {m}.",
    "On the basis of the history and results we diagnosed {m}.", "This was most in keeping with {m}.",
    "Overall the picture was felt to represent {m}.", "The cause of {his} presentation was {m}.",
    "It was clear that this was {m}.", "These appearances were typical of {m}.", "Our diagnosis was {m}.",
    "In summary, {he} was admitted with {m}.", "The diagnosis of {m} was confirmed.", "{Pt} was therefore treated for {m}.",
    "This admission was due to {m}.", "The main problem this admission was {m}.", "We have diagnosed {m}.",
    "Following senior review, this was diagnosed as {m}.", "The team agreed the diagnosis was {m}.", "{m} was diagnosed.",
    "Findings confirmed {m}.", "Assessment: {m}.", "Clinical impression - {m}.", "Dx: {m}.",
    "This presentation was explained by {m}.", "The underlying problem was {m}.",
]
DX_WITH_SYMPTOM = [  # {sym} = an explained (uncoded) symptom mention
    "The {sym} was felt to be secondary to {m}.", "We felt that the {sym} was caused by {m}.",
    "Admitted with {sym} secondary to {m}.", "{His} {sym} was due to {m}.", "The {sym} was explained by {m}.",
    "The presenting {sym} was secondary to {m}.", "We think the {sym} was a result of {m}.",
]
NEG_NARRATIVE = [  # negated differentials in prose: {m} negated, {test}
    "We requested {test} to exclude {m}; this was normal.", "{m} was considered, but the {test} was unremarkable.",
    "We looked for {m}, but the {test} showed no evidence of it.", "There was no clinical or radiological evidence of {m}.",
    "The {test} ruled out {m}.", "We found no evidence of {m} ({test} negative).", "?{m} - {test} negative.",
    "{m} was felt unlikely and the {test} was negative, so this was not treated.",
    "The differential included {m}, which was excluded by {test}.", "Because of the risk of {m}, {test} was done: no {m}.",
    "{m} was initially suspected, but the {test} was reassuring and this was excluded.",
]
DX_UNCERTAIN_MAIN = [  # the main condition left unconfirmed at discharge: {m} already carries its ?/query marker
    "The most likely explanation was {m}.", "Working diagnosis: {m}.", "Impression at discharge: {m}.", "We are treating this as {m} pending further tests.",
    "Our leading diagnosis is {m}.",
]
OPENINGS = [
    "{Pt} was admitted on {date} with {sym}.", "{Pt} presented to the Emergency Department with {sym}.",
    "{Pt} was brought in by ambulance with {sym}.", "{Pt} was referred in by {his} GP with {sym}.",
    "{Pt} self-presented to ED with a {dur} history of {sym}.", "{Pt}, a {age}-year-old {gender}, presented with {sym}.",
    "This {age}-year-old {gender} attended ED with {sym}.", "{Pt} came to hospital with {sym}.",
    "{Pt} was seen in the Same Day Emergency Care unit with {sym} and admitted.", "{Pt} was admitted under the {spec} team with {sym}.",
    "{Pt} presented with a {dur} history of {sym}.", "{Pt} was sent in by the out-of-hours GP with {sym}.",
    "{Pt} called 999 because of {sym}.", "{Pt} was transferred from the Emergency Department with {sym}.",
]
BG_OPENINGS = [  # {bg} = a list of coded comorbidities
    "{Pt}, who has a background of {bg}, presented with {sym}.", "{Pt} has a background of {bg} and was admitted with {sym}.",
    "On a background of {bg}, {pt} presented with {sym}.", "{Pt} is known to have {bg}. {He} presented with {sym}.",
    "{Pt}, who lives with {bg}, was admitted with {sym}.", "With a history of {bg}, {pt} was admitted with {sym}.",
]
COMORB_SENTENCES = [  # {c} = a coded comorbidity
    "{His} {c} was stable and {his} usual treatment was continued.", "{c}: no change to treatment.",
    "{His} known {c} did not cause problems during the stay.", "Regular medication for {c} was continued.",
    "{c} - medicines held on admission and restarted before discharge.", "{c} was reviewed; no changes were made.",
    "We continued {his} usual medicines for {c}.", "{His} {c} remains under the care of the GP.",
    "{c} was monitored and remained stable.", "Background {c} - unchanged.", "The {c} was managed as usual.",
]
SECONDARY_INTROS = [  # problem-oriented paragraph for a coded secondary: {m}
    "{m}: ", "{m} - ", "Secondly, {m}. ", "{Pt} also had {m}. ", "The admission was complicated by {m}. ",
    "During the stay {he} developed {m}. ", "In addition, we found {m}. ", "Other issue: {m}. ", "Problem 2: {m}. ",
    "{m} was also identified. ", "A further problem was {m}. ",
]
IX_INTROS = ["Investigations: {x}.", "{X}.", "Key results: {x}.", "On investigation, {x}.", "Results: {x}.", "Tests: {x}.",
             "Ix: {x}.", "In terms of investigations, {x}.", "Work-up: {x}.", "Investigations - {x}."]
FUNCTION = ["At discharge {he} was mobilising independently and managing stairs.", "{He} was walking with a [frame|stick|rollator] and the supervision of one.",
            "[Physiotherapy and OT|The therapy team] assessed {him} and felt {he} was safe to go home with the existing package of care.",
            "{He} was back to {his} baseline mobility[ with a stick|].", "OT provided [a perching stool and a raised toilet seat|equipment for the bathroom].",
            "{He} was eating and drinking normally and bowels were open.", "Family were happy with the plan for discharge.",
            "A social work assessment was completed and carers were restarted.", "{He} was independent with personal care by discharge.",
            "[Carers will visit|A reablement package will support {him}] [twice|three times|four times] a day for the first weeks."]
PLAN_PROSE = [
    "We have arranged a [review|follow-up appointment] in the {spec} clinic in {w} weeks.", "{He} has been given [written information|an information leaflet] and knows to return if the symptoms recur.",
    "Please [check|recheck] {his} renal function and electrolytes in one week, as {his} medicines were changed.",
    "No changes were made to {his} other regular medicines.", "Please review {his} blood pressure in [two weeks|a fortnight] and adjust treatment as needed.",
    "[Community nursing has|The district nurses have] been arranged for the first week at home.", "Please repeat the full blood count in [four|six] weeks.",
    "Results still pending at discharge will be followed up by the [ward team|consultant's secretary|team].", "{He} understands the diagnosis and agrees with the plan.",
    "A copy of this letter goes to {him}.", "{He} is keen to return home and has good support from [family|{his} partner|{his} children].",
    "We would be grateful if the practice could review {his} medicines in a month.", "The discharge medicines have been explained to {him}[ and {his} family|].",
    "{He} has open access to the ward for 48 hours after discharge.", "Further outpatient tests have been requested and [the appointments will be sent to {him}|{he} will be contacted with dates].",
    "[If there are any concerns|Should you have any questions], please do not hesitate to contact the team.", "{He} was advised to [rest|take things easy] for the next few weeks.",
]
REASONING = [
    "The history, examination and results together supported this.", "Alternative explanations were considered but felt less likely.",
    "This was discussed with the consultant on the post-take ward round, who agreed.", "The timing of the symptoms fitted well with this.",
    "{He} was assessed by the medical registrar in ED and then on the post-take round.", "Senior review confirmed the plan.",
    "The results and the clinical picture were consistent.", "This fitted with the clinical findings.",
    "We explained the diagnosis to {him} and {his} family.", "A treatment escalation plan was agreed with {him} on admission.",
    "[This was the consultant's view on the post-take round.|The on-call consultant agreed.]", "[Other causes were considered.|The differential was discussed with the registrar.]",
]
VITALS = ["Observations on arrival: HR {hr}, BP {sbp}/{dbp}, RR {rr}, saturations {sats}% on air, temperature {temp}.",
          "NEWS2 on arrival was {news}.", "Obs: HR {hr}, BP {sbp}/{dbp}, sats {sats}%, T {temp}.", "{He} was alert and orientated.",
          "{He} looked {look}.", "Capillary refill was under 2 seconds."]
DAY_EVENTS = ["On day {d} ", "By day {d} ", "Day {d}: ", "On D{d} ", "Over the next {n2} days ", "Overnight on day {d} "]
EXAM_INTROS = ["On examination, ", "Examination: ", "O/E ", "On arrival ", "", "When assessed, "]
DISCHARGE_LINES = [
    "{He} was discharged home on day {los}.", "{He} was discharged after {los_days}.", "{He} was medically fit for discharge on day {los}.", "{He} went home after {los_days}.",
    "{He} was discharged to {his} usual residence.", "{He} was discharged with the package of care restarted.",
    "{He} returned home with family support.", "Discharged on day {los} in a stable condition.", "[{He} left the ward|{He} was discharged] [on day {los}|after {los_days}] [in good spirits|feeling much better|].",
]
PROC_SENTENCES = [
    "{Pt} underwent {m} on day {d}.", "{m} was performed on day {d} without complication.", "On day {d} {he} had {m}.",
    "{He} went on to have {m}.", "{m} was carried out under the {spec} team.", "{He} proceeded to {m}, which was uneventful.",
    "{m} was done on {date}.", "{He} was taken to theatre for {m}.", "Definitive treatment was {m}.",
]
PLAN_INTROS = ["Plan: ", "Follow-up: ", "For the GP: ", "Actions: ", "Going forward: ", "Recommendations: ", "Please: "]

# follow-up that fits the condition (adult letters); mixed with the generic plans in fragments.GENERIC_PLANS
PLANS_BY_GROUP: dict[str, list[str]] = {
    "pneumonia": ["complete [the course of|] antibiotics", "repeat CXR in 6 weeks[ to confirm resolution|]", "GP review if [fevers return|not improving]"],
    "lrti": ["complete [the course of|] antibiotics", "GP review if not improving in 48 h"],
    "airways": ["[pulmonary rehab referral|referral to pulmonary rehabilitation]", "inhaler technique reviewed", "respiratory nurse follow-up", "steroid course to finish in 5 days"],
    "chest_other": ["respiratory clinic in 6 weeks", "repeat CXR in 6 weeks"],
    "mi": ["cardiac rehab referral", "cardiology clinic in 6 weeks", "GP to titrate [bisoprolol|ramipril]", "dual antiplatelets for 12 months"],
    "angina": ["cardiology OP review", "GP to titrate antianginals", "[outpatient «P?:angiography»|CT coronary angiogram as OP]"],
    "tachy": ["GP to titrate bisoprolol", "echo as outpatient", "anticoagulation to continue; GP to review in 4 weeks"],
    "brady": ["pacing clinic follow-up", "cardiology OP review"],
    "hf": ["heart failure nurse to review", "daily weights at home", "GP to recheck U&E in 1 week", "GP to titrate diuretics"],
    "pe": ["anticoagulation for at least 3 months", "VTE clinic follow-up", "[alert card given|anticoagulation counselling done]"],
    "dvt": ["anticoagulation for 3 months", "VTE clinic review"],
    "stroke": ["stroke clinic in 6 weeks", "community stroke rehab team", "no driving for 1 month", "72-hour tape as outpatient"],
    "tia": ["TIA clinic follow-up", "no driving for 1 month", "carotid imaging result to be reviewed"],
    "vascular": ["vascular clinic review", "best medical therapy to continue"],
    "collapse": ["falls clinic referral", "24-hour tape as outpatient", "GP to review antihypertensives"],
    "gi_bleed": ["repeat «P?:OGD» in 6 weeks", "H. pylori result to GP", "avoid NSAIDs", "GP to check FBC in 2 weeks"],
    "upper_gi": ["«P?:OGD» in 6 weeks", "continue PPI for 8 weeks"],
    "hpb": ["[listed for|referral for] «P?:laparoscopic cholecystectomy»", "repeat LFTs in 4 weeks", "low-fat diet advice given"],
    "surg_abdo": ["surgical clinic in 6 weeks", "complete oral antibiotics", "«P?:colonoscopy» in 6-8 weeks"],
    "hernia": ["surgical OP review", "no heavy lifting for 6 weeks"],
    "lower_gi": ["stool results to GP", "gastroenterology OP review"],
    "liver": ["hepatology clinic", "alcohol liaison team follow up", "repeat LFTs in 4 weeks"],
    "uti": ["complete [the course of|] antibiotics", "GP to review culture results"],
    "aki": ["GP to recheck U&E in 1 week", "restart ramipril if creatinine stable", "sick day rules explained"],
    "stone": ["urology OP review", "CT KUB in 4 weeks", "drink plenty of fluids"],
    "lower_uro": ["urology OP review", "PSA result to GP", "TWOC in clinic"],
    "sepsis": ["complete antibiotics", "GP review in 1 week"],
    "skin": ["complete oral antibiotics", "district nurses for dressings", "mark the area and return if spreading"],
    "pressure": ["district nurses for dressings", "pressure-relieving mattress at home"],
    "dka": ["diabetes team to follow up", "sick day rules reinforced"],
    "diabetes": ["diabetes team to follow up", "HbA1c in 3 months", "retinal screening"],
    "hypo": ["diabetes team to follow up", "DVLA advice given"],
    "metabolic": ["GP to repeat U&E in 1 week", "endocrine OP review"],
    "seizure": ["first fit clinic", "no driving until reviewed (DVLA)", "EEG as outpatient"],
    "neuro": ["neurology OP review", "MRI as outpatient"],
    "cognitive": ["memory clinic referral", "GP to review sedative medicines"],
    "poison": ["community mental health team follow-up", "crisis team contact details given"],
    "alcohol": ["alcohol liaison team follow up", "community alcohol services"],
    "mental": ["community mental health team follow-up", "GP review in 2 weeks"],
    "hip": ["fracture clinic in 6 weeks", "remove clips day 10-14", "bone protection: GP to start bisphosphonate", "VTE prophylaxis for 28 days"],
    "fracture": ["fracture clinic in 2 weeks", "analgesia as required", "physio referral made"],
    "head_injury": ["head injury advice given", "GP review if headache persists"],
    "joint": ["orthopaedic clinic in 6 weeks", "remove clips day 10-14", "physiotherapy exercises", "VTE prophylaxis as prescribed"],
    "back": ["physio referral made", "spinal clinic review", "red flag advice given"],
    "inflam": ["rheumatology OP review", "urate level in 4 weeks"],
    "cancer": ["oncology clinic to discuss treatment", "specialist nurse to contact", "palliative care team aware"],
    "haem": ["haematology OP review", "repeat FBC in 4 weeks"],
    "cataract": ["eye clinic in 4 weeks", "drops as prescribed"],
    "eye": ["eye clinic review", "drops as prescribed"],
    "throat": ["ENT OP review if recurrent", "complete antibiotics"],
    "ear_nose": ["ENT OP review"],
    "gyn_abdo": ["gynaecology OP review", "GP review if pain recurs"],
    "anorectal": ["histology to clinic", "surgical OP review", "stool softeners"],
    "constipation": ["regular laxatives", "GP to review analgesia"],
    "hand": ["wound check at 5-7 days", "hand therapy referral"],
    "rash": ["dermatology OP review", "emollients"],
    "viral": ["GP review if not improving"],
    "symptom": ["GP review if symptoms recur", "no follow up required", "OP investigations as listed"],
}

