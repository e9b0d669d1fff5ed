"""UK discharge-letter section detection from data-file aliases.

Why our own detector rather than medspaCy's Sectionizer: letters put headings at the start of a line
("PMH:", "Diagnosis -", "TTO" alone on a line) or inline after a full stop ("... PMH: COPD."), and we
need the section of every entity by character offset in the original text. A compiled regex over the
raw text does that in microseconds and is easy to extend from configs/extract/section_aliases.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from autocoder.errors import ConfigError

#: The fixed vocabulary of Entity.section values (None = before any heading).
SECTION_CATEGORIES = (
    "presenting_complaint", "history", "past_medical_history", "past_surgical_history", "diagnosis",
    "secondary_diagnoses",
    "procedures", "investigations", "examination", "medications", "plan", "allergies",
    "social_history", "family_history", "differential", "excluded", "other",
)

#: Sections that are usually one line ("FH: mother - breast ca"): when the heading has text on its
#: own line, the section ends at the end of that line.
ONE_LINE = {"family_history", "social_history", "allergies"}


@dataclass(frozen=True)
class Section:
    category: str
    title: str          # the heading text as written
    start: int          # heading start (char offset)
    body_start: int     # first char after the heading and its colon
    end: int            # start of the next heading, or len(text)


class SectionDetector:
    def __init__(self, aliases: dict[str, list[str]]) -> None:
        self.alias_to_cat: dict[str, str] = {}
        for cat, names in aliases.items():
            if cat not in SECTION_CATEGORIES:
                raise ConfigError(f"section aliases: unknown category {cat!r}; expected one of "
                                  f"{', '.join(SECTION_CATEGORIES)}")
            for n in names or []:
                self.alias_to_cat[self._norm(str(n))] = cat
        alts = sorted(self.alias_to_cat, key=len, reverse=True)
        alt = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alts)
        bullet = r"(?:[-*\u2022\u25cf\u25aa>]+\s*|\d{1,2}[.)]\s+)?"
        # A: at the start of a line, followed by ':' / ' -' / end of line; a short note in brackets may sit
        # between heading and colon ("Procedure (day 2):", "Diagnosis (final):")
        self._line_re = re.compile(
            rf"(?im)^[ \t]*{bullet}(?P<h>{alt})(?:[ \t]*\([^()\n]{{1,30}}\))?[ \t]*(?::|[ \t]-[ \t]|-[ \t]|\u2013|$)[ \t]*")
        # B: inline after a sentence end, colon required ("... stable. PMH: COPD")
        self._inline_re = re.compile(rf"(?i)(?<=[.;])[ \t]+(?P<h>{alt})[ \t]*:[ \t]*")
        # C: any other heading ends the previous section (category "other"): an ALL-CAPS line of up to
        # six words, or 1-3 capitalised words + ":" at the start of a line without a bullet
        self._generic_re = re.compile(
            r"(?m)^[ \t]*(?P<h>(?:[A-Z][A-Z/&()'-]*[ \t]*){1,6})[ \t]*:?[ \t]*$"
            r"|^(?P<h2>[A-Z][A-Za-z/&'-]*(?:[ \t][A-Za-z/&'-]+){0,2})[ \t]*:(?=[ \t]|$)")

    @staticmethod
    def _norm(s: str) -> str:
        return re.sub(r"\s+", " ", s.strip().lower())

    @classmethod
    def from_file(cls, path: Path) -> SectionDetector:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"section aliases {path}: cannot read ({exc})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"section aliases {path}: expected a mapping category -> list of headings")
        return cls(data)

    @staticmethod
    def _first_line_of_known_section(text: str, hits: dict[int, tuple[int, int, str, str]], h0: int) -> bool:
        """True when the ALL-CAPS line at h0 is the first line under a known heading that had nothing
        after its colon: then it is that section's content ("Primary diagnosis:" / "RCA STEMI",
        "PRIMARY DX" / "N-STEMI"), not a new heading of its own."""
        before = [h for h in hits.values() if h[0] < h0]
        if not before:
            return False
        _, body, cat, _ = max(before)
        return cat != "other" and not text[body:h0].strip()

    def detect(self, text: str) -> list[Section]:
        hits: dict[int, tuple[int, int, str, str]] = {}
        for rx in (self._line_re, self._inline_re):
            for m in rx.finditer(text):
                h0, h1 = m.span("h")
                cat = self.alias_to_cat[self._norm(m.group("h"))]
                hits.setdefault(h0, (h0, m.end(), cat, text[h0:h1]))
        for m in self._generic_re.finditer(text):
            g = "h" if m.group("h") else "h2"
            h0, h1 = m.span(g)
            if h0 in hits or any(h0 < b and a < h1 for a, b, _, _ in hits.values()):
                continue
            if g == "h" and sum(c.isalpha() for c in m.group("h")) < 4:
                continue
            if g == "h" and self._first_line_of_known_section(text, hits, h0):
                continue   # "Primary diagnosis:\nRCA STEMI": the capitals are the diagnosis, not a heading
            hits[h0] = (h0, m.end(), "other", text[h0:h1].strip())
        ordered = sorted(hits.values())
        out = []
        for i, (h0, body, cat, title) in enumerate(ordered):
            end = ordered[i + 1][0] if i + 1 < len(ordered) else len(text)
            if cat in ONE_LINE:
                eol = text.find("\n", body)
                if eol != -1 and text[body:eol].strip():
                    end = min(end, eol + 1)
            out.append(Section(cat, title, h0, body, end))
        return out


def section_at(sections: list[Section], offset: int) -> Section | None:
    """The section containing a character offset (headings themselves belong to their section)."""
    found = None
    for s in sections:
        if s.start <= offset:
            found = s
        else:
            break
    if found is not None and offset >= found.end:
        return None   # after a one-line section, before the next heading
    return found


#: A narrative letter's past medical history inside a sentence: "who has a background of gout, IHD and
#: PAD", "Known to have hiatal hernia", "Past history includes psoriasis". Up to 100 characters of the
#: same sentence may separate the cue from the mention (a list of comorbidities), unless the sentence
#: turns to the admission in between.
_INLINE_BACKGROUND = re.compile(
    r"(?:\bbackground\s+(?:of|includes?)|\bknown\s+to\s+have|\bpast\s+(?:medical\s+)?history\s+(?:includes?|of)"
    r"|\bmedical\s+history\s+(?:includes?|of)|\bPMH\s+(?:includes?|of)|\bcomorbidit(?:y|ies)\s+(?:includes?|of)"
    r"|\bco-?morbidities\s+are|\blives\s+with)\b"
    # ... and the sentence has not moved on to this admission ("... and was admitted with syncope")
    r"(?:(?!\b(?:admitted|admission|presented|presenting|presents|brought|came|referred|developed|now|today)\b)"
    r"[^.;:\n]){0,100}$", re.IGNORECASE)
#: Sections whose own meaning wins over an inline background cue.
_KEEP_SECTION = frozenset(["past_medical_history", "past_surgical_history", "family_history", "social_history",
                           "medications", "allergies", "diagnosis", "secondary_diagnoses", "differential",
                           "excluded"])


def inline_section(text: str, start: int, section: str | None) -> str | None:
    """The section a mention is read in: its heading's, or past_medical_history when the sentence
    introduces it as background ("has a background of hiatal hernia and was admitted with syncope").
    Why: narrative letters carry the comorbidities in prose; read as history they take the PMH
    semantics (chronic = current comorbidity, an old operation = historical) and are not the primary."""
    if section in _KEEP_SECTION:
        return section
    return "past_medical_history" if _INLINE_BACKGROUND.search(text, max(0, start - 160), start) else section

