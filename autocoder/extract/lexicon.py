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

import numpy as np

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

#: Interchangeable words in letters: every phrase with the left word is also indexed with each right
#: word ("bowel cancer" -> "bowel ca", "carcinoma of pancreas" -> "ca of pancreas").
TOKEN_ALIASES = {"cancer": ("ca", "carcinoma", "adenocarcinoma"), "carcinoma": ("ca", "cancer", "adenocarcinoma"),
                 "tumour": ("tumor",),
                 "adenoma": ("macroadenoma", "microadenoma")}

#: Endings that make a single word a condition or operation name ("acromegaly", "costochondritis",
#: "adrenalectomy"): such one-word titles and index terms are matched in running text too.
CLINICAL_SUFFIXES = ("itis", "osis", "oma", "aemia", "pathy", "megaly", "ectomy", "otomy", "ostomy", "plasty",
                     "scopy", "iasis", "algia", "plegia", "paresis", "trophy", "uria", "rrhoea", "rrhage", "ysis",
                     "oidism", "ism", "ectasis", "ectasia", "penia", "cytosis", "lithiasis", "odynia", "spasm",
                     "ptysis", "emesis", "aesthesia", "phagia", "phasia", "rrhaphy", "pexy", "cele", "ia", "epsy",
                     "oedema")
#: Ordinary words that happen to carry a clinical ending (never matched alone in text).
# words that never carry a fuzzy match: they sit in code titles ("All normal delivery", "Other specified
# levels of spine") and in letters' running text ("rectum normal on retroflexion", "ketone strips") alike
_FUZZY_IGNORE = frozenset(["normal", "abnormal", "all", "other", "others", "level", "levels", "group", "strip",
                           "strips", "continued", "given", "started", "stopped", "review", "reviewed", "noted",
                           "seen", "result", "results", "regardless", "day", "days", "week", "weeks"])
_FUZZY_WEAK = frozenset(["l", "r", "lt", "rt", "left", "right", "bilateral", "both", "x2", "x3", "x4",
                         # nor a degree ("moderate trabeculation" is not the corpus wording "moderate AS")
                         "mild", "moderate", "severe", "end", "stage"])
_SUFFIX_STOP = frozenset(["diagnosis", "prognosis", "analysis", "dialysis", "mechanism", "symptoms", "criticism",
                          "tourism", "organism", "metabolism", "alcoholism", "hypnosis", "emphasis", "paralysis",
                          "synopsis", "thesis", "basis", "crisis", "aneurysm", "hypothesis", "somatoform", "fimbria",
                          "anaesthesia", "bacteria", "criteria", "pharmacopoeia", "diplomacy"])

#: Qualifiers a mention may carry that a code title may not ("bilateral", "acute on chronic"):
#: dropped from the ends of a mention before giving up on an exact match.
_DX_QUALIFIERS = frozenset(["acute", "chronic", "severe", "mild", "moderate", "bilateral", "left", "right",
                            "recurrent", "known", "new", "worsening", "ongoing", "early", "late", "small", "large", "significant",
                            "multiple", "single", "minor", "major", "simple", "complicated", "uncomplicated",
                            "primary", "stage", "grade", "l", "r", "lt", "rt", "likely", "possible", "presumed",
                            "probable", "suspected", "query", "mechanical", "extensive", "partial", "total"])
#: how or when an operation was done: the OPCS-4 main code names the operation, the approach has its own
#: Y code (added by model/refine.py), so "laparoscopic left salpingectomy" is found as "salpingectomy"
_PROC_QUALIFIERS = frozenset(["laparoscopic", "laparoscopically", "lap", "endoscopic", "arthroscopic",
                              "thoracoscopic", "percutaneous", "open", "robotic", "robotically", "assisted",
                              "emergency", "elective", "urgent", "planned", "successful", "uneventful",
                              "day", "case", "same", "night", "formal"])
_QUALIFIERS = _DX_QUALIFIERS | _PROC_QUALIFIERS

#: words that may be dropped from *inside* a mention to reach a known phrase: the qualifiers above plus
#: positional adjectives ("perforated anterior duodenal ulcer" -> "perforated duodenal ulcer")
INNER_DROP = _QUALIFIERS | frozenset(["anterior", "posterior", "superior", "inferior", "lateral", "medial",
                                       "proximal", "distal", "focal", "diffuse", "extensive", "localised",
                                       "localized", "generalised", "generalized", "sided", "side", "dense",
                                       "marked", "profound", "symptomatic", "asymptomatic", "florid", "frank",
                                       "permanent", "temporary"])


def fold(text: str) -> str:
    """Lowercase and strip accents (Ménière -> meniere)."""
    t = unicodedata.normalize("NFKD", text)
    return "".join(c for c in t if not unicodedata.combining(c)).lower()


_ARTICLES = frozenset(["the"])


def pieces(text: str) -> list[str]:
    """Match keys: lowercase letter runs, digit runs and '#'; US spellings mapped to UK; "the" dropped
    ("carcinoma of the pancreas" = "carcinoma of pancreas", as the tables never need the article)."""
    return [SPELLING.get(p, p) for p in _PIECE_RE.findall(fold(text)) if p not in _ARTICLES]


_MORPH = (("aemic", "aemia"), ("otic", "osis"), ("itic", "itis"), ("ptic", "psis"))


#: how letters name an operation ("pacemaker implanted", "a PPM implant", "lesion excised") -> the noun
#: OPCS-4 titles use ("Implantation of ...", "Excision of ..."): so the token-overlap search meets them
_OPERATION_NOUNS = {
    "implant": "implantation", "implanted": "implantation", "inserted": "insertion", "excised": "excision",
    "repaired": "repair", "resected": "resection", "drained": "drainage", "replaced": "replacement",
    "biopsied": "biopsy", "ligated": "ligation", "aspirated": "aspiration", "amputated": "amputation",
    "removed": "removal", "banded": "banding", "stented": "stent", "fixed": "fixation", "fused": "fusion",
}


def stem(p: str) -> str:
    """Index form of a word: organ adjectives to nouns, -aemic/-otic/-itic to the disease noun,
    simple plurals to singular ("hypoglycaemic" meets "hypoglycaemia", "cirrhotic" meets "cirrhosis"),
    operation verbs to the title noun ("implanted" meets "implantation")."""
    p = ADJECTIVES.get(p, p)
    p = _OPERATION_NOUNS.get(p, p)
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
_BARE_GROUP = re.compile(r"\b(?:diseases|disorders|conditions)$")
_LEAD = re.compile(r"^(other and unspecified|other specified|other|unspecified)\s+", re.IGNORECASE)
_BRACKET = re.compile(r"\s*[\[(][^\])]*[\])]")
_IN_DCE = re.compile(r"\s+in (diseases|conditions) classified elsewhere$", re.IGNORECASE)
_SEVERITY = re.compile(r"^(mild|moderate|severe|moderate or severe|mild to moderate|total|partial|subtotal|"
                       r"unilateral|bilateral|radical|primary)\s+", re.IGNORECASE)
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


_NEOPLASM = re.compile(r"^(secondary |benign )?(?:malignant )?neoplasms?(?: of |: )(.+)$")
_SITE_QUALIFIER = re.compile(r"^(overlapping lesion|other|unspecified|ill-defined|multiple)\b")


def _neoplasm_forms(t: str) -> list[str]:
    """'malignant neoplasm: pancreas' -> 'pancreas cancer', 'pancreatic carcinoma', 'carcinoma of pancreas';
    'secondary malignant neoplasm of liver' -> 'liver metastases', 'metastases to liver'. Letters
    name cancers by site; the tables say "Malignant neoplasm". ("ca" forms come from token aliases.)"""
    m = _NEOPLASM.match(t)
    if not m or "," in m.group(2):
        return []
    out = []
    inv = {v: k for k, v in ADJECTIVES.items()}
    for site in re.split(r" or | and ", m.group(2)):
        site = site.strip()
        if not site or len(site.split()) > 4 or _SITE_QUALIFIER.match(site):
            continue
        if m.group(1) == "benign ":
            sites = [site] + ([site[:-6]] if site.endswith(" gland") else [])
            forms = [f for x in sites for f in (f"benign {x} tumour", f"benign tumour of {x}", f"{x} adenoma",
                                                 f"adenoma of {x}", f"benign {x} neoplasm")]
        elif m.group(1):
            forms = [f"{site} metastases", f"metastases to {site}", f"{site} metastasis", f"{site} secondaries",
                     f"metastatic disease of {site}"]
        else:
            forms = [f"{site} cancer", f"{site} carcinoma", f"cancer of {site}", f"carcinoma of {site}",
                     f"{site} malignancy"]
            if site in inv:
                forms += [f"{inv[site]} cancer", f"{inv[site]} carcinoma"]
        out.extend(forms)
    return out


def _or_sites(t: str) -> list[str]:
    """'injury of liver or gallbladder' -> 'injury of liver', 'injury of gallbladder' (then re-ordered to
    'liver injury'): a title covering two sites is found by a mention of either."""
    if t.count(" of ") != 1 or " or " not in t or any(w in t for w in (",", " with ", " and ", ":")):
        return []
    head, tail = t.split(" of ", 1)
    parts = [x.strip() for x in tail.split(" or ")]
    if len(head.split()) > 3 or any(not x or len(x.split()) > 3 for x in parts):
        return []
    return [f"{head} of {x}" for x in parts]


def _organ_word(t: str) -> list[str]:
    """'cardiac arrhythmia' -> 'arrhythmia': an organ adjective before a one-word condition name
    (one with a clinical ending) may be left out in letters."""
    w = t.split()
    if len(w) == 2 and w[0] in ADJECTIVES and w[1].endswith(CLINICAL_SUFFIXES) and len(w[1]) >= 7:
        return [w[1]]
    return []


#: heads too general to stand for one operation ("biopsy of X" is found by "X biopsy", never by "biopsy")
_GENERIC_HEADS = frozenset(["biopsy", "endoscopy", "arthroscopy", "stereotactic biopsy", "needle biopsy"])
_PROC_ENDINGS = ("ectomy", "otomy", "ostomy", "plasty", "oscopy", "pexy", "rrhaphy", "biopsy")


def _procedure_head(t: str) -> list[str]:
    """'microdiscectomy of lumbar intervertebral disc' -> 'microdiscectomy', 'punch biopsy of skin' ->
    'punch biopsy': letters name an operation by its head word and leave the site to the context."""
    if t.count(" of ") < 1 or any(w in t for w in (",", " with ", " and ", ":")):
        return []
    head = t.split(" of ", 1)[0].strip()
    w = head.split()
    if 1 <= len(w) <= 2 and w[-1].endswith(_PROC_ENDINGS) and len(w[-1]) >= 6 and head not in _GENERIC_HEADS:
        return [head]
    return []


_INNER_PREPOSITION = re.compile(r"\s(?:during|due to|following|after|from|by|on|at|for|to)\s")
_SHARED_CAUSE = re.compile(r"\s(?:due to|following|after|associated with)\s")


def _and_halves(t: str) -> list[str]:
    """'acromegaly and pituitary gigantism' -> 'acromegaly', 'pituitary gigantism': a title naming two
    conditions is found by either. Not for 'X of A and B' (the halves would lose their head)."""
    if t.count(" and ") != 1 or any(w in t for w in (" of ", ",", " with ", " in ", " or ", ":")):
        return []
    a, b = (x.strip() for x in t.split(" and "))
    if _INNER_PREPOSITION.search(f" {a} "):
        return []   # "aspiration pneumonitis ... during labour and delivery": the 'and' joins inside a phrase
    cause = _SHARED_CAUSE.search(b)
    if cause:   # 'infection and inflammatory reaction due to cardiac valve prosthesis': the cause is shared
        a = f"{a} {b[cause.start():].strip()}"   # -> 'infection due to ...', never a bare 'infection'
    elif " " not in a and " " in b and (a.endswith(ADJECTIVE_ENDINGS) or a in _QUALIFIERS):
        a = f"{a} {b.split()[-1]}"   # 'renal and perinephric abscess': 'renal' shares the head -> 'renal abscess'
    return [x for x in (a, b) if x and not x.startswith(("other", "unspecified"))]


#: one-word ICD-10 titles that are also ordinary report words ("osteophyte" on every spine X-ray)
_SINGLE_TITLE_STOP = frozenset(["ganglion", "osteophyte", "infestation", "freckles", "nightmares", "myopia",
                                "isolation", "counselling", "malingerer"])

ADJECTIVE_ENDINGS = ("al", "ic", "ous", "ary", "ar", "ive", "oid", "eal", "ial")


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
        if rx is _LEAD and _BARE_GROUP.search(new):
            continue   # "other and unspecified infectious diseases" -> not "infectious diseases" (a team's name)
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
        for r in _neoplasm_forms(base):
            out.setdefault(r, p + 0.03)
        for r in _and_halves(base):
            out.setdefault(r, p + 0.06)
        for r in _or_sites(base):
            out.setdefault(r, p + 0.04)
        for r in _procedure_head(base):
            out.setdefault(r, p + 0.12)
    for base, p in list(out.items()):
        for r in _organ_word(base):
            out.setdefault(r, p + 0.08)
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


def read_pattern_list(path: Path) -> re.Pattern | None:
    """One regex a line (comments as in every extract data file) joined into one pattern for whole-span
    matching; a line's leading "(?i)" scopes to that line. A line that does not compile is a ConfigError
    naming the file and line."""
    parts = []
    for n, raw in _data_lines(path):
        line = raw.strip()
        try:
            re.compile(line)
        except re.error as exc:
            raise ConfigError(f"{path}:{n}: expected a Python regular expression, received {line!r} ({exc})") from exc
        flags = re.match(r"\(\?([aiLmsux]+)\)", line)
        parts.append(f"(?{flags.group(1)}:{line[flags.end():]})" if flags else f"(?:{line})")
    return re.compile("|".join(parts)) if parts else None


def titlecase_word(text: str) -> bool:
    """One alphabetic word written Titlecase ("Age", not "AGE", "age" or "Age-related"): the only case in
    which TerminologyIndex.candidates looks at letter case, so candidate caches must key on it too."""
    word = text.strip()
    return len(word) > 2 and word.isalpha() and word[0].isupper() and word[1:].islower()


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

    def usage_bonus(self, scale: float = 0.015) -> dict[tuple[str, str], float]:
        """A small score bonus (at most `scale`, log of national usage) per code, for codes whose usage
        is known (an imported HES usage table): among equally good matches the code hospitals use most
        ranks first ("microdiscectomy": lumbar V33.7, used 37k times, before cervical V29.6, 323)."""
        op = getattr(self.term, "opcs4", None)
        if op is None or not hasattr(op, "usage_count"):
            return {}
        counts = {c: n for c in op.codes() if (n := op.usage_count(c))}
        if not counts:
            return {}
        top = math.log1p(max(counts.values()))
        return {("opcs4", c): scale * math.log1p(n) / top for c, n in counts.items()}

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
        self.usage_bonus = self.tables.usage_bonus()
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
        self._add_aliases()
        self._add_possessive_eponyms()
        self._add_congenital_free()
        self._allow_clinical_single_words()
        self._build_text_index()
        self._build_fuzzy_index()

    # -- building
    def _phrase(self, keys: tuple[str, ...]) -> _Phrase:
        ph = self.phrases.get(keys)
        if ph is None:
            ph = self.phrases[keys] = _Phrase(keys)
        return ph

    def _add_titles(self, min_tokens: int) -> None:
        self.by_category: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        for system, items in (("icd10", self.tables.icd_items()), ("opcs4", self.tables.opcs_items())):
            for code, title in items:
                if not title:
                    continue
                self.by_category[(system, code.split(".")[0])].append(Entry(code, system, title, "sibling", 0.0))
                self.n_titles += 1
                variants = title_variants(title)
                if system == "icd10" and code[0] in "AB":
                    # "Dengue" / "Brucellosis" are written "dengue fever", "brucella infection"
                    variants += [(f"{v} {tail}", pen + 0.03) for v, pen in variants
                                 if v.isalpha() and len(v) >= 4 for tail in ("fever", "infection")]
                for variant, pen in variants:
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

    def _copy_phrase(self, keys: tuple[str, ...], src: _Phrase, penalty: float) -> None:
        if keys in self.phrases or not keys:
            return
        ph = self._phrase(keys)
        ph.entries = [Entry(e.code, e.system, e.title, e.source, round(e.prior - penalty, 4), e.cs)
                      for e in src.entries]
        ph.text_ok = src.text_ok and keys not in self.stop_phrases

    def _add_aliases(self) -> None:
        """Each phrase also under its TOKEN_ALIASES spellings ("breast cancer" -> "breast ca")."""
        for keys, ph in list(self.phrases.items()):
            for i, k in enumerate(keys):
                for alt in TOKEN_ALIASES.get(k, ()):
                    new = keys[:i] + (alt,) + keys[i + 1:]
                    if alt == "ca" and len(new) < 2:
                        continue   # a bare "ca" is calcium as often as cancer
                    self._copy_phrase(new, ph, 0.01)

    def _add_possessive_eponyms(self) -> None:
        """"Addison's disease" is also written "Addison's": the possessive name alone stands for the
        eponymous disease or syndrome (only possessives, so "Graves" or "Bell" alone never match)."""
        for keys, ph in list(self.phrases.items()):
            if len(keys) == 3 and keys[1] == "s" and keys[2] in ("disease", "syndrome") \
                    and len(keys[0]) >= 4 and keys[0].isalpha():
                self._copy_phrase(keys[:2], ph, 0.02)
                # ... and without the apostrophe: "Parkinsons disease", "Crohns disease"
                self._copy_phrase((keys[0] + "s", keys[2]), ph, 0.02)

    def _add_congenital_free(self) -> None:
        """"Congenital hypertrophic pyloric stenosis" is written "hypertrophic pyloric stenosis": the ICD
        index treats "congenital" as a nonessential modifier of many chapter XVII terms. Only where the
        shorter phrase is not already known ("congenital hydronephrosis" does not take "hydronephrosis"
        from N13.3) and at least two content words remain."""
        for keys, ph in list(self.phrases.items()):
            if len(keys) >= 3 and keys[0] == "congenital" and len(content(keys[1:])) >= 2 \
                    and any(e.system == "icd10" for e in ph.entries):
                self._copy_phrase(keys[1:], ph, 0.03)

    def _allow_clinical_single_words(self) -> None:
        """One-word condition / operation names ("acromegaly", "adrenalectomy") and curated capitals
        abbreviations of 3+ letters ("TTP", "PBC") are matched in text: the two-token minimum for
        titles is there to keep ordinary words out, and neither a clinical ending ("-itis",
        "-ectomy", ...) on a long word nor a case-sensitive abbreviation is an ordinary word."""
        for keys, ph in self.phrases.items():
            if ph.text_ok or len(keys) != 1:
                continue
            w = keys[0]
            syn = [e for e in ph.entries if e.source in ("index", "synonym")]
            if len(w) >= 3 and syn and all(e.cs for e in syn) and (w,) not in self.stop_phrases:
                ph.text_ok = True    # a curated CAPITALS abbreviation ("TTP", "PBC"): case-sensitive
                continue
            if len(w) >= 7 and w.isalpha() and w.endswith(CLINICAL_SUFFIXES) and w not in _SUFFIX_STOP \
                    and (w,) not in self.stop_phrases and ph.entries:
                ph.text_ok = True
                continue
            # a disease whose whole ICD-10 title is this one word ("Vitiligo", "Torticollis", "Kernicterus"):
            # a name, not an ordinary word (symptom, external-cause and status chapters left out)
            if len(w) >= 6 and w.isalpha() and w not in _common_words() and w not in _SINGLE_TITLE_STOP \
                    and (w,) not in self.stop_phrases and any(
                        e.source == "title" and e.system == "icd10" and e.prior >= 0.94
                        and not e.code.startswith(("R", "V", "W", "X", "Y", "Z")) for e in ph.entries):
                ph.text_ok = True

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
            self._ptoks.append({t: self.idf[t] for t in sorted(toks)})
            for t in toks:
                self.postings[t].append(i)
        self._near_cache: dict[tuple[str, float], list[tuple[str, float]]] = {}
        self._fix_cache: dict[str, str | None] = {}
        self._tri: dict[str, set[str]] = defaultdict(set)
        # the spelling vocabulary: words of terminology phrases only. Training-corpus forms are left out:
        # the generator writes deliberate misspellings ("lobar pnuemonia"), and a misspelling in the
        # vocabulary is never corrected, so a letter's bare "pnuemonia" would miss J18.9
        self.vocab: set[str] = {k for keys, ph in self.phrases.items()
                                if any(e.source != "corpus" for e in ph.entries) for k in keys}
        self._shape: dict[tuple[int, str, str], list[str]] = defaultdict(list)
        for t in sorted(self.vocab):
            if 6 <= len(t) <= 8 and t.isalpha():
                self._shape[(len(t), t[0], t[-1])].append(t)
        for t in self.vocab:
            if len(t) >= 4 and t.isalpha():
                for g in _trigrams(t):
                    self._tri[g].add(t)
        self._fuzzy_arrays()

    # -- running-text matching
    def correct(self, key: str) -> str | None:
        """A likely spelling fix for a word unknown to every phrase ("pnuemonia" -> "pneumonia",
        "diseaes" -> "disease"), or None. Guarded so ordinary words are left alone: only alphabetic
        words of >= 5 letters; one edit (a swap of neighbours counts as one) for words under 9
        letters, two for longer ones; words of 5-6 letters only by a swap of neighbours; and the
        closest vocabulary word must be the only one at that distance."""
        if len(key) < 5 or not key.isalpha() or key in self.vocab:
            return None
        cached = self._fix_cache.get(key, False)
        if cached is not False:
            return cached
        if self._word_form(key):
            self._fix_cache[key] = None
            return None
        best: list[tuple[int, str]] = []
        limit = 1 if len(key) < 9 else 2
        for cand, _ in self._near(key, min_sim=0.7):
            if cand[0] != key[0] or _flips_prefix(key, cand):
                continue   # a misspelling keeps its first letter; hypo- never becomes hyper-
            d = _osa_distance(key, cand, limit)
            if d <= limit:
                best.append((d, cand))
        fix = None
        if best:
            best.sort()
            d0 = best[0][0]
            tied = [c for d, c in best if d == d0]
            if len({stem(c) for c in tied}) == 1:   # "diseaes": "disease" and "diseases" agree
                tied = [min(tied, key=len)]
            if len(tied) == 1 and (len(key) >= 7 or _is_swap(key, tied[0])) \
                    and tied[0] not in key and key not in tied[0]:
                fix = tied[0]   # (never a prefix / suffix away: "inpatient" is not "patient")
        elif 6 <= len(key) <= 8:
            # a letter out of place in a short word ("athsma"): only a word with the same letters
            # and the same first and last letters, and only when it is the one such word
            same = [w for w in self._shape.get((len(key), key[0], key[-1]), ())
                    if sorted(w) == sorted(key) and _osa_distance(key, w, 2) <= 2]
            if len(same) == 1:
                fix = same[0]
        if len(self._fix_cache) < 200_000:
            self._fix_cache[key] = fix
        return fix

    def _word_form(self, key: str) -> bool:
        """Is this an ordinary form of a known word rather than a misspelling? Inflections
        ("started", "radiating", "initially", "features") and negated forms ("uncomplicated",
        whose correction to "complicated" would flip the meaning) are left alone."""
        if key.endswith(_INFLECTIONS) or key in _common_words():
            return True
        for pre in ("un", "non", "in", "dis", "re", "pre", "post", "sub"):
            if key.startswith(pre) and key[len(pre):] in self.vocab:
                return True
            if pre + key in self.vocab:
                return True
        for suf in ("s", "es", "al", "ly", "ic", "y"):
            if key.endswith(suf) and key[: -len(suf)] in self.vocab:
                return True
        return False

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
            if _PLURAL_ABBR.match(p) and p not in _PLURAL_SKIP:
                p = p[:-1]          # "PEs", "TIAs": the abbreviation's plural
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
        keys = pieces(_PLURAL_ABBR_IN_TEXT.sub(r"\1", text))   # "PEs" -> "PE"
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

        # "Age" (in "Age-related cataract") is a word, not the abbreviation AGE: a single Titlecase word
        # does not take a phrase known only as an uppercase abbreviation (lowercase "copd" still does)
        titlecase = len(keys) == 1 and titlecase_word(text)
        not_meant: set[tuple[str, str]] = set()   # the abbreviation's codes (its fuzzy twin is skipped too)
        exact_found = False
        fixed = [self.correct(k) or k for k in keys]
        for variant, factor in ((keys, 1.0), (self.expand(keys), 0.98), (fixed, 0.95)):
            ph = self.phrases.get(tuple(variant))
            if ph and titlecase and all(e.cs for e in ph.entries):
                not_meant.update((e.system, e.code) for e in ph.entries)
                continue
            if ph:
                add(ph.entries, factor, "exact")
                exact_found = True
        if not exact_found:  # drop leading / trailing qualifiers ("severe", "bilateral", "stage 2")
            for i in range(1, min(len(keys), 4)):
                ph = self.phrases.get(tuple(keys[i:]))
                if ph and len(content(keys[i:])) >= 1 and self._droppable(keys[:i], keys[i:]):
                    add(ph.entries, 0.9 - 0.02 * i, "trimmed")
                    break
            for j in range(len(keys) - 1, max(0, len(keys) - 3), -1):
                ph = self.phrases.get(tuple(keys[:j]))
                if ph and content(keys[:j]) and self._droppable(keys[j:], keys[:j]):
                    add(ph.entries, 0.85 - 0.02 * (len(keys) - j), "trimmed")
                    break
        if not exact_found and not scores:   # qualifiers inside the mention: drop them all, then look again
            inner = [k for k in keys if k not in INNER_DROP]
            if inner != keys and content(inner):
                for variant in (inner, [self.correct(k) or k for k in inner]):
                    ph = self.phrases.get(tuple(variant))
                    if ph:
                        add(ph.entries, 0.9, "trimmed")
                        break
        for s, e in self._fuzzy(self.expand(keys), systems, limit=top_k * 4) if fuzzy else ():
            if s >= min_score:
                k = (e.system, e.code)
                if k in not_meant:
                    continue
                if k not in scores or scores[k][0] < s:
                    scores[k] = (s, Entry(e.code, e.system, e.title, "fuzzy", e.prior))
        self._add_siblings(scores)
        ub = self.usage_bonus
        ranked = sorted(scores.values(),
                        key=lambda x: (-round(x[0] + ub.get((x[1].system, x[1].code), 0.0), 9), x[1].code))[:top_k]
        return [Candidate(code=e.code, system=e.system, score=round(min(1.0, s), 4), title=e.title,
                          source=f"matcher:{e.source}") for s, e in ranked]

    def _droppable(self, dropped: list[str], kept: list[str]) -> bool:
        """May these words be cut off a mention to reach a phrase? Qualifiers and numbers ("bilateral",
        "stage 2") yes; a word carrying the diagnosis ("dengue" in "dengue fever") no: the cut
        words must weigh (IDF) less than half of what is kept."""
        cut = [k for k in content(dropped) if k not in _QUALIFIERS and not k.isdigit()]
        if not cut:
            return True
        kept_w = sum(self.idf.get(k, 0.0) for k in content(kept))
        return sum(self.idf.get(k, 2.0) for k in cut) < 0.5 * kept_w

    def _add_siblings(self, scores: dict[tuple[str, str], tuple[float, Entry]], n: int = 3) -> None:
        """When a mention names a category ("CKD", "PCI", "gastric ulcer") and the best match is one
        of its codes, the other codes of that category follow it (below every exact match): the text
        may be vaguer or more specific than the title it matched, and a sibling is a better guess
        than a weak token overlap elsewhere. Codes ending in 8/9 (other / unspecified) come last."""
        if not scores:
            return
        best_s, best = max(scores.values(), key=lambda x: (round(x[0], 9), x[1].code))
        if best_s < 0.85 or best.source not in ("exact", "trimmed"):
            return
        floor = best_s * 0.86
        sibs = [e for e in self.by_category.get((best.system, best.code.split(".")[0]), ())
                if e.code != best.code and scores.get((e.system, e.code), (0.0,))[0] < floor]
        # siblings the mention's words already point to (a fuzzy score) first, then by code
        sibs.sort(key=lambda e: (-scores.get((e.system, e.code), (0.0,))[0], e.code[-1:] in "89", e.code))
        for rank, e in enumerate(sibs[:n]):
            scores[(e.system, e.code)] = (floor - 0.001 * rank, e)

    def _fuzzy(self, keys: list[str], systems: set[str] | None, limit: int) -> list[tuple[float, Entry]]:
        q: dict[str, float] = {}
        weak = 0.0
        for t in content(keys):
            if t in _FUZZY_IGNORE:
                continue
            if t in _FUZZY_WEAK or t[:1].isdigit():
                # a side or a number is part of the mention (it counts against every phrase) but never
                # what it shares with one: "L hemiscrotum" is not the cataract phrase that also has an "L"
                weak = max(weak, self.idf.get(t, 0.0))
                continue
            if t in self.idf:
                q[t] = max(q.get(t, 0.0), self.idf[t])
            elif len(t) >= 4 and t.isalpha() and t not in _common_words():
                # (an ordinary word is never a near miss: "semi-circumferential" is not "STEMI")
                for alt, sim in self._near(t)[:2]:
                    alt = stem(alt)
                    if alt in self.idf:
                        q[alt] = max(q.get(alt, 0.0), self.idf[alt] * sim)
            else:
                q[t] = max(q.get(t, 0.0), 2.0)  # unknown short token: counts against every phrase
        if not q:
            return []
        qn = sum(q.values()) + weak
        return self._fuzzy_rank(q, qn, systems, limit)

    def _fuzzy_rank(self, q: dict[str, float], qn: float, systems: set[str] | None,
                    limit: int) -> list[tuple[float, Entry]]:
        """Dice overlap of the weighted query tokens with every phrase sharing one, best entry per
        code. Vectorised (numpy over the postings) because a common word ("fracture", "acute") touches
        thousands of phrases: a Python loop over them was most of the extractor's time on a new
        mention. Same arithmetic, order and tie-breaks as the loop it replaced:
            shared = sum of min(q[t], idf[t]) over shared tokens (summed in query-token order)
            dice = 2 * shared / (qn + sum of the phrase's idf);  score = dice * 0.85 * (0.9 + 0.1 * prior)
        per code the earliest entry among equal scores; codes sorted exactly as before."""
        fa = self._fuzzy_arrays()
        ids, ws = [], []
        for t, w in q.items():
            post = fa["post"].get(t)
            if post is not None:
                ids.append(post)
                ws.append(np.full(len(post), min(w, self.idf[t])))
        if not ids:
            return []
        idx = np.concatenate(ids)
        phr, first, inv = np.unique(idx, return_index=True, return_inverse=True)
        acc = np.bincount(inv, weights=np.concatenate(ws))     # adds in query-token order per phrase
        order = np.argsort(first, kind="stable")               # phrases in first-touch order
        phr, acc = phr[order], acc[order]
        dice = 2 * acc / (qn + fa["pnorm"][phr])
        starts, counts = fa["off"][phr], fa["off"][phr + 1] - fa["off"][phr]
        rep = np.repeat(np.arange(len(phr)), counts)
        ent = starts[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(counts) - counts, counts)
        if systems:
            sys_ids = [fa["systems"].get(x, -1) for x in systems]
            keep = fa["system"][ent] == sys_ids[0] if len(sys_ids) == 1 else np.isin(fa["system"][ent], sys_ids)
            rep, ent = rep[keep], ent[keep]
        if not len(ent):
            return []
        score = dice[rep] * 0.85 * fa["g"][ent]
        code = fa["code"][ent]
        pos = np.arange(len(ent))
        # per code: the highest score, the earliest entry among equals (as the loop's `best` dict)
        srt = np.lexsort((pos, -score, code))
        cs = code[srt]
        best = srt[np.flatnonzero(np.concatenate(([True], cs[1:] != cs[:-1])))]
        bs = score[best]
        if len(best) > limit:   # only codes that can still make the cut go to the exact sort below
            kth = -np.partition(-bs, limit - 1)[limit - 1]
            best = best[bs >= kth - 1e-8]
        out = [(float(score[j]), fa["entries"][ent[j]]) for j in best]
        # rounded scores and the code break ties, so the cut at `limit` never depends on set order
        return sorted(out, key=lambda x: (-round(x[0], 9), x[1].code, x[1].system))[:limit]

    def _fuzzy_arrays(self) -> dict:
        """Flat numpy views of the fuzzy index (built once, on first use)."""
        fa = self.__dict__.get("_fa")
        if fa is not None:
            return fa
        entries: list[Entry] = []
        off, g, code, system = [0], [], [], []
        code_ids: dict[tuple[str, str], int] = {}
        systems: dict[str, int] = {}
        for ph in self._plist:
            for e in ph.entries:
                entries.append(e)
                g.append(0.9 + 0.1 * e.prior)
                code.append(code_ids.setdefault((e.system, e.code), len(code_ids)))
                system.append(systems.setdefault(e.system, len(systems)))
            off.append(len(entries))
        fa = {"entries": entries, "off": np.asarray(off, dtype=np.int64), "g": np.asarray(g, dtype=np.float64),
              "code": np.asarray(code, dtype=np.int64), "system": np.asarray(system, dtype=np.int64),
              "systems": systems, "pnorm": np.asarray([sum(t.values()) for t in self._ptoks], dtype=np.float64),
              "post": {t: np.asarray(ids, dtype=np.int64) for t, ids in self.postings.items()}}
        self._fa = fa
        return fa

    def _near(self, tok: str, min_sim: float = 0.8) -> list[tuple[str, float]]:
        """Vocabulary words close to a misspelt one (trigram prefilter, then edit similarity)."""
        cached = self._near_cache.get((tok, min_sim))
        if cached is not None:
            return cached
        grams = _trigrams(tok)
        counts: dict[str, int] = defaultdict(int)
        for g in grams:
            for t in self._tri.get(g, ()):
                counts[t] += 1
        out = []
        ng = len(grams)
        bound = SequenceMatcher(None, "", tok)   # quick_ratio() >= ratio(), and cheap with tok fixed
        for t, c in counts.items():
            # cheap trigram-overlap bound first; SequenceMatcher only for plausible neighbours
            if c < (1 if min_sim < 0.8 else 2) or abs(len(t) - len(tok)) > 2 or c < (0.25 if min_sim < 0.8 else 0.4) * ng:
                continue
            bound.set_seq1(t)
            if bound.quick_ratio() < min_sim:
                continue
            sim = SequenceMatcher(None, tok, t).ratio()
            if sim >= min_sim:
                out.append((t, sim))
        out.sort(key=lambda x: (_osa_distance(tok, x[0], 3), -x[1], x[0]))
        if len(self._near_cache) < 200_000:
            self._near_cache[(tok, min_sim)] = out
        return out


_TEXT_PIECE_RE = re.compile(r"[^\W\d_]+|[0-9]+|#")
_PLURAL_ABBR = re.compile(r"^[A-Z]{2,5}s$")
#: endings of ordinary English word forms; misspelt condition names rarely end like this
_INFLECTIONS = ("ed", "ing", "ly")
_PLURAL_ABBR_IN_TEXT = re.compile(r"\b([A-Z]{2,5})s\b")
#: plurals that head a list rather than name a condition ("Allergies/ADRs: none")
_PLURAL_SKIP = frozenset(["ADRs"])


COMMON_WORDS = Path(__file__).resolve().parents[2] / "configs" / "extract" / "common_words.txt"


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Ordinary letter words the spelling fixer leaves alone (configs/extract/common_words.txt)."""
    if not COMMON_WORDS.exists():
        return frozenset()
    return frozenset(w.strip().lower() for w in COMMON_WORDS.read_text(encoding="utf-8").splitlines()
                     if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=200_000)
def _key(piece: str) -> str | None:
    ks = pieces(piece)
    return ks[0] if len(ks) == 1 else None


def _osa_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment edit distance (insert, delete, substitute, swap of neighbours),
    giving up early (returns limit + 1) once every path costs more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


_OPPOSITES = (("hypo", "hyper"), ("hyper", "hypo"), ("intra", "inter"), ("inter", "intra"), ("ante", "anti"),
              ("anti", "ante"), ("uni", "bi"), ("bi", "uni"), ("pre", "post"), ("post", "pre"))


def _flips_prefix(a: str, b: str) -> bool:
    """'hypoactive' vs 'hyperactive': prefixes of opposite meaning are never a spelling slip."""
    return any(a.startswith(x) and b.startswith(y) for x, y in _OPPOSITES)


def _is_swap(a: str, b: str) -> bool:
    """b is a with two neighbouring letters swapped ("athsma" is not; "asthma"/"astmha" is)."""
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _trigrams(t: str) -> set[str]:
    s = f"#{t}#"
    return {s[i:i + 3] for i in range(len(s) - 2)}
