"""Local coding policy: trust conventions applied to a fusion Decision after refinement, before sequencing.

Why a separate, data-driven step: what a trust codes is partly local convention, not clinical truth
(coding-primer "[U]" items and the dev-letters README). One trust codes every CT and the anaesthetic, the
next codes only CT head; one codes current smoking, another does not. A model trained on synthetic data
cannot learn a convention it was never shown, and a coding team must be able to change one without
retraining. So the conventions live in `configs/coding_policy.yaml` (validated here) and are applied as
rules:

1. `never_code`: code prefixes never suggested (with `allow` exceptions), e.g. status codes Z86/Z87/Z95,
   O80-O84 (method of delivery is carried by OPCS R-codes), Y80-Y84 anaesthetics, Y97/Y98 radiology
   supplements, chapter U imaging except CT head. A dropped main operation takes its Y/Z qualifiers with it.
2. `minor_procedures`: a primary procedure that is only imaging / drug delivery / a line is replaced by a
   real operation when one is kept (PRule 2: the main procedure is the most resource-intensive one).
3. `delivery_outcome`: a delivery procedure (R17-R25) adds Z37.0 to the mother's record (evidence: the
   delivery's own mention).
4. `caesarean_urgency`: R17 (elective) vs R18 (emergency) caesarean is read from the words beside the
   caesarean mention ("emergency", "category 1", "EMCS" -> R18; "elective", "planned", "ELCS" -> R17).
5. `anticoagulant_status`: Z92.1 only for an anticoagulant taken on admission, not one started this stay;
   `add_from_text` [U] adds it whenever the letter shows one taken on admission (off by default).
6. `integral_secondaries`: codes that are a consequence or a presentation of the main condition in this
   trust's convention (E86 dehydration, A09.9 diarrhoea NOS) are not coded beside a definitive primary,
   and are the primary only when no definitive condition is kept.

Pure Python (no torch, no spaCy). Every rule is switchable; an empty policy changes nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from autocoder import paths
from autocoder.errors import ConfigError
from autocoder.model.fusion import Cand, Decision, is_definitive
from autocoder.schemas import Entity, Episode

DEFAULT_POLICY = paths.CONFIG_DIR / "coding_policy.yaml"


class SystemPrefixes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    icd10: list[str] = Field(default_factory=list)
    opcs4: list[str] = Field(default_factory=list)

    def get(self, system: str) -> list[str]:
        return self.icd10 if system == "icd10" else self.opcs4


class DeliveryOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    code: str = "Z37.0"
    procedure_prefixes: list[str] = Field(
        default_factory=lambda: ["R17", "R18", "R19", "R20", "R21", "R22", "R23", "R24", "R25"])


class CaesareanUrgency(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    window: int = Field(80, ge=0, description="characters before/after the caesarean mention searched")
    emergency_words: list[str] = Field(default_factory=lambda: [
        r"emergency", r"\bEMCS\b", r"\bEmLSCS\b", r"category\s*[123]\b", r"\bcat\.?\s*[123]\b", r"crash",
        r"urgent", r"in labour"])
    elective_words: list[str] = Field(default_factory=lambda: [
        r"elective", r"\bELCS\b", r"\bElLSCS\b", r"planned", r"scheduled", r"category\s*4\b", r"\bcat\.?\s*4\b"])


class AnticoagulantStatus(BaseModel):
    """Z92.1 (long-term anticoagulant use) is for patients on an anticoagulant on admission, not for one
    started during this admission (NCCS trust guidance; tests/data/README.md)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    code: str = "Z92.1"
    drugs: str = (r"warfarin|apixaban|rivaroxaban|edoxaban|dabigatran|DOACs?|NOACs?|anticoagula\w*|enoxaparin|"
                  r"dalteparin|tinzaparin|LMWH|heparin")
    start_words: str = r"start(?:ed|ing)?|commenc\w*|initiat\w*|began|begun|newly|new|loaded"
    # [U] add Z92.1 whenever the letter shows a long-term anticoagulant taken on admission (trust guidance in
    # the coding primer; the team's own letter sets). Off by default: the dev letters do not assign
    # supplementary long-term-drug codes, and the classifier alone reads a drug list poorly.
    add_from_text: bool = False
    long_term_drugs: str = r"warfarin|apixaban|rivaroxaban|edoxaban|dabigatran|DOACs?|NOACs?|anticoagulated"
    # a drug named in a sentence with one of these is not one the patient takes now
    not_taken_words: str = (r"stop(?:ped|s)?|discontinu\w*|ceased|restart\w*|consider\w*|if|will|would|plan\w*|"
                            r"prophyla\w*|declined|contraindicat\w*|avoid\w*|not\s+(?:for|on|started)|no\s+longer|off")
    # ... except a hold around an operation: "warfarin - stopped 5 days pre-op" is still a long-term drug
    held_for_procedure: str = (r"(?:stop\w*|held|withheld|omitted|paused)\b[^.\n]{0,25}?(?:pre-?op\w*|peri-?(?:procedure|op\w*)|"
                               r"before|prior\s+to|for\s+(?:the\s+)?(?:procedure|surgery|operation))")


# a delivery procedure read from a mention must say so ("normal" alone matched "All normal delivery")
_DELIVERY_WORDS = re.compile(r"deliver|birth|born|caesar|c-?section|\bLSCS\b|\bCS\b|forceps|ventouse|\bSVD\b|"
                             r"labour|vaginal", re.IGNORECASE)


class CodingPolicy(BaseModel):
    """configs/coding_policy.yaml. Defaults = the conventions of the team's hand-coded letter sets."""

    model_config = ConfigDict(extra="forbid")
    never_code: SystemPrefixes = Field(default_factory=SystemPrefixes)
    allow: SystemPrefixes = Field(default_factory=SystemPrefixes)
    minor_procedures: list[str] = Field(default_factory=list)
    delivery_outcome: DeliveryOutcome = Field(default_factory=DeliveryOutcome)
    caesarean_urgency: CaesareanUrgency = Field(default_factory=CaesareanUrgency)
    anticoagulant_status: AnticoagulantStatus = Field(default_factory=AnticoagulantStatus)
    integral_secondaries: list[str] = Field(default_factory=list, description=(
        "ICD-10 prefixes not coded beside a definitive primary diagnosis (E86 dehydration with gastroenteritis "
        "or DKA, A09.9 for the diarrhoea of another condition); the primary only when nothing definitive is kept"))

    def integral(self, code: str) -> bool:
        return bool(self.integral_secondaries) and code.startswith(tuple(self.integral_secondaries))

    def excluded(self, code: str, system: str) -> bool:
        if any(code.startswith(p) for p in self.allow.get(system)):
            return False
        return any(code.startswith(p) for p in self.never_code.get(system))


def load_policy(path: str | Path | None = None) -> CodingPolicy:
    """The policy file (`path`, else env AUTOCODER_CODING_POLICY, else configs/coding_policy.yaml); a
    missing default file means the empty policy. Errors name the file and the bad key."""
    p = Path(path or os.environ.get("AUTOCODER_CODING_POLICY") or DEFAULT_POLICY)
    if not p.exists():
        if path or os.environ.get("AUTOCODER_CODING_POLICY"):
            raise ConfigError(f"coding policy file not found: {p}")
        return CodingPolicy(delivery_outcome=DeliveryOutcome(enabled=False),
                            caesarean_urgency=CaesareanUrgency(enabled=False))
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        return CodingPolicy(**data)
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        raise ConfigError(f"{p}: invalid coding policy: {exc}") from exc


def _is_qualifier(code: str) -> bool:
    return code[:1] in ("Y", "Z")


def _drop_excluded(items: list[tuple[Cand, float]], system: str, policy: CodingPolicy) -> list[tuple[Cand, float]]:
    out: list[tuple[Cand, float]] = []
    dropping_main = False
    for c, p in items:
        if system == "opcs4" and _is_qualifier(c.code):
            if dropping_main or policy.excluded(c.code, system):
                continue        # a qualifier of a dropped operation goes with it
            out.append((c, p))
            continue
        dropping_main = policy.excluded(c.code, system)
        if not dropping_main:
            out.append((c, p))
    return out


def _blocks(items: list[tuple[Cand, float]]) -> list[list[tuple[Cand, float]]]:
    """Main operation + the Y/Z qualifiers that follow it."""
    blocks: list[list[tuple[Cand, float]]] = []
    for it in items:
        if blocks and _is_qualifier(it[0].code):
            blocks[-1].append(it)
        else:
            blocks.append([it])
    return blocks


def _prefer_major(items: list[tuple[Cand, float]], policy: CodingPolicy) -> list[tuple[Cand, float]]:
    if not items or not policy.minor_procedures:
        return items
    blocks = _blocks(items)

    def minor(b: list[tuple[Cand, float]]) -> bool:
        return _is_qualifier(b[0][0].code) or any(b[0][0].code.startswith(p) for p in policy.minor_procedures)

    if not minor(blocks[0]):
        return items
    major = [b for b in blocks if not minor(b)]
    if not major:
        return items
    best = max(major, key=lambda b: b[0][1])
    return [it for b in [best] + [b for b in blocks if b is not best] for it in b]


def _caesarean(items: list[tuple[Cand, float]], text: str, cfg: CaesareanUrgency) -> list[tuple[Cand, float]]:
    emerg = [re.compile(w, re.IGNORECASE) for w in cfg.emergency_words]
    elect = [re.compile(w, re.IGNORECASE) for w in cfg.elective_words]
    out = []
    for c, p in items:
        if c.code[:3] in ("R17", "R18") and c.present:
            e = min(c.present, key=lambda m: m.start)
            near = text[max(0, e.start - cfg.window):e.end + cfg.window]
            is_emerg = any(rx.search(near) for rx in emerg)
            is_elect = any(rx.search(near) for rx in elect)
            target = "R18" if is_emerg and not is_elect else "R17" if is_elect and not is_emerg else c.code[:3]
            if target != c.code[:3]:
                c = replace(c, code=target + c.code[3:])
        out.append((c, p))
    return out


def _started(cfg: AnticoagulantStatus, either_order: bool = False) -> re.Pattern:
    """'started apixaban'; with either_order also 'apixaban 5 mg BD started day 4'."""
    rx = rf"\b(?:{cfg.start_words})\b[^.\n]{{0,30}}?\b(?:{cfg.drugs})"
    if either_order:
        rx += rf"|\b(?:{cfg.drugs})\b[^.\n]{{0,30}}?\b(?:{cfg.start_words})\b"
    return re.compile(rx, re.IGNORECASE)


def _new_anticoagulant_only(c: Cand, text: str, cfg: AnticoagulantStatus) -> bool:
    """True when the letter shows the anticoagulant as started this admission and no mention of the code
    says the patient was already on one."""
    started = _started(cfg)
    if not started.search(text):
        return False
    for e in c.present:
        before = text[max(0, e.start - 40):e.start]
        if not started.search(before + text[e.start:e.end]):
            return False   # a mention that is not a new start: on an anticoagulant already
    return True


_CLAUSE_END = re.compile(r"[.;\n]")
_NEGATED_BEFORE = re.compile(r"\b(?:not|no|nil|never)\s+$", re.IGNORECASE)


def long_term_anticoagulant(text: str, cfg: AnticoagulantStatus) -> tuple[int, int] | None:
    """Where the letter shows a long-term anticoagulant taken on admission (the drug's span), or None: not
    when one was started this stay, nor a drug its own sentence stops, plans or declines."""
    if _started(cfg, either_order=True).search(text):
        return None
    not_taken = re.compile(rf"\b(?:{cfg.not_taken_words})\b", re.IGNORECASE)
    held = re.compile(cfg.held_for_procedure, re.IGNORECASE)
    for m in re.finditer(rf"\b(?:{cfg.long_term_drugs})\b", text, re.IGNORECASE):
        s0 = max((x.end() for x in _CLAUSE_END.finditer(text, 0, m.start())), default=0)
        end = _CLAUSE_END.search(text, m.end())
        sentence = text[s0:end.start() if end else len(text)]
        if held.search(sentence):   # held around the operation, then restarted: still the patient's drug
            sentence = re.sub(r"\brestart\w*", " ", held.sub(" ", sentence), flags=re.IGNORECASE)
        if not not_taken.search(sentence) and not _NEGATED_BEFORE.search(text, max(s0, m.start() - 12), m.start()):
            return m.start(), m.end()
    return None


def _add_anticoagulant_status(dx: list[tuple[Cand, float]], text: str,
                              cfg: AnticoagulantStatus) -> list[tuple[Cand, float]]:
    if not dx or any(c.code == cfg.code for c, _ in dx):
        return dx
    span = long_term_anticoagulant(text, cfg)
    if span is None:
        return dx
    e = Entity(text=text[span[0]:span[1]], start=span[0], end=span[1], label="DIAGNOSIS", source="policy")
    return dx + [(Cand(code=cfg.code, system="icd10", present=[e], max_match=1.0), 0.9)]


def _drop_integral(items: list, policy: CodingPolicy, code=lambda t: t[0].code) -> list:
    """integral_secondaries: a definitive condition kept after an integral primary leads instead; beside a
    definitive primary the integral codes go. `code` reads an item's code (Cand pairs here, strings for gold)."""
    if not items or not policy.integral_secondaries:
        return items
    def lead(t) -> bool:
        return is_definitive(code(t)) and not policy.integral(code(t))
    if policy.integral(code(items[0])):
        other = next((t for t in items[1:] if lead(t)), None)
        if other is None:
            return items
        items = [other] + [t for t in items if t is not other]
    if not lead(items[0]):
        return items
    return [items[0]] + [t for t in items[1:] if not policy.integral(code(t))]


def apply_policy(d: Decision, text: str, policy: CodingPolicy,
                 may_be_primary=None) -> Decision:
    """The policy's rules on one decision (see the module docstring); `may_be_primary(code, system)`
    chooses a new primary diagnosis when the old one was excluded."""
    dx = _drop_excluded(list(d.diagnoses), "icd10", policy)
    ranked_dx = [(c, p) for c, p in d.ranked_diagnoses if not policy.excluded(c.code, "icd10")]
    if d.diagnoses and not dx:      # every kept code was excluded: an episode still has a primary
        pool = [(c, p) for c, p in ranked_dx if may_be_primary is None or may_be_primary(c.code, "icd10")]
        dx = pool[:1]
    dx = _drop_integral(dx, policy)
    ac = policy.anticoagulant_status
    if ac.enabled:
        dx = [(c, p) for c, p in dx if not (c.code == ac.code and _new_anticoagulant_only(c, text, ac))]
        if ac.add_from_text:
            dx = _add_anticoagulant_status(dx, text, ac)
    proc = _drop_excluded(list(d.procedures), "opcs4", policy)
    if proc and _is_qualifier(proc[0][0].code):   # only qualifiers left: no codable procedure
        proc = []
    proc = _prefer_major(proc, policy)
    if policy.caesarean_urgency.enabled:
        proc = _caesarean(proc, text, policy.caesarean_urgency)
    ranked_pr = [(c, p) for c, p in d.ranked_procedures if not policy.excluded(c.code, "opcs4")]
    out = policy.delivery_outcome
    if out.enabled and dx and not any(c.code.startswith(out.code[:3]) for c, _ in dx):
        obstetric = any(c.code.startswith("O") for c, _ in dx)
        delivery = [(c, p) for c, p in proc if c.code.startswith(tuple(out.procedure_prefixes))
                    and (obstetric or any(_DELIVERY_WORDS.search(e.text) for e in c.present))]
        if delivery:
            c, p = delivery[0]
            dx.append((Cand(code=out.code, system="icd10", present=list(c.present[:1]), max_match=c.max_match), p))
    return replace(d, diagnoses=dx, procedures=proc, ranked_diagnoses=ranked_dx, ranked_procedures=ranked_pr)



def filter_gold(codes: list[str], system: str, policy: CodingPolicy) -> list[str]:
    """Gold codes as the policy would record them (training data written under another convention, e.g.
    the synthetic generator's F17.1 for current smokers): excluded codes go, an excluded operation takes
    the Y/Z qualifiers right after it, order is kept (so the first survivor becomes primary)."""
    out: list[str] = []
    dropping_main = False
    for c in codes:
        if system == "opcs4" and _is_qualifier(c):
            if not (dropping_main or policy.excluded(c, system)):
                out.append(c)
            continue
        dropping_main = policy.excluded(c, system)
        if not dropping_main:
            out.append(c)
    if system == "opcs4" and out and _is_qualifier(out[0]):
        return []
    if system == "icd10":
        out = _drop_integral(out, policy, code=lambda c: c)
    return out


def recode_under_policy(eps: list[Episode], policy: CodingPolicy | None = None) -> list[Episode]:
    """Synthetic gold recoded under the local coding policy (default: the active one, see load_policy).

    Why: the generator follows general NHS usage (F17.1 for current smokers, Z95/Z96 status codes,
    O80-O84), the policy says what this trust records. Training, fusion fitting and every synthetic
    test figure must follow the policy the pipeline applies at prediction time, or the model is scored
    on codes it is told never to suggest. An episode left with no diagnosis keeps its original first."""
    policy = policy or load_policy()
    out = []
    for e in eps:
        dx0, pr0 = list(e.diagnoses or []), list(e.procedures or [])
        dx, pr = filter_gold(dx0, "icd10", policy), filter_gold(pr0, "opcs4", policy)
        out.append(e if (dx, pr) == (dx0, pr0) else e.model_copy(update={"diagnoses": dx or dx0[:1], "procedures": pr}))
    return out
