"""Fusion: classifier probabilities + extracted mentions (candidates, assertions, sections) -> decisions.

Why: the classifier knows the label set it was trained on and reads the whole letter, but cannot see
that "no evidence of PE" negates a PE it half-recognises, nor propose a code it has never seen. The
extractor sees mentions, their assertion (negated / family / hypothetical / historical) and their
section, and the terminology matcher proposes any code. A small logistic combiner over both, fitted on
the dev split, then isotonic calibration and per-system thresholds (also dev), turn that into the
calibrated `score` of FORMATS.md. Hard rule first: evidence that is only negated, family, hypothetical
(or historical, unless the code is a chronic comorbidity / history Z-code) suppresses the code.

Pure numpy/scikit-learn; the fitted state is plain JSON (no pickles in a bundle).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from autocoder.model.calibration import ConfidenceModel, IsotonicCalibrator, fit_threshold
from autocoder.schemas import Entity

SYSTEMS = ("icd10", "opcs4")

# chronic comorbidities (coded whenever documented, DGCS.3) and history/status Z-codes: a "historical"
# mention of these still supports the code; for anything else "history of X" means X is not current.
DEFAULT_HISTORY_KEEP = [
    "Z80", "Z81", "Z82", "Z83", "Z84", "Z85", "Z86", "Z87", "Z88", "Z89", "Z90", "Z91", "Z92", "Z93",
    "Z94", "Z95", "Z96", "Z97", "Z98", "Z99",
    "I10", "I11", "I12", "I13", "I25", "I48", "I50", "E10", "E11", "E03", "E66", "N18", "J44", "J45",
    "F01", "F03", "G30", "G35", "G20", "G40", "K70", "K74", "D50", "D64", "F10", "F17", "F32", "M81",
    "I69", "E78", "B20", "B18", "M05", "M06", "M15", "M16", "M17", "I35", "I42",
]

FEATURES = [
    "clf_prob", "clf_logit", "in_vocab", "has_mention", "max_match", "log_n_present", "sec_diagnosis",
    "sec_pmh", "sec_procedure", "uncertain_only", "historical_kept", "suppressed_some", "primary_head",
    "is_opcs4", "clf_x_mention", "first_mention_inv", "diag_rank_inv", "best_rank_inv", "symptom_only",
    "sec_presentation", "sec_other", "main_rank_inv", "only_pmh",
    # matcher-only evidence (a code the classifier has never seen): its own weights, see oov_simulation_share
    "oov_x_match", "oov_x_diag_section", "oov_x_best_rank_inv",
]
PRIMARY_FEATURES = ["primary_head", "fused", "clf_prob", "first_mention_inv", "sec_diagnosis", "has_mention",
                    "in_vocab", "diag_rank_inv", "sec_pmh", "sec_presentation", "sec_other", "main_rank_inv",
                    "only_pmh", "symptom_only", "best_rank_inv"]


class DrugConfig(BaseModel):
    """Part of RefineConfig: switches and windows of the drug rules (autocoder.model.drugs)."""

    model_config = ConfigDict(extra="forbid")
    adverse_effects: bool = True
    poisoning: bool = True
    window: int = Field(70, ge=10, description="characters between a condition mention and its drug cue")
    # intent when an overdose is documented without any intent word: UK letters say "overdose" for
    # self-poisoning, so intentional by default; "undetermined" codes Y10-Y14 instead
    default_intent: str = Field("intentional", pattern="^(intentional|accidental|undetermined)$")
    # a condition found to be caused by a drug takes its category's "drug-induced" code when ICD-10 has
    # one (WHO titles): code or 3-character category -> drug-induced code
    drug_induced: dict[str, str] = Field(default_factory=lambda: {
        "E16.1": "E16.0", "E16.2": "E16.0", "D61.9": "D61.1", "D59.1": "D59.0", "G20": "G21.1",
        "G21.9": "G21.1", "E27.4": "E27.3", "M32.9": "M32.0", "M10.9": "M10.2", "I95.9": "I95.2",
        "E06.9": "E06.4", "G62.9": "G62.0", "R25.1": "G25.1", "M81.9": "M81.4", "M81.0": "M81.4",
        "D52.9": "D52.1", "K85.9": "K85.3", "R21": "L27.0", "L30.9": "L27.0", "R50.9": "R50.2",
        "D64.9": "D64.8"})



class RefineConfig(BaseModel):
    """Coding-convention refinements after fusion (autocoder.model.refine): specificity and OPCS qualifiers."""

    model_config = ConfigDict(extra="forbid")
    prefer_specific: bool = True
    # dagger/asterisk pairs completed (diabetes with renal complications -> + N08.3; F00.9 alone -> G30.9
    # first; E11.9 beside G63.2 -> E11.4) and "delirium" beside a dementia -> F05.1
    complete_dagger_asterisk: bool = True
    combine_delirium_dementia: bool = True
    # one diabetes type per letter: "T2DM" (E11.9) beside "diabetic nephropathy" (E14.2) is E11.2
    merge_diabetes_type: bool = True
    # a condition coded with its complication in one code (codes/data/combinations.tsv): "incarcerated
    # inguinal hernia" K40.9 -> K40.3 (and K56.x goes), "bleeding gastric ulcer" K25.9 -> K25.4,
    # "hydronephrosis" beside a ureteric stone -> N13.2; cues read from the mention's own sentence
    combinations: bool = True
    # a symptom code beside a kept code that explains it (codes/data/symptom_explained.tsv; "renal colic"
    # beside the ureteric stone, haematemesis beside bleeding varices) goes, when the explaining code's
    # probability is at least this (0 = keep every symptom; the validator still flags the pair)
    drop_explained_symptoms: float = Field(0.5, ge=0, le=1)
    # an infection coded without its organism + a (not negated) organism named in the letter: pneumonia
    # takes the organism's own pneumonia code (J13, J14, J15.x), sepsis its own (A40.x / A41.x), other
    # infections get the B95-B96 organism code straight after them
    organisms: bool = True
    drugs: DrugConfig = Field(default_factory=DrugConfig)
    # a diagnostic endoscopy whose own sentence says "biopsy" is coded as the "... and biopsy" code of its
    # category (OPCS-4 endoscopy convention, coding-primer): category -> the biopsy code
    biopsy_variants: dict[str, str] = Field(default_factory=lambda: {
        "G45": "G45.1", "H22": "H22.1", "H25": "H25.1", "E49": "E49.1", "M45": "M45.1", "M30": "M30.5"})
    # an injury (S00-T14) with no external cause kept and a fall stated in the letter ("tripped over a rug
    # and fell onto her right side") gets W19 after it, read from the fall's own sentence (so the mechanism
    # rows of combinations.tsv make it W01 / W10 / W06); a kept W19 reads the fall sentences too
    fall_from_text: bool = True
    add_laterality: bool = True
    add_laparoscopic: bool = True
    # an opening that is only the way in ("Upper midline laparotomy, perforation closed with an omental patch")
    # is not coded beside the operation done through it; it stays when nothing else was done (an
    # exploratory laparotomy). Re-opening codes (T30.1, T30.2) are operations of their own and not listed.
    implicit_approach_codes: list[str] = ["T30.9"]
    # "ultrasound-guided" / "CT-guided" / "under fluoroscopy" beside an operation -> Y53.x after it
    add_image_guidance: bool = True
    # characters before / after an operation mention searched for side and approach words
    window_before: int = 40
    window_after: int = 25


class FusionConfig(BaseModel):
    """How candidates are gathered and suppressed (part of the resolved training config)."""

    model_config = ConfigDict(extra="forbid")
    cand_top_k: int = 20
    cand_min_prob: float = 0.02
    per_entity_candidates: int = 3
    min_match_score: float = 0.0
    suppress_assertions: list[str] = ["negated", "family", "hypothetical"]
    # a negated / family / hypothetical / past mention suppresses a code only when it names that code at least
    # this well: "no Richter's transformation" (~ C91.1 CLL at 0.46) does not negate the patient's CLL
    suppress_min_match: float = Field(0.5, ge=0, le=1)
    history_keep_prefixes: list[str] = DEFAULT_HISTORY_KEEP
    hard_suppress: bool = True
    n_rejected_for_confidence: int = 3
    default_threshold: float = 0.5
    review_threshold: float = 0.8
    # dev-F1 slack when fitting the per-system thresholds: the threshold nearest 0.5 within it is taken
    threshold_f1_tolerance: float = Field(0.005, ge=0, le=0.1)
    lr_c: float = 1.0
    # DGCS.1: a symptom (Chapter XVIII) or a history/status code (Z80-Z99) is the main condition only when
    # no definitive diagnosis was found; and symptoms are not added beside a definitive main condition.
    prefer_definitive_primary: bool = True
    # ... also when the definitive condition is below the threshold but named outright (see decide)
    named_definitive_primary: bool = True
    drop_symptoms_with_definitive_primary: bool = True
    # a mention named by its symptom ("testicular pain" -> N50.8, "back pain" -> M54.9) is a symptom whatever
    # chapter its code is in: not the main condition beside a definitive one (it may still be a secondary code:
    # back pain beside an AKI is a separate problem, not a symptom of it)
    symptom_words: list[str] = ["pain", "pains", "ache", "aches", "discomfort", "swelling", "tenderness"]
    # a letter's own "Diagnosis:" list names the main condition first: its first definitive, well-matched
    # diagnosis is the primary (the ranker decides only when the letter has no such list)
    primary_from_diagnosis_section: bool = True
    diagnosis_section_min_match: float = 0.8
    # without such a list: the first definitive diagnosis introduced by "admitted with" / "felt to represent"
    primary_from_cue: bool = True
    # [U] in the primer: a secondary condition still only queried at discharge ("?", "possible", "query",
    # "suspected") is not coded (the local convention of the dev letters); the main condition is coded even
    # when suspected (WHO Vol 2). False leaves queried secondaries to the learned combiner.
    drop_uncertain_secondary: bool = True
    # an operation note / "Procedures:" list names the main operation first: its first well-matched operation
    # (kept, may be primary) is the primary procedure
    primary_procedure_from_section: bool = True
    # a diagnostic-imaging code (OPCS-4 chapter U: "CT head", "MRI spine") is the main procedure only when
    # no other operation is kept: the biopsy or drainage the scan led to comes first
    secondary_procedure_prefixes: list[str] = ["U"]
    # a code backed only by a weak token overlap ("several broken molars" ~ S72.0 fracture of neck of femur at
    # 0.46) and not by the classifier is not kept, whatever the combiner makes of it: on the hand-written
    # letters 1 in 22 such codes was right (synthetic dev letters, clean by construction, rarely have them)
    weak_match_below: float = Field(0.5, ge=0, le=1)
    weak_match_classifier_below: float = Field(0.3, ge=0, le=1)
    # an operation mentioned only with a query ("?OGD", "?incomplete myotomy") was not done this episode
    drop_uncertain_procedures: bool = True
    # Out-of-vocabulary simulation when fitting on dev. Why: on synthetic dev nearly every gold code is in
    # the classifier's vocabulary, so the only matcher-only candidates the combiner sees are false hits and
    # it learns "not in vocabulary = wrong" -- which then sinks every rare code on real letters, where the
    # terminology matcher is the only thing that knows them. For this share of codes (chosen at random per
    # code, seeded) the dev candidates are shown as the classifier would see an unknown code: no classifier
    # probability, no primary-head score, in_vocab 0; candidates with no mention are dropped (an unknown code
    # could only be proposed by a mention). 0 turns it off.
    oov_simulation_share: float = Field(0.3, ge=0.0, le=0.9)
    # code prefixes the terminology matcher may not propose from a mention's own words: Y40-Y59 (drug in
    # therapeutic use causing an adverse effect) is about a *relation* between a condition and a drug, which
    # the drug rules read (model/drugs.py); "depression (sertraline 100mg)" is not an adverse effect.
    # An OPCS-4 site code (Z01-Z99 but Z94 laterality) is a qualifier of an operation, never a mention's
    # code of its own ("sigmoid colon" in a colonoscopy report is not a site-coded operation).
    matcher_excluded_prefixes: list[str] = ["Y4", "Y5"]
    matcher_excluded_opcs_prefixes: list[str] = [f"Z{n}" for n in range(10)]
    matcher_kept_opcs_prefixes: list[str] = ["Z94"]
    # a poisoning code (T36-T50) from a mention's words needs an overdose word in that mention
    # ("NSAID-associated ulcer" is not NSAID poisoning); named overdoses come from the drug rules too
    poisoning_needs_cue: bool = True
    # a past event written as history is coded as its "old" code (coding-primer: "previous MI" -> I25.2)
    history_codes: dict[str, str] = Field(default_factory=lambda: {"I21": "I25.2", "I22": "I25.2"})
    refine: RefineConfig = RefineConfig()


def section_kind(section: str | None) -> str:
    """Coarse section kind: diagnosis | pmh | presentation | procedure | context | other."""
    s = (section or "").lower().strip()
    if re.search(r"diagnos|impression|problem|assessment|^dx\b|^imp\b|final", s):
        return "diagnosis"
    if re.search(r"past|pmh|comorbid|background", s):
        return "pmh"
    if re.search(r"family|social|medication|drug|allerg", s):
        return "context"
    if re.search(r"present|complaint|^history$|hpi|^pc$", s):
        return "presentation"
    if re.search(r"procedure|operation|intervention|theatre", s):
        return "procedure"
    return "other"


@dataclass
class Cand:
    """One candidate code for one episode, with the features and the mentions behind it."""

    code: str
    system: str
    clf_prob: float = 0.0
    primary_head: float = 0.0
    in_vocab: bool = False
    present: list[Entity] = field(default_factory=list)
    suppressed: list[Entity] = field(default_factory=list)
    max_match: float = 0.0
    first_rank: int | None = None       # order of first present mention among same-label mentions
    diag_rank: int | None = None        # order of first present mention within a Diagnosis-type section
    best_rank: int | None = None        # best rank of this code among its mentions' candidate lists (0 = top)
    main_rank: int | None = None        # order of first present mention outside PMH/family/social/medication
    cue_rank: int | None = None         # order of first present mention introduced by a main-condition cue
    proc_rank: int | None = None        # order of first present, well-matched operation in a Procedures-type section
    join_rank: int = 0                  # place among the conditions of its first joined mention ("X with Y": X 0, Y 1)

    @property
    def key(self) -> str:
        return f"{self.system}:{self.code}"

    def symptom_like(self, words: Sequence[str]) -> bool:
        """Every present mention ends in a symptom word ("testicular pain", "back ache"); a condition
        qualified by its symptom ("atherosclerosis with rest pain") is not a symptom."""
        def named_by_symptom(toks: list[str]) -> bool:
            return bool(toks) and toks[-1].strip(".,;:)") in words and "with" not in toks
        return bool(self.present) and all(named_by_symptom(e.text.lower().split()) for e in self.present)

    @property
    def is_suppressed(self) -> bool:
        return bool(self.suppressed) and not self.present

    @property
    def only_background(self) -> bool:
        """Every present mention is in a past-history / context section (the only_pmh feature)."""
        kinds = {section_kind(e.section) for e in self.present}
        return bool(kinds) and kinds <= {"pmh", "context"}

    @property
    def uncertain_only(self) -> bool:
        """Every mention that supports the code is queried ("?", "possible", "query", "suspected")."""
        return bool(self.present) and all(e.uncertain or e.assertion == "uncertain" for e in self.present)

    def features(self) -> list[float]:
        p = min(max(self.clf_prob, 1e-6), 1 - 1e-6)
        kinds = {section_kind(e.section) for e in self.present}
        has = 1.0 if self.present else 0.0
        unc = 1.0 if self.uncertain_only else 0.0
        hist = 1.0 if self.present and all(e.historical or e.assertion == "historical" for e in self.present) else 0.0
        oov = 0.0 if self.in_vocab else 1.0
        return [
            self.clf_prob, math.log(p / (1 - p)) / 8.0, 1.0 if self.in_vocab else 0.0, has, self.max_match,
            math.log1p(len(self.present)), float("diagnosis" in kinds), float("pmh" in kinds),
            float("procedure" in kinds), unc, hist, 1.0 if (self.suppressed and self.present) else 0.0,
            self.primary_head, 1.0 if self.system == "opcs4" else 0.0, self.clf_prob * has,
            1.0 / (1 + self.first_rank) if self.first_rank is not None else 0.0,
            1.0 / (1 + self.diag_rank) if self.diag_rank is not None else 0.0,
            1.0 / (1 + self.best_rank) if self.best_rank is not None else 0.0,
            1.0 if self.present and all(e.label == "SYMPTOM" for e in self.present) else 0.0,
            float("presentation" in kinds), float("other" in kinds),
            1.0 / (1 + self.main_rank) if self.main_rank is not None else 0.0,
            1.0 if self.only_background else 0.0,
            oov * self.max_match, oov * float("diagnosis" in kinds),
            oov * (1.0 / (1 + self.best_rank) if self.best_rank is not None else 0.0),
        ]


def _assertion_of(e: Entity) -> str:
    if e.negated:
        return "negated"
    if e.family:
        return "family"
    if e.hypothetical:
        return "hypothetical"
    if e.historical:
        return "historical"
    return e.assertion


def _history_keep(code: str, prefixes: Sequence[str]) -> bool:
    return any(code.startswith(p) for p in prefixes)


def split_label(label: str) -> tuple[str, str]:
    """'icd10:J44.1' -> ('icd10', 'J44.1')."""
    system, _, code = label.partition(":")
    if system not in SYSTEMS or not code:
        raise ValueError(f"label {label!r}: expected 'icd10:<code>' or 'opcs4:<code>'")
    return system, code


# phrases that introduce the main condition in narrative letters ("admitted with X", "felt to represent X")
PRIMARY_CUE = re.compile(
    r"(?:admitted|admission|presented|presenting|came in|brought in|referred)\s+(?:\w+\s+){0,3}?(?:with|due to|for)"
    r"|(?:diagnosed|diagnosis)\s+(?:with|of|was|is)|(?:felt|thought|considered|confirmed)\s+to\s+(?:be|represent|have)"
    r"|(?:represented|in keeping with|consistent with|secondary to|treated (?:as|for)|working diagnosis|impression)"
    r"|\bwe\s+diagnosed\b|\b(?:confirmed|confirming|confirms|showed|revealed|demonstrated)\s+(?:an?\s+|the\s+)?"
    # ... up to three qualifying words may come between ("showed an established left MCA infarct")
    r"(?:(?!(?:and|or|with|no|not|of|but|nil)\s)[A-Za-z][\w-]*\s+){0,3}$",
    re.IGNORECASE)


def has_primary_cue(text: str, start: int, window: int = 60) -> bool:
    """A main-condition cue in the same sentence, at most `window` characters before the mention."""
    pre = re.split(r"\n|[.;](?:\s|$)", text[max(0, start - window):start])[-1]
    return bool(PRIMARY_CUE.search(pre))


_POISONING_CATS = frozenset(f"T{n}" for n in range(36, 51))
_POISONING_CUE = re.compile(r"overdos|poison|toxicity|intoxicat|ingest|\bOD\b|too many|took \d+", re.IGNORECASE)


def build_candidates(labels: Sequence[str], clf_probs: np.ndarray | None, dx_primary: np.ndarray | None,
                     proc_primary: np.ndarray | None, entities: Sequence[Entity], cfg: FusionConfig,
                     normalise: Callable[[str, str], str | None] | None = None, text: str | None = None) -> list[Cand]:
    """Candidates for one episode: the classifier's top codes plus every code the extractor proposes.

    `normalise(code, system)` returns the canonical code or None for codes that are not valid (so a
    matcher proposing a non-code never reaches the output)."""
    cands: dict[str, Cand] = {}
    label_sys = [split_label(lab) for lab in labels]
    if clf_probs is not None and len(labels):
        order = np.argsort(-clf_probs)
        for rank, j in enumerate(order):
            if rank >= cfg.cand_top_k and clf_probs[j] < cfg.cand_min_prob:
                break
            if rank >= cfg.cand_top_k and rank >= 4 * cfg.cand_top_k:
                break
            system, code = label_sys[j]
            c = Cand(code=code, system=system, clf_prob=float(clf_probs[j]), in_vocab=True)
            head = dx_primary if system == "icd10" else proc_primary
            c.primary_head = float(head[j]) if head is not None else 0.0
            cands[c.key] = c
    index = {f"{s}:{c}": j for j, (s, c) in enumerate(label_sys)}
    rank_by_label: dict[str, int] = {}
    diag_rank_by_label: dict[str, int] = {}
    main_rank_n = cue_rank_n = proc_rank_n = 0
    excluded = tuple(cfg.matcher_excluded_prefixes)
    excluded_opcs, kept_opcs = tuple(cfg.matcher_excluded_opcs_prefixes), tuple(cfg.matcher_kept_opcs_prefixes)
    for ent in sorted(entities, key=lambda e: e.start):
        if ent.label == "SYMPTOM" and not ent.candidates:
            continue
        assertion = _assertion_of(ent)
        kind = section_kind(ent.section)
        # the Diagnosis list's order names the primary; a "Secondary:" list's never does
        in_diag = kind == "diagnosis" and ent.section != "secondary_diagnoses"
        in_main = kind not in ("pmh", "context") and ent.label != "PROCEDURE"
        cued = (text is not None and ent.label == "DIAGNOSIS" and kind not in ("pmh", "context")
                and has_primary_cue(text, ent.start))
        # an operation the Procedures list names well (not a site / approach qualifier)
        listed_op = (kind == "procedure" and bool(ent.candidates) and ent.candidates[0].system == "opcs4"
                     and ent.candidates[0].score >= cfg.diagnosis_section_min_match
                     and ent.candidates[0].code[:1] not in "YZ")
        seen_here: set[str] = set()
        joined_order = [x.code for x in ent.candidates if ":joined-" in x.source]
        for crank, cand in enumerate(sorted(ent.candidates, key=lambda c: -c.score)[:cfg.per_entity_candidates]):
            if cand.score < cfg.min_match_score:
                continue
            code = normalise(cand.code, cand.system) if normalise else cand.code
            if not code or (cand.system == "icd10" and code.startswith(excluded)):
                continue
            if cand.system == "opcs4" and code.startswith(excluded_opcs) and not code.startswith(kept_opcs):
                continue
            old_code = cfg.history_codes.get(code[:3]) if assertion == "historical" and cand.system == "icd10" else None
            if old_code:
                code = old_code
            if (cfg.poisoning_needs_cue and cand.system == "icd10" and code[:3] in _POISONING_CATS
                    and not _POISONING_CUE.search(ent.text)):
                continue
            key = f"{cand.system}:{code}"
            if key in seen_here:
                continue
            seen_here.add(key)
            c = cands.get(key)
            if c is None:
                c = Cand(code=code, system=cand.system)
                j = index.get(key)
                if j is not None and clf_probs is not None:
                    c.in_vocab, c.clf_prob = True, float(clf_probs[j])
                    head = dx_primary if cand.system == "icd10" else proc_primary
                    c.primary_head = float(head[j]) if head is not None else 0.0
                cands[key] = c
            suppress = assertion in cfg.suppress_assertions or (
                assertion == "historical" and not old_code and not _history_keep(code, cfg.history_keep_prefixes))
            if suppress:
                if cand.score >= cfg.suppress_min_match:
                    c.suppressed.append(ent)
            else:
                c.present.append(ent)
                c.max_match = max(c.max_match, float(cand.score))
                # each condition of a joined mention ("bleed from a gastric ulcer") is a top candidate
                r = 0 if ":joined-" in cand.source else crank
                c.best_rank = r if c.best_rank is None else min(c.best_rank, r)
                if c.first_rank is None:
                    c.first_rank = rank_by_label.get(ent.label, 0)
                if c.diag_rank is None and in_diag:
                    c.diag_rank = diag_rank_by_label.get(ent.label, 0)
                    if ":joined-" in cand.source:
                        c.join_rank = joined_order.index(cand.code)
                if c.main_rank is None and in_main:
                    c.main_rank = main_rank_n
                if c.cue_rank is None and cued:
                    c.cue_rank = cue_rank_n
                if c.proc_rank is None and listed_op and crank == 0:
                    c.proc_rank = proc_rank_n
        if assertion not in cfg.suppress_assertions:
            rank_by_label[ent.label] = rank_by_label.get(ent.label, 0) + 1
            if in_diag:
                diag_rank_by_label[ent.label] = diag_rank_by_label.get(ent.label, 0) + 1
            if listed_op:
                proc_rank_n += 1
            if in_main:
                main_rank_n += 1
            if cued:
                cue_rank_n += 1
    return list(cands.values())


@dataclass
class Decision:
    """Fusion output for one episode, before sequencing/validation."""

    diagnoses: list[tuple[Cand, float]]          # kept, primary first, then by score
    procedures: list[tuple[Cand, float]]
    ranked_diagnoses: list[tuple[Cand, float]]   # every non-suppressed candidate, best first
    ranked_procedures: list[tuple[Cand, float]]
    suppressed: list[Cand]
    raw_confidence: float
    confidence: float


@dataclass
class _Linear:
    coef: list[float] = field(default_factory=list)
    intercept: float = 0.0

    def decision(self, X: np.ndarray) -> np.ndarray:
        if not self.coef:
            return X[:, 0] if X.size else np.zeros(len(X))
        return X @ np.asarray(self.coef) + self.intercept

    def proba(self, X: np.ndarray) -> np.ndarray:
        if not self.coef:  # unfitted: fall back on the classifier probability / first feature
            return np.clip(X[:, 0], 0, 1) if X.size else np.zeros(len(X))
        return 1.0 / (1.0 + np.exp(-self.decision(X)))

    def to_dict(self) -> dict:
        return {"coef": self.coef, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, d: dict | None) -> _Linear:
        d = d or {}
        return cls(coef=[float(v) for v in d.get("coef", [])], intercept=float(d.get("intercept", 0.0)))


def _fit_lr(X: np.ndarray, y: np.ndarray, C: float) -> _Linear:
    from sklearn.linear_model import LogisticRegression

    if len(np.unique(y)) < 2:
        return _Linear()
    lr = LogisticRegression(C=C, max_iter=2000)
    lr.fit(X, y)
    return _Linear(coef=[float(v) for v in lr.coef_[0]], intercept=float(lr.intercept_[0]))


def is_status(code: str) -> bool:
    """A personal / family history or status code (Z80-Z99): a fact about the patient, not an illness."""
    return code[:2] in ("Z8", "Z9")


def is_definitive(code: str) -> bool:
    """A code that can stand as a definitive main condition (not a symptom, not a history/status Z-code)."""
    return not (code.startswith("R") or is_status(code))


def _default_may_be_primary(code: str, system: str) -> bool:
    if system == "opcs4":
        return not code.startswith(("Y", "Z"))
    return not (code[:1] in "VWXY" or code.startswith(("B95", "B96", "B97", "B98")))


class FusionModel:
    """Combiner + calibrator + thresholds + primary rankers + confidence model."""

    def __init__(self, cfg: FusionConfig | None = None) -> None:
        self.cfg = cfg or FusionConfig()
        self.combiner = _Linear()
        self.calibrator = IsotonicCalibrator()
        self.thresholds: dict[str, float] = {s: self.cfg.default_threshold for s in SYSTEMS}
        self.primary_rankers: dict[str, _Linear] = {s: _Linear() for s in SYSTEMS}
        self.confidence = ConfidenceModel(n_rejected=self.cfg.n_rejected_for_confidence)
        self.review_threshold = self.cfg.review_threshold
        self.fit_report: dict = {}

    # ---- scoring ---------------------------------------------------------------------------
    def score(self, cands: Sequence[Cand]) -> np.ndarray:
        """Calibrated probability per candidate; suppressed candidates get 0 (hard rule)."""
        if not cands:
            return np.zeros(0)
        X = np.asarray([c.features() for c in cands], dtype=float)
        p = self.calibrator(self.combiner.proba(X))
        if self.cfg.hard_suppress:
            p = np.where([c.is_suppressed for c in cands], 0.0, p)
        return p

    def _definitive(self, c: Cand) -> bool:
        """A definitive main condition: a definitive code (is_definitive) not named by its symptom."""
        return is_definitive(c.code) and not c.symptom_like(self.cfg.symptom_words)

    def _weak_only(self, c: Cand) -> bool:
        """Named only by a weak token overlap the classifier does not back (see weak_match_below)."""
        return bool(c.present) and c.max_match < self.cfg.weak_match_below \
            and c.clf_prob < self.cfg.weak_match_classifier_below

    def _listed_first(self, pool: list[tuple[Cand, float]], rank: str,
                      definitive: bool = True) -> list[tuple[Cand, float]]:
        """Well-matched candidates that come first by `rank` ("diag_rank": first in the letter's Diagnosis
        list; "cue_rank": first after a main-condition cue; "proc_rank": first operation of a Procedures
        list) and top in their mention; diagnoses must also be definitive (not a symptom / status code)."""
        return [(c, p) for c, p in pool if getattr(c, rank) == 0 and c.best_rank == 0
                and (not definitive or self._definitive(c)) and c.max_match >= self.cfg.diagnosis_section_min_match]

    def _primary_scores(self, system: str, cands: Sequence[Cand], probs: Sequence[float]) -> np.ndarray:
        X = np.asarray([_primary_features(c, p) for c, p in zip(cands, probs)], dtype=float)
        r = self.primary_rankers[system]
        if not r.coef:
            return X[:, 0] + 0.5 * X[:, 1]
        return r.decision(X)

    def decide(self, cands: Sequence[Cand], probs: Sequence[float] | None = None,
               may_be_primary: Callable[[str, str], bool] | None = None) -> Decision:
        """Threshold, pick primaries, compute confidence. `probs` overrides scoring (for dev fitting)."""
        mbp = may_be_primary or _default_may_be_primary
        probs = self.score(cands) if probs is None else np.asarray(probs, dtype=float)
        live = [(c, float(p)) for c, p in zip(cands, probs) if not (self.cfg.hard_suppress and c.is_suppressed)]
        suppressed = [c for c in cands if self.cfg.hard_suppress and c.is_suppressed]
        out: dict[str, list[tuple[Cand, float]]] = {}
        ranked: dict[str, list[tuple[Cand, float]]] = {}
        for system in SYSTEMS:
            items = sorted([(c, p) for c, p in live if c.system == system], key=lambda t: -t[1])
            ranked[system] = items
            kept = [(c, p) for c, p in items if p >= self.thresholds.get(system, 0.5) and not self._weak_only(c)]
            if system == "icd10":   # an episode always has a primary diagnosis
                pool = [(c, p) for c, p in items if mbp(c.code, system)]
                if not pool:
                    out[system] = kept
                    continue
            else:                   # a procedure only when one is kept; Y/Z qualifiers alone are not one
                if self.cfg.drop_uncertain_procedures:   # "?OGD", "(?incomplete myotomy)": not done
                    kept = [(c, p) for c, p in kept if not c.uncertain_only]
                pool = [(c, p) for c, p in kept if mbp(c.code, system)]
                if not pool:
                    out[system] = []
                    continue
                secondary = tuple(self.cfg.secondary_procedure_prefixes)
                pool = [(c, p) for c, p in pool if not c.code.startswith(secondary)] or pool
            if system == "icd10" and self.cfg.prefer_definitive_primary:
                definitive = [(c, p) for c, p in pool if self._definitive(c)]
                # a kept definitive condition the letter names only as background ("asthma" under
                # Background) does not make the admission's symptom ("collapse - likely vasovagal
                # syncope") give way to a poorly matched definitive code
                floor = self.thresholds.get(system, 0.5)
                if any(p >= floor and not c.only_background for c, p in definitive):
                    pool = definitive
                elif self.cfg.named_definitive_primary:
                    # no definitive condition of this admission is kept, yet the letter names one outright
                    # ("sigmoid volvulus", exact, top of its mention) that the combiner scored a little low:
                    # DGCS.1 makes it the main condition rather than a symptom ("flatulence") or background
                    named = [(c, p) for c, p in definitive if p >= floor / 2 and c.present and c.best_rank == 0
                             and c.max_match >= self.cfg.diagnosis_section_min_match and not c.only_background
                             and not c.uncertain_only]
                    if named:
                        pool = named
                # and a history / status code (Z80-Z99: "on apixaban" Z92.1) is never the reason for the
                # admission while a symptom is there to be it
                pool = [(c, p) for c, p in pool if not is_status(c.code)] or pool
            s = self._primary_scores(system, [c for c, _ in pool], [p for _, p in pool])
            primary = pool[int(np.argmax(s))]
            if system == "icd10" and self.cfg.primary_from_diagnosis_section:
                listed = self._listed_first(pool, "diag_rank")
                if not listed and self.cfg.primary_from_cue:
                    listed = self._listed_first(pool, "cue_rank")
                if listed:   # "Leptospirosis (Weil's disease) with acute kidney injury": the first named
                    primary = min(listed, key=lambda t: (t[0].join_rank, -t[1]))
            if system == "opcs4" and self.cfg.primary_procedure_from_section:
                listed = self._listed_first(pool, "proc_rank", definitive=False)
                if listed:
                    primary = max(listed, key=lambda t: t[1])
            rest = [(c, p) for c, p in kept if c.key != primary[0].key]
            if (system == "icd10" and self.cfg.drop_symptoms_with_definitive_primary
                    and self._definitive(primary[0])):
                rest = [(c, p) for c, p in rest if not c.code.startswith("R")]
            if system == "icd10" and self.cfg.drop_uncertain_secondary:
                rest = [(c, p) for c, p in rest if not c.uncertain_only]
            out[system] = [primary] + rest
        kept_keys = {c.key for system in SYSTEMS for c, _ in out[system]}
        kept_p = [p for system in SYSTEMS for _, p in out[system]]
        rejected_p = [p for c, p in live if c.key not in kept_keys]
        raw = self.confidence.raw(kept_p, rejected_p)
        return Decision(out["icd10"], out["opcs4"], ranked["icd10"], ranked["opcs4"], suppressed, raw,
                        float(self.confidence.calibrator([raw])[0]))

    # ---- fitting on dev --------------------------------------------------------------------
    def fit(self, episodes_cands: Sequence[Sequence[Cand]], gold_dx: Sequence[Sequence[str]],
            gold_proc: Sequence[Sequence[str]], may_be_primary: Callable[[str, str], bool] | None = None,
            n_folds: int = 5, seed: int = 0) -> dict:
        """Fit combiner (out-of-fold for calibration), calibrator, thresholds, primary rankers, confidence.

        Gold codes must be canonical. Returns a report with dev ECE (before/after calibration)."""
        from autocoder.model.calibration import expected_calibration_error

        episodes_cands, n_masked = simulate_oov(episodes_cands, self.cfg.oov_simulation_share, seed)
        rows, ys, groups, live_idx = [], [], [], []
        for i, cands in enumerate(episodes_cands):
            gset = {("icd10", c) for c in gold_dx[i]} | {("opcs4", c) for c in gold_proc[i]}
            for c in cands:
                rows.append(c.features())
                ys.append(1 if (c.system, c.code) in gset else 0)
                groups.append(i)
                live_idx.append(not (self.cfg.hard_suppress and c.is_suppressed))
        X = np.asarray(rows, dtype=float).reshape(-1, len(FEATURES))
        y = np.asarray(ys, dtype=int)
        g = np.asarray(groups)
        live = np.asarray(live_idx, dtype=bool)
        n_ep = len(episodes_cands)
        # out-of-fold combiner probabilities (grouped by episode) for honest calibration/thresholds
        oof = np.zeros(len(y))
        rng = np.random.default_rng(seed)
        fold_of_ep = rng.permutation(n_ep) % max(2, min(n_folds, n_ep))
        folds = fold_of_ep[g] if len(g) else np.zeros(0, dtype=int)
        for f in np.unique(folds):
            tr, te = (folds != f) & live, folds == f
            oof[te] = _fit_lr(X[tr], y[tr], self.cfg.lr_c).proba(X[te])
        self.combiner = _fit_lr(X[live], y[live], self.cfg.lr_c)
        self.calibrator = IsotonicCalibrator().fit(oof[live], y[live])
        cal = self.calibrator(oof)
        # honest dev ECE: isotonic cross-fitted (fit on the other folds' OOF scores, applied to this fold)
        cross = np.zeros(len(y))
        for f in np.unique(folds):
            tr, te = (folds != f) & live, folds == f
            cross[te] = IsotonicCalibrator().fit(oof[tr], y[tr])(oof[te])
        cal = np.where(live, cal, 0.0)
        # per-system thresholds over OOF calibrated probabilities, counting never-proposed gold as misses
        systems = np.asarray([1 if r[FEATURES.index("is_opcs4")] else 0 for r in X], dtype=int) if len(X) else np.zeros(0)
        n_gold = {"icd10": sum(len(d) for d in gold_dx), "opcs4": sum(len(p) for p in gold_proc)}
        for k, system in enumerate(SYSTEMS):
            m = systems == k
            self.thresholds[system] = fit_threshold(cal[m], y[m], n_gold=n_gold[system],
                                                    default=self.cfg.default_threshold,
                                                    f1_tolerance=self.cfg.threshold_f1_tolerance)
        # primary rankers: among primary-eligible candidates, which one is the gold first code?
        mbp = may_be_primary or _default_may_be_primary
        start = 0
        per_ep_probs = []
        for cands in episodes_cands:
            per_ep_probs.append(cal[start:start + len(cands)])
            start += len(cands)
        for system, golds in (("icd10", gold_dx), ("opcs4", gold_proc)):
            PX, PY = [], []
            for cands, probs, gold in zip(episodes_cands, per_ep_probs, golds):
                if not gold:
                    continue
                for c, p in zip(cands, probs):
                    if c.system == system and mbp(c.code, system) and not (self.cfg.hard_suppress and c.is_suppressed):
                        PX.append(_primary_features(c, p))
                        PY.append(1 if c.code == gold[0] else 0)
            if PX:
                self.primary_rankers[system] = _fit_lr(np.asarray(PX), np.asarray(PY), 10.0)
        # episode confidence: simulate decisions with OOF probabilities, fit isotonic on set correctness
        raws, correct = [], []
        for cands, probs, gdx, gpr in zip(episodes_cands, per_ep_probs, gold_dx, gold_proc):
            d = self.decide(cands, probs, may_be_primary)
            pdx = [c.code for c, _ in d.diagnoses]
            ppr = [c.code for c, _ in d.procedures]
            ok = (set(pdx) == set(gdx) and set(ppr) == set(gpr) and pdx[:1] == list(gdx[:1])
                  and ppr[:1] == list(gpr[:1]))
            raws.append(d.raw_confidence)
            correct.append(1 if ok else 0)
        self.confidence.fit(raws, correct)
        conf_cal = self.confidence.calibrator(raws) if raws else np.zeros(0)
        self.fit_report = {
            "dev_candidates": len(y), "dev_positive_candidates": int(y.sum()),
            "dev_gold_codes": int(sum(n_gold.values())),
            "dev_candidate_recall": float(y.sum() / max(1, sum(n_gold.values()))),
            "dev_ece_uncalibrated": expected_calibration_error(oof[live], y[live]),
            "dev_ece": expected_calibration_error(cross[live], y[live]),
            "dev_ece_in_sample": expected_calibration_error(cal[live], y[live]),
            "dev_confidence_ece": expected_calibration_error(conf_cal, correct),
            "dev_set_correct_rate": float(np.mean(correct)) if correct else 0.0,
            "threshold_icd10": self.thresholds["icd10"], "threshold_opcs4": self.thresholds["opcs4"],
            "oov_simulated_codes": n_masked,
        }
        return self.fit_report

    # ---- persistence -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"config": self.cfg.model_dump(), "features": FEATURES, "primary_features": PRIMARY_FEATURES,
                "combiner": self.combiner.to_dict(), "calibrator": self.calibrator.to_dict(),
                "thresholds": self.thresholds,
                "primary_rankers": {s: r.to_dict() for s, r in self.primary_rankers.items()},
                "confidence": self.confidence.to_dict(), "review_threshold": self.review_threshold,
                "fit_report": self.fit_report}

    @classmethod
    def from_dict(cls, d: dict) -> FusionModel:
        if d.get("features", FEATURES) != FEATURES:
            raise ValueError("fusion params were fitted with a different feature list; retrain the model "
                             f"(expected {FEATURES}, got {d.get('features')})")
        m = cls(FusionConfig(**d.get("config", {})))
        m.combiner = _Linear.from_dict(d.get("combiner"))
        m.calibrator = IsotonicCalibrator.from_dict(d.get("calibrator"))
        m.thresholds = {s: float(v) for s, v in d.get("thresholds", {}).items()} or m.thresholds
        m.primary_rankers = {s: _Linear.from_dict(d.get("primary_rankers", {}).get(s)) for s in SYSTEMS}
        m.confidence = ConfidenceModel.from_dict(d.get("confidence"))
        m.review_threshold = float(d.get("review_threshold", m.cfg.review_threshold))
        m.fit_report = d.get("fit_report", {})
        return m


def simulate_oov(episodes_cands: Sequence[Sequence[Cand]], share: float,
                 seed: int = 0) -> tuple[list[list[Cand]], int]:
    """Dev candidates with a random `share` of the in-vocabulary codes shown as out-of-vocabulary (see
    FusionConfig.oov_simulation_share): classifier features cleared, mention-less candidates dropped.
    Returns the new candidate lists and how many codes were masked. The inputs are not modified."""
    if share <= 0:
        return [list(c) for c in episodes_cands], 0
    keys = sorted({c.key for cands in episodes_cands for c in cands if c.in_vocab})
    rng = np.random.default_rng(seed + 7919)
    masked = {k for k, u in zip(keys, rng.random(len(keys))) if u < share}
    out = []
    for cands in episodes_cands:
        row = []
        for c in cands:
            if c.key not in masked:
                row.append(c)
            elif c.present or c.suppressed:
                row.append(replace(c, clf_prob=0.0, primary_head=0.0, in_vocab=False))
        out.append(row)
    return out, len(masked)


# where a mention comes in the letter says which condition is the main one only as far as the mention is
# really that code: a weak match named first ("L adnexal mass" -> C69.8 at 0.33) must not outrank a sure code
_RANK_FEATURES = ("first_mention_inv", "diag_rank_inv", "main_rank_inv", "best_rank_inv")


def _primary_features(c: Cand, p: float) -> list[float]:
    f = dict(zip(FEATURES, c.features()))
    f["fused"] = float(p)
    strength = math.sqrt(min(1.0, c.max_match))   # sqrt: a qualified mention (0.5-0.6) keeps most of its place
    for name in _RANK_FEATURES:
        f[name] *= strength
    return [f[name] for name in PRIMARY_FEATURES]
