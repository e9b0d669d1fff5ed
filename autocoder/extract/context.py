"""Assertion status of each entity: medspaCy ConText with our rules, then section semantics.

Why both: ConText reads the sentence ("no", "?", "ruled out", "previous", "mother had", "if ...
consider"), but a UK letter also says things by where it puts them. Under "Family history" every
condition is the relative's; under "Past medical history" a chronic condition (COPD, T2DM) is a
current comorbidity to code (present) while an episodic one (MI, PE, fracture) or a dated one
("appendicectomy 1989") is history. Which conditions are episodic is a data file
(configs/extract/episodic_codes.txt)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loguru import logger as _loguru
from spacy.language import Language
from spacy.tokens import Doc, Span

from autocoder.extract.config import PipelineConfig

_loguru.disable("PyRuSH")

#: Which flag wins when several apply: a negated or family mention is never coded as the patient's
#: condition, so those rank first; history ranks last (a "?previous MI" is still uncertain).
PRIORITY = ("family", "negated", "hypothetical", "uncertain", "historical")


@dataclass
class Assertion:
    negated: bool = False
    uncertain: bool = False
    historical: bool = False
    family: bool = False
    hypothetical: bool = False

    @property
    def status(self) -> str:
        for name in PRIORITY:
            if getattr(self, name):
                return name
        return "present"


def read_prefixes(path: Path) -> tuple[str, ...]:
    if not path.exists():
        return ()
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return tuple(out)


class AssertionContext:
    def __init__(self, nlp: Language, cfg: PipelineConfig) -> None:
        from medspacy.context import ConText, ConTextRule

        self.cfg = cfg
        self.context = ConText(nlp, name="autocoder_context",
                               rules="default" if cfg.context.use_medspacy_default_rules else None,
                               max_scope=cfg.context.max_scope)
        self.context.add(ConTextRule.from_json(str(cfg.path(cfg.context.rules))))
        self.semantics = cfg.sections.semantics
        self.episodic = read_prefixes(cfg.path("extract/episodic_codes.txt"))

    def __call__(self, doc: Doc) -> Doc:
        if doc.ents:
            self.context(doc)
        return doc

    def assertion(self, span: Span, section: str | None, top_code: str | None) -> Assertion:
        a = Assertion(negated=bool(span._.is_negated), uncertain=bool(span._.is_uncertain),
                      historical=bool(span._.is_historical), family=bool(span._.is_family),
                      hypothetical=bool(span._.is_hypothetical))
        rule = self.semantics.get(section or "")
        if rule == "family":
            a.family = True
        elif rule == "historical":
            a.historical = True
        elif rule == "hypothetical":
            a.hypothetical = True
        elif rule == "history_unless_chronic":
            if span.label_ == "PROCEDURE":
                a.historical = True      # an operation listed in PMH was not done this episode
            elif not a.historical and top_code and top_code.startswith(self.episodic):
                a.historical = True
        return a
