"""The Terminology: ICD-10 + OPCS-4 tables, lookup, sex/age limits and title search.

Why one object: every stage (extractor candidates, classifier labels, rules, review UI) must agree on
the same loaded tables, so there is one cached instance (`get_terminology()`), rebuilt only when
`reset_terminology()` is called (tests, or after `autocoder codes import`).
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict

from pydantic import BaseModel

from autocoder.codes.icd10 import Icd10
from autocoder.codes.opcs4 import Opcs4
from autocoder.errors import UnknownCodeError


class CodeHit(BaseModel):
    """A code found by lookup or search."""

    code: str
    system: str
    title: str
    score: float = 1.0
    display: str = ""


# Built-in sex limits used when no UK metadata is loaded: (first, last) 3-character ranges.
FEMALE_ONLY = [("O00", "O99"), ("C51", "C58"), ("N70", "N98"), ("D25", "D28"), ("D06", "D06"), ("D07.0", "D07.3"),
               ("D39", "D39"), ("Z32", "Z37"), ("Z39", "Z39")]
MALE_ONLY = [("C60", "C63"), ("N40", "N51"), ("D07.4", "D07.6"), ("D29", "D29"), ("D40", "D40")]
PERINATAL = ("P00", "P96")
# Categories for the newborn's own record, age 0 like the perinatal chapter ("Z38.0 singleton, born in
# hospital"); the mother's record carries Z37 instead.
NEWBORN_ONLY = frozenset(["Z38"])


def _in_ranges(code: str, ranges: list[tuple[str, str]]) -> bool:
    for lo, hi in ranges:
        n = len(lo)
        if lo <= code[:n] <= hi:
            return True
    return False


def default_sex_limit(code: str) -> str | None:
    """Sex limit from the built-in ranges (chapter XV, C51-C58, N70-N98 female; C60-C63, N40-N51 male)."""
    if _in_ranges(code, MALE_ONLY):
        return "M"
    if _in_ranges(code, FEMALE_ONLY):
        return "F"
    return None


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(["of", "the", "and", "or", "in", "with", "without", "to", "by", "for", "on", "a", "an", "as", "at", "from", "nec", "nos", "other", "unspecified", "specified"])


def _stem(tok: str) -> str:
    # tiny plural folding so "stents" finds "stent" and "fractures" finds "fracture"
    if len(tok) > 4 and tok.endswith("ies"):
        return tok[:-3] + "y"
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss") and not tok.endswith("us"):
        return tok[:-1]
    return tok


def tokenize(text: str) -> list[str]:
    return [_stem(t) for t in _WORD.findall(text.lower()) if t not in _STOP]


_UNSPEC = re.compile(r"\b(unspecified|not specified)\b", re.IGNORECASE)
_BRACKETS = re.compile(r"[\(\[][^\)\]]*[\)\]]")

# Common UK clinical abbreviations, expanded in search queries only (titles spell them out).
ABBREVIATIONS = {
    "copd": "chronic obstructive pulmonary", "uti": "urinary tract infection", "af": "atrial fibrillation",
    "mi": "myocardial infarction", "nstemi": "subendocardial myocardial infarction",
    "stemi": "transmural myocardial infarction", "ckd": "chronic kidney disease",
    "aki": "acute renal failure", "ccf": "congestive heart failure", "lvf": "left ventricular failure",
    "hf": "heart failure", "pe": "pulmonary embolism", "dvt": "deep vein thrombosis",
    "tia": "transient cerebral ischaemic attack", "t2dm": "type 2 diabetes mellitus",
    "t1dm": "type 1 diabetes mellitus", "dka": "diabetic ketoacidosis", "lrti": "lower respiratory infection",
    "cap": "pneumonia", "htn": "hypertension", "ihd": "ischaemic heart disease", "gord": "gastro-oesophageal reflux",
    "cabg": "coronary bypass grafting", "pci": "coronary angioplasty", "ogd": "upper gi endoscopy",
    "niv": "non-invasive ventilation", "cpap": "continuous positive airway pressure",
    "ercp": "ercp", "turp": "transurethral resection prostate", "thr": "total hip replacement",
    "tkr": "total knee replacement", "picc": "peripherally inserted central catheter",
    "peg": "percutaneous endoscopic gastrostomy", "ctpa": "ct pulmonary arteries",
    "mrcp": "mri bile pancreatic ducts", "ecg": "electrocardiography", "eeg": "electroencephalogram",
}


def expand_query(text: str) -> str:
    words = _WORD.findall(text.lower())
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


class _SearchIndex:
    """Inverted index over titles: token -> set of entry ids; a sorted vocabulary for prefix search."""

    def __init__(self, entries: list[tuple[str, str, str, str]]) -> None:
        self.entries = entries          # (system, code, title, display)
        post: dict[str, set[int]] = defaultdict(set)
        self.lengths = []
        # residual "unspecified" codes rank after specific ones with the same match
        self.unspecified = [bool(_UNSPEC.search(e[2])) for e in entries]
        for i, (_s, _c, title, _d) in enumerate(entries):
            toks = set(tokenize(title))
            # length without bracketed qualifiers: "Essential (primary) hypertension" counts 2
            self.lengths.append(max(1, len(set(tokenize(_BRACKETS.sub(" ", title))))))
            for t in toks:
                post[t].add(i)
        self.post = dict(post)
        self.vocab = sorted(self.post)
        n = len(entries)
        self.idf = {t: math.log(1 + n / len(ids)) for t, ids in self.post.items()}

    def _prefix_tokens(self, q: str) -> list[str]:
        i = bisect.bisect_left(self.vocab, q)
        out = []
        while i < len(self.vocab) and self.vocab[i].startswith(q):
            if self.vocab[i] != q:
                out.append(self.vocab[i])
            i += 1
            if len(out) > 200:
                break
        return out

    def search(self, text: str, system: str | None, limit: int) -> list[tuple[int, float]]:
        qtoks = list(dict.fromkeys(tokenize(expand_query(text))))
        if not qtoks:
            return []
        scores: dict[int, float] = defaultdict(float)
        total = 0.0
        for q in qtoks:
            w = self.idf.get(q, math.log(1 + len(self.entries)))
            total += w
            for i in self.post.get(q, ()):
                scores[i] += w
            if len(q) >= 3:
                seen: set[int] = set()
                for t in self._prefix_tokens(q):
                    for i in self.post[t]:
                        if i not in seen and i not in self.post.get(q, ()):
                            seen.add(i)
                            scores[i] += 0.7 * w
        ranked = []
        # a detailed query (3+ words) asks for a specific code: residual "unspecified" codes go after
        unspec_penalty = 0.03 if len(qtoks) >= 3 else 0.0
        for i, s in scores.items():
            if system and self.entries[i][0] != system:
                continue
            # coverage of the query, slightly favouring short (specific) titles
            score = s / total - 0.01 * self.lengths[i] - (unspec_penalty if self.unspecified[i] else 0.0)
            ranked.append((i, round(score, 4)))
        ranked.sort(key=lambda x: (-x[1], self.entries[x[0]][1]))
        return ranked[:limit]


class Terminology:
    """ICD-10 (`.icd10`) and OPCS-4 (`.opcs4`) plus cross-system lookup and search."""

    def __init__(self, icd10: Icd10, opcs4: Opcs4) -> None:
        self.icd10 = icd10
        self.opcs4 = opcs4
        self._index: _SearchIndex | None = None

    @property
    def uk_metadata_loaded(self) -> bool:
        return self.icd10.uk_source is not None

    def system_of(self, system: str):
        if system == "icd10":
            return self.icd10
        if system == "opcs4":
            return self.opcs4
        raise ValueError(f"system must be 'icd10' or 'opcs4'; got {system!r}")

    def lookup(self, code: str, system: str | None = None) -> CodeHit | None:
        """The code's entry (ICD-10 first when system is None), or None when not a known code."""
        hits = self.lookup_all(code, system)
        return hits[0] if hits else None

    def lookup_all(self, code: str, system: str | None = None) -> list[CodeHit]:
        """Every system in which the code is known (E85.1 exists in both ICD-10 and OPCS-4)."""
        out = []
        for sys_name in ([system] if system else ["icd10", "opcs4"]):
            table = self.system_of(sys_name)
            try:
                canon = table.normalise(code)
            except UnknownCodeError:
                continue
            if sys_name == "opcs4" and not table.is_valid(canon):
                continue
            out.append(CodeHit(code=canon, system=sys_name, title=table.title(canon),
                               display=table.display(canon)))
        return out

    def sex_limit(self, code: str) -> str | None:
        """"M"/"F" for an ICD-10 code limited to one sex: UK metadata when loaded, else built-in ranges."""
        try:
            item = self.icd10.item(code)
        except UnknownCodeError:
            return None
        if item.meta:
            return item.sex
        return default_sex_limit(item.code)

    def age_limits(self, code: str, perinatal_max_age: int = 0) -> tuple[int, int] | None:
        """(min, max) age in years: UK metadata when loaded, else P00-P96 and Z38 -> (0, perinatal_max_age)."""
        try:
            item = self.icd10.item(code)
        except UnknownCodeError:
            return None
        if item.meta:
            if item.min_age is None and item.max_age is None:
                return None
            return (item.min_age or 0, item.max_age if item.max_age is not None else 130)
        if PERINATAL[0] <= item.code[:3] <= PERINATAL[1] or item.code[:3] in NEWBORN_ONLY:
            return (0, perinatal_max_age)
        return None

    def _build_index(self) -> _SearchIndex:
        entries = []
        for c in self.icd10.codes():
            it = self.icd10.item(c)
            entries.append(("icd10", c, it.title, self.icd10.display(c)))
        for c in self.opcs4.codes():
            entries.append(("opcs4", c, self.opcs4.title(c), c))
        return _SearchIndex(entries)

    def search(self, text: str, system: str | None = None, limit: int = 20) -> list[CodeHit]:
        """Codes ranked by title match (token overlap with IDF weights + prefix matches).

        A query that is itself a code returns that code first."""
        if system not in (None, "icd10", "opcs4"):
            raise ValueError(f"system must be None, 'icd10' or 'opcs4'; got {system!r}")
        if self._index is None:
            self._index = self._build_index()
        hits: list[CodeHit] = []
        if len(text.strip()) <= 8:
            for h in self.lookup_all(text, system):
                hits.append(h.model_copy(update={"score": 1.0}))
            if hits:
                # a code query: the code itself, then the codes under it (J44 -> J44.0 ...)
                for h in list(hits):
                    if h.system == "icd10":
                        for c in self.icd10.children(h.code) + self.icd10.optional_children(h.code):
                            hits.append(CodeHit(code=c, system="icd10", title=self.icd10.title(c),
                                                score=0.9, display=self.icd10.display(c)))
                return hits[:limit]
        seen = {(h.system, h.code) for h in hits}
        for i, score in self._index.search(text, system, limit + len(hits)):
            s, c, t, d = self._index.entries[i]
            if (s, c) in seen:
                continue
            hits.append(CodeHit(code=c, system=s, title=t, score=score, display=d))
        return hits[:limit]
