"""The one converter from a processed spaCy Doc to list[Entity]; Docs never leave extract/.

Offsets are spaCy's character offsets, which index the original text because the pipeline never
rewrites the text (no normalisation before tokenising)."""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc, Span

from autocoder.extract.context import AssertionContext
from autocoder.extract.sections import Section, inline_section, section_at
from autocoder.schemas import Candidate, Entity

SOURCE_KEY = "autocoder_span_source"


def doc_to_entities(doc: Doc, sections: list[Section], context: AssertionContext,
                    candidates_for: Callable[[str, str], list[Candidate]], text: str | None = None) -> list[Entity]:
    sources: dict[tuple[int, int], str] = doc.user_data.get(SOURCE_KEY, {})
    out = []
    text = text if text is not None else doc.text
    for span in doc.ents:
        out.append(span_to_entity(span, sections, context, candidates_for,
                                   sources.get((span.start_char, span.end_char), "ner"), text))
    return out


def span_to_entity(span: Span, sections: list[Section], context: AssertionContext,
                   candidates_for: Callable[[str, str], list[Candidate]], source: str,
                   text: str | None = None) -> Entity:
    sec = section_at(sections, span.start_char)
    section = sec.category if sec else None
    if text is not None:
        section = inline_section(text, span.start_char, section)
    mention = text[span.start_char:span.end_char] if text is not None else span.text
    cands = candidates_for(mention, span.label_)
    a = context.assertion(span, section, text)
    return Entity(text=mention, start=span.start_char, end=span.end_char, label=span.label_,
                  section=section, assertion=a.status, negated=a.negated, uncertain=a.uncertain,
                  historical=a.historical, family=a.family, hypothetical=a.hypothetical,
                  candidates=cands, source=source)
