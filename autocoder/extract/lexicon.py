"""Terminology lexicon: code titles, index-style title variants and curated synonyms, indexed for
(a) exact phrase matching in running text and (b) fuzzy / token-overlap candidate search.

Why our own index instead of spaCy's PhraseMatcher: every entity (from the NER or the matcher) needs
ranked candidate codes, including codes never seen in training and misspelt or re-ordered mentions
("femoral neck fracture", "pnuemonia"). A word-piece index over all ~10k ICD-10 leaves and all
OPCS-4 codes does both jobs with dictionary look-ups, builds in about a second and has no spaCy in
it (the same keys are computed from spaCy tokens by the matcher). Pure Python; no document text is
logged."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from autocoder.errors import ConfigError
from autocoder.schemas import Candidate

log = logging.getLogger(__name__)

_PIECE_RE = re.compile(r"[a-z]+|[0-9]+|#")
_CS_PIECE_RE = re.compile(r"[A-Za-z]+|[0-9]+|#")

#: US -> UK spellings so either spelling finds the WHO (British-spelt) titles.
SPELLING = {
    "hemorrhage": "haemorrhage", "hemorrhagic": "haemorrhagic", "anemia": "anaemia", "edema": "oedema",
    "esophagus": "oesophagus", "esophageal": "oesophageal", "esophagitis": "oesophagitis",
    "tumor": "tumour", "tumors": "tumours", "leukemia": "leukaemia", "ischemic": "ischaemic",
    "ischemia": "ischaemia", "diarrhea": "diarrhoea", "hematuria": "haematuria", "hematoma": "haematoma",
    "hematemesis": "haematemesis", "anesthesia": "anaesthesia", "pediatric": "paediatric",
    "hypokalemia": "hypokalaemia", "hyperkalemia": "hyperkalaemia", "hyponatremia": "hyponatraemia",
    "hypernatremia": "hypernatraemia", "hypercalcemia": "hypercalcaemia", "septicemia": "septicaemia",
    "hemoptysis": "haemoptysis", "dyspnea": "dyspnoea", "fetal": "fetal", "foetal": "fetal",
    "tumour": "tumour", "orthopedic": "orthopaedic", "gynecological": "gynaecological",
    "cesarean": "caesarean", "cesarian": "caesarean", "caesarian": "caesarean", "hemoglobin": "haemoglobin",
    "hemodialysis": "haemodialysis", "appendectomy": "appendicectomy", "melena": "melaena",
    "hypoglycemia": "hypoglycaemia", "hyperglycemia": "hyperglycaemia", "glycemic": "glycaemic",
    "hemorrhoids": "haemorrhoids", "celiac": "coeliac", "fibres": "fibres", "color": "colour",
}

#: Adjective <-> organ nouns, so "femoral neck fracture" meets "fracture of neck of femur".
ADJECTIVES = {
    "femoral": "femur", "renal": "kidney", "pulmonary": "lung", "cardiac": "heart", "hepatic": "liver",
    "gastric": "stomach", "cerebral": "brain", "vesical": "bladder", "colonic": "colon",
    "rectal": "rectum", "humeral": "humerus", "tibial": "tibia", "radial": "radius", "ulnar": "ulna",
    "pelvic": "pelvis", "vertebral": "vertebra", "cranial": "skull", "ocular": "eye",
    "splenic": "spleen", "pancreatic": "pancreas", "oesophageal": "oesophagus", "duodenal": "duodenum",
    "uterine": "uterus", "ovarian": "ovary", "prostatic": "prostate", "thyroid": "thyroid",
    "biliary": "bile", "intestinal": "intestine", "bowel": "intestine", "cutaneous": "skin",
}

STOP = frozenset(["of", "the", "and", "with", "without", "in", "on", "to", "a", "an", "or", "by", "for", "due", "other", "unspecified", "specified", "nos", "nec", "not", "elsewhere", "classified", "hfq", "as", "at", "from", "into", "its", "than", "use", "using", "type", "part"])
STOP = STOP - {"type"}
_KEEP_SHORT = {"#"}


def fold(text: str) -> str:
    """Lowercase and strip accents (Ménière -> meniere)."""
    t = unicodedata.normalize("NFKD", text)
    return "".join(c for c in t if not unicodedata.combining(c)).lower()


def pieces(text: str) -> list[str]:
    """Match keys: lowercase letter runs, digit runs and '#'; US spellings mapped to UK."""
    return [SPELLING.get(p, p) for p in _PIECE_RE.findall(fold(text))]


_MORPH = (("aemic", "aemia"), ("otic", "osis"), ("itic", "itis"), ("ptic", "psis"))


def stem(p: str) -> str:
    """Index form of a word: organ adjectives to nouns, -aemic/-otic/-itic to the disease noun,
    simple plurals to singular ("hypoglycaemic" meets "hypoglycaemia", "cirrhotic" meets "cirrhosis")."""
    p = ADJECTIVES.get(p, p)
    for a, b in _MORPH:
        if len(p) > len(a) + 3 and p.endswith(a):
            return p[: -len(a)] + b
    if len(p) > 4 and p.endswith("ies"):
        return p[:-3] + "y"
    if len(p) > 4 and p.endswith("s") and not p.endswith(("ss", "us", "is")):
        return p[:-1]
    return p


def content(keys: Iterable[str]) -> list[str]:
    return [stem(k) for k in keys if k not in STOP]


# ---------------------------------------------------------------- title variants
_TRAIL = re.compile(r",\s*(unspecified|not elsewhere classified|so described|other and unspecified|"
                    r"unspecified site|site unspecified|not specified|without mention of complication)$", re.IGNORECASE)
_NOS = re.compile(r"\s+(NOS|NEC|HFQ)\b", re.IGNORECASE)
_LEAD = re.compile(r"^(other specified|other|unspecified)\s+", re.IGNORECASE)
_BRACKET = re.compile(r"\s*[\[(][^\])]*[\])]")
_IN_DCE = re.compile(r"\s+in (diseases|conditions) classified elsewhere$", re.IGNORECASE)
_SEVERITY = re.compile(r"^(mild|moderate|severe|moderate or severe|mild to moderate)\s+", re.IGNORECASE)
_WITHOUT = re.compile(r"\s+without (complications?|mention of [a-z ]+|perforation or abscess)$", re.IGNORECASE)


def _reorder(t: str) -> list[str]:
    """'fracture of neck of femur' -> 'neck of femur fracture', 'femur neck fracture', 'femoral ...'."""
    out = []
    if t.count(" of ") >= 1 and " with " not in t and "," not in t:
        head, tail = t.split(" of ", 1)
        if 1 <= len(head.split()) <= 3 and len(tail.split()) <= 5:
            out.append(f"{tail} {head}")
            if " of " in tail:
                a, b = tail.rsplit(" of ", 1)
                if len(b.split()) == 1:
                    inv = {v: k for k, v in ADJECTIVES.items()}
                    out.append(f"{b} {a} {head}")
                    if b in inv:
                        out.append(f"{inv[b]} {a} {head}")
            elif len(tail.split()) == 1:
                inv = {v: k for k, v in ADJECTIVES.items()}
                if tail in inv:
                    out.append(f"{inv[tail]} {head}")
    return out


def title_variants(title: str) -> list[tuple[str, float]]:
    """Index-style variants of a code title with a small penalty for each rewrite.

    Why: letters say "pneumonia", "essential hypertension", "femoral neck fracture" while the
    tables say "Pneumonia, unspecified", "Essential (primary) hypertension", "Fracture of neck of
    femur". Returned strings are lowercase; the first is the title itself."""
    t0 = fold(title).strip()
    out: dict[str, float] = {t0: 0.0}
    t = _BRACKET.sub("", t0).strip()
    t = re.sub(r"\s+", " ", t)
    out.setdefault(t, 0.01)
    # stripping a leading "Other (specified)" costs more: "Other specified sepsis" is not plain sepsis
    steps = [(_TRAIL, "", 0.02), (_NOS, "", 0.02), (_IN_DCE, "", 0.02), (_WITHOUT, "", 0.02), (_LEAD, "", 0.1)]
    cur = t
    pen = 0.01
    for rx, rep, cost in steps:
        new = rx.sub(rep, cur).strip(" ,")
        if new and new != cur:
            pen += cost
            cur = new
            out.setdefault(cur, pen)
    # broader index entries: "mild hyperemesis gravidarum" / "... with metabolic disturbance" are
    # also found by "hyperemesis gravidarum" (a more specific code ranks below an exact title)
    for base, p in list(out.items()):
        sev = _SEVERITY.sub("", base).strip()
        if sev and sev != base:
            out.setdefault(sev, p + 0.05)
        if " with " in base and " without " not in base:
            head = base.split(" with ", 1)[0].strip(" ,")
            if len(head.split()) >= 2:
                out.setdefault(head, p + 0.08)
    for base, p in list(out.items()):
        for r in _reorder(base):
            out.setdefault(r, p + 0.02)
    # bracketed synonym: "mucocutaneous lymph node syndrome [kawasaki]" -> "kawasaki syndrome/disease"
    for m in re.finditer(r"\[([^\]]+)\]", t0):
        inner = m.group(1).strip()
        if len(inner) > 3:
            head = _BRACKET.sub("", t0).split()[-1]
            out.setdefault(f"{inner} {head}", 0.04)
            out.setdefault(f"{inner} disease", 0.05)
    return [(k, v) for k, v in out.items() if k]


# ---------------------------------------------------------------- data files
def _data_lines(path: Path) -> Iterable[tuple[int, str]]:
    if not path.exists():
        raise ConfigError(f"extract data file {path} does not exist")
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip("\n\r")
        if not line.strip() or (line.startswith("#") and "\t" not in line):
            continue
        yield n, line


def read_synonyms(path: Path) -> list[tuple[str, str, list[str]]]:
    """(term, system, [codes]) rows from configs/extract/synonyms.tsv."""
    system = "icd10"
    rows = []
    for n, line in _data_lines(path):
        if line.startswith("@"):
            system = line[1:].strip()
            if system not in ("icd10", "opcs4"):
                raise ConfigError(f"{path} line {n}: unknown system {system!r} (expected @icd10 or @opcs4)")
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ConfigError(f"{path} line {n}: expected 'term<TAB>code[,code]', got {line!r}")
        rows.append((parts[0].strip(), system, [c.strip() for c in parts[1].split(",") if c.strip()]))
    return rows


def read_abbreviations(path: Path) -> dict[str, str]:
    out = {}
    for n, line in _data_lines(path):
        parts = line.split("\t")
        if len(parts) != 2:
            raise ConfigError(f"{path} line {n}: expected 'abbreviation<TAB>expansion', got {line!r}")
        out[fold(parts[0].strip())] = parts[1].strip()
    return out


def read_phrase_list(path: Path) -> set[tuple[str, ...]]:
    out = set()
    for _, line in _data_lines(path):
        if not line.startswith("#"):
            out.add(tuple(pieces(line)))
    return out


# ---------------------------------------------------------------- the index
@dataclass(frozen=True)
class Entry:
    code: str
    system: str
    title: str
    source: str          # "synonym" | "title"
    prior: float         # exact-match score of this phrase for this code
    cs: tuple[str, ...] = ()   # case-sensitive pieces (uppercase abbreviations) for running text


@dataclass
class _Phrase:
    keys: tuple[str, ...]
    entries: list[Entry] = field(default_factory=list)
    text_ok: bool = False   # may be matched in running text


def label_for(code: str, system: str) -> str:
    if system == "opcs4":
        return "PROCEDURE"
    return "SYMPTOM" if code.startswith("R") else "DIAGNOSIS"


class _Tables:
    """Adapter over autocoder.codes' Terminology (tolerates a partial API while it is being built)."""

    def __init__(self, term) -> None:
        self.term = term

    def icd_items(self) -> list[tuple[str, str]]:
        icd = self.term.icd10
        codes = icd.leaves()
        return [(c, icd.title(c) or "") for c in codes]

    def opcs_items(self) -> list[tuple[str, str]]:
        op = getattr(self.term, "opcs4", None)
        if op is None:
            return []
        try:
            codes = op.codes()
        except Exception:  # noqa: BLE001 - table missing: OPCS candidates come from synonyms only
            log.warning("OPCS-4 table not available: OPCS-4 candidates come from curated synonyms only")
            return []
        return [(c, op.title(c) or "") for c in codes]

    def normalise(self, code: str, system: str) -> str | None:
        table = self.term.icd10 if system == "icd10" else getattr(self.term, "opcs4", None)
        if table is None:
            return None
        try:
            c = table.normalise(code)
        except Exception:  # noqa: BLE001 - UnknownCodeError or a table without this code
            return None
        if system == "opcs4":
            # the committed OPCS-4 core table is deliberately incomplete (autocoder.codes.opcs4):
            # a well-formed curated code that normalises is kept even when the table lacks it
            return c
        try:
            return c if table.is_valid(c) else None
        except Exception:  # noqa: BLE001
            return c

    def title(self, code: str, system: str) -> str:
        table = self.term.icd10 if system == "icd10" else getattr(self.term, "opcs4", None)
        try:
            return table.title(code) or ""
        except Exception:  # noqa: BLE001
            return ""


class TerminologyIndex:
    """All phrases (titles, variants, synonyms) -> codes, with exact and fuzzy look-up."""

    def __init__(self, term, synonyms: list[tuple[str, str, list[str]]], abbreviations: dict[str, str],
                 stop_phrases: set[tuple[str, ...]], min_title_tokens: int = 2,
                 corpus_forms: list[tuple[str, str, list[str]]] | None = None,
                 index_terms: list[tuple[str, str, list[str]]] | None = None,
                 index_terms_in_text: bool = True) -> None:
        self.tables = _Tables(term)
        self.abbreviations = {k: pieces(v) for k, v in abbreviations.items()}
        self.stop_phrases = stop_phrases
        self.phrases: dict[tuple[str, ...], _Phrase] = {}
        self.n_titles = 0
        self.skipped_synonym_codes: list[tuple[str, str]] = []
        self._add_titles(min_title_tokens)
        self._add_synonyms(synonyms)
        if index_terms:
            multi = [r for r in index_terms if len(content(pieces(r[0]))) >= 2]
            single = [r for r in index_terms if len(content(pieces(r[0]))) < 2]
            self._add_synonyms(multi, source="index", text_ok=index_terms_in_text)
            self._add_synonyms(single, source="index", text_ok=False)
        if corpus_forms:
            self._add_synonyms(corpus_forms, source="corpus", text_ok=False)
        self._build_text_index()
        self._build_fuzzy_index()

    # -- building
    def _phrase(self, keys: tuple[str, ...]) -> _Phrase:
        ph = self.phrases.get(keys)
        if ph is None:
            ph = self.phrases[keys] = _Phrase(keys)
        return ph

    def _add_titles(self, min_tokens: int) -> None:
        for system, items in (("icd10", self.tables.icd_items()), ("opcs4", self.tables.opcs_items())):
            for code, title in items:
                if not title:
                    continue
                self.n_titles += 1
                for variant, pen in title_variants(title):
                    keys = tuple(pieces(variant))
                    if not keys:
                        continue
                    ph = self._phrase(keys)
                    ph.entries.append(Entry(code, system, title, "title", round(0.97 - pen, 4)))
                    if len(content(keys)) >= min_tokens and keys not in self.stop_phrases:
                        ph.text_ok = True

    def _add_synonyms(self, rows: list[tuple[str, str, list[str]]], source: str = "synonym",
                      text_ok: bool = True) -> None:
        """Curated synonyms (matched in running text) or training-corpus forms (`source="corpus"`:
        candidates only; finding them in text is the NER's job)."""
        for term_text, system, codes in rows:
            keys = tuple(pieces(term_text))
            if not keys:
                continue
            cs = tuple(p for p in _CS_PIECE_RE.findall(term_text)
                       if len(p) >= 2 and p.isalpha() and p.isupper())
            ph = self._phrase(keys)
            prior0 = {"synonym": 1.0, "corpus": 0.99}.get(source, 0.985)
            n_before = sum(1 for e in ph.entries if e.source in ("synonym", "corpus", "index"))
            for rank, code in enumerate(codes):
                canon = self.tables.normalise(code, system)
                if canon is None:
                    if source == "synonym":
                        self.skipped_synonym_codes.append((term_text, code))
                    continue
                if any(e.code == canon and e.system == system and e.source in ("synonym", "corpus", "index")
                       for e in ph.entries):
                    continue
                ph.entries.insert(n_before + rank, Entry(canon, system, self.tables.title(canon, system), source,
                                                         round(prior0 - 0.03 * (n_before + rank), 4), cs))
            if text_ok and keys not in self.stop_phrases and any(e.source in ("synonym", "index")
                                                                 for e in ph.entries):
                ph.text_ok = True
        if self.skipped_synonym_codes:
            log.warning("%d curated synonym codes are not in the loaded tables and were skipped",
                        len(self.skipped_synonym_codes))

    def _build_text_index(self) -> None:
        self.first: dict[str, set[int]] = defaultdict(set)
        for keys, ph in self.phrases.items():
            if ph.text_ok:
                self.first[keys[0]].add(len(keys))
        self.max_len = max((len(k) for k in self.phrases), default=1)

    def _build_fuzzy_index(self) -> None:
        self._plist: list[_Phrase] = []
        self._ptoks: list[dict[str, float]] = []
        df: dict[str, int] = defaultdict(int)
        toks_per = []
        for keys, ph in self.phrases.items():
            toks = set(content(keys))
            if not toks:
                continue
            toks_per.append((ph, toks))
            for t in toks:
                df[t] += 1
        n = max(1, len(toks_per))
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, (ph, toks) in enumerate(toks_per):
            self._plist.append(ph)
            self._ptoks.append({t: self.idf[t] for t in toks})
            for t in toks:
                self.postings[t].append(i)
        self._near_cache: dict[str, list[tuple[str, float]]] = {}
        self._tri: dict[str, set[str]] = defaultdict(set)
        self.vocab: set[str] = {k for keys in self.phrases for k in keys}
        for t in self.vocab:
            if len(t) >= 4 and t.isalpha():
                for g in _trigrams(t):
                    self._tri[g].add(t)

    # -- running-text matching
    def correct(self, key: str) -> str | None:
        """A likely spelling fix for a word unknown to every phrase ("pnuemonia" -> "pneumonia"),
        or None. Only long alphabetic words and close matches, so ordinary words are left alone."""
        if len(key) < 6 or not key.isalpha() or key in self.vocab:
            return None
        near = self._near(key)
        if near and near[0][1] >= 0.85 and (len(near) == 1 or near[1][1] < near[0][1]):
            return near[0][0]
        return None

    def match_keys(self, keys: list[str], originals: list[str]) -> list[tuple[int, int, _Phrase]]:
        """Greedy longest-first matches over a key sequence -> (start, end, phrase) in key positions.
        `originals` are the case-preserved pieces (for case-sensitive abbreviations)."""
        out = []
        i, n = 0, len(keys)
        while i < n:
            lens = self.first.get(keys[i])
            hit = None
            if lens:
                for L in sorted(lens, reverse=True):
                    if i + L > n:
                        continue
                    ph = self.phrases.get(tuple(keys[i:i + L]))
                    if ph is None or not ph.text_ok:
                        continue
                    if not self._case_ok(ph, originals[i:i + L]):
                        continue
                    hit = (i, i + L, ph)
                    break
            if hit:
                out.append(hit)
                i = hit[1]
            else:
                i += 1
        return out

    def find_in_text(self, text: str) -> list[tuple[int, int, _Phrase, bool]]:
        """Phrases in running text: (start char, end char, phrase, spelling-corrected?)."""
        keys: list[str] = []
        orig: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        fixed: set[int] = set()
        for m in _TEXT_PIECE_RE.finditer(text):
            p = m.group()
            k = _key(p)
            if k is None:
                continue
            fix = self.correct(k)
            if fix is not None:
                fixed.add(len(keys))
                k = fix
            keys.append(k)
            orig.append(p)
            starts.append(m.start())
            ends.append(m.end())
        return [(starts[a], ends[b - 1], ph, any(i in fixed for i in range(a, b)))
                for a, b, ph in self.match_keys(keys, orig)]

    @staticmethod
    def _case_ok(ph: _Phrase, orig: list[str]) -> bool:
        syn = [e for e in ph.entries if e.source in ("synonym", "index")]
        if not syn:
            return True
        if any(not e.cs for e in syn):
            return True
        need = set(syn[0].cs)
        return need.issubset(set(orig))

    # -- candidates
    def expand(self, keys: list[str]) -> list[str]:
        out: list[str] = []
        for k in keys:
            out.extend(self.abbreviations.get(k, [k]))
        return out

    def candidates(self, text: str, label: str | None = None, top_k: int = 10,
                   min_score: float = 0.3, fuzzy: bool = True) -> list[Candidate]:
        """Ranked codes for an entity's text: exact phrase > trimmed phrase > fuzzy token overlap.
        fuzzy=False: phrase hits only (cheap; a fuzzy score is at most 0.85)."""
        keys = pieces(text)
        if not keys:
            return []
        systems = {"opcs4"} if label == "PROCEDURE" else {"icd10"} if label in ("DIAGNOSIS", "SYMPTOM") else None
        scores: dict[tuple[str, str], tuple[float, Entry]] = {}

        def add(entries: list[Entry], factor: float, source: str) -> None:
            for e in entries:
                if systems and e.system not in systems:
                    continue
                s = e.prior * factor
                if label == "SYMPTOM" and e.code.startswith("R"):
                    s += 0.005
                k = (e.system, e.code)
                if k not in scores or scores[k][0] < s:
                    scores[k] = (s, e if source == e.source else Entry(e.code, e.system, e.title, source, e.prior))

        exact_found = False
        fixed = [self.correct(k) or k for k in keys]
        for variant, factor in ((keys, 1.0), (self.expand(keys), 0.98), (fixed, 0.95)):
            ph = self.phrases.get(tuple(variant))
            if ph:
                add(ph.entries, factor, "exact")
                exact_found = True
        if not exact_found:  # drop leading / trailing qualifiers ("severe", "bilateral", "stage 2")
            for i in range(1, min(len(keys), 4)):
                ph = self.phrases.get(tuple(keys[i:]))
                if ph and len(content(keys[i:])) >= 1:
                    add(ph.entries, 0.9 - 0.02 * i, "trimmed")
                    break
            for j in range(len(keys) - 1, max(0, len(keys) - 3), -1):
                ph = self.phrases.get(tuple(keys[:j]))
                if ph and content(keys[:j]):
                    add(ph.entries, 0.85 - 0.02 * (len(keys) - j), "trimmed")
                    break
        for s, e in self._fuzzy(self.expand(keys), systems, limit=top_k * 4) if fuzzy else ():
            if s >= min_score:
                k = (e.system, e.code)
                if k not in scores or scores[k][0] < s:
                    scores[k] = (s, Entry(e.code, e.system, e.title, "fuzzy", e.prior))
        ranked = sorted(scores.values(), key=lambda x: (-x[0], x[1].code))[:top_k]
        return [Candidate(code=e.code, system=e.system, score=round(min(1.0, s), 4), title=e.title,
                          source=f"matcher:{e.source}") for s, e in ranked]

    def _fuzzy(self, keys: list[str], systems: set[str] | None, limit: int) -> list[tuple[float, Entry]]:
        q: dict[str, float] = {}
        for t in content(keys):
            if t in self.idf:
                q[t] = max(q.get(t, 0.0), self.idf[t])
            elif len(t) >= 4 and t.isalpha():
                for alt, sim in self._near(t)[:2]:
                    alt = stem(alt)
                    if alt in self.idf:
                        q[alt] = max(q.get(alt, 0.0), self.idf[alt] * sim)
            else:
                q[t] = max(q.get(t, 0.0), 2.0)  # unknown short token: counts against every phrase
        if not q:
            return []
        qn = sum(q.values())
        acc: dict[int, float] = defaultdict(float)
        for t, w in q.items():
            for i in self.postings.get(t, ()):
                acc[i] += min(w, self._ptoks[i][t])
        best: dict[tuple[str, str], tuple[float, Entry]] = {}
        for i, shared in acc.items():
            pn = sum(self._ptoks[i].values())
            dice = 2 * shared / (qn + pn)
            for e in self._plist[i].entries:
                if systems and e.system not in systems:
                    continue
                s = dice * 0.85 * (0.9 + 0.1 * e.prior)
                k = (e.system, e.code)
                if k not in best or best[k][0] < s:
                    best[k] = (s, e)
        return sorted(best.values(), key=lambda x: -x[0])[:limit]

    def _near(self, tok: str) -> list[tuple[str, float]]:
        """Vocabulary words close to a misspelt one (trigram prefilter, then edit similarity)."""
        cached = self._near_cache.get(tok)
        if cached is not None:
            return cached
        grams = _trigrams(tok)
        counts: dict[str, int] = defaultdict(int)
        for g in grams:
            for t in self._tri.get(g, ()):
                counts[t] += 1
        out = []
        ng = len(grams)
        for t, c in counts.items():
            # cheap trigram-overlap bound first; SequenceMatcher only for plausible neighbours
            if c < 2 or abs(len(t) - len(tok)) > 2 or c < 0.4 * ng:
                continue
            sim = SequenceMatcher(None, tok, t).ratio()
            if sim >= 0.8:
                out.append((t, sim))
        out.sort(key=lambda x: -x[1])
        if len(self._near_cache) < 200_000:
            self._near_cache[tok] = out
        return out


_TEXT_PIECE_RE = re.compile(r"[^\W\d_]+|[0-9]+|#")


@lru_cache(maxsize=200_000)
def _key(piece: str) -> str | None:
    ks = pieces(piece)
    return ks[0] if len(ks) == 1 else None


def _trigrams(t: str) -> set[str]:
    s = f"#{t}#"
    return {s[i:i + 3] for i in range(len(s) - 2)}
