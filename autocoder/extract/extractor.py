"""The extractor: tokenise -> sentences -> NER -> terminology matcher -> merge -> ConText -> Entity.

Why one object loaded once: the spaCy pipeline, the terminology index (~10k ICD-10 leaves and the
OPCS-4 codes with title variants) and the ConText rules take a couple of seconds to build; extracting
a letter then takes milliseconds."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from autocoder.errors import ModelNotFoundError
from autocoder.extract import sentences as _sentences  # noqa: F401  (registers the factory)
from autocoder.extract.config import PipelineConfig, load_config
from autocoder.extract.context import AssertionContext
from autocoder.extract.convert import SOURCE_KEY, doc_to_entities
from autocoder.extract.lexicon import (TerminologyIndex, label_for, pieces, read_abbreviations,
                                       read_phrase_list, read_synonyms)
from autocoder.extract.sections import SectionDetector
from autocoder.extract.tokenizer import blank_clinical_nlp
from autocoder.schemas import Candidate, Entity

log = logging.getLogger(__name__)
_CS_SPLIT = __import__("re").compile(r"[A-Za-z]+|[0-9]+|#")

_INDEX_CACHE: dict[tuple, TerminologyIndex] = {}


def build_index(cfg: PipelineConfig, term) -> TerminologyIndex:
    """The terminology index for a config and code tables (cached per process: it is the slow part)."""
    key = (id(term), str(cfg.path(cfg.matcher.synonyms)), str(cfg.path(cfg.matcher.abbreviations)),
           str(cfg.path(cfg.matcher.stop_phrases)), cfg.matcher.min_title_tokens)
    idx = _INDEX_CACHE.get(key)
    if idx is None:
        idx = TerminologyIndex(term, read_synonyms(cfg.path(cfg.matcher.synonyms)),
                               read_abbreviations(cfg.path(cfg.matcher.abbreviations)),
                               read_phrase_list(cfg.path(cfg.matcher.stop_phrases)),
                               min_title_tokens=cfg.matcher.min_title_tokens)
        _INDEX_CACHE[key] = idx
        log.info("terminology index: %d titles, %d phrases", idx.n_titles, len(idx.phrases))
    return idx


class Extractor:
    """Public object returned by load_extractor(): .extract(text), .extract_many(texts)."""

    def __init__(self, cfg: PipelineConfig, ner_model_dir: Path | None, term) -> None:
        self.cfg = cfg
        self.ner_model_dir = ner_model_dir
        if ner_model_dir is not None and cfg.ner.enabled:
            from autocoder.extract import tokenizer as _tok  # noqa: F401  (registers our tokenizer)

            if not (Path(ner_model_dir) / "config.cfg").exists():
                raise ModelNotFoundError(f"no spaCy NER model in {ner_model_dir} (expected config.cfg from "
                                         "`autocoder train-ner --out DIR`)")
            self.nlp: Language = spacy.load(ner_model_dir)
            self.mode = "ner+matcher"
        else:
            self.nlp = blank_clinical_nlp()
            self.mode = "matcher"
        if cfg.sentences.splitter == "pyrush":
            from loguru import logger as _l
            _l.disable("PyRuSH")
            import medspacy  # noqa: F401  (registers medspacy_pyrush)
            self.nlp.add_pipe("medspacy_pyrush", first=True)
        else:
            self.nlp.add_pipe("autocoder_sentences", first=True,
                              config={"split_on_semicolon": cfg.sentences.split_on_semicolon})
        self.sections = SectionDetector.from_file(cfg.path(cfg.sections.aliases))
        self.index = build_index(cfg, term)
        self.context = AssertionContext(self.nlp, cfg)
        self._cand_cache: OrderedDict[tuple[str, str], list[Candidate]] = OrderedDict()

    # -- public API
    def extract(self, text: str) -> list[Entity]:
        return self._post(self.nlp(text))

    def extract_many(self, texts: Iterable[str], batch_size: int = 32) -> list[list[Entity]]:
        return list(self.iter_extract(texts, batch_size))

    def iter_extract(self, texts: Iterable[str], batch_size: int = 32) -> Iterator[list[Entity]]:
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            yield self._post(doc)

    def candidates(self, text: str, label: str | None = None) -> list[Candidate]:
        """Ranked candidate codes for a mention (cached; used for every entity)."""
        key = (text.lower(), label or "")
        hit = self._cand_cache.get(key)
        if hit is None:
            hit = self.index.candidates(text, label, top_k=self.cfg.matcher.top_k,
                                        min_score=self.cfg.matcher.fuzzy_min_score)
            self._cand_cache[key] = hit
            if len(self._cand_cache) > 20000:
                self._cand_cache.popitem(last=False)
        return [c.model_copy() for c in hit]

    # -- internals
    def _post(self, doc: Doc) -> list[Entity]:
        sections = self.sections.detect(doc.text)
        ner_spans = list(doc.ents)
        merged, sources = self._merge(doc, ner_spans, self._matcher_spans(doc))
        doc.ents = merged
        doc.user_data[SOURCE_KEY] = sources
        self.context(doc)
        return doc_to_entities(doc, sections, self.context, self.candidates)

    def _matcher_spans(self, doc: Doc) -> list[tuple[Span, str]]:
        if self.cfg.matcher.add_spans == "none":
            return []
        keys: list[str] = []
        orig: list[str] = []
        tok_of: list[int] = []
        fixed: set[int] = set()
        for tok in doc:
            if tok.is_space:
                continue
            for p in _CS_SPLIT.findall(tok.text):
                for k in pieces(p):
                    fix = self.index.correct(k)
                    if fix is not None:
                        fixed.add(len(keys))
                        k = fix
                    keys.append(k)
                    orig.append(p)
                    tok_of.append(tok.i)
        out = []
        for a, b, ph in self.index.match_keys(keys, orig):
            ts, te = tok_of[a], tok_of[b - 1] + 1
            # a match must cover whole tokens ("CKD3a" is one token: accept only if all of it matched)
            if (a > 0 and tok_of[a - 1] == ts) or (b < len(keys) and tok_of[b] == te - 1):
                continue
            best = ph.entries[0]
            kind = "synonym" if best.source == "synonym" else "title"
            if self.cfg.matcher.add_spans == "curated" and kind != "synonym":
                continue
            if any(i in fixed for i in range(a, b)):
                kind = "fuzzy"
            out.append((Span(doc, ts, te, label=label_for(best.code, best.system)), kind))
        return out

    @staticmethod
    def _merge(doc: Doc, ner: list[Span], matched: list[tuple[Span, str]]
               ) -> tuple[list[Span], dict[tuple[int, int], str]]:
        """NER spans win, except that a matcher span which strictly contains NER span(s) replaces
        them (the NER found part of a known phrase: "exacerbation of COPD" inside "infective
        exacerbation of COPD"); matcher spans overlapping nothing are added."""
        spans: list[Span] = list(ner)
        sources = {(s.start_char, s.end_char): "ner" for s in ner}
        for m, kind in matched:
            over = [s for s in spans if s.start < m.end and m.start < s.end]
            if not over:
                spans.append(m)
                sources[(m.start_char, m.end_char)] = f"matcher:{kind}"
            elif all(m.start <= s.start and s.end <= m.end for s in over) and \
                    any((s.start, s.end) != (m.start, m.end) for s in over):
                label = over[0].label_ if len(over) == 1 else m.label_
                for s in over:
                    spans.remove(s)
                    sources.pop((s.start_char, s.end_char), None)
                new = Span(doc, m.start, m.end, label=label)
                spans.append(new)
                sources[(new.start_char, new.end_char)] = "ner+matcher"
            else:
                for s in over:
                    if (s.start, s.end) == (m.start, m.end):
                        sources[(s.start_char, s.end_char)] = "ner+matcher"
        return sorted(filter_spans(spans), key=lambda s: s.start), sources


def load_extractor(ner_model_dir: Path | str | None = None, config: Path | str | None = None,
                   terminology=None) -> Extractor:
    """Build the extractor once (heavy). Without an NER model it runs in matcher-only mode.

    ner_model_dir: a directory written by `autocoder train-ner` (or a bundle's `ner/` folder).
    terminology: code tables (default: autocoder.codes.get_terminology())."""
    cfg = load_config(config)
    if terminology is None:
        from autocoder.codes import get_terminology

        terminology = get_terminology()
    return Extractor(cfg, Path(ner_model_dir) if ner_model_dir is not None else None, terminology)
