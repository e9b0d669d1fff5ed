"""Coding-convention refinements applied to a fusion Decision before sequencing.

Why: two conventions every coder applies are easy to state as rules and hard for a classifier trained
on a few thousand letters to learn for every code:

1. **Code to the highest specificity documented.** An unspecified code (``E10.9``, ``I63.9``, a title
   with "unspecified") is not kept beside a more specific code of the same three-character category that
   the letter itself names (``E10.1`` for "DKA"); when the unspecified one was chosen as the primary, the
   specific sibling takes its place. The sibling must have a present (not negated / family / ruled-out)
   mention of its own, so the rule never invents a code the text does not support.
2. **OPCS-4 qualifiers** (PCSZ2, coding-primer): an operation on one side of the body gets ``Z94.2``
   right / ``Z94.3`` left / ``Z94.1`` bilateral after it; a laparoscopic abdominal operation gets
   ``Y75.2``. Both are read from the words next to the operation's own mention (its evidence), not from
   anywhere in the letter, so "right hip OA" in the history does not side an unrelated operation.

Both steps are switchable (`RefineConfig`, part of FusionConfig) and pure Python (no torch, no spaCy).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from autocoder.model.fusion import Cand, Decision, RefineConfig
from autocoder.schemas import Entity

# side words right next to an operation mention; single letters only in capitals ("R THR", "L TKR")
_SIDE_WORDS = [
    ("Z94.1", re.compile(r"\b(?:bilateral|both(?:\s+sides)?|bilat)\b", re.IGNORECASE)),
    ("Z94.2", re.compile(r"\b(?:right|rt)\b|(?<![A-Za-z])R(?![A-Za-z])", re.IGNORECASE)),
    ("Z94.3", re.compile(r"\b(?:left|lt)\b|(?<![A-Za-z])L(?![A-Za-z])", re.IGNORECASE)),
]
_SINGLE_LETTER = re.compile(r"(?<![A-Za-z])[RL](?![A-Za-z])")
_BOUNDARY = re.compile(r"\n|[.;](?:\s|$)")
# image-guided approach (OPCS-4 Y53, after the main operation): the guiding modality next to the mention
_GUIDANCE = [
    ("Y53.2", re.compile(r"\b(?:ultrasound|US|USS|ultrasonographic(?:ally)?)[- ]guid(?:ed|ance)|"
                         r"under\s+(?:ultrasound|US|USS)(?:\s+(?:guidance|control))?\b", re.IGNORECASE)),
    ("Y53.3", re.compile(r"\bCT[- ]guid(?:ed|ance)|under\s+CT(?:\s+(?:guidance|control))?\b", re.IGNORECASE)),
    ("Y53.4", re.compile(r"\bfluoroscop\w*[- ]guid(?:ed|ance)|under\s+fluoroscop\w*", re.IGNORECASE)),
    ("Y53.7", re.compile(r"\bMRI?[- ]guid(?:ed|ance)|under\s+MRI?\s+(?:guidance|control)", re.IGNORECASE)),
]
_LAP = re.compile(r"\b(?:laparoscopic(?:ally)?|lap\.?|laparoscopy|keyhole)\b", re.IGNORECASE)
# chapters whose operations can be done through a laparoscopic approach (abdominal and pelvic organs)
_LAP_CHAPTERS = ("G", "H", "J", "M", "N", "P", "Q", "T")


def is_unspecified(code: str, title: str) -> bool:
    """'.9' codes and codes whose title says 'unspecified' (e.g. 'I64', 'Pneumonia, unspecified'). A title
    that names a complication is specific however it ends ("COPD with acute exacerbation, unspecified",
    "Gastric ulcer: chronic or unspecified with haemorrhage")."""
    t = title.lower()
    return code.endswith(".9") or ("unspecified" in t and " with " not in t)


def _is_other(title: str) -> bool:
    return title.lower().startswith("other ")


def prefer_specific(d: Decision, title: Callable[[str, str], str]) -> Decision:
    """Drop unspecified ICD-10 codes that have a specific, mentioned sibling (kept or only ranked), and
    a secondary 'Other X' code beside a kept specific sibling (the residual category of the same
    condition, read from a shorter mention of it)."""
    kept = list(d.diagnoses)
    if not kept:
        return d
    live = {c.code: (c, p) for c, p in d.ranked_diagnoses}
    out: list[tuple[Cand, float]] = []
    used: set[str] = set()
    for i, (c, p) in enumerate(kept):
        if c.code in used:
            continue
        if is_unspecified(c.code, title(c.code, "icd10")):
            siblings = [(s, sp) for s, sp in live.values()
                        if s.code != c.code and s.code[:3] == c.code[:3] and s.present
                        and not is_unspecified(s.code, title(s.code, "icd10"))
                        and s.max_match >= min(c.max_match, 0.9) and s.best_rank == 0]
            # a specific sibling that is itself coded (kept) makes the unspecified one redundant, however
            # well each was matched: "COPD" beside "infective exacerbation of COPD" is one condition
            in_kept = [(s, sp) for s, sp in kept
                       if s.code != c.code and s.code[:3] == c.code[:3] and s.present
                       and not is_unspecified(s.code, title(s.code, "icd10"))]
            if in_kept:                 # a specific sibling is already coded: the unspecified one goes
                if i == 0:              # ... and the sibling moves up to primary
                    best = max(in_kept, key=lambda t: t[1])
                    out.append(best)
                    used.add(best[0].code)
                continue
            if siblings:                # replace by the best-supported specific sibling
                best = max(siblings, key=lambda t: (t[0].max_match, t[1]))
                out.append((best[0], max(best[1], p)))
                used.add(best[0].code)
                continue
        elif i > 0 and _is_other(title(c.code, "icd10")) and any(
                s.code != c.code and s.code[:3] == c.code[:3] and s.present
                and not _is_other(title(s.code, "icd10")) and not is_unspecified(s.code, title(s.code, "icd10"))
                for s, _ in kept):
            continue                    # "Other giant cell arteritis" (GCA) beside GCA with PMR: one condition
        out.append((c, p))
        used.add(c.code)
    return replace(d, diagnoses=out)


def complete_dagger_asterisk(d: Decision) -> Decision:
    """Dagger/asterisk pairs made whole (coding-primer: an asterisk is never recorded alone; NHS records the
    dagger first, asterisk straight after):
    - a kept asterisk without any of its daggers: a kept code of a dagger's category becomes that dagger
      (E11.9 + G63.2 -> E11.4 + G63.2); else, when the asterisk has one dagger only, it is added (F00.9 ->
      G30.9 first);
    - a kept dagger whose title implies its manifestation (dagger_implied.tsv) gets that asterisk when none
      of its asterisks is kept (E11.2 -> + N08.3, G30.1 -> + F00.1).
    Added codes carry the evidence of the code that implied them."""
    from autocoder.codes.rules import ASTERISK_DAGGERS, DAGGER_ASTERISK, IMPLIED_ASTERISK

    out = list(d.diagnoses)
    codes = [c.code for c, _ in out]
    for i, (c, p) in enumerate(list(out)):
        daggers = ASTERISK_DAGGERS.get(c.code)
        if not daggers or any(x in codes for x in daggers):
            continue
        same = [(j, dg) for j, k in enumerate(codes) for dg in sorted(daggers)
                if k != dg and k[:3] == dg[:3] and k not in DAGGER_ASTERISK]   # never re-point another pair
        if same:
            j, dg = same[0]
            out[j] = (replace(out[j][0], code=dg), out[j][1])
            codes[j] = dg
        elif len(daggers) == 1:
            dg = next(iter(daggers))
            pos = codes.index(c.code)
            out.insert(pos, (Cand(code=dg, system="icd10", present=list(c.present), max_match=c.max_match), p))
            codes.insert(pos, dg)
    for c, p in list(out):
        ast = IMPLIED_ASTERISK.get(c.code)
        if not ast or any(a in codes for a in DAGGER_ASTERISK.get(c.code, ())):
            continue
        pos = codes.index(c.code) + 1
        out.insert(pos, (Cand(code=ast, system="icd10", present=list(c.present), max_match=c.max_match), p))
        codes.insert(pos, ast)
    return replace(d, diagnoses=out)


_DIABETES = ("E10", "E11", "E12", "E13", "E14")


def merge_diabetes_type(d: Decision) -> Decision:
    """Diabetes codes of one letter share one type: the type comes from any code that states it (E10-E13),
    the complications (4th character) from every code that names one. "T2DM" + "diabetic foot" (E11.9 +
    E14.5) -> E11.5; a lone E14.9 beside E11.x goes."""
    dm = [(i, c) for i, (c, _) in enumerate(d.diagnoses) if c.code.startswith(_DIABETES)]
    types = {c.code[:3] for _, c in dm if c.code[:3] != "E14"}
    if len(dm) < 2 or len(types) != 1:
        return d
    t = next(iter(types))
    out: list[tuple[Cand, float]] = []
    seen: set[str] = set()
    has_complication = any(len(c.code) == 5 and c.code[4] != "9" for _, c in dm)
    for c, p in d.diagnoses:
        if c.code.startswith(_DIABETES):
            code = t + c.code[3:]
            if has_complication and code.endswith(".9"):
                continue        # "without complications" beside a named complication
            if code in seen:
                continue
            c = replace(c, code=code)
        if c.code in seen:
            continue
        seen.add(c.code)
        out.append((c, p))
    return replace(d, diagnoses=out)


# organism words (case-insensitive) -> (pneumonia code, sepsis code, B95-B96 code)
_ORGANISMS: list[tuple[re.Pattern, str, str, str]] = [
    (re.compile(r"\b(?:strep(?:tococcus|\.)?\s+pneumoniae|s\.?\s*pneumoniae|pneumococc\w*)", re.IGNORECASE), "J13", "A40.3", "B95.3"),
    (re.compile(r"\b(?:haemophilus|h\.?)\s+influenzae\b", re.IGNORECASE), "J14", "A41.3", "B96.3"),
    (re.compile(r"\bklebsiella\b", re.IGNORECASE), "J15.0", "A41.5", "B96.1"),
    (re.compile(r"\bpseudomonas\b", re.IGNORECASE), "J15.1", "A41.5", "B96.5"),
    (re.compile(r"\b(?:MRSA|MSSA|staph(?:ylococcus|\.)?\s+aureus|s\.?\s*aureus)\b", re.IGNORECASE), "J15.2", "A41.0", "B95.6"),
    (re.compile(r"\b(?:e\.?\s*coli|escherichia)\b", re.IGNORECASE), "J15.5", "A41.5", "B96.2"),
    (re.compile(r"\bproteus\b", re.IGNORECASE), "J15.6", "A41.5", "B96.4"),
    (re.compile(r"\bmycoplasma\b", re.IGNORECASE), "J15.7", "", ""),
    (re.compile(r"\b(?:group\s+A\s+strep\w*|strep(?:tococcus)?\s+pyogenes)\b", re.IGNORECASE), "J15.4", "A40.0", "B95.0"),
    (re.compile(r"\b(?:group\s+B\s+strep\w*|strep(?:tococcus)?\s+agalactiae)\b", re.IGNORECASE), "J15.3", "A40.1", "B95.1"),
    (re.compile(r"\b(?:strep(?:tococcus|\.)?\s+(?:mitis|oralis|sanguinis|anginosus|milleri|mutans|salivarius|"
                r"intermedius|constellatus|gallolyticus|bovis|viridans)|viridans\s+strep\w*|group\s+[CDFG]\s+strep\w*)\b",
                re.IGNORECASE), "J15.4", "A40.8", "B95.4"),
    (re.compile(r"\benterococc\w*\b", re.IGNORECASE), "J15.8", "A41.8", "B95.2"),
]
# the organism's own sentence must report it found and must not report it absent (or a screen, a vaccine)
_ORGANISM_NEG = re.compile(r"\b(?:negative|not\s+(?:isolated|grown|detected|found|seen|identified)|no\s+growth|"
                           r"screen\w*|vaccin\w*|colonis\w*|carrier|excluded|ruled\s+out|no|nil|without)\b", re.IGNORECASE)
_ORGANISM_POS = re.compile(r"\b(?:grew|grow(?:n|ing)|isolated|positive|cultured|confirmed|identified|detected|"
                           r"sensitive|resistant|bacteraemia|sepsis|septic|pneumonia|UTI|infection|infected|"
                           r"cellulitis|abscess|due\s+to|caused\s+by|secondary\s+to)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<!\b[A-Za-z])[.;](?:\s|$)|\n")   # "E. coli" is not a sentence end
_PNEUMONIA_UNSPECIFIED = ("J18",)
# M00 pyogenic arthritis names its organism: staphylococcal M00.0, pneumococcal M00.1, other streptococcal
# M00.2; any other bacterium is M00.8 with the B95-B96 code after it
_ARTHRITIS_BY_ORGANISM = {"B95.6": "M00.0", "B95.3": "M00.1", "B95.0": "M00.2", "B95.1": "M00.2", "B95.4": "M00.2"}
_SEPSIS_UNSPECIFIED = ("A41.9", "A40.9")
# infections whose own code does not name the organism (B95-B96 added after them)
_ORGANISM_AFTER = ("N39.0", "N10", "N30", "N34", "N41", "N45", "N70", "N71", "N73", "L01", "L02", "L03", "L05",
                   "L08", "K04.6", "K04.7", "K12.2", "K35", "K57.0", "K57.2", "K61", "K63.0", "K65", "K75.0",
                   "K81.0", "K83.0", "M00", "M46.2", "M86", "H60", "H66", "H70", "J01", "J32", "J36", "J39.0",
                   "J85", "J86", "T81.4", "T82.6", "T82.7", "T83.5", "T83.6", "T84.5", "T84.6", "T84.7", "T85.7",
                   "I33.0", "I30.1", "G06", "O23", "O86", "O85", "O91")


def _organisms_in(text: str) -> list[tuple[int, int, str, str, str]]:
    found = []
    for rx, pneu, seps, bcode in _ORGANISMS:
        for m in rx.finditer(text):
            s0 = max((e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())), default=0)
            end = _SENTENCE_END.search(text, m.end())
            sent = text[s0:end.start() if end else len(text)]
            if _ORGANISM_NEG.search(sent) or not _ORGANISM_POS.search(sent):
                continue
            found.append((m.start(), m.end(), pneu, seps, bcode))
            break
    return found


def organism_codes(d: Decision, text: str) -> Decision:
    """The organism named in the letter, coded the way each infection takes it (see RefineConfig.organisms).
    Only when exactly one organism is named (two: which caused what is a coder's call)."""
    orgs = _organisms_in(text)
    if len(orgs) != 1:
        return d
    s0, s1, pneu, seps, bcode = orgs[0]
    ev = Entity(text=text[s0:s1], start=s0, end=s1, label="DIAGNOSIS", source="organism")
    out: list[tuple[Cand, float]] = []
    have = {c.code for c, _ in d.diagnoses}
    for c, p in d.diagnoses:
        if pneu and c.code.startswith(_PNEUMONIA_UNSPECIFIED) and pneu not in have:
            out.append((replace(c, code=pneu, present=[*c.present, ev]), p))
            have.add(pneu)
            continue
        if seps and c.code in _SEPSIS_UNSPECIFIED and seps not in have:
            out.append((replace(c, code=seps, present=[*c.present, ev]), p))
            have.add(seps)
            continue
        if c.code == "M00.9" and bcode:     # pyogenic arthritis: the organism is in the 4th character
            c = replace(c, code=_ARTHRITIS_BY_ORGANISM.get(bcode, "M00.8"), present=[*c.present, ev])
            have.add(c.code)
            if c.code != "M00.8":
                out.append((c, p))
                continue
        out.append((c, p))
        if bcode and c.code.startswith(_ORGANISM_AFTER) and bcode not in have:
            out.append((Cand(code=bcode, system="icd10", present=[ev], max_match=c.max_match), p))
            have.add(bcode)
    return replace(d, diagnoses=out)


_CLAUSE_START = re.compile(r"[,;:()]|\.\s|\b(?:but|and|with)\b", re.IGNORECASE)
_NEG_BEFORE = re.compile(r"\b(?:no|not|non|without|nil|never|negative\s+for|ruled\s+out|exclud\w*)\b|\bnon-\s*$",
                         re.IGNORECASE)
_NEG_AFTER = re.compile(r"^\W*(?:\w+\W+){0,3}?(?:excluded|ruled\s+out|not\s+(?:seen|present|found)|absent)\b",
                        re.IGNORECASE)


def _sentence_start(text: str, e: Entity) -> int:
    return max((m.end() for m in _SENTENCE_END.finditer(text, 0, e.start)), default=0)


def _sentence(text: str, e: Entity) -> str:
    """The sentence (or list line) holding a mention: where its complication words are looked for."""
    return _sentence_at(text, e.start, e.end)


def _sentence_at(text: str, start: int, end: int) -> str:
    s0 = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    stop = _SENTENCE_END.search(text, end)
    return text[s0:stop.start() if stop else len(text)]


_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")


def _paragraph(text: str, e: Entity, limit: int = 600) -> str:
    """An operation's own paragraph, from its sentence to the next blank line (at most `limit` chars):
    an operation note states the detail in the sentences after the name ("OGD 17/04: ulcer with a
    visible vessel. Adrenaline injected around the base")."""
    end = _PARAGRAPH_END.search(text, e.end, min(len(text), e.end + limit))
    return text[_sentence_start(text, e):end.start() if end else min(len(text), e.end + limit)]


def _affirmed(rx: re.Pattern, sent: str) -> bool:
    """A cue found in the sentence and not negated in its own clause ("no active bleeding",
    "non-obstructed", "obstruction excluded")."""
    for m in rx.finditer(sent):
        clause = _CLAUSE_START.split(sent[:m.start()])[-1]
        after = _CLAUSE_START.split(sent[m.end():])[0]
        if not _NEG_BEFORE.search(clause) and not _NEG_AFTER.search(after):
            return True
    return False


_FALL = re.compile(r"\b(?:fell|falls?|fallen|tripped|slipped|stumbled)\b", re.IGNORECASE)
#: a fall word that states no fall of this episode: a service, a risk, a plan, none
_FALL_NOT = re.compile(r"\b(?:falls?\s+(?:prevention|assessment|risk|clinic|team|service|advice|screen\w*|"
                       r"pathway|history)|fall\s+risk|risk\s+of\s+(?:a\s+)?falls?|no\s+(?:further\s+|recent\s+|"
                       r"other\s+)?falls?|if\s+\w+\s+(?:falls?|fell|trips?|slips?)|position\s+slips|"
                       r"slipped\s+(?:\w+\s+){0,3}(?:epiphysis|disc))\b", re.IGNORECASE)
_INJURY = re.compile(r"^(?:S\d|T0\d|T1[0-4])")
_EXTERNAL_CAUSE = re.compile(r"^[VWXY]\d")


def fall_cause(d: Decision, text: str) -> Decision:
    """W19 after an injury whose letter states a fall (RefineConfig.fall_from_text); the fall sentences
    become its evidence, where combine_codes reads the mechanism (tripped -> W01, stairs -> W10)."""
    dx = list(d.diagnoses)
    w19 = next((i for i, (c, _) in enumerate(dx) if c.code == "W19"), None)
    injury = next((i for i, (c, _) in enumerate(dx) if _INJURY.match(c.code)), None)
    if w19 is None and (injury is None or any(_EXTERNAL_CAUSE.match(c.code) for c, _ in dx)):
        return d        # nothing the fall sentences could change: the text is not searched
    falls = []
    for m in _FALL.finditer(text):
        sent = _sentence_at(text, m.start(), m.end())
        if not _FALL_NOT.search(sent) and _affirmed(_FALL, sent):
            falls.append(Entity(text=m.group(0), start=m.start(), end=m.end(), label="DIAGNOSIS", source="fall"))
    if not falls:
        return d
    if w19 is not None:
        c, p = dx[w19]
        dx[w19] = (replace(c, present=[*c.present, *falls]), p)
        return replace(d, diagnoses=dx)
    c, p = dx[injury]
    dx.insert(injury + 1, (Cand(code="W19", system="icd10", present=falls, max_match=c.max_match), p))
    return replace(d, diagnoses=dx)


def combine_codes(d: Decision, text: str, system: str = "icd10") -> Decision:
    """Combination categories (codes/data/combinations.tsv): a kept code becomes the code that names its
    complication when the mention's own sentence states it, and the codes it absorbs go. For OPCS-4
    (codes/data/procedure_combinations.tsv) the same for the detail of an operation ("PCI ... 2 x DES"),
    read in the operation's paragraph (an operation note's detail follows the name)."""
    from autocoder.codes.rules import combination_table

    table = combination_table(system)
    items = d.diagnoses if system == "icd10" else d.procedures
    out: list[tuple[Cand, float]] = []
    fired = False
    drop: tuple[str, ...] = ()
    codes = {c.code for c, _ in items}
    for c, p in items:
        rows = [r for r in table if c.code in r.codes]
        scope = _sentence if system == "icd10" else _paragraph
        sents = [scope(text, e) for e in c.present] if rows else []
        row = next((r for r in rows if any(all(_affirmed(rx, s) for rx in r.cues) for s in sents)), None)
        if row is None:
            out.append((c, p))
            continue
        fired = True
        target = row.target_for(c.code)
        out.append((replace(c, code=target), p))
        codes.add(target)
        drop += row.absorbs
        if row.adds and row.adds not in codes and not any(k.startswith(row.adds_unless) for k in codes):
            out.append((Cand(code=row.adds, system=system, present=list(c.present), max_match=c.max_match), p))
            codes.add(row.adds)
    if not fired:
        return d
    seen: set[str] = set()
    kept = []
    for c, p in out:
        if (drop and c.code.startswith(drop)) or c.code in seen:
            continue
        seen.add(c.code)
        kept.append((c, p))
    return replace(d, diagnoses=kept) if system == "icd10" else replace(d, procedures=kept)


def drop_explained_symptoms(d: Decision, min_prob: float) -> Decision:
    """A symptom code goes when a kept code explains it (DGCS.1: symptoms integral to a coded diagnosis
    are not coded) and that code is itself well supported (probability >= min_prob)."""
    from autocoder.codes.rules import symptom_table

    table = symptom_table()
    strong = [c.code for c, p in d.diagnoses if p >= min_prob]
    out = [(c, p) for c, p in d.diagnoses
           if not (c.code in table and any(k != c.code and k.startswith(table[c.code]) for k in strong))]
    return d if len(out) == len(d.diagnoses) else replace(d, diagnoses=out)


_DEMENTIA = ("F00", "F01", "F02", "F03", "G30")


def combine_delirium_dementia(d: Decision) -> Decision:
    """Delirium (F05.0 / F05.9) coded beside a dementia is 'delirium superimposed on dementia' (F05.1)."""
    codes = [c.code for c, _ in d.diagnoses]
    if not any(k.startswith(_DEMENTIA) for k in codes):
        return d
    out = [(replace(c, code="F05.1"), p) if c.code in ("F05.0", "F05.9") else (c, p) for c, p in d.diagnoses]
    seen: set[str] = set()
    out = [(c, p) for c, p in out if not (c.code in seen or seen.add(c.code))]
    return replace(d, diagnoses=out)


_BIOPSY = re.compile(r"\bbiops(?:y|ies|ied)\b|\bbx\b|\bCLO\b|\bhistology\b", re.IGNORECASE)


_NOT_DONE = re.compile(r"\b(?:if|will|would|booked|planned|plan|repeat|re-?biops\w*|consider\w*|may|unable|deferred|"
                       r"not\s+(?:possible|taken|done|performed|obtained))\b",
                       re.IGNORECASE)


def _biopsy_in_report(text: str, e: Entity) -> bool:
    """A biopsy taken during the endoscopy, stated anywhere in its report paragraph ("Procedure: Gastroscopy
    (OGD). Findings: ... CLO biopsy taken"): its sentence neither negates it nor puts it in the future
    ("biopsy not possible", "re-biopsy booked", "if the ulcer persists biopsy will be taken")."""
    para_end = _sentence_start(text, e) + len(_paragraph(text, e))
    for m in _BIOPSY.finditer(text, e.start, para_end):
        sent = _sentence_at(text, m.start(), m.end())
        if _affirmed(_BIOPSY, sent) and not _NOT_DONE.search(sent) and not _NEG_AFTER.search(text[m.end():para_end]):
            return True
    return False


def endoscopy_biopsy(d: Decision, text: str, cfg: RefineConfig) -> Decision:
    """G45.9 'OGD' -> G45.1 when the OGD's own sentence or report paragraph says a biopsy was taken
    (H22, H25, E49, M45 alike)."""
    out = []
    have = {c.code for c, _ in d.procedures}
    for c, p in d.procedures:
        target = cfg.biopsy_variants.get(c.code[:3])
        if target and c.code != target and target not in have and c.present:
            for e in c.present:
                pre, post = _window(text, e, cfg.window_before, 80)
                if _BIOPSY.search(text[e.start:e.end]) or _BIOPSY.search(post) or _BIOPSY.search(pre[-25:]) \
                        or _biopsy_in_report(text, e):
                    c = replace(c, code=target)
                    have.add(target)
                    break
        out.append((c, p))
    return replace(d, procedures=out)


def _window(text: str, e: Entity, before: int, after: int) -> tuple[str, str]:
    """Text before and after a mention within its own sentence/line (a side word in the next sentence is not
    this operation's)."""
    pre = _BOUNDARY.split(text[max(0, e.start - before):e.start])[-1]
    post = _BOUNDARY.split(text[e.end:e.end + after])[0]
    return pre, post


_ICS_SIDE = re.compile(r"(?<![A-Za-z])([RL])\s+\d(?:st|nd|rd|th)\s+(?:ICS|intercostal)", re.IGNORECASE)


def _side(text: str, ents: list[Entity], cfg: RefineConfig) -> str | None:
    for e in ents:
        pre, post = _window(text, e, cfg.window_before, cfg.window_after)
        span = text[e.start:e.end]
        for chunk in (span, pre, post):
            for code, rx in _SIDE_WORDS:
                for m in rx.finditer(chunk):
                    if _SINGLE_LETTER.fullmatch(m.group()) and not (
                            chunk is span or (chunk is pre and m.start() >= len(pre) - 4)
                            or (chunk is post and m.start() <= 2)):
                        continue  # a bare "R"/"L" only counts inside or right by the mention ("R THR", "ICD R")
                    return code
        ics = _ICS_SIDE.search(text, e.end, e.end + 60)
        if ics:   # a chest drain's site: "ICD inserted (12 Fr, US guided, L 5th ICS)"
            return "Z94.2" if ics.group(1).upper() == "R" else "Z94.3"
    return None


def add_qualifiers(d: Decision, text: str, sided: frozenset[str], title: Callable[[str, str], str],
                   cfg: RefineConfig) -> Decision:
    """Append Z94 laterality / Y75.2 laparoscopic codes after the main operations that need them."""
    procs = list(d.procedures)
    if not procs:
        return d
    have = {c.code for c, _ in procs}
    out: list[tuple[Cand, float]] = []
    for c, p in procs:
        out.append((c, p))
        if c.code.startswith(("Y", "Z")) or not c.present:
            continue
        ents = sorted(c.present, key=lambda e: e.start)
        if (cfg.add_laparoscopic and c.code[:1] in _LAP_CHAPTERS and "Y75.2" not in have
                and "endoscop" not in title(c.code, "opcs4").lower()):
            for e in ents:
                pre, _ = _window(text, e, cfg.window_before, 0)
                if _LAP.search(text[e.start:e.end]) or _LAP.search(pre[-20:]):
                    q = Cand(code="Y75.2", system="opcs4", present=[e], max_match=c.max_match)
                    out.append((q, p))
                    have.add("Y75.2")
                    break
        if cfg.add_image_guidance and not c.code.startswith("U") and not any(h.startswith("Y53") for h in have):
            for e in ents:
                pre, post = _window(text, e, cfg.window_before, cfg.window_after)
                near = pre[-30:] + text[e.start:e.end] + post
                code = next((q for q, rx in _GUIDANCE if rx.search(near)), None)
                if code:
                    out.append((Cand(code=code, system="opcs4", present=[e], max_match=c.max_match), p))
                    have.add(code)
                    break
        if cfg.add_laterality and c.code[:3] in sided and not any(h.startswith("Z94") for h in have):
            side = _side(text, ents, cfg)
            if side:
                out.append((Cand(code=side, system="opcs4", present=ents[:1], max_match=c.max_match), p))
                have.add(side)
    return replace(d, procedures=out)


def drop_implicit_approach(d: Decision, codes: frozenset[str]) -> Decision:
    """A laparotomy code (RefineConfig.implicit_approach_codes) goes when another operation is kept: the
    approach is part of the operation done through it. Qualifiers (Y/Z) and imaging (U) are not operations."""
    def operation(code: str) -> bool:
        return code not in codes and not code.startswith(("Y", "Z", "U"))

    if not any(c.code in codes for c, _ in d.procedures) or not any(operation(c.code) for c, _ in d.procedures):
        return d
    return replace(d, procedures=[(c, p) for c, p in d.procedures if c.code not in codes])


def refine(d: Decision, text: str, *, title: Callable[[str, str], str], sided: frozenset[str],
           cfg: RefineConfig | None = None) -> Decision:
    """All enabled refinements, in order (specificity first, then OPCS-4 qualifiers)."""
    cfg = cfg or RefineConfig()
    if cfg.prefer_specific:
        d = prefer_specific(d, title)
    if cfg.fall_from_text:
        d = fall_cause(d, text)
    if cfg.combinations:
        d = combine_codes(d, text)
        d = combine_codes(d, text, "opcs4")
    if cfg.drop_explained_symptoms > 0:
        d = drop_explained_symptoms(d, cfg.drop_explained_symptoms)
    if cfg.combine_delirium_dementia:
        d = combine_delirium_dementia(d)
    if cfg.merge_diabetes_type:
        d = merge_diabetes_type(d)
    if cfg.organisms:
        d = organism_codes(d, text)
    if cfg.complete_dagger_asterisk:
        d = complete_dagger_asterisk(d)
    if cfg.drugs.adverse_effects or cfg.drugs.poisoning:
        from autocoder.model.drugs import apply_drug_rules

        d = apply_drug_rules(d, text, cfg.drugs)
    if cfg.biopsy_variants:
        d = endoscopy_biopsy(d, text, cfg)
    if cfg.implicit_approach_codes:
        d = drop_implicit_approach(d, frozenset(cfg.implicit_approach_codes))
    if cfg.add_laterality or cfg.add_laparoscopic:
        d = add_qualifiers(d, text, sided, title, cfg)
    return d
