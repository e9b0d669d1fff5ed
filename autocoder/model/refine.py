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
_LAP = re.compile(r"\b(?:laparoscopic(?:ally)?|lap\.?|laparoscopy|keyhole)\b", re.IGNORECASE)
# chapters whose operations can be done through a laparoscopic approach (abdominal and pelvic organs)
_LAP_CHAPTERS = ("G", "H", "J", "M", "N", "P", "Q", "T")


def is_unspecified(code: str, title: str) -> bool:
    """'.9' codes and codes whose title says 'unspecified' (e.g. 'I64', 'Pneumonia, unspecified')."""
    return code.endswith(".9") or "unspecified" in title.lower()


def prefer_specific(d: Decision, title: Callable[[str, str], str]) -> Decision:
    """Drop unspecified ICD-10 codes that have a specific, mentioned sibling (kept or only ranked)."""
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
                        and s.max_match >= c.max_match and s.best_rank == 0]
            kept_codes = {k.code for k, _ in kept}
            in_kept = [t for t in siblings if t[0].code in kept_codes]
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
        out.append((c, p))
        used.add(c.code)
    return replace(d, diagnoses=out)


def _window(text: str, e: Entity, before: int, after: int) -> tuple[str, str]:
    """Text before and after a mention within its own sentence/line (a side word in the next sentence is not
    this operation's)."""
    pre = _BOUNDARY.split(text[max(0, e.start - before):e.start])[-1]
    post = _BOUNDARY.split(text[e.end:e.end + after])[0]
    return pre, post


def _side(text: str, ents: list[Entity], cfg: RefineConfig) -> str | None:
    for e in ents:
        pre, post = _window(text, e, cfg.window_before, cfg.window_after)
        span = text[e.start:e.end]
        for chunk in (span, pre, post):
            for code, rx in _SIDE_WORDS:
                for m in rx.finditer(chunk):
                    if _SINGLE_LETTER.fullmatch(m.group()) and not (
                            chunk is span or (chunk is pre and m.start() >= len(pre) - 4)):
                        continue  # a bare "R"/"L" only counts inside or right before the mention ("R THR")
                    return code
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
        if cfg.add_laterality and c.code[:3] in sided and not any(h.startswith("Z94") for h in have):
            side = _side(text, ents, cfg)
            if side:
                out.append((Cand(code=side, system="opcs4", present=ents[:1], max_match=c.max_match), p))
                have.add(side)
    return replace(d, procedures=out)


def refine(d: Decision, text: str, *, title: Callable[[str, str], str], sided: frozenset[str],
           cfg: RefineConfig | None = None) -> Decision:
    """All enabled refinements, in order (specificity first, then OPCS-4 qualifiers)."""
    cfg = cfg or RefineConfig()
    if cfg.prefer_specific:
        d = prefer_specific(d, title)
    if cfg.add_laterality or cfg.add_laparoscopic:
        d = add_qualifiers(d, text, sided, title, cfg)
    return d
