"""Drugs as causes: adverse effects in therapeutic use (Y40-Y59) and poisoning (T36-T50 + intent code).

Why a rule and not the classifier: there are hundreds of drugs and each maps to one external-cause code
by its class; a synthetic corpus cannot show every drug, but a table can (configs/extract/drugs.tsv, WHO
ICD-10 titles as the authority). The coding conventions (coding-primer DCS.XIX.7; tests/data/README.md):

- drug taken as prescribed and a condition documented as caused by it ("hypoglycaemia secondary to
  gliclazide", "steroid-induced hyperglycaemia", "AKI, likely related to ramipril") -> the condition, then
  the Y40-Y59 code of the drug straight after it;
- overdose ("paracetamol overdose", "took 30 tablets of sertraline", "OD of quetiapine") -> the T36-T50
  poisoning code first (poisoning goes before its manifestations), then the intent code: X60-X64
  intentional self-poisoning, X40-X44 accidental, Y10-Y14 undetermined, chosen by the T-code's group.

Pure Python regexes over the letter text: the drug mention is the evidence span of the added code.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from autocoder import paths
from autocoder.model.fusion import Cand, Decision, DrugConfig
from autocoder.schemas import Entity

DEFAULT_TABLE = paths.CONFIG_DIR / "extract" / "drugs.tsv"


@dataclass(frozen=True)
class Drug:
    name: str
    adverse: str          # Y40-Y59
    poisoning: str        # T36-T50 ("" when none fits)
    klass: str


class DrugTable:
    """Drug names -> codes, matched as whole words (case-insensitive, longest name first)."""

    def __init__(self, drugs: list[Drug]) -> None:
        self.drugs = {d.name: d for d in drugs}
        names = sorted(self.drugs, key=len, reverse=True)
        self._rx = re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z])",
                              re.IGNORECASE) if names else None

    @classmethod
    def load(cls, path: str | Path = DEFAULT_TABLE) -> DrugTable:
        p = Path(path)
        if not p.exists():
            return cls([])
        with p.open(encoding="utf-8", newline="") as fh:
            rows = csv.DictReader((ln for ln in fh if ln.strip() and not ln.startswith("#")), delimiter="\t")
            drugs = [Drug(r["drug"].strip().lower(), (r.get("adverse_effect") or "").strip(),
                          (r.get("poisoning") or "").strip(), (r.get("class") or "").strip()) for r in rows]
        return cls([d for d in drugs if d.name])

    @classmethod
    def load_rows(cls, rows: list[tuple[str, str, str, str]]) -> DrugTable:
        """A table from (drug, adverse_effect, poisoning, class) rows (tests, callers with their own list)."""
        return cls([Drug(n.lower(), a, p, k) for n, a, p, k in rows])

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, Drug]]:
        if self._rx is None:
            return []
        end = len(text) if end is None else end
        return [(m.start(), m.end(), self.drugs[m.group(1).lower()]) for m in self._rx.finditer(text, start, end)]


@lru_cache(maxsize=4)
def load_table(path: str = str(DEFAULT_TABLE)) -> DrugTable:
    return DrugTable.load(path)


# cue words between a condition and its drug: "X secondary to / due to / caused by / induced by D"
_AFTER_CUE = re.compile(r"\b(?:secondary\s+to|due\s+to|caused\s+by|induced\s+by|precipitated\s+by|"
                        r"provoked\s+by|related\s+to|attributed\s+to|attributable\s+to|associated\s+with|"
                        r"because\s+of|side[- ]effects?\s+of)\b",
                        re.IGNORECASE)
# "D-induced X", "D related X", "D-associated X", "D toxicity"
_BEFORE_CUE = re.compile(r"^[\s-]*(?:induced|related|associated|provoked|toxicity|side[- ]effects?)\b", re.IGNORECASE)
# "OD" is also "once daily" ("5mg OD"): only "an OD", "OD of", "<drug> OD" with no dose between count
_OD = re.compile(r"(?:\b(?:an?|intentional|deliberate|mixed|staggered)\s+OD\b|\bOD\s+(?:of|with)\b)")
_OVERDOSE = re.compile(r"\b(?:overdoses?|over-dose|ingestions?|ingested|took\s+\d{2,}\s*(?:x|tablets?|tabs|capsules?|pills?)(?=\s)|"
                       r"took\s+(?:\d+|an?\s+\w+|\w+)\s+"
                       r"(?:x\s*)?(?:\d+\s*mg\s+)?(?:tablets?|tabs|capsules?)|poisoning|toxic\s+ingestion)\b",
                       re.IGNORECASE)
_NEG = re.compile(r"\b(?:no|not|denies|denied|nil|without|never)\b[^.\n]{0,25}$", re.IGNORECASE)
_INTENTIONAL = re.compile(r"\b(?:intentional(?:ly)?|deliberate(?:ly)?|suicid\w*|self[- ]harm\w*|with\s+intent|"
                          r"to\s+end\s+(?:her|his|their)\s+life|staggered)\b", re.IGNORECASE)
_ACCIDENTAL = re.compile(r"\b(?:accidental(?:ly)?|inadvertent(?:ly)?|by\s+mistake|unintentional(?:ly)?|"
                         r"double[- ]dos\w*|dosing\s+error)\b", re.IGNORECASE)
_PRESCRIPTION = re.compile(r"\d\s*(?:mg|mcg|micrograms?|g|units?|ml)\b|\b(?:BD|TDS|QDS|PRN|nocte|mane|"
                           r"daily|weekly|for\s+\d+\s+(?:days|weeks))\b", re.IGNORECASE)
_SENT_END = re.compile(r"[.;\n]\s")


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    s = max((m.end() for m in _SENT_END.finditer(text, 0, start)), default=0)
    m = _SENT_END.search(text, end)
    return s, (m.start() + 1 if m else len(text))


def _intent_code(t_code: str, intent: str) -> str:
    """X60-X64 / X40-X44 / Y10-Y14 by the poisoning code's group (ICD-10 Chapter XX titles)."""
    cat = t_code[:3]
    group = {"T39": 0, "T42": 1, "T43": 1, "T40": 2, "T44": 3}.get(cat, 4)
    base = {"intentional": ("X", 60), "accidental": ("X", 40), "undetermined": ("Y", 10)}[intent]
    return f"{base[0]}{base[1] + group}"


def _is_cause_code(code: str) -> bool:
    return code[:1] in "VWXY" or code[:3] in {f"T{n}" for n in range(36, 51)}


def _drug_entity(text: str, s: int, e: int, section: str | None) -> Entity:
    return Entity(text=text[s:e], start=s, end=e, label="DIAGNOSIS", section=section, source="drug-table")


def adverse_effects(d: Decision, text: str, table: DrugTable, cfg: DrugConfig) -> Decision:
    """After each kept condition whose own sentence names a drug as its cause, that drug's Y40-Y59 code."""
    out = list(d.diagnoses)
    have = {c.code for c, _ in out}
    i = 0
    while i < len(out):
        c, p = out[i]
        i += 1
        if _is_cause_code(c.code) or not c.present:
            continue   # (an overdosed drug's T-code is kept: its adverse-effect Y-code is not added below)
        for m in sorted(c.present, key=lambda e: e.start):
            s0, s1 = _sentence(text, m.start, m.end)
            hit = None
            # the cue may sit inside the mention itself ("hypoglycaemia due to gliclazide" is one span)
            after = text[m.start:min(s1, m.end + cfg.window)]
            cue = _AFTER_CUE.search(after)
            if cue:
                drugs = table.find(text, m.start + cue.end(), min(s1, m.end + cfg.window))
                hit = drugs[0] if drugs else None
            if hit is None:   # "steroid-induced X", and "X (NSAID-related)" inside or right after the mention
                for ds, de, drug in table.find(text, max(s0, m.start - cfg.window), min(s1, m.end + 30)):
                    if (de <= m.start and _BEFORE_CUE.match(text[de:m.start])) or _BEFORE_CUE.match(text[de:de + 20]):
                        hit = (ds, de, drug)
                        if de > m.start:
                            break
            if hit is None:
                continue
            ds, de, drug = _specific(hit, text, table)
            induced = cfg.drug_induced.get(c.code) or cfg.drug_induced.get(c.code[:3])
            if drug.adverse and induced and induced not in have:
                out[i - 1] = (replace(c, code=induced), p)      # E16.2 "hypoglycaemia" -> E16.0 drug-induced
                have.add(induced)
            if drug.adverse and drug.adverse not in have and drug.poisoning not in have:
                out.insert(i, (Cand(code=drug.adverse, system="icd10",
                                    present=[_drug_entity(text, ds, de, m.section)], max_match=c.max_match), p))
                have.add(drug.adverse)
                i += 1
            break
    return replace(d, diagnoses=out)


# class words and the Y-codes of the drugs they stand for: "NSAID-related ulcer" in a letter that names
# ibuprofen is an adverse effect of ibuprofen (Y45.2), not of "other NSAIDs" (Y45.3)
_CLASS_FAMILY: dict[str, tuple[str, ...]] = {
    "nsaid": ("Y45.2", "Y45.3"), "nsaids": ("Y45.2", "Y45.3"), "antibiotic": ("Y40", "Y41"),
    "antibiotics": ("Y40", "Y41"), "abx": ("Y40", "Y41"), "steroid": ("Y42.0",), "steroids": ("Y42.0",),
    "corticosteroid": ("Y42.0",), "corticosteroids": ("Y42.0",), "opioid": ("Y45.0",), "opioids": ("Y45.0",),
    "opiate": ("Y45.0",), "opiates": ("Y45.0",), "ssri": ("Y49.2",), "ssris": ("Y49.2",),
    "antidepressant": ("Y49.0", "Y49.1", "Y49.2"), "antidepressants": ("Y49.0", "Y49.1", "Y49.2"),
    "antipsychotic": ("Y49.3", "Y49.4", "Y49.5"), "antipsychotics": ("Y49.3", "Y49.4", "Y49.5"),
    "anticoagulant": ("Y44.2",), "anticoagulants": ("Y44.2",), "anticoagulation": ("Y44.2",), "doac": ("Y44.2",),
    "noac": ("Y44.2",), "chemotherapy": ("Y43",), "chemo": ("Y43",), "diuretic": ("Y54",), "diuretics": ("Y54",),
    "benzodiazepine": ("Y47.1",), "benzodiazepines": ("Y47.1",), "statin": ("Y52.6",), "statins": ("Y52.6",),
    "ace inhibitor": ("Y52.4",), "ace inhibitors": ("Y52.4",), "beta blocker": ("Y51.7",), "beta-blocker": ("Y51.7",),
}


def _specific(hit: tuple[int, int, Drug], text: str, table: DrugTable) -> tuple[int, int, Drug]:
    """A class word as the cause, and the letter names exactly one drug of that class: that drug."""
    drug = hit[2]
    family = _CLASS_FAMILY.get(drug.name)
    if not family:
        return hit
    named = {x.adverse: (s, e, x) for s, e, x in table.find(text)
             if x.name not in _CLASS_FAMILY and x.adverse.startswith(family)}
    return next(iter(named.values())) if len(named) == 1 else hit


# a sentence that names a drug as the cause of the admission without naming the condition ("She had been
# taking the combined pill, which we think is the likely provoking factor"): its Y-code follows the primary
_CAUSE_SENTENCE = re.compile(r"\b(?:(?:provoking|precipitating|causative|contributing|risk)\s+factor|"
                             r"(?:likely|probable|possible|the)\s+(?:cause|culprit|precipitant|trigger)|"
                             r"responsible\s+for|to\s+blame)\b", re.IGNORECASE)


def cause_sentences(d: Decision, text: str, table: DrugTable, cfg: DrugConfig) -> Decision:
    if not d.diagnoses:
        return d
    have = {c.code for c, _ in d.diagnoses}
    if any(c.code[:2] in {f"Y{n}" for n in range(4, 6)} for c, _ in d.diagnoses):
        return d       # an adverse effect is already coded: the letter's cause is taken
    for m in _CAUSE_SENTENCE.finditer(text):
        s0, s1 = _sentence(text, m.start(), m.end())
        if _NEG.search(text[s0:m.start()]) and re.search(r"\bnot\b", text[max(s0, m.start() - 25):m.start()]):
            continue
        drugs = [h for h in table.find(text, s0, s1) if h[2].adverse]
        if len(drugs) != 1:
            continue
        ds, de, drug = _specific(drugs[0], text, table)
        if drug.adverse in have or drug.poisoning in have:
            continue
        c0, p0 = d.diagnoses[0]
        out = list(d.diagnoses)
        out.insert(1, (Cand(code=drug.adverse, system="icd10", present=[_drug_entity(text, ds, de, None)],
                            max_match=c0.max_match), p0))
        return replace(d, diagnoses=out)
    return d


def poisoning(d: Decision, text: str, table: DrugTable, cfg: DrugConfig) -> Decision:
    """A documented overdose of a named drug: its T36-T50 code first, then the intent code."""
    found: list[tuple[int, int, Drug, str]] = []
    cues = list(_OVERDOSE.finditer(text)) + list(_OD.finditer(text))
    # a bare "<drug> OD" is an overdose only when the drug name is right before it and its sentence
    # reads nothing like a prescription ("omeprazole 40 mg BD for 8 weeks, then OD" is once daily)
    cues += [m for m in re.finditer(r"\bOD\b", text)
             if any(re.fullmatch(r"\s*", text[de:m.start()])
                    for _, de, _ in table.find(text, max(0, m.start() - 40), m.start()))
             and not _PRESCRIPTION.search(text[slice(*_sentence(text, m.start(), m.end()))])]
    for m in cues:
        s0, s1 = _sentence(text, m.start(), m.end())
        if _NEG.search(text[s0:m.start()]):
            continue
        sent = text[s0:s1]
        intent = ("intentional" if _INTENTIONAL.search(sent) else "accidental" if _ACCIDENTAL.search(sent)
                  else cfg.default_intent)
        for ds, de, drug in table.find(text, s0, s1):
            if drug.poisoning and abs(ds - m.start()) <= cfg.window:
                found.append((ds, de, drug, intent))
    if not found:
        return d
    have = {c.code for c, _ in d.diagnoses}
    p0 = max((p for _, p in d.diagnoses), default=0.5)
    head: list[tuple[Cand, float]] = []
    for ds, de, drug, intent in found:
        if drug.poisoning in have:
            continue
        ev = [_drug_entity(text, ds, de, None)]
        head.append((Cand(code=drug.poisoning, system="icd10", present=ev, max_match=1.0), p0))
        have.add(drug.poisoning)
        x = _intent_code(drug.poisoning, intent)
        if x not in have:
            head.append((Cand(code=x, system="icd10", present=ev, max_match=1.0), p0))
            have.add(x)
    if not head:
        return d
    # the adverse-effect reading of an overdosed drug is wrong: poisoning replaces it
    poisoned = {drug.adverse for _, _, drug, _ in found}
    rest = [(c, p) for c, p in d.diagnoses if c.code not in poisoned]
    return replace(d, diagnoses=head + rest)


def apply_drug_rules(d: Decision, text: str, cfg: DrugConfig | None = None,
                     table: DrugTable | None = None) -> Decision:
    cfg = cfg or DrugConfig()
    table = table or load_table()
    if cfg.poisoning:
        d = poisoning(d, text, table, cfg)
    if cfg.adverse_effects:
        d = adverse_effects(d, text, table, cfg)
        d = cause_sentences(d, text, table, cfg)
    return d
