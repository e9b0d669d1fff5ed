"""A tiny template corpus with gold spans, for NER training tests (seconds, not minutes)."""

from __future__ import annotations

import random

from autocoder.schemas import Episode, GoldSpan

DX = ["pneumonia", "COPD", "atrial fibrillation", "urinary tract infection", "heart failure", "AKI", "cellulitis"]
SX = ["chest pain", "shortness of breath", "productive cough", "fever", "vomiting"]
PX = ["OGD", "CT head", "colonoscopy", "chest drain", "NIV"]


def make_episodes(n: int, seed: int = 0) -> list[Episode]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        parts: list[tuple[str, str | None]] = []
        parts += [("Presenting complaint: ", None), (rng.choice(SX), "SYMPTOM"), (" and ", None),
                  (rng.choice(SX), "SYMPTOM"), (".\nPMH: ", None), (rng.choice(DX), "DIAGNOSIS"), (".\n", None),
                  ("Diagnosis: ", None), (rng.choice(DX), "DIAGNOSIS"), (".\nProcedures: ", None),
                  (rng.choice(PX), "PROCEDURE"), (".\nPlan: home.\n", None)]
        text, ents, pos = "", [], 0
        for s, label in parts:
            if label:
                ents.append(GoldSpan(start=pos, end=pos + len(s), label=label, text=s))
            text += s
            pos += len(s)
        out.append(Episode(id=f"MINI-{i}", text=text, entities=ents))
    return out
