"""Surface variation of filler text (never of coded mentions): inline alternatives, synonyms and the
abbreviations clinicians use, so the same clinical content is not written the same way twice.

- `[a|b|c]` in a fragment picks one alternative (an empty alternative drops the phrase);
- synonyms swap neutral wording ("showed" / "demonstrated" / "revealed") at a per-letter rate;
- abbreviations ("history" -> "hx", "3 days" -> "3/7", "antibiotics" -> "abx") at a per-letter rate,
  higher in terse notes.
Negation, uncertainty and family cues are never rewritten into something with another meaning."""

from __future__ import annotations

import random
import re

_ALT = re.compile(r"\[([^\[\]|]*(?:\|[^\[\]|]*)+)\]")


def expand(rng: random.Random, s: str) -> str:
    """Pick one alternative of every `[a|b]` group (innermost first, so groups may nest)."""
    while "|" in s and "[" in s:
        new = _ALT.sub(lambda m: rng.choice(m.group(1).split("|")), s)
        if new == s:
            break
        s = new
    return re.sub(r"  +", " ", s) if "  " in s else s


SYNONYMS: dict[str, list[str]] = {
    "showed": ["showed", "demonstrated", "revealed"],
    "was started on": ["was started on", "was commenced on", "was put on"],
    "commenced": ["commenced", "started"],
    "was reviewed by": ["was reviewed by", "was seen by", "was assessed by"],
    "was treated with": ["was treated with", "was managed with", "received"],
    "increasingly": ["increasingly", "progressively"],
    "unremarkable": ["unremarkable", "normal", "NAD"],
    "was normal": ["was normal", "was unremarkable", "was within normal limits"],
    "were normal": ["were normal", "were unremarkable", "were within normal limits", "were all normal"],
    "no acute abnormality": ["no acute abnormality", "no acute change", "nothing acute"],
    "the trust": ["the trust", "the local", "our"],
    "guideline": ["guideline", "guidance", "protocol"],
    "by discharge": ["by discharge", "by the time of discharge", "at discharge", "on discharge"],
    "during the admission": ["during the admission", "during the stay", "while an inpatient", "on the ward"],
    "on the ward": ["on the ward", "on the unit", "during the stay"],
    "about": ["about", "approximately", "around"],
    "several": ["several", "a few", "a number of"],
    "was done": ["was done", "was performed", "was carried out"],
    "was performed": ["was performed", "was done", "was carried out"],
    "was arranged": ["was arranged", "was requested", "has been booked"],
    "was sent": ["was sent", "was taken"],
    "were sent": ["were sent", "were taken"],
    "breathlessness": ["breathlessness", "shortness of breath", "dyspnoea"],
    "settled": ["settled", "resolved", "improved"],
    "was given": ["was given", "was administered"],
    "were given": ["were given", "were administered"],
    "Discussed with": ["Discussed with", "Spoke with"],
    "confirmed the diagnosis": ["confirmed the diagnosis", "was diagnostic", "supported the diagnosis"],
    "optimised": ["optimised", "adjusted", "reviewed"],
    "mobilising": ["mobilising", "walking"],
    "unwell": ["unwell", "poorly"],
    "recurs": ["recurs", "comes back", "returns"],
    "worse": ["worse", "worsening"],
    "Thank you for": ["Thank you for", "Many thanks for"],
    "in keeping with": ["in keeping with", "consistent with", "compatible with"],
}
ABBREVIATIONS: dict[str, list[str]] = {
    "history": ["hx"], "examination": ["exam"], "investigations": ["ix", "Ix"], "treatment": ["tx", "Rx"], "the patient": ["pt"],
    "without": ["w/o"], "temperature": ["temp"], "blood pressure": ["BP"], "saturations": ["sats"], "respiratory rate": ["RR"],
    "heart rate": ["HR"], "ultrasound": ["USS"], "chest X-ray": ["CXR"], "X-ray": ["XR"], "X-rays": ["XRs"], "antibiotics": ["abx"],
    "physiotherapy": ["physio"], "occupational therapy": ["OT"], "nil by mouth": ["NBM"], "intravenous": ["IV"],
    "discharge": ["d/c"], "bilateral": ["bilat"], "approximately": ["approx", "~"], "secondary to": ["2/2", "2'"],
    "Emergency Department": ["ED", "A&E"], "blood cultures": ["BCs", "b/c"], "follow up": ["f/u"], "follow-up": ["f/u", "FU"],
    "increased": ["\u2191"], "reduced": ["\u2193"], "with": ["w/"], "and": ["&", "+"], "weeks": ["wks"], "patient": ["pt"],
    "management": ["mx"], "diagnosis": ["dx"], "shortness of breath": ["SOB"], "on examination": ["O/E"], "review": ["r/v"],
    "hours": ["hrs"], "minutes": ["mins"], "because of": ["due to", "2/2"], "normal": ["nml", "NAD"], "regular": ["reg"],
    "medication": ["meds"], "medicines": ["meds"], "investigation": ["ix"], "general practitioner": ["GP"],
    "haemoglobin": ["Hb"], "creatinine": ["Cr", "creat"], "potassium": ["K"], "sodium": ["Na"], "oxygen": ["O2"],
}
_RARE = {"with", "and", "normal", "patient", "discharge", "review"}  # abbreviated only now and then


def _table(d: dict[str, list[str]]) -> tuple[re.Pattern, dict[str, list[str]]]:
    full: dict[str, list[str]] = {}
    for k, alts in d.items():
        full[k] = alts
        cap = k[:1].upper() + k[1:]
        if cap != k:
            full[cap] = [a[:1].upper() + a[1:] for a in alts]
    keys = sorted(full, key=len, reverse=True)
    return re.compile(r"(?<![\w/])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![\w/])"), full


_SYN_RE, _SYN = _table(SYNONYMS)
_ABB_RE, _ABB = _table(ABBREVIATIONS)
_DAYS = re.compile(r"\b(\d+) (days|weeks)\b")


def vary(rng: random.Random, s: str, syn_rate: float, abbr_rate: float) -> str:
    """Swap synonyms and abbreviations in filler text at the letter's rates."""
    if syn_rate:
        s = _SYN_RE.sub(lambda m: rng.choice(_SYN[m.group(0)]) if rng.random() < syn_rate else m.group(0), s)
    if abbr_rate:
        def ab(m: re.Match) -> str:
            w = m.group(0)
            rate = abbr_rate * (0.25 if w.lower() in _RARE else 1.0)
            return rng.choice(_ABB[w]) if rng.random() < rate else w

        s = _ABB_RE.sub(ab, s)
        s = _DAYS.sub(lambda m: (m.group(1) + ("/7" if m.group(2) == "days" else "/52")) if rng.random() < abbr_rate else m.group(0), s)
    return s
