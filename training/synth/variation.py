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
    "was seen by": ["was seen by", "was reviewed by", "was assessed by"],
    "the specialist team": ["the specialist team", "the specialty team", "the relevant specialist team", "the parent team"],
    "advised on": ["advised on", "gave advice on", "made recommendations on"],
    "will be seen in": ["will be seen in", "will be reviewed in", "has an appointment in"],
    "to discuss": ["to discuss", "to talk about", "to plan"],
    "package of care": ["package of care", "care package", "POC"],
    "restarted": ["restarted", "reinstated", "resumed"],
    "returned home": ["returned home", "went home"],
    "was discharged": ["was discharged", "went home", "was sent home"],
    "in 1 week": ["in 1 week", "in a week", "in 7 days", "next week", "in one week"],
    "in 2 weeks": ["in 2 weeks", "in two weeks", "in a fortnight", "in 14 days"],
    "in 6 weeks": ["in 6 weeks", "in six weeks", "in 6/52", "at 6 weeks"],
    "3 months": ["3 months", "three months", "12 weeks"],
    "had been referred": ["had been referred", "was referred"],
    "by the GP": ["by the GP", "by their GP", "via the GP"],
    "were stopped": ["were stopped", "were discontinued", "were held"],
    "was stopped": ["was stopped", "was discontinued"],
    "careful monitoring": ["careful monitoring", "close monitoring", "daily monitoring"],
    "a few weeks": ["a few weeks", "several weeks", "some weeks", "a couple of weeks"],
    "over the last week": ["over the last week", "over the past week", "over the preceding week"],
    "feeling tired": ["feeling tired", "feeling weary", "more tired than usual"],
    "struggling at home": ["struggling at home", "not coping at home", "finding things difficult at home"],
    "I would be grateful if you could": ["I would be grateful if you could", "Please could you", "I'd be grateful if you could",
                                         "Could you please"],
    "I am writing to let you know about": ["I am writing to let you know about", "I write to update you about", "This letter concerns",
                                           "I am writing regarding"],
    "the ward round": ["the ward round", "the consultant round", "the morning round"],
    "Discussed at the MDT": ["Discussed at the MDT", "Discussed at the multidisciplinary meeting", "Discussed in the MDT meeting"],
    "Next of kin informed": ["Next of kin informed", "NOK informed", "Family updated", "Next of kin updated"],
    "gradual onset": ["gradual onset", "slow onset", "insidious onset"],
    "came on": ["came on", "started", "began"],
    "no obvious": ["no obvious", "no clear", "no apparent"],
    "as an outpatient": ["as an outpatient", "in clinic", "as OP"],
    "usual": ["usual", "normal"],
    "medicines": ["medicines", "medications", "tablets", "drugs"],
    "medication": ["medication", "medicines", "meds"],
    "analgesia": ["analgesia", "pain relief", "painkillers"],
    "IV fluids": ["IV fluids", "intravenous fluids", "IV fluid", "IVI"],
    "assessment": ["assessment", "review"],
    "the oncology clinic": ["the oncology clinic", "oncology outpatients", "the oncology outpatient clinic"],
    "was discussed at": ["was discussed at", "was taken to", "was presented at"],
    "the specialist MDT": ["the specialist MDT", "the site-specific MDT", "the multidisciplinary team meeting"],
    "staging CT": ["staging CT", "a staging CT scan", "CT staging"],
    "over three months": ["over three months", "over 3 months", "in the last few months", "since the summer"],
    "reduced appetite": ["reduced appetite", "poor appetite", "loss of appetite"],
    "understands the diagnosis": ["understands the diagnosis", "is aware of the diagnosis", "has been told the diagnosis"],
    "was managed": ["was managed", "was treated", "was looked after"],
    "Treatment was started": ["Treatment was started", "Treatment was commenced", "Treatment began"],
    "progress monitored": ["progress monitored", "progress followed", "response monitored"],
    "responded to treatment": ["responded to treatment", "responded well", "improved with treatment"],
    "improved steadily": ["improved steadily", "gradually improved", "made steady progress"],
    "remained stable": ["remained stable", "stayed stable", "was stable throughout"],
    "the palliative care team": ["the palliative care team", "the palliative team", "specialist palliative care"],
    "Symptom control": ["Symptom control", "Symptom management"],
    "for a total of": ["for a total of", "to complete", "for"],
    "within the hour": ["within the hour", "within 1 hour", "within an hour of arrival"],
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
    "within normal limits": ["WNL", "NAD"], "haemoglobin": ["Hb"], "creatinine": ["Cr", "creat"], "potassium": ["K"], "sodium": ["Na"], "oxygen": ["O2"],
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
