"""A spaCy tokenizer for UK clinical letters.

Why not the stock English tokenizer: it splits "c/o", "o/e", "h/o" into three tokens (the ConText
rules and the NER then see "o" as a word), keeps "SOB++" and "AKI;HTN" whole, and keeps "PE/DVT"
as one token so neither condition can be tagged. Everything else ("#NOF" -> "#" "NOF", "?PE" ->
"?" "PE", "T2DM", "CKD3", "2/7", "x3", "5mg" -> "5" "mg") is already sensible and kept.

Registered as `autocoder.clinical_tokenizer.v1` so a trained NER directory (whose config names it)
loads with `spacy.load` once this module is imported."""

from __future__ import annotations

from pathlib import Path

import spacy
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_suffix_regex

from autocoder.paths import CONFIG_DIR

DEFAULT_EXCEPTIONS = CONFIG_DIR / "extract" / "tokenizer_exceptions.txt"

EXTRA_SUFFIXES = [r"\+{2,}", r"-{2,}"]
EXTRA_INFIXES = [
    r";",
    r"(?<=[A-Za-z]{2})/(?=[A-Za-z])",  # PE/DVT, AKI/CKD (but c/o, o/e, n/v stay whole)
    r"(?<=[A-Za-z])/(?=[A-Za-z]{2})",
    r"(?<=[A-Za-z0-9])\+{2,}(?=[A-Za-z])",
    r"(?<=[a-z])\.(?=[A-Z][a-z])",     # "pain.Cough" (missing space after a full stop)
]


def read_exceptions(path: Path | None = None) -> list[str]:
    p = Path(path) if path else DEFAULT_EXCEPTIONS
    if not p.exists():
        return []
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def customise_tokenizer(nlp: spacy.Language, exceptions_path: Path | None = None) -> Tokenizer:
    """Return nlp's tokenizer with our suffixes, infixes and special cases added (in place)."""
    tok: Tokenizer = nlp.tokenizer
    suffixes = list(nlp.Defaults.suffixes or []) + EXTRA_SUFFIXES
    infixes = list(nlp.Defaults.infixes or []) + EXTRA_INFIXES
    tok.suffix_search = compile_suffix_regex(suffixes).search
    tok.infix_finditer = compile_infix_regex(infixes).finditer
    for text in read_exceptions(exceptions_path):
        variants = {text, text.lower(), text.upper(), text[:1].upper() + text[1:]}
        for v in variants:
            tok.add_special_case(v, [{"ORTH": v}])
    return tok


@spacy.registry.tokenizers("autocoder.clinical_tokenizer.v1")
def create_clinical_tokenizer():
    def make(nlp: spacy.Language) -> Tokenizer:
        base = Tokenizer(nlp.vocab, rules=dict(nlp.Defaults.tokenizer_exceptions),
                         prefix_search=spacy.util.compile_prefix_regex(nlp.Defaults.prefixes).search,
                         suffix_search=spacy.util.compile_suffix_regex(nlp.Defaults.suffixes).search,
                         infix_finditer=spacy.util.compile_infix_regex(nlp.Defaults.infixes).finditer,
                         token_match=nlp.Defaults.token_match, url_match=nlp.Defaults.url_match)
        nlp.tokenizer = base
        return customise_tokenizer(nlp)

    return make


def blank_clinical_nlp() -> spacy.Language:
    """A blank English pipeline with the clinical tokenizer (matcher-only mode, tests)."""
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "autocoder.clinical_tokenizer.v1"}}})
    return nlp
