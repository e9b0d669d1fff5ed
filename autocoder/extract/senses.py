"""Ambiguous abbreviations read by their neighbours (configs/extract/abbreviation_senses.tsv).

Why: a handful of letter abbreviations name different things in different specialties. "IOL" is an
induction of labour on a labour ward and an intraocular lens after a phaco; "ICD" is an intercostal
chest drain beside "12 Fr Seldinger" and an implantable defibrillator beside "VT". The terminology
matcher sees only the mention, so it gives one sense everywhere. A coder reads the line the
abbreviation stands on; so does this: the first sense whose cue occurs on the mention's own line
(within `window` characters) settles it (`SenseRules.apply` says what that does to the candidates).
When no cue fits and the file gives no default sense, the codes of every sense are taken from the
mention: an abbreviation whose meaning the letter does not settle is left to the coder rather than
coded as a guess.

Applied to Entities after candidate ranking because the ranking is cached by mention text alone; the
sense depends on the mention's surroundings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from autocoder.errors import ConfigError
from autocoder.extract.lexicon import label_for
from autocoder.schemas import Candidate, Entity

_SYSTEMS = ("icd10", "opcs4")


@dataclass(frozen=True)
class Sense:
    term: str
    system: str
    codes: tuple[str, ...]
    cue: re.Pattern | None      # None: the default sense when no other cue fits


class SenseRules:
    """The senses of each ambiguous abbreviation, in file order (the first cue that fits wins)."""

    #: a mention at most this many characters longer than the abbreviation is the abbreviation itself
    short_mention = 12

    def __init__(self, senses: list[Sense], window: int = 120) -> None:
        self.window = window
        self.by_term: dict[str, list[Sense]] = {}
        for s in senses:
            self.by_term.setdefault(s.term, []).append(s)
        terms = sorted(self.by_term, key=len, reverse=True)
        # abbreviations are matched as written (capitals): "icd" in prose is not the abbreviation; a term
        # written in lower case is a word and matches in any case ("angiogram", "Angiogram")
        alts = [f"(?i:{re.escape(t)})" if t.islower() else re.escape(t) for t in terms]
        self._term_rx = re.compile(r"(?<![\w-])(" + "|".join(alts) + r")(?![\w-])") if terms else None

    @classmethod
    def from_file(cls, path: Path, window: int = 120) -> SenseRules:
        """Rows `term<TAB>system<TAB>code[,code...]<TAB>cue regex` (cue '-' = the default sense; codes '-' =
        a sense that is not coded). Errors name the line and what was expected."""
        senses = []
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip() or raw.startswith("#"):
                continue
            parts = raw.split("\t")
            if len(parts) != 4:
                raise ConfigError(f"{path}:{n}: expected 4 TAB-separated fields (term, system, codes, cue), "
                                  f"got {len(parts)}")
            term, system, codes, cue = (p.strip() for p in parts)
            if system not in _SYSTEMS:
                raise ConfigError(f"{path}:{n}: system must be one of {_SYSTEMS}, got {system!r}")
            try:
                rx = None if cue == "-" else re.compile(cue, re.IGNORECASE)
            except re.error as exc:
                raise ConfigError(f"{path}:{n}: cue is not a valid regex ({exc}): {cue!r}") from exc
            codes_t = () if codes == "-" else tuple(c.strip() for c in codes.split(",") if c.strip())
            senses.append(Sense(term, system, codes_t, rx))
        return cls(senses, window)

    def keep_codes(self, known: Callable[[str, str], bool]) -> list[str]:
        """Drop the codes `known(code, system)` rejects; returns them ("IOL C75.1 (opcs4)")."""
        missing = []
        for term, senses in self.by_term.items():
            for s in senses:
                missing += [f"{term} {c} ({s.system})" for c in s.codes if not known(c, s.system)]
            self.by_term[term] = [replace(s, codes=tuple(c for c in s.codes if known(c, s.system)))
                                  for s in senses]
        return missing

    def _line(self, text: str, e: Entity) -> str:
        s0 = max(text.rfind("\n", 0, e.start) + 1, e.start - self.window)
        s1 = text.find("\n", e.end)
        s1 = min(len(text) if s1 < 0 else s1, e.end + self.window)
        return text[s0:e.start] + " " + text[e.end:s1]

    def sense_of(self, e: Entity, text: str) -> tuple[str | None, Sense | None]:
        """(the ambiguous abbreviation in the mention or None, the sense its line settles or None)."""
        if self._term_rx is None:
            return None, None
        m = self._term_rx.search(e.text)
        if m is None:
            return None, None
        line = self._line(text, e)
        default = None
        term = m.group(1) if m.group(1) in self.by_term else m.group(1).lower()
        for s in self.by_term[term]:
            if s.cue is None:
                default = default or s
            elif s.cue.search(line):
                return term, s
        return term, default

    def apply(self, ents: list[Entity], text: str, title: Callable[[str, str], str]) -> list[Entity]:
        """A settled sense with codes replaces the candidates of a mention that is the abbreviation give or
        take a word or two ("ICD inserted", "the IOL"). Otherwise (a longer mention such as "L phaco +
        IOL", an uncoded sense, or no cue and no default) the codes of the term's other senses are taken
        out of the candidates with their category siblings, so "ICD insertion" beside "VT" keeps its
        K59.9 and a bare "ICD" there keeps nothing."""
        out = []
        for e in ents:
            term, s = self.sense_of(e, text)
            if term is None:
                out.append(e)
                continue
            if s is not None and s.codes and len(e.text) - len(term) <= self.short_mention:
                cands = [Candidate(code=c, system=s.system, score=round(1.0 - 0.01 * i, 2),
                                   title=title(c, s.system), source="sense") for i, c in enumerate(s.codes)]
                out.append(e.model_copy(update={"candidates": cands, "label": label_for(s.codes[0], s.system)}))
                continue
            # by category: the matcher ranks the siblings of a sense's code next to it (T12.4 -> T12.2)
            other = {(o.system, c[:3]) for o in self.by_term[term] if o is not s for c in o.codes}
            out.append(e.model_copy(update={"candidates": [c for c in e.candidates
                                                           if (c.system, c.code[:3]) not in other]}))
        return out
