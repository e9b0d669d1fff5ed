"""Fast rule-based sentence segmentation for clinical letters.

Why not PyRuSH: it is correct but slow here (medspaCy + PyRuSH ran ~20 docs/s of 200 words, see
bench/extract_speed.py --splitter pyrush) and it logs every token. Letters are mostly lines, bullets
and short statements, so: a new line starts a sentence (unless it is a soft wrap: the previous line
ends in a lowercase word or comma and the next starts lowercase); a full stop / "!" / "?" followed by
a space and an uppercase letter or digit starts one ("?PE" is a query prefix, not a sentence end);
";" starts one when configured. ConText scopes modifiers by these sentences."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

_ENDERS = {".", "!", "?"}
_QUERY = {"?", "#"}   # "?PE", "#NOF" at the start of a statement
_SOFT_PREV = {",", "and", "or", "with", "of", "to", "the", "a", "in", "on", "for"}


def split_sentences(doc: Doc, split_on_semicolon: bool = True) -> Doc:
    n = len(doc)
    if n == 0:
        return doc
    starts = [False] * n
    starts[0] = True
    for i in range(1, n):
        tok = doc[i]
        if tok.is_space:
            continue
        # previous non-space token and whether a newline lies between
        j = i - 1
        newlines = 0
        while j >= 0 and doc[j].is_space:
            newlines += doc[j].text.count("\n")
            j -= 1
        if j < 0:
            starts[i] = True
            continue
        prev = doc[j]
        newlines += prev.whitespace_.count("\n")
        if newlines:
            soft = (newlines == 1 and tok.text[:1].islower()
                    and (prev.text[:1].islower() and prev.is_alpha or prev.text.lower() in _SOFT_PREV))
            starts[i] = not soft
        elif prev.text in _ENDERS and prev.whitespace_ and (tok.text[:1].isupper() or tok.text[:1].isdigit()
                                                             or (tok.text in _QUERY and not tok.whitespace_)):
            starts[i] = True
        elif split_on_semicolon and prev.text == ";":
            starts[i] = True
    for i, s in enumerate(starts):
        doc[i].is_sent_start = s
    return doc


@Language.factory("autocoder_sentences", default_config={"split_on_semicolon": True})
def make_sentence_splitter(nlp: Language, name: str, split_on_semicolon: bool):
    def component(doc: Doc) -> Doc:
        return split_sentences(doc, split_on_semicolon)

    return component
