"""Filler and phrasing fragments for the letters: headings, openers, trap templates, drugs,
investigations and plans. Many small pieces combined at random, so no two letters share a template.

Slots: {m} = a coded mention (becomes a gold span), {pt} patient reference, {test} a test name.
Written by hand for this project."""

from __future__ import annotations

SPECIALTY_NAMES = {
    "med": ["General Medicine", "Acute Medicine", "Acute Medical Unit", "General Internal Medicine"],
    "resp": ["Respiratory Medicine"], "cardio": ["Cardiology"], "gastro": ["Gastroenterology"],
    "surg": ["General Surgery", "Emergency General Surgery", "Colorectal Surgery"],
    "ortho": ["Trauma & Orthopaedics", "Orthopaedics", "Trauma and Orthopaedics"],
    "obs": ["Obstetrics", "Maternity"], "gyn": ["Gynaecology"], "paed": ["Paediatrics"],
    "neo": ["Neonatology", "Paediatrics"], "stroke": ["Stroke Medicine"],
    "geri": ["Geriatric Medicine", "Care of the Elderly", "Elderly Care"], "uro": ["Urology"],
    "renal": ["Nephrology", "Renal Medicine"], "onc": ["Oncology", "Acute Oncology"], "haem": ["Haematology"],
    "ent": ["ENT", "Otolaryngology"], "ophth": ["Ophthalmology"], "psych": ["General Medicine"],
    "derm": ["Dermatology", "Plastic Surgery"], "endo": ["Endocrinology", "Diabetes & Endocrinology"],
    "neuro": ["Neurology"], "id": ["Infectious Diseases", "General Medicine"], "vasc": ["Vascular Surgery"],
    "rheum": ["Rheumatology", "General Medicine"], "plastics": ["Plastic Surgery", "Hand Surgery"],
}

TITLES = ["DISCHARGE SUMMARY", "Discharge Summary", "Inpatient Discharge Summary", "eDischarge summary",
          "Discharge letter", "DISCHARGE NOTIFICATION", "Hospital discharge summary", "Discharge Summary (TTO)",
          "Ward discharge summary", "Clinical discharge letter", "Immediate discharge letter", ""]

HEADINGS = {
    "dx": ["Diagnosis", "Diagnoses", "Primary diagnosis", "Main diagnosis", "Final diagnosis", "Impression",
           "Dx", "Discharge diagnosis", "Principal diagnosis", "Working diagnosis", "DIAGNOSIS", "Diagnosis on discharge",
           "Main problem", "Primary Dx", "Reason for admission"],
    "sec": ["Secondary diagnoses", "Other diagnoses", "Other problems", "Secondary dx", "Also", "Additional diagnoses",
            "Other active problems", "Complications", "Other issues this admission", "Secondary problems"],
    "pmh": ["PMH", "Past medical history", "Background", "Past history", "PMHx", "Co-morbidities", "Comorbidities",
            "Relevant PMH", "Medical history", "Past Medical History", "Bg", "Known conditions", "Background history"],
    "pc": ["Presenting complaint", "PC", "Presentation", "Reason for admission", "HPC", "History", "Presenting problem",
           "History of presenting complaint"],
    "course": ["Clinical summary", "Hospital course", "Summary", "Progress", "Inpatient stay", "Summary of admission",
               "Clinical details", "Course", "Admission summary", "Narrative", "Clinical course", "Details"],
    "ix": ["Investigations", "Ix", "Results", "Key investigations", "Relevant results", "Key results", "Bloods/imaging",
           "Investigation results", "INVESTIGATIONS"],
    "px": ["Procedures", "Procedures performed", "Operation", "Operations/procedures", "Interventions", "Procedure(s)",
           "Px", "Procedures this admission", "Operations and procedures", "Procedure"],
    "meds": ["Medications on discharge", "TTO", "Discharge medications", "TTOs", "Meds", "Drugs on discharge",
             "Medication", "Discharge meds", "Medications", "Rx on discharge"],
    "changes": ["Medication changes", "Changes to medication", "Med changes", "Drug changes"],
    "plan": ["Plan", "GP actions", "Actions for GP", "Follow-up", "Recommendations", "Plan on discharge",
             "Requests to GP", "Follow up", "Actions", "Ongoing plan", "Follow-up arrangements", "PLAN"],
    "allergy": ["Allergies", "Allergies/ADRs", "Drug allergies", "Allergy status", "Allergies & sensitivities", "ALLERGIES"],
    "social": ["Social", "Social history", "SH", "Social hx", "Social circumstances", "Social situation"],
    "fh": ["FH", "Family history", "FHx", "Family hx"],
    "exam": ["Examination", "O/E", "On examination", "Exam"],
}

ALLERGIES = ["NKDA", "NKDA", "No known drug allergies", "nkda", "Penicillin (rash)", "penicillin - anaphylaxis",
             "Codeine (vomiting)", "Trimethoprim", "None known", "Latex", "clarithromycin - GI upset",
             "Sulfonamides", "NKA", "Morphine (itch)", "Elastoplast", "None"]

SOCIAL = ["Lives with wife in a bungalow, independent with ADLs.", "Lives alone, carers BD.",
          "Lives with husband, mobilises with a stick.", "Nursing home resident.", "Residential home, Zimmer frame.",
          "Lives with partner and 2 children.", "Ex-smoker (stopped 2010), drinks 10 units/week.",
          "Never smoked, no alcohol.", "Independent, still driving.", "Lives with daughter, POC QDS.",
          "Works as a builder. Drinks socially.", "Retired teacher, lives with wife.",
          "Ex-smoker 30 pack years.", "Lives in warden-controlled flat.", "Drinks approx 20 units/week.",
          "Mobile with rollator, package of care TDS.", "Lives with mum and dad, attends nursery.",
          "Works in IT, lives alone.", "Lives with son, uses wheelchair outdoors."]
SOCIAL_CHILD = ["Lives with mum and dad, attends nursery.", "Lives with parents and older sibling.", "Attends primary school.",
                "Lives with mum; no social care involvement.", "Immunisations up to date.", "Lives with parents, no smokers at home."]

PATIENT_LINES = [
    "Patient: ___   NHS number: ___   DOB: ___", "Name: ___  Hospital no: ___", "Re: ___, DOB ___",
    "Patient name: ___ | MRN ___ | DOB ___", "Pt: ___ (NHS no ___)", "PATIENT: ___  D.O.B ___  NHS ___",
    "Name ___ DOB ___ Hosp No ___", "",
]

CLINICIANS = ["Dr ___", "Dr ___ (FY1)", "Dr ___, ST3 Medicine", "Mr ___, Consultant Surgeon", "Dr ___ (SHO)",
              "Dr ___, Consultant Physician", "Miss ___, Consultant", "Dr ___ CT2", "___ (ANP)", "Dr ___ FY2"]

WARDS = ["Ward 7", "AMU", "Ward 12B", "Elm Ward", "Ward 23", "Oak ward", "Ward 31", "Ward 9", "Ash ward", "Ward 15"]
SPEC_WARDS = {"obs": ["Labour ward", "Delivery suite", "Postnatal ward"], "paed": ["Childrens ward", "PAU", "Puffin ward"],
              "neo": ["NNU", "Postnatal ward", "Transitional care"], "cardio": ["CCU", "Cardiology ward"],
              "surg": ["SAU", "Surgical ward 5"], "ortho": ["Ward 4 (Ortho)", "Trauma ward"], "stroke": ["ASU", "HASU"],
              "geri": ["Frailty unit", "COTE ward 2"], "uro": ["Day surgery unit", "Urology ward"]}
PAED_DRUGS = ["paracetamol 15 mg/kg QDS PRN", "ibuprofen 10 mg/kg TDS PRN", "amoxicillin 250 mg TDS (5 days)",
              "salbutamol 100 mcg via spacer PRN", "prednisolone 1 mg/kg OD (3 days)", "Dioralyte", "Calpol PRN",
              "movicol paediatric 1 sachet OD", "nil regular"]

# ---------------------------------------------------------------- trap templates
NEG_TEMPLATES = [
    "no evidence of {m}", "{m} was excluded", "{m} ruled out", "?{m} - {test} negative", "{m} excluded",
    "{test} negative for {m}", "no features of {m}", "no signs of {m}", "{test} did not show {m}",
    "not in keeping with {m}", "{m} excluded on {test}", "initially treated as possible {m} but {test} was negative and this was stopped",
    "query {m} - excluded", "{m} was considered but excluded", "no {m}", "negative for {m}",
    "{m} has been ruled out", "{test} - no {m}", "there was no evidence of {m} on {test}",
    "{m} was ruled out with a negative {test}", "low suspicion of {m}, {test} normal - excluded",
    "{test}: no {m}", "No {m} on {test}", "{test} excluded {m}", "{m} unlikely - {test} normal, not treated",
    "?{m} -> {test} clear", "no convincing evidence of {m}", "{m} - not confirmed, {test} negative",
    "{test} showed no evidence of {m}", "NOT {m}", "{m} was discounted",
]
NEG_TESTS = {
    "I26": ["CTPA", "CT pulmonary angiogram", "V/Q scan"], "I21": ["serial troponins", "troponin", "ECG and troponin"],
    "J18": ["CXR", "chest X-ray", "chest x ray"], "J15": ["CXR"], "J13": ["CXR"], "I80": ["Doppler", "leg Doppler USS"],
    "G03": ["clinical assessment", "examination"], "K35": ["USS", "CT abdomen"], "I63": ["MRI head", "MRI brain"], "I61": ["MRI"],
    "I64": ["MRI head"], "S72": ["hip X-ray", "CT hip"], "N39": ["urine culture", "urine dip"], "A41": ["blood cultures"],
    "I44": ["24 h tape", "ECG"], "N10": ["urine culture"], "L03": ["Doppler"], "J44": ["spirometry"],
    "I50": ["echo", "BNP"], "K57": ["CT"], "K56": ["CT abdomen"], "N83": ["pelvic USS"],
}
DEFAULT_TESTS = ["imaging", "bloods", "CT", "investigations", "work-up"]

FAMILY_TEMPLATES = [
    "{rel} had {m}", "FH of {m} ({rel})", "strong family history of {m}", "{rel} died of {m} aged {age}",
    "{rel} - {m}", "family history of {m} in {rel}", "{rel} diagnosed with {m} at {age}",
    "there is a family history of {m} ({rel})", "{rel} was treated for {m}", "{m} in the family ({rel})",
    "{rel} had {m} in later life", "FHx: {rel} - {m}",
]
RELATIVES = ["mother", "father", "sister", "brother", "maternal grandmother", "paternal uncle", "mum", "dad"]
FAMILY_CODES = ["C50.9", "C18.9", "I25.1", "I21.9", "E11.9", "I64", "F03", "G20", "C56", "I26.9", "C34.9", "G30.9+F00.9",
                "I10", "C25.9"]

HIST_TEMPLATES = [
    "previous {m}", "{m} as a child", "{m} in {year}, fully resolved", "treated for {m} in {year}", "hx of {m} (resolved)",
    "{m} {year} - resolved", "past history of {m}, no recurrence", "{m} years ago, nil since", "remote {m}",
    "treated for {m} as a child",
    "{m} many years ago, now resolved", "an episode of {m} in {year} with no recurrence", "{m} ({year}) - resolved",
    "childhood {m}", "had {m} in {year}, fully recovered",
]
HIST_DX = ["N17.9", "E87.1", "D64.9", "A15.0", "J18.9", "N39.0", "L03.1", "K35.8", "K80.0", "N20.1", "A09.9", "J45.9", "K25.9", "H66.9",
           "I80.2", "J93.1", "S52.5", "S82.8", "B02.9", "K85.9", "O00.1", "G51.0", "F32.9"]
HIST_PROC = ["open_appx", "lap_chole", "tonsillectomy", "hernia_repair", "el_cs", "tah", "circ", "grommets", "lap_appx"]
HIST_PROC_TEMPLATES = ["previous {m}", "{m} {year}", "s/p {m}", "{m} as a child", "had {m} in {year}",
                       "{m} ({year})", "past surgical history: {m}"]

HYPO_TEMPLATES = [
    "if {sym} recurs, consider {m}", "return if any signs of {m}", "risk of {m} discussed",
    "should symptoms worsen, {m} would need to be excluded", "safety-netted re {m}", "low threshold to investigate for {m}",
    "advised to seek help if features of {m}", "consider {m} if fevers return", "if {sym} develops, assess for {m}",
    "return to ED if symptoms suggestive of {m}", "at risk of {m} - advice given",
    "please consider {m} if the {sym} recurs", "if there is further {sym}, {m} should be considered",
    "we would have a low threshold for excluding {m} if {sym} recurs", "advised about the warning signs of {m}",
]
HYPO_PROC_TEMPLATES = [
    "GP to consider {m} if symptoms persist", "may need {m} in future", "if no improvement, GP to refer for {m}",
    "would need {m} if this recurs", "consider {m} as outpatient if {sym} continues", "{m} to be considered if no better",
    "may be listed for {m} in future", "if {sym} recurs, refer for {m}",
]
NEG_SYMPTOM_CODES = ["R07.4", "R06.0", "R05", "R50.9", "R10.4", "R11", "R51", "R04.2", "R00.2", "R55", "R63.4", "R42",
                     "R30.0", "R31"]
HYPO_DX = ["I26.9", "I80.2", "J18.9", "A41.9", "I63.9", "K35.8", "N10", "I21.4", "L03.1", "G03.9", "I50.9", "N17.9"]
HYPO_PROC = ["colonoscopy", "ogd", "angio", "tkr", "lap_chole", "ppm", "cysto", "hernia_repair", "flexi",
             "bronchoscopy", "dccv", "turp"]

UNC_TEMPLATES = ["?{m}", "possible {m}", "query {m}", "suspected {m}", "{m}?", "?? {m}", "possible early {m}",
                 "{m} - not confirmed", "differential: {m}", "{m} cannot be excluded", "question of {m}", "?underlying {m}"]
UNC_FOLLOW = [" - for outpatient investigation", " - GP to follow up", " - for OP review", "; to be reassessed in clinic",
              " - refer on if persists", "", "", " (for further tests as OP)"]
PROB_TEMPLATES = ["probable {m}", "presumed {m}", "treated as {m}", "likely {m} - treated as such", "treat as {m}",
                  "{m} (presumed)", "probable {m}, treated", "presumed {m} - responded to treatment"]

SYMPTOM_NEG = ["denies {m}", "no {m}", "nil {m}", "no history of {m}", "{m} - nil", "not reporting any {m}"]

# ---------------------------------------------------------------- drugs
DRUGS_BY_CODE = {
    "I10": ["amlodipine 5 mg OD", "ramipril 5 mg OD", "lisinopril 10mg od", "indapamide 2.5 mg OD", "losartan 50 mg OD",
            "amlodipine 10mg once daily", "doxazosin 4 mg OD"],
    "E11": ["metformin 500 mg BD", "metformin 1 g BD", "gliclazide 80 mg BD", "sitagliptin 100 mg OD",
            "empagliflozin 10 mg OD", "dapagliflozin 10mg OD", "insulin glargine 20 units nocte"],
    "E10": ["Lantus 18 units nocte", "NovoRapid sliding scale with meals", "insulin detemir BD", "Humalog with meals"],
    "J44": ["tiotropium 18 mcg OD", "Fostair 100/6 2 puffs BD", "salbutamol inhaler PRN", "Trimbow 2 puffs BD",
            "carbocisteine 375 mg TDS"],
    "J45": ["Clenil 100 mcg 2 puffs BD", "salbutamol 100 mcg PRN", "Symbicort 200/6 1 puff BD", "montelukast 10 mg ON"],
    "I48": ["bisoprolol 2.5 mg OD", "bisoprolol 5mg od", "digoxin 62.5 mcg OD", "diltiazem MR 120 mg OD"],
    "Z92": ["apixaban 5 mg BD", "rivaroxaban 20 mg OD", "edoxaban 60 mg OD", "warfarin as per INR", "apixaban 2.5mg BD"],
    "I25": ["aspirin 75 mg OD", "atorvastatin 80 mg ON", "GTN spray PRN", "isosorbide mononitrate 30 mg OD"],
    "I21": ["aspirin 75 mg OD", "ticagrelor 90 mg BD", "atorvastatin 80 mg nocte", "bisoprolol 2.5 mg OD", "ramipril 2.5 mg OD"],
    "I50": ["furosemide 40 mg OM", "bumetanide 1 mg BD", "spironolactone 25 mg OD", "sacubitril/valsartan 24/26 mg BD"],
    "E78": ["atorvastatin 20 mg ON", "simvastatin 40 mg nocte", "rosuvastatin 10 mg"],
    "E03": ["levothyroxine 100 mcg OD", "levothyroxine 75 micrograms OD"],
    "F32": ["sertraline 50 mg OD", "citalopram 20 mg OD", "mirtazapine 15 mg ON"],
    "F41": ["sertraline 100 mg OD", "propranolol 10 mg TDS PRN"],
    "M10": ["allopurinol 100 mg OD", "colchicine 500 mcg BD"],
    "F00": ["donepezil 10 mg ON"], "F03": ["memantine 10 mg OD"], "G20": ["co-careldopa 25/100 TDS", "Madopar 62.5 QDS"],
    "G40": ["levetiracetam 500 mg BD", "lamotrigine 100 mg BD", "sodium valproate 500 mg BD"],
    "K21": ["omeprazole 20 mg OD", "lansoprazole 30 mg OD"], "M81": ["alendronic acid 70 mg weekly", "Adcal D3 1 tab BD"],
    "N18": ["calcichew D3", "sodium bicarbonate 500 mg TDS"], "N40": ["tamsulosin 400 mcg OD", "finasteride 5 mg OD"],
    "M06": ["methotrexate 15 mg weekly (Fri)", "folic acid 5 mg weekly", "hydroxychloroquine 200 mg BD"],
    "D50": ["ferrous fumarate 210 mg BD", "ferrous sulphate 200 mg OD"], "G47": ["CPAP at night"],
}
ANTIBIOTICS = ["co-amoxiclav 625 mg TDS", "amoxicillin 500 mg TDS", "doxycycline 100 mg OD", "clarithromycin 500 mg BD",
               "nitrofurantoin 50 mg QDS", "flucloxacillin 1 g QDS", "cefalexin 500 mg BD", "co-trimoxazole 960 mg BD",
               "Tazocin IV (completed)", "IV co-amoxiclav then oral", "ciprofloxacin 500 mg BD", "clindamycin 450 mg QDS",
               "gentamicin stat then co-amoxiclav", "piperacillin-tazobactam", "IV ceftriaxone", "temocillin IV"]
COMMON_DRUGS = ["paracetamol 1 g QDS PRN", "omeprazole 20 mg OD", "lansoprazole 15mg od", "senna 15 mg ON",
                "laxido 1 sachet BD", "codeine 30 mg QDS PRN", "vitamin D 800 units OD", "co-codamol 30/500 2 tabs QDS",
                "oramorph 2.5-5 mg PRN", "macrogol PRN", "thiamine 100 mg TDS", "folic acid 5 mg OD", "cetirizine 10 mg OD",
                "Adcal-D3 BD", "lactulose 10 ml BD", "tramadol 50mg QDS PRN", "dalteparin 5000 units OD (28 days)",
                "enoxaparin 40 mg SC OD", "prednisolone 30 mg OD (5 days)", "Ensure twice a day", "chlorphenamine 4 mg PRN",
                "hyoscine butylbromide PRN", "ondansetron 4 mg PRN", "zopiclone 3.75 mg ON PRN"]
STOPPED = ["ramipril withheld (AKI)", "metformin held", "amlodipine stopped", "bendroflumethiazide stopped",
           "ibuprofen stopped", "furosemide dose reduced", "gliclazide stopped", "NSAIDs to be avoided",
           "aspirin stopped - now on apixaban", "citalopram reduced to 10 mg", "zopiclone stopped"]

# ---------------------------------------------------------------- investigations / findings
INV_BY_CODE = {
    "J18": ["CXR: {side} lower zone consolidation", "CXR - consolidation {side} base", "CRP 212, WCC 16.1",
            "CURB-65 score 2", "sputum culture: no growth", "pneumococcal urinary antigen negative"],
    "J44": ["ABG: pH 7.31, pCO2 7.2, pO2 7.9", "CXR hyperexpanded, no consolidation", "peak flow 180", "VBG pH 7.33"],
    "J22": ["CXR clear", "CRP 48", "sputum sent"], "I26": ["CTPA: filling defects {side} lower lobe", "D-dimer 2.1",
            "CTPA showed bilateral segmental emboli", "echo - no RV strain"],
    "I21": ["troponin 845 -> 1620", "trop 34 \u2192 410", "ECG: ST depression V4-V6", "hs-troponin 76 then 310", "echo EF 45%, anterior hypokinesia"],
    "I48": ["ECG: «D:AF» rate 140", "ECG - «D:AF» 120 bpm", "TFTs normal", "echo: dilated LA, EF 55%"],
    "I50": ["BNP 2400", "echo EF 30%", "CXR: upper lobe diversion, bilateral effusions", "NT-proBNP 5,600"],
    "I63": ["MRI: restricted diffusion {side} MCA territory", "imaging - no haemorrhage", "MRI: «D:acute infarct»",
            "carotid dopplers: <50% stenosis", "NIHSS 6"],
    "G45": ["MRI head normal", "carotid doppler no significant stenosis", "ECG sinus rhythm", "ABCD2 4"],
    "N39": ["urine dip: leucs +++, nitrites +", "MSU sent", "urine culture mixed growth", "CRP 96"],
    "A41": ["lactate 4.1", "blood cultures sent", "lactate 2.8 -> 1.2", "CRP 310, WCC 21", "blood cultures negative"],
    "N17": ["creatinine 245 (baseline 90)", "Cr 180 -> 102 on discharge", "Cr 245 \u2192 130", "Cr \u2191 210", "USS KUB: no hydronephrosis", "urea 18.2"],
    "S72": ["Hb 98 post-op", "XR {side} hip: fracture", "group and save sent"],
    "S72.0": ["XR pelvis: displaced «D:intracapsular #NOF»", "hip X-ray - {side} «D:intracapsular fracture»", "Hb 98 post-op",
              "XR {side} hip: fracture"],
    "S72.1": ["hip X-ray - {side} «D:intertrochanteric fracture»", "XR pelvis: «D:pertrochanteric fracture» {side}",
              "Hb 98 post-op", "XR {side} hip: fracture"],
    "K35": ["CT abdomen: «D:acute appendicitis»", "USS: non-compressible appendix", "WCC 15.3, CRP 88"],
    "K80": ["USS abdomen: «D:gallstones», thick-walled GB", "LFTs: ALP 210", "USS: «D:cholelithiasis»"],
    "K85": ["lipase 2,400", "amylase 1,860", "CT: peripancreatic stranding", "USS: gallstones"],
    "K92": ["Hb 72", "Glasgow-Blatchford 12", "urea 21", "Hb 88 -> 95"],
    "E87": ["Na 118 -> 131", "Na 119 \u2192 128", "Na \u2193 121", "serum osmolality 252", "K 2.7", "urine Na 45"],
    "E10": ["pH 7.12, ketones 5.8", "glucose 32", "bicarbonate 9"], "L03": ["CRP 140", "WCC 13.2", "Doppler negative"],
    "I80": ["Doppler: occlusive «D:DVT» {side} popliteal vein", "D-dimer raised"],
    "R55": ["ECG sinus rhythm", "lying/standing BP: no drop", "24h tape normal", "echo normal"],
    "R07": ["troponin <5 x2", "ECG normal", "CXR clear"],
}
GENERIC_INV = ["Hb {hb}, WCC {wcc}, plt {plt}", "Na {na}, K {k}, Ur {ur}, Cr {cr}", "CRP {crp}", "LFTs normal",
               "ECG: sinus rhythm", "CXR: clear lung fields", "bloods unremarkable", "eGFR {egfr}",
               "TFTs normal", "Mg 0.84", "INR 1.1", "VBG lactate 1.4", "urine dip NAD", "CXR - no acute changes",
               "Hb {hb} g/L", "WCC {wcc} CRP {crp}", "Cr {cr} (baseline {cr0})"]

TREATMENTS = {
    "J18": ["IV co-amoxiclav and clarithromycin", "amoxicillin and clarithromycin", "IV antibiotics", "oxygen and antibiotics"],
    "J44": ["nebulisers, prednisolone and doxycycline", "back-to-back nebs, steroids, antibiotics", "salbutamol/ipratropium nebs and pred 30 mg"],
    "J22": ["oral doxycycline", "amoxicillin", "antibiotics and chest physio"],
    "N39": ["IV gentamicin then oral co-amoxiclav", "nitrofurantoin", "IV co-amoxiclav", "trimethoprim (sensitive)"],
    "A41": ["sepsis six, IV Tazocin", "IV fluids and broad-spectrum antibiotics", "IV meropenem then oral step-down"],
    "I21": ["ACS protocol, ticagrelor and fondaparinux", "dual antiplatelets and LMWH"],
    "I48": ["rate control with bisoprolol", "IV digoxin then bisoprolol", "amiodarone loading"],
    "I50": ["IV furosemide", "IV diuretics with daily weights", "furosemide infusion"],
    "I26": ["apixaban", "treatment dose dalteparin then apixaban", "rivaroxaban"],
    "N17": ["IV fluids, nephrotoxics held", "fluid resuscitation", "IV fluids"],
    "L03": ["IV flucloxacillin", "IV benzylpenicillin and flucloxacillin", "oral clindamycin"],
    "E87": ["fluid restriction", "slow IV saline", "IV potassium replacement"],
    "K85": ["IV fluids, analgesia, NBM", "supportive management"], "E10": ["FRIII and fluids as per DKA protocol"],
    "F10": ["chlordiazepoxide reducing regime and Pabrinex"], "I63": ["aspirin 300 mg", "clopidogrel and atorvastatin"],
    "K92": ["PPI infusion", "IV PPI and tranexamic acid"], "K56": ["conservative management with IV fluids", "NBM, IV fluids and analgesia"],
}
GENERIC_TX = ["treatment as per local guidelines", "conservative management", "supportive care",
              "IV fluids and analgesia", "medical management", "simple analgesia and observation",
              "analgesia, fluids and monitoring", "standard medical therapy"]

PLANS = [
    "GP to recheck U&E in 1 week", "GP to repeat bloods in 2 weeks", "OP clinic in 6 weeks", "follow up in {spec} clinic",
    "district nurses for dressings", "fracture clinic in 2 weeks", "remove clips day 10-14", "no follow up required",
    "safety-netted, return if worse", "driving advice given", "complete course of antibiotics", "repeat CXR in 6 weeks",
    "GP to review BP", "physio referral made", "OT assessment completed, home with POC", "for PT/OT at home",
    "GP to titrate bisoprolol", "to see specialist nurse", "urology OP review", "weekly INR monitoring", "heart failure nurse to review",
    "cardiac rehab referral", "echo as outpatient", "smoking cessation advice given", "to attend ambulatory care for bloods",
    "pulmonary rehab referral", "diabetes team to follow up", "dietitian review", "falls clinic referral",
    "review in 48 h with bloods", "memory clinic referral", "alcohol liaison team follow up", "discharged home",
    "Discharge to usual residence", "repeat LFTs in 4 weeks", "CT chest in 3 months", "«P?:OGD» in 6 weeks",
]
# plans that fit any adult letter (story.PLANS_BY_GROUP adds the condition's own)
GENERIC_PLANS = [
    "GP to recheck U&E in 1 week", "GP to repeat bloods in 2 weeks", "OP clinic in 6 weeks", "follow up in {spec} clinic",
    "no follow up required", "safety-netted, return if worse", "physio referral made", "OT assessment completed, home with POC",
    "for PT/OT at home", "to see specialist nurse", "to attend ambulatory care for bloods", "dietitian review", "review in 48 h with bloods",
    "discharged home", "Discharge to usual residence", "GP to review medicines in 4 weeks", "[medicines reconciled|TTOs checked] by pharmacy",
    "[written information|leaflet] given", "return to ED if worse", "GP to review in 2 weeks",
]

OPENERS = [
    "{pt} was admitted with {sym}.", "{pt} presented to ED with {sym}.", "Thank you for seeing {pt}, who was admitted with {sym}.",
    "{pt} was brought in by ambulance with {sym}.", "{pt} was referred by the GP with {sym}.", "{pt} presented with a {dur} history of {sym}.",
    "Admitted via ED with {sym}.", "{dur} hx of {sym}.", "This {age} year old {gender} presented with {sym}.",
    "{pt} self-presented with {sym}.", "Came in with {sym}.", "{pt} was seen in ED with {sym}.",
]
FOUND = [
    "Diagnosed with {m}.", "Found to have {m}.", "Impression was of {m}.", "This was felt to be {m}.",
    "Working diagnosis {m}.", "{m} was diagnosed.", "Investigations confirmed {m}.", "Treated for {m}.",
    "Picture consistent with {m}.", "We diagnosed {m}.", "Findings in keeping with {m}.", "{m} confirmed.",
]
TREATED = ["{pt} was treated with {tx}.", "Treated with {tx}.", "Management: {tx}.", "{pt} received {tx}.",
           "Started on {tx}.", "Rx: {tx}.", "{tx} given.", "{pt} responded well to {tx}."]
PROGRESS = ["{pt} improved steadily.", "Good clinical response.", "Made a good recovery.", "Inflammatory markers improved.",
            "Mobilising independently by day [3|2|4].", "Slow progress but improved.", "Recovered well.", "Obs settled.",
            "Now back to baseline.", "Remained stable throughout.", "Improved and medically fit for discharge.",
            "Reviewed by physio and OT.", "Eating and drinking well.", "[Steady|Gradual] improvement over the admission."]
ALSO = ["Also noted to have {m}.", "Incidentally {m}.", "{m} also treated.", "Admission complicated by {m}.",
        "{m} - managed.", "{m} was also addressed.", "Additionally {m}.", "In addition, {m} was treated.",
        "Course complicated by {m}.", "Also had {m}."]
PROC_SENT = ["{pt} underwent {m}.", "{m} performed on day {d}.", "Had {m}.", "{m} was carried out.", "Proceeded to {m}.",
             "{m} done.", "Underwent {m} without complication.", "{m} on {date}.", "{m} was uneventful."]
THEATRE_SENT = ["Taken to theatre for {m}.", "Went to theatre on day {d} for {m}.", "Listed and had {m}.",
                "{m} under GA on day {d}."]
CAUSE_PHRASES = {
    "W19": ["after a fall at home", "following a fall", "after a mechanical fall", "post fall", "fall from standing"],
    "W01": ["after tripping over", "slipped and fell", "tripped on a kerb", "after a trip and fall"],
    "W18": ["fell in the bathroom", "fell from the toilet"], "W10": ["fell down the stairs", "fall down stairs"],
    "X60": ["intentional overdose", "deliberate self-poisoning", "taken with intent"],
    "X40": ["accidental overdose", "taken by mistake"], "X61": ["intentional overdose", "deliberate overdose"],
    "X41": ["accidental ingestion"], "X62": ["intentional overdose"], "X42": ["accidental overdose"],
    "X65": ["deliberate self-poisoning with alcohol"], "X45": ["accidental alcohol poisoning", "binge drinking"],
    "Y83.8": ["following recent surgery", "post-operative"], "Y83.6": ["after recent abdominal surgery"],
    "Y83.1": ["complicating previous joint replacement"],
}

# ---------------------------------------------------------------- longer letters
EXAM = [
    "On examination {pt_l} was {look}.", "O/E: HR {hr}, BP {sbp}/{dbp}, RR {rr}, SpO2 {sats}% on {o2}, T {temp}.",
    "Obs on arrival: HR {hr}, BP {sbp}/{dbp}, sats {sats}% {o2}, temp {temp}, NEWS2 {news}.",
    "Chest: {chest}.", "Abdomen: {abdo}.", "Calves soft and non-tender.", "GCS 15/15, no focal neurology.",
    "HS I+II+0.", "Clinically {fluid}.", "{pt} looked {look}.", "CRT < 2 s, warm peripheries.",
    "Neuro exam: {neuro}.", "E: {chest}, {abdo}.",
]
LOOK = ["unwell", "comfortable at rest", "pale and clammy", "alert and orientated", "mildly confused", "in pain",
        "tachypnoeic", "well", "drowsy but rousable", "frail", "distressed"]
CHEST = ["bibasal crackles", "reduced air entry at the {side} base", "widespread wheeze", "coarse creps {side} base",
         "clear", "good air entry bilaterally", "vesicular breath sounds, no added sounds", "clear to auscultation"]
ABDO = ["soft, non-tender", "tender in the RIF with guarding", "mildly distended, tender epigastrium",
        "RUQ tenderness, Murphy's positive", "generalised tenderness", "soft, mild suprapubic tenderness", "soft, BS present", "SNT",
        "abdo SNT"]
FLUID = ["dry", "euvolaemic", "fluid overloaded with pitting oedema to the knees", "dry mucous membranes"]
NEURO = ["no focal deficit", "{side} sided weakness 3/5", "dysarthria, facial droop", "normal tone and power", "unremarkable"]
O2 = ["air", "room air", "2L NC", "4L", "15L NRB", "28% venturi", "RA"]
IX_PROSE = ["Bloods showed {inv}.", "Initial bloods: {inv}.", "Results: {inv}.", "{inv}.", "Investigations revealed {inv}.",
            "Of note {inv}.", "Admission bloods were notable for {inv}."]
DAYS = ["antibiotics were [switched to oral|changed to tablets|stepped down to the oral route]", "bowels opened", "bloods were repeated and [improving|better]",
        "physio saw {pr} and {pr} mobilised with a [frame|stick|rollator]", "a swallow assessment was done by SALT", "{pr} spiked a temperature and cultures were sent",
        "fluid balance was monitored [closely|carefully]", "{pr} was stepped down from HDU", "pain was [well controlled|manageable] on oral analgesia",
        "the medical team reviewed {pr} on the ward round", "IV fluids were stopped", "oxygen was weaned to air",
        "{pr} was reviewed by the consultant", "the drain was removed", "diet was reintroduced and tolerated",
        "the OT completed a [kitchen|home|washing and dressing] assessment", "{pr} had a further episode overnight", "the wound was checked and was clean",
        "{pr} was seen by the pharmacist", "a family meeting was held", "the cannula was removed", "{pr} was moved to a side room",
        "the dietitian reviewed {pr} and started supplements", "{pr} was [up in the chair|sitting out] for most of the day",
        "the catheter was removed and {pr} passed urine", "{pr} was sleeping better", "the social worker met the family",
        "a medication review was done with the pharmacist", "repeat bloods were [stable|reassuring]"]
DISCUSS = ["Discussed with the patient and [family|next of kin|relatives].", "TEP completed: for full escalation.", "DNACPR discussed and in place.",
           "[Seen by the pharmacist for medicines reconciliation.|Medicines reconciliation completed by pharmacy.]", "Capacity [assessed and documented|was assessed and is documented in the notes].",
           "Patient understands the diagnosis and the plan.", "[Leaflet given.|Written information given.|An information leaflet was provided.]", "Next of kin informed.",
           "ReSPECT form completed.", "Discussed with the on-call registrar.", "Discussed at the MDT.", "Escalation plan: [ward-based care|full escalation|not for ITU].",
           "The plan was agreed with [the patient|the family|next of kin].", "Ceiling of care discussed with the family."]
CONDITION = ["Discharged in a [stable|good] condition.", "Fit for discharge on day {d}.", "Going home with family.",
             "Condition on discharge: [good|stable|satisfactory].", "Medically optimised for discharge.", "Discharged home with POC restarted.",
             "Returned to usual residence.", "Home today.", "[Safe for discharge|Ready for discharge] on day {d}.", "Discharged to the care of [family|relatives]."]
HPC = ["Symptoms started {n} days ago.", "No recent travel or sick contacts.", "Reduced oral intake for {n} days.",
       "The GP had started antibiotics {n} days earlier without improvement.", "No previous similar episodes.",
       "Worse on exertion.", "Family were concerned about [increasing confusion|the decline at home].", "Independent at baseline.",
       "Had been feeling tired for a few weeks.", "Called 111 who advised attendance.", "Pain scored {n}/10.",
       "Symptoms came on suddenly [at rest|overnight|in the morning].", "Gradual onset over the last week.", "Eating and drinking less than usual.",
       "Had a similar but milder episode [last year|a few months ago].", "Normally walks with a [stick|frame|rollator].", "No weight loss, no night sweats.",
       "Took paracetamol at home with little effect.", "Seen by the out-of-hours GP the day before.",
       "Collateral history from [daughter|son|husband|wife|the care home].", "Mobility has been deteriorating.", "Not opened bowels for {n} days.",
       "No urinary symptoms.", "Has been more breathless than usual.", "Ambulance crew gave {n} mg morphine.", "Lives alone and was found by a neighbour.",
       "[Usually independent with ADLs.|Needs help with washing and dressing at baseline.]", "Drinks {n} units of alcohol a week.",
       "[Symptoms were worse at night.|Symptoms were worse in the mornings.]", "No recent change in medication."]
ELECTIVE_OPENERS = ["{pt} was admitted electively for management of {m}.", "Elective admission for {m}.",
                    "{pt} attended as a day case with {m}.", "Planned admission: known {m}, listed for surgery.",
                    "{pt} came in from the waiting list with {m}.", "Day case admission. Indication: {m}.",
                    "Admitted from pre-op clinic for treatment of {m}.", "Listed electively for {m}."]

# more contexts for present (coded) mentions
FOUND += [
    "Investigations were consistent with {m}.", "The working diagnosis was {m}, which was confirmed.",
    "A diagnosis of {m} was made.", "{m} was confirmed.", "Clinically this was {m}.",
    "We made a diagnosis of {m}.", "The team felt this represented {m}.", "Seen by the registrar: {m}.",
    "Final impression: {m}.", "This was treated as {m}.", "Overall the picture was that of {m}.",
    "{pt_dummy}Assessment confirmed {m}.", "Diagnosed as {m} on the post-take ward round.", "Consistent with {m}.",
]
FOUND = [f.replace("{pt_dummy}", "") for f in FOUND]
ALSO += [
    "Bloods also showed {m}, which was treated.", "{m} was noted and corrected.", "During the admission {pt_l} developed {m}.",
    "Secondary problem: {m}.", "There was also {m}, managed with the medical team.", "{m} complicated the stay.",
    "We also treated {m}.", "{m} was identified and managed.",
]
COMORB_PROSE = ["Known {m}.", "Her {m} is managed in primary care.", "His {m} is stable.", "Background {m}.",
                "{m} - continue usual treatment.", "Continue treatment for {m}.", "Usual medication for {m} continued.",
                "Longstanding {m}.", "The {m} was stable this admission."]

# ---------------------------------------------------------------- obstetric and paediatric filler
OBS_OPENERS = ["{pt} was admitted in spontaneous labour at {ga} weeks.", "{pt} (G{g}P{pp}) was admitted at {ga} weeks.",
               "Admitted to labour ward at {ga} weeks with SROM.", "{pt} was admitted for a planned delivery at {ga} weeks.",
               "Self-referred to triage at {ga} weeks with contractions.", "{pt} attended the maternity assessment unit at {ga} weeks."]
OBS_HPC = ["Uncomplicated antenatal course.", "Booking bloods normal.", "GBS negative.", "Rhesus positive.",
           "Epidural for analgesia.", "Estimated blood loss {ebl} ml.", "Baby {bsex}, {wt} kg, Apgars 9 and 10.",
           "Breastfeeding established.", "Postnatal observations normal.", "Low-risk pregnancy, midwife-led care.",
           "Gas and air only.", "Placenta delivered complete, physiological third stage.", "Active third stage.",
           "Remifentanil PCA in labour."]
OBS_EXAM = ["Obs: HR {hr}, BP {sbp}/{dbp}, T {temp}.", "Uterus well contracted.", "Lochia normal.", "Perineum healing well.",
            "Fundus firm at the umbilicus.", "Calves soft and non-tender."]
OBS_INV = ["Hb {hb} postnatal", "group and save", "CTG reactive", "CTG pathological", "urinalysis NAD", "Hb {hb} g/L",
           "PET bloods normal", "uPCR 12", "FBC normal"]
OBS_PLANS = ["community midwife follow up", "6-week postnatal check with GP", "contraception discussed", "iron for 3 months",
             "VTE prophylaxis for 10 days", "Anti-D given", "debrief offered", "BP check with midwife day 5",
             "newborn examination completed", "GP to review at 6 weeks"]
OBS_DAYS = ["she was seen by the midwife", "the catheter was removed and she passed urine", "breastfeeding was reviewed",
            "the baby had the newborn check", "she mobilised well", "observations remained normal"]
OBS_DISCUSS = ["Debrief offered.", "Discussed with the obstetric registrar.", "Partner present.", "Plan explained to the woman."]
OBS_CONDITION = ["Discharged home with baby.", "Mother and baby well on discharge.", "Transferred to community midwife care."]
OBS_PROGRESS = ["Uneventful postnatal stay.", "Recovered well.", "Good postnatal recovery.", "Observations settled."]
OBS_SOCIAL = ["Lives with partner.", "Lives with husband and first child.", "Non-smoker, no alcohol in pregnancy.",
              "Works as a nurse, lives with partner.", "Supported by family."]
OBS_ALLERGIES = ["NKDA", "No known drug allergies", "Penicillin (rash)", "nkda"]
OBS_MEDS = ["ferrous sulphate 200 mg OD", "paracetamol 1 g QDS PRN", "ibuprofen 400 mg TDS PRN", "dalteparin 4500 units OD (10 days)",
            "lactulose 10 ml BD", "dihydrocodeine 30 mg QDS PRN", "nil"]

PAED_OPENERS = ["{pt} was brought in by parents with {sym}.", "{pt} presented with {sym}.", "Referred by the GP with {sym}.",
                "Brought to the children's ED with {sym}.", "{pt} came in with a {dur} history of {sym}.",
                "Parents noticed {sym} and called 111."]
PAED_HPC = ["Reduced feeding, about half of usual.", "Fewer wet nappies.", "Born at term, no neonatal problems.",
            "Immunisations up to date.", "Sick contacts at nursery.", "Mum reports fevers for {n} days.", "Tolerating oral fluids.",
            "Coryzal for {n} days.", "No rash.", "Older sibling unwell with similar symptoms.", "Normally fit and well.",
            "Growth along the 50th centile."]
PAED_EXAM = ["HR {phr}, RR {prr}, sats {sats}% in air, CRT < 2 s.", "Subcostal recession.", "Fontanelle soft.",
             "Ears: red bulging tympanic membrane.", "Throat: enlarged tonsils with exudate.", "Well hydrated.",
             "Alert and interactive.", "Chest: {chest}.", "Abdomen: soft, non-tender.", "Temp {temp}."]
PAED_INV = ["CRP {crp}", "NPA sent", "urine dip NAD", "capillary gas normal", "CXR: hyperinflation", "blood glucose 4.6",
            "SBR 280 (below treatment line)", "blood culture negative at 48 h", "FBC normal"]
PAED_PLANS = ["safety-netting advice given to parents", "open access to the ward for 48 h", "GP review if not improving",
              "health visitor informed", "feeding plan agreed with parents", "weight check with health visitor in 1 week",
              "paediatric clinic in 6 weeks", "no follow up needed", "complete the antibiotic course"]
PAED_DAYS = ["feeds were increased", "oxygen was weaned", "the NG tube was removed", "parents were shown how to give medicines",
             "observations normalised", "feeding improved"]
PAED_DISCUSS = ["Discussed with parents.", "Parents happy with the plan.", "Written safety-netting information given."]
PAED_CONDITION = ["Discharged home with parents.", "Well on discharge.", "Home with parents, feeding well."]
PAED_PROGRESS = ["Improved quickly.", "Settled on the ward.", "Feeding well by discharge.", "Obs normalised."]
PAED_ALLERGIES = ["NKDA", "No known drug allergies", "nkda", "None known"]
NEO_OPENERS = ["Baby born at {ga} weeks by {mode}.", "{pt} was born at {ga} weeks ({mode}) and admitted to the unit.",
               "Term baby born by {mode}, reviewed on the postnatal ward.", "Born at {ga} weeks, birth weight {wt} kg.",
               "Admitted to NNU at {hrs} hours of age."]
NEO_HPC = ["Birth weight {wt} kg.", "Apgars 9 and 10.", "Maternal GBS negative.", "No risk factors for sepsis.",
           "Mother's blood group O positive.", "Feeding 3-hourly.", "Passed meconium within 24 hours.", "Breastfed.",
           "Formula fed, taking 60 ml 3-hourly."]
NEO_EXAM = ["Newborn examination normal.", "Jaundiced to the abdomen.", "Tone and cry normal.", "Fontanelle soft.",
            "Red reflexes present bilaterally.", "Hips stable.", "HR {phr}, RR {prr}, sats {sats}% in air."]
NEO_INV = ["SBR {sbr}", "blood glucose {glu}", "CRP < 5", "blood culture negative at 36 h", "DAT negative", "FBC normal"]
NEO_PLANS = ["community midwife to review", "repeat SBR in 24 h", "newborn hearing screen done", "blood spot at day 5",
             "GP 6-8 week check", "open access to the neonatal unit for 48 h"]
NEO_DAYS = ["phototherapy was stopped", "feeds were established", "blood glucose remained stable", "SBR fell below the line"]
NEO_CONDITION = ["Discharged home with parents.", "Discharged with mother.", "Home, feeding well."]
NEO_SYMPTOMS = ["jaundice", "poor feeding", "fast breathing", "low blood sugars on screening"]
OBS_SYMPTOMS = ["contractions", "SROM", "reduced fetal movements", "abdominal tightenings", "a planned admission"]
STARTED = ["started {d} - new", "{d} started this admission", "NEW: {d}", "commenced {d}", "{d} (new)"]
CHANGE_REASONS = ["due to AKI", "as BP low", "falls risk", "no longer indicated", "interaction", "patient preference",
                  "side effects", "per cardiology advice", "review by GP in 2 weeks"]

OP_FINDINGS = {
    "ortho": ["stable construct", "good position on check X-ray", "haemostasis achieved", "as expected"],
    "surg": ["inflamed, no perforation", "adhesions divided", "moderate free fluid", "haemostasis achieved", "as expected"],
    "obs": ["healthy baby delivered", "clear liquor", "placenta complete", "EBL 600 ml"],
    "": ["as expected", "no complications", "straightforward", "haemostasis achieved"],
}
INFECTION_PREFIXES = ("A", "B", "J0", "J1", "J2", "J4", "J69", "N10", "N30", "N39", "L0", "K35", "K57", "K61", "K65", "K80.0",
                      "K81", "K83", "M00", "M86", "T81.4", "U07", "H66", "G03", "I33", "O23", "P36")
