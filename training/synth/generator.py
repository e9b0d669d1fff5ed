"""Synthetic NHS discharge summaries with gold ICD-10 / OPCS-4 codes and gold entity spans.

How an episode is made: (1) a clinical plan is sampled (main condition by frequency prior, then
demographics consistent with it, acute secondaries, chronic comorbidities with realistic
co-occurrence, procedures, external causes, status codes, and traps that must NOT be coded);
(2) the gold code lists are derived from the plan by the coding rules in the primer; (3) the plan is
written out in one of several letter styles from many small fragments, recording every coded or
trap mention as a character span. Gold never depends on the wording, so wording can vary freely.

Gold conventions (documented in training/synth/README.md): chronic comorbidities listed in the PMH
are coded; negated, ruled-out, family-history, resolved-history and hypothetical mentions are not;
probable/presumed/"treat as" are coded as confirmed; ?/query/possible/suspected are assertion
"uncertain" and, by default (uncertain_gold="main_only"), coded only when they are the main condition
at the end of the episode; symptoms explained by the diagnosis are not coded."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import ClassVar

from autocoder.schemas import Episode, GoldSpan

from . import fragments as F
from .lexicon import Concept, Lexicon, load_lexicon, split_forms
from .variation import expand, vary

STYLES = ("structured", "bullets", "narrative", "gp_letter", "handover", "op_note", "problem_list", "epr",
          "consultant_letter", "surgical_discharge", "ed_summary")
UNCERTAIN_RULES = ("main_only", "never", "always")
_TERSE = {"bullets", "handover", "ed_summary", "problem_list", "op_note"}
# endoscopies and ERCP: no theatre operation note / surgical discharge for these
_ENDOSCOPY = ("G4", "H2", "E48", "E49", "E50", "E51", "M45", "J38", "J39", "J40", "J41", "J42", "J43", "J44", "J45")

# conditions that cannot both be coded in one episode (besides sharing a 3-character category)
_GROUPS = {
    "E10": "DM", "E11": "DM", "E13": "DM", "E14": "DM", "O24": "DM",
    "I10": "HTN", "I11": "HTN", "I12": "HTN", "I13": "HTN",
    "J43": "COPD", "J44": "COPD",
    "F00": "DEM", "F01": "DEM", "F03": "DEM", "G30": "DEM",
    "I20": "ACS", "I21": "ACS",
    "J18": "PNEU", "J15": "PNEU", "J13": "PNEU", "J12": "PNEU", "J69": "PNEU", "J22": "PNEU", "J20": "PNEU",
    "A41": "SEPSIS", "A40": "SEPSIS", "K80": "GALL", "K81": "GALL", "K83": "GALL",
    "K35": "APPX", "D50": "ANAEM", "D64": "ANAEM", "D62": "ANAEM", "D51": "ANAEM",
    "I63": "STROKE", "I64": "STROKE", "I61": "STROKE", "G45": "STROKE",
    "N17": "AKI", "N18": "CKD", "I48": "AF", "I50": "HF", "S72": "HIP", "E16": "HYPO",
    "F10": "ETOH", "A09": "GE", "A08": "GE", "K52": "GE", "A04": "GE",
    "N39": "UTI", "N30": "UTI", "N10": "UTI", "O23": "UTI",
    "K57": "DIV", "K56": "OBST", "K85": "PANC", "K86": "PANC", "J45": "ASTHMA", "J46": "ASTHMA",
    "M16": "OA", "M17": "OA", "M19": "OA", "K70": "LIVER", "K74": "LIVER", "K76": "LIVER",
    "F32": "DEP", "F33": "DEP", "F41": "ANX", "I25": "IHD", "E78": "LIPID", "L89": "PU",
    "K92": "GIB", "K25": "GIB", "K26": "GIB", "I85": "GIB", "O80": "DELIV", "O82": "DELIV",
    "G40": "SEIZ", "G41": "SEIZ", "R56": "SEIZ", "E87": None, "I26": "PE", "I80": "DVT",
    "Z95": None, "Z96": None, "M54": "BACK", "M51": "BACK", "M48": "BACK",
    "H81": "VERT", "R42": "VERT", "J96": "RF", "F17": "SMOKE", "Z72": "SMOKE", "H25": "CAT", "H26": "CAT",
    "C34": "LUNGCA", "C18": "CRC", "C19": "CRC", "C20": "CRC", "C25": "PANCA", "C15": "OESCA", "D12": "POLYP",
    "K62": "POLYP", "K63": "POLYP", "M05": "RA", "M06": "RA", "I44": "BLOCK", "I45": "BLOCK", "K64": "PILES",
}
_NA = {"E87.0": "NA", "E87.1": "NA", "E87.5": "K", "E87.6": "K"}


def _group(code: str) -> str:
    if code in _NA:
        return _NA[code]
    g = _GROUPS.get(code[:3], code[:3])
    return g if g is not None else code


_CLUSTERS = {  # chronic co-occurrence: trigger category -> [(code, probability)]
    "E11": [("I10", 0.55), ("N18.3", 0.2), ("I25.1", 0.2), ("E78.0", 0.3), ("E66.9", 0.2)],
    "J44": [("F17.1", 0.35), ("I25.1", 0.15), ("I10", 0.3), ("I73.9", 0.08), ("J96.1", 0.04)],
    "J43": [("F17.1", 0.4), ("I25.1", 0.2)],
    "I48": [("Z92.1", 0.6), ("I10", 0.35), ("I50.9", 0.12)],
    "I25": [("I10", 0.5), ("E78.0", 0.4), ("Z95.5", 0.2), ("I25.2", 0.15)],
    "N18": [("I10", 0.6), ("E11.9", 0.25), ("D64.9", 0.15)],
    "I50": [("I48.9", 0.3), ("I10", 0.3), ("I25.1", 0.3), ("N18.3", 0.2)],
    "C34": [("F17.1", 0.4), ("J44.9", 0.3)],
    "I73": [("F17.1", 0.4), ("I25.1", 0.3), ("E11.9", 0.2)],
    "I63": [("I10", 0.4), ("E78.0", 0.3), ("I48.9", 0.15)],
    "F03": [("Z60.2", 0.0)],
}
_COMPLICATIONS = ["N17.9", "E87.6", "E87.1", "F05.9", "N39.0", "J22", "J18.9", "K59.0", "D64.9", "E86", "L89.9",
                  "L89.1", "E87.5", "E83.4", "J69.0", "A04.7", "B37.0", "E87.0", "I48.9", "J96.0", "D62",
                  "E43", "E44.0", "I95.1", "T88.7", "D69.6", "L03.1", "E16.0"]
_WAITING_LIST = {"K40.9", "K42.9", "K43.9", "N47", "H25.9", "J35.0", "H65.3", "G56.0", "D12.6", "K63.5", "K64.9", "C44.3",
                 "D25.9", "N81.2", "N92.0", "N95.0", "S83.2", "M17.1", "M16.1", "N40", "E28.2", "K80.2", "O02.1"}
_CTX_DX = {"obs": ["I26.9", "O14.9", "I80.2", "N39.0", "O72.1"], "neo": ["P36.9", "G03.9", "N39.0", "P59.9"],
           "paed": ["G03.9", "N39.0", "K35.8", "J18.9", "A41.9", "N10"], "adult": F.HYPO_DX}
_PAED_COMORB = ["J45.9", "L20.9", "F84.0", "F90.0", "Q90.9", "E10.9", "G40.9", "Q21.1"]
_NO_COMORB_SPECS = {"obs", "neo", "gyn"}
_MINOR_PROCS = {"U05.1", "X33.2", "X33.3", "M47.9", "G47.5", "L91.2", "L99.7", "A55.9"}


@dataclass
class Mention:
    concept: Concept | None
    text: str
    label: str
    code: str | None
    assertion: str = "present"


@dataclass
class Item:
    """A coded diagnosis in the plan: its concept, the external cause / adverse-effect code after it."""

    concept: Concept
    cause: str | None = None
    cause_text: str | None = None
    mode: str = "present"  # present | probable | uncertain
    random: bool = False  # an unlinked acute secondary (dropped for planned admissions)


@dataclass
class Plan:
    sex: str
    age: int
    spec: str
    specialty: str
    admission: str
    style: str
    side: str
    main: Item
    symptom_main: bool
    secondaries: list[Item] = field(default_factory=list)
    comorbs: list[Item] = field(default_factory=list)
    status: list[Item] = field(default_factory=list)
    procs: list[Concept] = field(default_factory=list)
    symptoms: list[Concept] = field(default_factory=list)
    negated: list[Concept] = field(default_factory=list)
    neg_symptoms: list[Concept] = field(default_factory=list)
    family: list[Concept] = field(default_factory=list)
    historical: list[Concept] = field(default_factory=list)
    hypothetical: list[Concept] = field(default_factory=list)
    uncertain: list[Concept] = field(default_factory=list)
    anticoag: str = "apixaban"
    verbosity: int = 1
    los: int = 3


class Doc:
    """Text builder that records gold spans as it writes; literal text may get typos."""

    def __init__(self, rng: random.Random, typo_rate: float, syn_rate: float = 0.0, abbr_rate: float = 0.0):
        self.rng, self.typo_rate = rng, typo_rate
        self.syn_rate, self.abbr_rate = syn_rate, abbr_rate
        self.buf: list[str] = []
        self.n = 0
        self.spans: list[GoldSpan] = []

    def raw(self, s: str) -> None:
        if s:
            self.buf.append(s)
            self.n += len(s)

    def lit(self, s: str) -> None:
        if s and "|" in s:
            s = expand(self.rng, s)
        if s and (self.syn_rate or self.abbr_rate):
            s = vary(self.rng, s, self.syn_rate, self.abbr_rate)
        if s and self.typo_rate and self.rng.random() < self.typo_rate * (len(s) / 40.0):
            s = _typo(self.rng, s)
        if s and "\u00ab" in s:
            self._marked(s)
        else:
            self.raw(s)

    #: «D:text» a diagnosis, «P:text» an operation, «P?:text» a planned one: uncoded mentions inside fixed
    #: phrases (results, plans). Why: left as plain text, "listed for laparoscopic cholecystectomy" and
    #: "CT: acute appendicitis" taught the NER that these wordings are mostly not entities, so it missed
    #: "underwent laparoscopic cholecystectomy" in real letters.
    _MARK = re.compile(r"\u00ab([DP])(\??):([^\u00bb]+)\u00bb")
    _MARK_LABEL: ClassVar[dict[str, str]] = {"D": "DIAGNOSIS", "P": "PROCEDURE"}

    def _marked(self, s: str) -> None:
        pos = 0
        for mt in self._MARK.finditer(s):
            self._plain(s, s[pos:mt.start()])
            label = self._MARK_LABEL[mt.group(1)]
            assertion = ("hypothetical" if label == "PROCEDURE" else "uncertain") if mt.group(2) else "present"
            text = mt.group(3)
            self.spans.append(GoldSpan(start=self.n, end=self.n + len(text), label=label, code=None,
                                       assertion=assertion, text=text))
            self.raw(text)
            pos = mt.end()
        self._plain(s, s[pos:])

    def _plain(self, whole: str, piece: str) -> None:
        if "\u00ab" in piece or "\u00bb" in piece:
            raise ValueError(f"generator markup: expected «D:text», «P:text» or «P?:text», received {whole!r}")
        self.raw(piece)

    def ment(self, m: Mention) -> None:
        t = m.text
        if self.typo_rate and len(t) > 6 and " " not in t.strip() and self.rng.random() < self.typo_rate * 0.25:
            t2 = _typo(self.rng, t)  # occasional misspelt mention (single words only, so spans stay clean)
            # never produce one of the concept's own (possibly held-out) spellings by accident
            if m.concept is None or t2.lower() not in {f.lower() for f in m.concept.forms}:
                t = t2
        self.spans.append(GoldSpan(start=self.n, end=self.n + len(t), label=m.label, code=m.code,
                                   assertion=m.assertion, text=t))
        self.raw(t)

    _SLOT = re.compile(r"\{(\w+)\}")

    def tpl(self, template: str, **slots) -> None:
        pos = 0
        for mt in self._SLOT.finditer(template):
            self.lit(template[pos:mt.start()])
            val = slots.get(mt.group(1), "")
            if isinstance(val, Mention):
                self.ment(val)
            elif callable(val):
                val()
            else:
                self.lit(str(val))
            pos = mt.end()
        self.lit(template[pos:])

    def text(self) -> str:
        return "".join(self.buf)


def _typo(rng: random.Random, s: str) -> str:
    words = [m for m in re.finditer(r"[A-Za-z]{5,}", s)]
    if not words:
        return s
    w = rng.choice(words)
    a, b = w.start(), w.end()
    word = s[a:b]
    i = rng.randrange(1, len(word) - 2)
    kind = rng.random()
    if kind < 0.4:
        new = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    elif kind < 0.7:
        new = word[:i] + word[i + 1:]
    else:
        new = word[:i] + word[i] + word[i:]
    return s[:a] + new + s[b:]


class Generator:
    def __init__(self, lex: Lexicon, seed: int, forms: str, form_split_seed: int, holdout_fraction: float,
                 uncertain_gold: str = "main_only", typo_rate: float = 0.06, proc_first_share: float = 0.3):
        if uncertain_gold not in UNCERTAIN_RULES:
            raise ValueError(f"uncertain_gold: expected one of {UNCERTAIN_RULES}, received {uncertain_gold!r}")
        self.lex, self.forms, self.rng = lex, forms, random.Random(seed)
        self.fss, self.hf, self.uncertain_gold, self.typo_rate = form_split_seed, holdout_fraction, uncertain_gold, typo_rate
        self._form_cache: dict[str, tuple[list[str], list[str]]] = {}
        self.proc_first_share = proc_first_share
        dx = [c for c in lex.diagnoses if c.weight > 0]
        self.mains = [c for c in dx if "M" in c.roles]
        self.main_w = _cum([c.weight for c in self.mains])
        self.seconds = [c for c in dx if "S" in c.roles and c.code[0] not in "RZ"]
        self.second_w = _cum([c.weight for c in self.seconds])
        self.chronic = [c for c in dx if "C" in c.roles]
        self.chronic_w = _cum([c.weight for c in self.chronic])
        self.symptom_concepts = [c for c in dx if "Y" in c.roles]
        # procedure-first sampling: which main conditions lead to each procedure
        rev: dict[str, list[tuple[Concept, float]]] = {}
        for c in self.mains:
            for pid, prob in c.procs:
                if pid in lex.procs_by_id and prob > 0:
                    rev.setdefault(pid, []).append((c, c.weight * prob))
        self.proc_first = [lex.procs_by_id[k] for k in rev if lex.procs_by_id[k].code not in _MINOR_PROCS]
        self.proc_first_w = _cum([c.weight for c in self.proc_first])
        self.proc_rev = {k: ([c for c, _ in v], _cum([w for _, w in v])) for k, v in rev.items()}

    # ------------------------------------------------------------ sampling helpers
    def _pick(self, pop, cum):
        return self.rng.choices(pop, cum_weights=cum, k=1)[0]

    def concept(self, code: str) -> Concept | None:
        return self.lex.by_code.get(code)

    def form_lists(self, c: Concept) -> tuple[list[str], list[str]]:
        got = self._form_cache.get(c.key)
        if got is None:
            train = split_forms(c, "train", self.fss, self.hf)
            test = split_forms(c, "test", self.fss, self.hf) if self.forms == "test" else []
            got = (train, test)
            self._form_cache[c.key] = got
        return got

    def surface(self, c: Concept, side: str | None = None, need_side: bool = False, plain: bool = False) -> str:
        train, test = self.form_lists(c)
        if self.forms == "all":
            pool = c.forms
        elif self.forms == "train":
            pool = train
        else:
            pool = test if (test and self.rng.random() < 0.75) else train
        if need_side:
            sided = [f for f in pool if "{side}" in f or "{Side}" in f]
            pool = sided or pool
        if plain:
            # negated / hypothetical / family mentions: no qualifier that asserts a finding, e.g. "(CSF lymphocytosis)"
            pool = [f for f in pool if not _ASSERTIVE.search(f)] or pool
        f = self.rng.choice(pool)
        if "{side}" in f or "{Side}" in f:
            s = side or self.rng.choice(("left", "right"))
            word = s
            r = self.rng.random()
            if r < 0.12:
                word = s[0].upper()
            elif r < 0.18:
                word = {"left": "Lt", "right": "Rt"}[s]
            f = f.replace("{side}", word).replace("{Side}", word[:1].upper() + word[1:])
        r = self.rng.random()
        if r < 0.07 and not f.isupper():
            f = f.lower()
        elif r < 0.09:
            f = f.upper()
        elif r < 0.16 and f[:1].islower():
            f = f[:1].upper() + f[1:]
        return f

    def m(self, c: Concept, assertion: str = "present", side: str | None = None) -> Mention:
        if c.system == "opcs4":
            need = any(code.startswith("Z94.S") for code in c.codes)
            return Mention(c, self.surface(c, side, need, plain=assertion != "present"), "PROCEDURE", c.code, assertion)
        label = "SYMPTOM" if ("Y" in c.roles and c.code[0] == "R") else "DIAGNOSIS"
        return Mention(c, self.surface(c, side, plain=assertion != "present"), label, c.code, assertion)

    # ------------------------------------------------------------ plan
    def plan(self) -> Plan:
        rng = self.rng
        forced = None
        if self.proc_first and rng.random() < self.proc_first_share:
            forced = self._pick(self.proc_first, self.proc_first_w)
            pop, cum = self.proc_rev[forced.key]
            main = self._pick(pop, cum)
        else:
            main = self._pick(self.mains, self.main_w)
        sp = main.specialties[0] if (rng.random() < 0.7 or len(main.specialties) < 2) else rng.choice(main.specialties[1:])
        sex = main.sex or ("F" if rng.random() < 0.52 else "M")
        age = self._age(main, sp)
        if age < 16 and sp not in ("paed", "neo"):
            sp = "neo" if (age == 0 and main.code.startswith("P")) else "paed"
        if sp == "paed" and age >= 16:
            sp = "med"
        specialty = rng.choice(F.SPECIALTY_NAMES.get(sp, ["General Medicine"]))
        side = rng.choice(("left", "right"))
        symptom_main = main.code[0] == "R" or main.code.startswith("Z03")
        mode = "present"
        u = rng.random()
        if not symptom_main and u < 0.12:
            mode = "probable"
        elif not symptom_main and u < 0.16 and not main.procs:
            mode = "uncertain"
        mi = Item(main, mode=mode)
        self._cause(mi)
        p = Plan(sex, age, sp, specialty, "emergency", "", side, mi, symptom_main)
        used = {_group(c) for c in main.codes}
        have = set(main.codes)

        def add(lst, c: Concept, item_mode: str = "present") -> bool:
            if c is None or not c.allows(sex, age) or any(_group(x) in used for x in c.codes) or c.weight <= 0:
                return False
            used.update(_group(x) for x in c.codes)
            have.update(c.codes)
            it = Item(c, mode=item_mode)
            self._cause(it)
            lst.append(it)
            return True

        # acute secondaries linked to the main condition, then a few random ones
        for code, prob in main.with_:
            if rng.random() < prob:
                c = self.concept(code)
                if c is None:
                    continue
                target = p.status if (code.startswith("Z") and code != "Z37.0") else (p.comorbs if "C" in c.roles and "S" not in c.roles else p.secondaries)
                add(target, c)
        n_sec = rng.choices((0, 1, 2, 3), weights=(45, 33, 16, 6) if age >= 16 else (75, 20, 5, 0))[0]
        if sp in ("obs", "neo"):
            n_sec = min(n_sec, 1)
        if symptom_main:
            n_sec = 0  # a definitive acute diagnosis would replace the symptom as the main condition
        for _ in range(n_sec * 4):
            if len(p.secondaries) >= n_sec:
                break
            if rng.random() < 0.6 and sp not in ("obs", "gyn", "neo"):
                c = self.concept(rng.choice(_COMPLICATIONS))
            else:
                c = self._pick(self.seconds, self.second_w)
                if sp not in c.specialties and rng.random() < 0.7:
                    continue
            if c is None:
                continue
            if sp in ("obs", "gyn") and not c.code.startswith("O"):
                continue
            if sp not in ("obs", "gyn") and c.code.startswith("O"):
                continue
            if sp == "neo" and not c.code.startswith("P"):
                continue
            if sp != "neo" and c.code.startswith("P"):
                continue
            if add(p.secondaries, c, "probable" if rng.random() < 0.05 else "present"):
                p.secondaries[-1].random = True
        # chronic comorbidities with co-occurrence clusters
        if sp not in _NO_COMORB_SPECS:
            if age < 16:
                n_c = 1 if rng.random() < 0.2 else 0
                pool = [self.concept(x) for x in _PAED_COMORB]
                for _ in range(n_c):
                    add(p.comorbs, rng.choice([c for c in pool if c]))
            else:
                lam = 0.4 if age < 40 else (1.6 if age < 65 else 2.8)
                n_c = min(8, _poisson(rng, lam))
                tries = 0
                while len(p.comorbs) < n_c and tries < n_c * 4:
                    tries += 1
                    c = self._pick(self.chronic, self.chronic_w)
                    add(p.comorbs, c)
                for it in [mi] + list(p.comorbs) + list(p.secondaries):
                    for code, prob in _CLUSTERS.get(it.concept.code[:3], []):
                        if prob and rng.random() < prob:
                            c = self.concept(code)
                            if c is None:
                                continue
                            add(p.status if code.startswith("Z9") else p.comorbs, c)
                # status codes
                if any(x.startswith("I25") for x in have) and rng.random() < 0.25:
                    add(p.status, self.concept(rng.choice(["Z95.5", "Z95.1"])))
                if age > 60 and rng.random() < 0.03:
                    add(p.status, self.concept("Z95.0"))
                if age > 55 and rng.random() < 0.04:
                    add(p.status, self.concept("Z96.6"))
        # a symptom is the main condition only when nothing in the record explains it
        if symptom_main:
            expl = _explainers(main.code)
            p.comorbs = [it for it in p.comorbs if not any(x.startswith(expl) for x in it.concept.codes)]
        # a hypo caused by a diabetes drug implies diabetes is documented (and coded)
        if any(it.cause == "Y42.3" for it in [mi] + p.secondaries) and "DM" not in used:
            insulin = any(it.cause_text == "insulin" for it in [mi] + p.secondaries)
            add(p.comorbs, self.concept("E10.9" if (insulin and age < 35) else "E11.9"))
        # move Z92.1 etc. that came in via comorb links to status
        for lst in (p.comorbs, p.secondaries):
            for it in list(lst):
                if it.concept.code.startswith("Z") and it.concept.code not in ("Z72.0", "Z37.0"):
                    lst.remove(it)
                    p.status.append(it)
        # delirium on dementia
        if any(_group(it.concept.code) == "DEM" for it in p.comorbs):
            for it in [mi] + p.secondaries:
                if it.concept.code == "F05.9":
                    it.concept = self.concept("F05.1") or it.concept
        # procedures
        self._procedures(p, forced)
        p.admission = self._admission(p)
        if p.admission in ("elective", "day case"):
            p.secondaries = [it for it in p.secondaries if not it.random or rng.random() < 0.15]
            if p.admission == "day case":
                p.comorbs = [it for it in p.comorbs if rng.random() < 0.7]
        p.anticoag = rng.choice(["apixaban", "rivaroxaban", "warfarin", "edoxaban", "apixaban", "dabigatran"])
        p.verbosity = rng.choices((0, 1, 2, 3), weights=(4, 18, 40, 38))[0]
        p.los = 0 if p.admission == "day case" else max(1, int(rng.expovariate(1 / 5)))
        if sp in ("obs", "neo"):
            p.los = rng.randint(1, 4)
        # symptoms explained by the main condition
        syms = [self.concept(s) for s in main.symptoms]
        p.symptoms = [s for s in syms if s is not None and s.code not in have]
        rng.shuffle(p.symptoms)
        # traps
        self._traps(p, have)
        p.style = self._style(p)
        return p

    def _age(self, c: Concept, sp: str) -> int:
        rng = self.rng
        lo, hi = c.age_min, min(c.age_max, 100)
        if sp == "neo" or (hi == 0):
            return 0
        if sp == "paed":
            hi2 = min(hi, 15)
            if hi2 >= lo:
                return int(lo + (hi2 - lo) * rng.random() ** 1.6)
        if lo < 16 <= hi and rng.random() < 0.93:
            lo = 16
        if hi < 16:
            return rng.randint(lo, hi)
        mode = {"geri": 84, "obs": 31, "gyn": 38, "surg": 52, "psych": 35, "ortho": 70, "paed": 6}.get(sp, 68)
        if c.code.startswith("S72"):
            mode = 84
        mode = min(max(mode, lo), hi)
        return round(rng.triangular(lo, hi, mode))

    def _cause(self, it: Item) -> None:
        c, rng = it.concept, self.rng
        if c.causes:
            codes = [k for k, _ in c.causes]
            ws = [w for _, w in c.causes]
            it.cause = rng.choices(codes, weights=ws)[0]
            it.cause_text = rng.choice(F.CAUSE_PHRASES.get(it.cause, ["accidental"]))
        elif c.adverse and rng.random() < c.adverse_p:
            code, drugs = rng.choice(c.adverse)
            it.cause, it.cause_text = code, rng.choice(drugs)

    def _procedures(self, p: Plan, forced: Concept | None = None) -> None:
        rng = self.rng
        chosen: list[Concept] = []
        keys: set[str] = set()

        def take(c: Concept) -> None:
            if c.code in _MINOR_PROCS:
                chosen.append(c)
                return
            k = _alt_key(c.code)
            if k in keys:
                return
            keys.add(k)
            chosen.append(c)

        if forced is not None:
            take(forced)
        for pid, prob in p.main.concept.procs:
            c = self.lex.procs_by_id.get(pid)
            if c is not None and rng.random() < prob:
                take(c)
        for it in p.secondaries:
            for pid, prob in it.concept.procs:
                c = self.lex.procs_by_id.get(pid)
                if c is not None and rng.random() < (prob * 0.5 if c.code in _MINOR_PROCS else prob * 0.8):
                    take(c)
        for pid, prob in (("catheter", 0.03), ("transfusion", 0.03), ("ng_tube", 0.015), ("ct_head", 0.03 if p.age > 70 else 0.005)):
            if p.spec in ("obs", "neo", "gyn", "ophth", "ent"):
                break
            if rng.random() < prob:
                take(self.lex.procs_by_id[pid])
        seen, out = set(), []
        for c in chosen:
            if c.code not in seen:
                seen.add(c.code)
                out.append(c)
        # primary procedure = the main intervention: minor/diagnostic ones go after
        out.sort(key=lambda c: (c.code in _MINOR_PROCS, not c.code.startswith(_DELIVERY)))
        p.procs = out

    def _admission(self, p: Plan) -> str:
        rng = self.rng
        if p.spec == "obs":
            return "maternity"
        if p.procs:
            adm = p.procs[0].adm
            # an operation for a chronic / waiting-list condition is planned; for an acute one (hot
            # cholecystitis, ureteric colic) the same operation happens in the emergency admission
            chronic = "C" in p.main.concept.roles or p.main.concept.code in _WAITING_LIST
            if adm == "el":
                return "elective" if (chronic or rng.random() < 0.3) else "emergency"
            if adm == "dc" and (chronic or rng.random() < 0.5):
                return "day case" if rng.random() < 0.85 else "elective"
        return "transfer" if rng.random() < 0.03 else "emergency"

    def _traps(self, p: Plan, have: set[str]) -> None:
        rng = self.rng
        groups = {_group(x) for x in have}

        def ok(c):
            return c is not None and c.allows(p.sex, p.age) and \
                not (set(c.codes) & have) and not any(_group(x) in groups for x in c.codes)

        dd = [self.concept(x) for x in p.main.concept.differentials]
        n_neg = 0
        if p.symptom_main:
            n_neg = rng.choice((1, 1, 2))
        elif rng.random() < 0.45:
            n_neg = 1 if rng.random() < 0.8 else 2
        ctx_pool = _CTX_DX.get("obs" if p.spec == "obs" else "neo" if p.spec == "neo" else "paed" if p.age < 16 else "adult",
                               F.HYPO_DX)
        pool = [c for c in dd if ok(c)] or [c for c in (self.concept(x) for x in ctx_pool) if ok(c)]
        rng.shuffle(pool)
        p.negated = pool[:n_neg]
        if rng.random() < 0.35 and p.spec not in ("obs", "neo") and p.age >= 1:
            cand = [c for c in (self.concept(x) for x in F.NEG_SYMPTOM_CODES)
                    if c is not None and c.code not in have and c not in p.symptoms]
            p.neg_symptoms = rng.sample(cand, k=min(len(cand), rng.choice((1, 1, 2))))
        if rng.random() < 0.25 and p.age >= 5:
            c = self.concept(rng.choice(F.FAMILY_CODES))
            if c is not None and not (set(c.codes) & have):
                p.family.append(c)
        if rng.random() < 0.3 and p.age >= 10:
            if rng.random() < 0.55:
                c = self.concept(rng.choice(F.HIST_DX))
                if ok(c) and c.allows(p.sex, p.age):
                    p.historical.append(c)
            else:
                c = self.lex.procs_by_id[rng.choice(F.HIST_PROC)]
                if c.code not in {pc.code for pc in p.procs} and (not c.code.startswith(("R", "Q")) or p.sex == "F") \
                        and (not c.code.startswith("N") or p.sex == "M"):
                    p.historical.append(c)
        if rng.random() < 0.3 and p.spec not in ("neo",):
            if rng.random() < 0.6:
                c = self.concept(rng.choice(ctx_pool))
                if ok(c):
                    p.hypothetical.append(c)
            else:
                c = self.lex.procs_by_id[rng.choice(F.HYPO_PROC)]
                if c.code not in {pc.code for pc in p.procs} and (c.code != "M65.3" or p.sex == "M"):
                    p.hypothetical.append(c)
        if rng.random() < 0.25 and p.age >= 16:
            c = self._pick(self.chronic, self.chronic_w)
            if ok(c) and c.allows(p.sex, p.age) and not c.code.startswith("Z"):
                p.uncertain.append(c)

    def _style(self, p: Plan) -> str:
        rng = self.rng
        surgical = bool(p.procs) and p.procs[0].code[0] not in "UX" and p.procs[0].code not in _MINOR_PROCS \
            and p.procs[0].code[:3] not in ("E85", "X40", "K63", "R24", "R15", "R14", "R21", "R22") \
            and not p.procs[0].code.startswith(_ENDOSCOPY) \
            and p.spec in ("surg", "ortho", "uro", "gyn", "obs", "ophth", "ent", "vasc", "plastics", "derm")
        planned = p.admission in ("elective", "day case")
        w = {"structured": 30, "bullets": 17, "narrative": 18, "gp_letter": 14, "handover": 0 if planned else 3, "problem_list": 6, "epr": 13,
             "op_note": 10 if surgical else 0, "consultant_letter": 0 if p.spec in ("obs", "neo") else 15, "surgical_discharge": 40 if (surgical and p.spec != "obs") else 0,
             "ed_summary": 0 if (planned or p.spec in ("obs", "neo")) else 5}
        names = list(w)
        return rng.choices(names, weights=[w[k] for k in names])[0]

    # ------------------------------------------------------------ gold
    def gold(self, p: Plan) -> tuple[list[str], list[str], str]:
        dx: list[str] = []
        pairs: list[tuple[str, str]] = []  # (condition code, the external cause / adverse-effect code after it)
        main_item = p.main
        coded_main = main_item.mode != "uncertain" or self.uncertain_gold in ("main_only", "always")
        if not coded_main:
            # main condition left uncertain and the rule says do not code: code the presenting symptom
            sym = p.symptoms[0] if p.symptoms else self.concept("R69")
            if sym is not None:
                dx.append(sym.code)
        else:
            dx.extend(main_item.concept.codes)
            if main_item.cause:
                pairs.append((main_item.concept.codes[-1], main_item.cause))
                dx.append(main_item.cause)
        for it in p.secondaries + p.comorbs:
            if it.cause and it.cause in dx:
                it.cause = None  # one external cause code is enough (e.g. one fall, two injuries)
            dx.extend(it.concept.codes)
            if it.cause:
                pairs.append((it.concept.codes[-1], it.cause))
                dx.append(it.cause)
        if self.uncertain_gold == "always":
            for c in p.uncertain:
                dx.extend(c.codes)
        for it in p.status:
            dx.extend(it.concept.codes)
        dx = _dedupe(dx)
        px: list[str] = []
        for c in p.procs:
            for code in c.codes:
                if code == "Z94.S":
                    code = {"left": "Z94.3", "right": "Z94.2"}[p.side]
                px.append(code)
        px = _dedupe_proc(px)
        primary = dx[0] if dx else None
        dx, px = _sequence(dx, px, primary, pairs)
        return dx, px, primary or ""

    # ------------------------------------------------------------ episode
    def episode(self, idx: int, id_prefix: str) -> Episode:
        p = self.plan()
        dx, px, _ = self.gold(p)
        rng = self.rng
        terse = p.style in _TERSE
        doc = Doc(rng, self.typo_rate, syn_rate=rng.uniform(0.2, 0.8),
                  abbr_rate=rng.uniform(0.15, 0.6) if terse else (rng.uniform(0.0, 0.15) if rng.random() < 0.6 else 0.0))
        from .styles import render

        render(self, p, doc)
        text = doc.text()
        counts = {"negated": len(p.negated) + len(p.neg_symptoms), "family": len(p.family),
                  "historical": len(p.historical), "hypothetical": len(p.hypothetical),
                  "uncertain": len(p.uncertain) + (p.main.mode == "uncertain"),
                  "probable": (p.main.mode == "probable") + sum(it.mode == "probable" for it in p.secondaries),
                  "symptom_explained": len(p.symptoms)}
        return Episode(id=f"{id_prefix}{idx:06d}", text=text, sex=p.sex, age=p.age, specialty=p.specialty,
                       admission_method=p.admission, diagnoses=dx, procedures=px, entities=doc.spans,
                       style=p.style, traps={k: v for k, v in counts.items() if v})


_ASSERTIVE = re.compile(r"[(?]| on |\b\d{2,}\b|\bin \d|\bknown\b|\bprevious\b|\bold\b|\bhistory\b|\bhx\b|\bs/p\b", re.IGNORECASE)
_DELIVERY = ("R17", "R18", "R21", "R22", "R24")


def _alt_key(code: str) -> str:
    """Procedures with the same key are alternatives for one condition (one hip operation, one delivery)."""
    if code.startswith(_DELIVERY):
        return "DELIVERY"
    if code[0] == "R":
        return code[:3]
    return code[0]


_SYMPTOM_TABLE = None


def _explainers(symptom: str) -> tuple[str, ...]:
    """Code prefixes that explain a symptom (the project's rules table when present)."""
    global _SYMPTOM_TABLE
    if _SYMPTOM_TABLE is None:
        try:
            from autocoder.codes.rules import symptom_table

            _SYMPTOM_TABLE = dict(symptom_table())
        except Exception:  # noqa: BLE001 - rules not available: nothing filtered
            _SYMPTOM_TABLE = {}
    return tuple(_SYMPTOM_TABLE.get(symptom, ())) or ("\0",)


def _cum(ws: list[float]) -> list[float]:
    out, t = [], 0.0
    for w in ws:
        t += max(w, 0.0)
        out.append(t)
    return out


def _poisson(rng: random.Random, lam: float) -> int:
    import math

    L, k, prod = math.exp(-lam), 0, rng.random()
    while prod > L:
        k += 1
        prod *= rng.random()
    return k


def _dedupe(codes: list[str]) -> list[str]:
    seen, out = set(), []
    for c in codes:
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def _dedupe_proc(codes: list[str]) -> list[str]:
    """Keep repeated subsidiary codes only once per main code block; Z94 once, last of its block."""
    out: list[str] = []
    seen_main = set()
    for c in codes:
        if c[0] not in "YZ":
            if c in seen_main:
                continue
            seen_main.add(c)
        elif out and c in out and c.startswith("Z94"):
            continue
        out.append(c)
    return out


_RULES = None


def _sequence(dx: list[str], px: list[str], primary: str | None,
              pairs: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Use the project's sequencing rules (autocoder.codes.rules) when present. The plan order already
    follows the primer (main first, asterisk after dagger, each external cause / adverse-effect code
    straight after the condition it explains, Y/Z after their main procedure); the plan knows which
    condition a cause belongs to, so if the rules would separate a pair the plan order is kept."""
    global _RULES
    if _RULES is None:
        try:
            from autocoder.codes.rules import sequence_diagnoses, sequence_procedures

            _RULES = (sequence_diagnoses, sequence_procedures)
        except Exception:  # noqa: BLE001 - rules not landed yet
            _RULES = False
    if not _RULES:
        return dx, px
    try:
        dx2 = list(_RULES[0](dx, primary=primary))
        px2 = list(_RULES[1](px, primary=px[0] if px else None))
    except Exception:  # noqa: BLE001 - keep the plan order if the rules reject something
        return dx, px
    ok_dx = sorted(dx2) == sorted(dx) and dx2[:1] == dx[:1] and all(
        dx2.index(cause) > 0 and dx2[dx2.index(cause) - 1] == cond for cond, cause in pairs if cause in dx2)
    ok_px = sorted(px2) == sorted(px) and px2[:1] == px[:1]
    SEQUENCE_STATS["rules_kept" if ok_dx else "plan_kept"] += 1
    return (dx2 if ok_dx else dx), (px2 if ok_px else px)


SEQUENCE_STATS = {"rules_kept": 0, "plan_kept": 0}


def generate_episodes(n: int, seed: int, forms: str = "all", form_split_seed: int = 0,
                      holdout_fraction: float = 0.3, *, uncertain_gold: str = "main_only",
                      use_hes: bool = True, id_prefix: str | None = None, typo_rate: float = 0.06) -> list[Episode]:
    """`n` synthetic episodes, identical for identical arguments. forms="train" never uses a surface form
    held out for "test" (held-out share = holdout_fraction, chosen by form_split_seed)."""
    if n < 0:
        raise ValueError(f"n: expected a non-negative number of episodes, received {n}")
    if forms not in ("all", "train", "test"):
        raise ValueError(f"forms: expected 'all', 'train' or 'test', received {forms!r}")
    lex = load_lexicon(use_hes=use_hes)
    gen = Generator(lex, seed, forms, form_split_seed, holdout_fraction, uncertain_gold, typo_rate)
    prefix = id_prefix if id_prefix is not None else f"SYN-{forms[:2].upper()}{seed}-"
    return [gen.episode(i, prefix) for i in range(n)]
