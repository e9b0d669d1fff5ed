"""The extractor: tokenise -> sentences -> NER -> terminology matcher -> merge -> ConText -> Entity.

Why one object loaded once: the spaCy pipeline, the terminology index (~10k ICD-10 leaves and the
OPCS-4 codes with title variants) and the ConText rules take a couple of seconds to build; extracting
a letter then takes milliseconds."""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing as mp
import os
import re
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from itertools import pairwise
from pathlib import Path

import numpy as np
import spacy
from spacy.attrs import IDX, LENGTH
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from autocoder.errors import ConfigError, ModelNotFoundError
from autocoder.extract.config import PipelineConfig, load_config
from autocoder.extract.context import AssertionContext
from autocoder.extract.convert import SOURCE_KEY, doc_to_entities
from autocoder.extract.lexicon import (
    ADJECTIVE_ENDINGS,
    INNER_DROP,
    TerminologyIndex,
    label_for,
    read_abbreviations,
    read_pattern_list,
    read_phrase_list,
    read_synonyms,
    titlecase_word,
)
from autocoder.extract.sections import SectionDetector
from autocoder.extract.senses import SenseRules
from autocoder.extract.sentences import split_sentences
from autocoder.extract.tokenizer import blank_clinical_nlp
from autocoder.schemas import Candidate, Entity

log = logging.getLogger(__name__)
_INDEX_CACHE: dict[tuple, TerminologyIndex] = {}
_LEADING_CUES = {"previous", "prev", "known", "h/o", "hx", "?", "query", "queried", "possible", "suspected",
                 "likely", "probable", "presumed", "no", "nil", "denies", "old", "remote"}
_PAREN = re.compile(r"\s*\([^()]*\)")
_QUALIFIER_BRACKET = re.compile(r"([^()]+?)\s*\(\s*([A-Za-z-]+(?:\s+[A-Za-z-]+){0,2})\s*\)")
_BRACKET_QUALIFIERS = frozenset(["permanent", "paroxysmal", "persistent", "longstanding", "long-standing",
                                 "bilateral", "unilateral", "left", "right", "acute", "chronic", "recurrent",
                                 "primary", "secondary", "severe", "moderate", "mild", "complete", "incomplete",
                                 "partial", "total", "displaced", "undisplaced", "non-displaced", "open", "closed",
                                 "anterior", "inferior", "posterior", "lateral", "anterolateral", "inferolateral"])
_PAREN_INNER = re.compile(r"\(([^()]{3,60})\)")
_SPACED_DASH = re.compile(r"\s+[-\u2013\u2014]\s+")
_JOINER = re.compile(r"\s+(?:with|secondary\s+to|due\s+to|complicated\s+by|caused\s+by|triggered\s+by|"
                     r"precipitated\s+by|from)\s+(?:an?\s+)?", re.IGNORECASE)
_DANGLING = {"to", "of", "with", "and", "secondary", "due", "from", "on", "in"}
#: a one-word mention that is a known word keeps only fuzzy candidates this close ("hypokalaemic" E87.6)...
_WORD = re.compile(r"[A-Za-z0-9']+")
_ONE_WORD_FUZZY_MIN = 0.7
#: ... unless the word names an operation by itself ("hysterectomy" ~ Q07.4 Total abdominal hysterectomy NEC)
_OPERATION_WORD = re.compile(r"(?:ectomy|otomy|ostomy|plasty|pexy|scopy|graphy|desis|rrhaphy|centesis|lysis)$",
                             re.IGNORECASE)
#: a spinal level before a condition is a modifier ("L3/4 pyogenic discitis")
_SPINAL_LEVEL = re.compile(r"[clts]\d{1,2}")
# an assertion cue the NER swallowed at the end of its span ("CT head not indicated", "PE excluded") is cut
# off so ConText sees it beside the mention (a cue inside the span would never apply to it)
_TRAILING_CUE = re.compile(r"(?:\s*[-–,:]?\s*(?:was|were|is|felt|deemed|thought)?\s*"
                           r"(?:not\s+(?:indicated|required|needed|necessary|performed|done|tolerated)|"
                           r"excluded|ruled\s+out|declined|cancelled|negative|unremarkable|normal|"
                           r"(?:\d+|an?|one|two|three|four|five|six|few|several|many)\s+"
                           r"(?:days?|weeks?|wks?|months?|years?|yrs?)\s+ago|"
                           # a date to come: "cystoscopy in 3(-4 months)", "TURP next month", "OGD as OP"
                           r"in\s+\d+(?:\s*[-\u2013/]\s*\d+)?(?:\s*(?:days?|weeks?|wks?|months?|years?))?|"
                           r"next\s+(?:week|month|year)|as\s+(?:an?\s+)?(?:outpatient|op|day[\s-]?case)|"
                           # how it was done, not what: "LSCS under spinal anaesthesia", "OGD under sedation"
                           r"under(?:\s+(?:(?:spinal|general|local|regional|epidural|combined\s+spinal[\s-]epidural)\s+"
                           r"(?:anaesthe\w*|anesthe\w*|block)|GA|LA|sedation|conscious\s+sedation))?|"
                           r"via\s+(?:an?\s+|the\s+)?[\w-]+(?:\s+[\w-]+)?\s+approach|"   # "... via left-sided approach"
                           r"(?:will|to)\s+be\s+(?:booked|arranged|listed|planned|scheduled)))+$", re.IGNORECASE)
#: words a diagnosis mention may carry around a known condition name without changing the code
#: ("Acute uncomplicated type B aortic dissection", "R acute primary angle closure glaucoma")
_EDGE_MODIFIERS = INNER_DROP | {"type", "class", "grade", "stage", "stanford", "debakey", "nyha", "a", "an", "the",
                                "very", "mildly", "moderately", "severely", "of", "both", "unilateral", "advanced",
                                "established", "longstanding", "long", "standing", "poorly", "well", "controlled",
                                "reducible",
                                # a myeloma's or lymphoma's immunotype ("IgG kappa multiple myeloma")
                                "igg", "iga", "igm", "igd", "kappa", "lambda"}
#: what may follow a condition name inside its mention: a site, a complication, a cause, a note
_DX_CONNECTOR = re.compile(r"\s*(?:[(,:]|\s-+>?\s|(?:of|with|in|at|on|involving|affecting|secondary|due|following|"
                           r"complicated|causing|requiring|from|post|after|and|plus)\b)", re.IGNORECASE)
CORPUS_STATS = "corpus_stats.json"
PROCESSES_ENV = "AUTOCODER_EXTRACT_PROCESSES"


def read_corpus_stats(ner_dir: Path | None) -> dict:
    """corpus_stats.json written by train_ner: training forms -> codes, and matcher phrase counts."""
    if ner_dir is None or not (Path(ner_dir) / CORPUS_STATS).exists():
        return {}
    return json.loads((Path(ner_dir) / CORPUS_STATS).read_text(encoding="utf-8"))


def corpus_rows(stats: dict) -> list[tuple[str, str, list[str]]]:
    rows = []
    for form, codes in (stats.get("forms") or {}).items():
        ranked = sorted(codes.items(), key=lambda kv: -kv[1])
        for system in ("icd10", "opcs4"):
            cs = [c.split(":", 1)[1] for c, _ in ranked if c.startswith(system + ":")]
            if cs:
                rows.append((form, system, cs[:3]))
    return rows


def build_index(cfg: PipelineConfig, term, corpus: dict | None = None, corpus_key: str = "") -> TerminologyIndex:
    """The terminology index for a config and code tables (cached per process: it is the slow part)."""
    key = (id(term), str(cfg.path(cfg.matcher.synonyms)), str(cfg.path(cfg.matcher.abbreviations)),
           str(cfg.path(cfg.matcher.stop_phrases)), cfg.matcher.min_title_tokens, corpus_key)
    idx = _INDEX_CACHE.get(key)
    idx_path = cfg.path(cfg.matcher.index_synonyms) if cfg.matcher.index_synonyms else None
    if idx_path is not None and not idx_path.exists():
        idx_path = None
    if idx is None:
        idx = TerminologyIndex(term, read_synonyms(cfg.path(cfg.matcher.synonyms)),
                               read_abbreviations(cfg.path(cfg.matcher.abbreviations)),
                               read_phrase_list(cfg.path(cfg.matcher.stop_phrases)),
                               min_title_tokens=cfg.matcher.min_title_tokens,
                               corpus_forms=corpus_rows(corpus or {}),
                               index_terms=read_synonyms(idx_path) if idx_path is not None else None,
                               index_terms_in_text=cfg.matcher.index_synonyms_in_text)
        _INDEX_CACHE[key] = idx
        log.info("terminology index: %d titles, %d phrases", idx.n_titles, len(idx.phrases))
    return idx


def _joined(source: str) -> str:
    """'matcher:exact' -> 'matcher:joined-exact': a candidate that is one of two conditions a mention
    joins ("upper GI bleed from a gastric ulcer"); the kind stays the suffix (endswith checks hold)."""
    head, _, kind = source.rpartition(":")
    return f"{head}:joined-{kind}" if head else f"joined-{kind}"


class Extractor:
    """Public object returned by load_extractor(): .extract(text), .extract_many(texts)."""

    def __init__(self, cfg: PipelineConfig, ner_model_dir: Path | None, term) -> None:
        self.cfg = cfg
        self.ner_model_dir = ner_model_dir
        if ner_model_dir is not None and cfg.ner.enabled:
            from autocoder.extract import tokenizer as _tok  # also registers our tokenizer

            if not (Path(ner_model_dir) / "config.cfg").exists():
                raise ModelNotFoundError(f"no spaCy NER model in {ner_model_dir} (expected config.cfg from "
                                         "`autocoder train-ner --out DIR`)")
            self.nlp: Language = spacy.load(ner_model_dir)
            # the bundle's saved tokenizer carries the exceptions of its training day; the current
            # tokenizer_exceptions.txt wins, so a kept-whole token ("N-STEMI") needs no retraining
            _tok.customise_tokenizer(self.nlp)
            if cfg.ner.fast_gemm:
                from autocoder.extract.ner import use_fast_ops

                use_fast_ops(self.nlp)
            self.mode = "ner+matcher"
        else:
            self.nlp = blank_clinical_nlp()
            self.mode = "matcher"
        # sentences are set after the NER (which does not need them) from the original text, so the
        # text is never rebuilt from tokens (spaCy's Doc.text costs ~10 ms on a long letter)
        self._pyrush = None
        if cfg.sentences.splitter == "pyrush":
            from loguru import logger as _l
            _l.disable("PyRuSH")
            import medspacy  # noqa: F401  (registers medspacy_pyrush)
            self._pyrush = self.nlp.add_pipe("medspacy_pyrush", first=True)
        self.sections = SectionDetector.from_file(cfg.path(cfg.sections.aliases))
        corpus = read_corpus_stats(ner_model_dir) if self.mode == "ner+matcher" else {}
        self.phrase_stats: dict[str, list[int]] = corpus.get("phrases", {})
        self.index = build_index(cfg, term, corpus, str(Path(ner_model_dir).resolve()) if corpus else "")
        self.context = AssertionContext(self.nlp, cfg)
        drugs = _drug_names(cfg)
        self._not_entity = _not_entity_pattern(cfg, drugs)
        self._on_drug = _on_drug_pattern(drugs)
        self._never = _never_entity_pattern(cfg)
        self.senses = _sense_rules(cfg, self.index)
        self._cand_cache: OrderedDict[tuple[str, str, bool], list[Candidate]] = OrderedDict()
        self._workers = None   # (n_process, multiprocessing Pool, finalizer), see _pool

    # -- public API
    def extract(self, text: str) -> list[Entity]:
        return self._post(self.nlp(text), text)

    def extract_many(self, texts: Iterable[str], batch_size: int = 32,
                     n_process: int | None = None) -> list[list[Entity]]:
        """Entities for each text, in order. n_process > 1 runs the whole extraction (tokenizer, NER,
        matcher, ConText, candidates) in that many forked worker processes, `batch_size` letters per
        task; None reads AUTOCODER_EXTRACT_PROCESSES (default 1: no extra processes)."""
        return list(self.iter_extract(texts, batch_size, n_process))

    def iter_extract(self, texts: Iterable[str], batch_size: int = 32,
                     n_process: int | None = None) -> Iterator[list[Entity]]:
        texts = list(texts)
        n_process = _processes(n_process)
        if n_process > 1 and len(texts) > batch_size and "fork" in mp.get_all_start_methods():
            chunks = [texts[i:i + batch_size] for i in range(0, len(texts), batch_size)]
            for ents in self._pool(n_process).imap(_work, chunks):
                yield from ents
            return
        yield from self._extract_batch(texts, batch_size)

    def _extract_batch(self, texts: list[str], batch_size: int) -> list[list[Entity]]:
        return [self._post(doc, text) for text, doc in zip(texts, self.nlp.pipe(texts, batch_size=batch_size))]

    def _pool(self, n_process: int):
        """Worker processes forked from this (loaded) extractor, kept for the extractor's lifetime:
        forking shares the loaded model and index copy-on-write, so a worker starts in milliseconds
        instead of reloading for seconds, and its caches stay warm between calls."""
        if self._workers is not None and self._workers[0] == n_process:
            return self._workers[1]
        self.close()
        # fork: the initializer's argument (this extractor) is inherited, never pickled
        pool = mp.get_context("fork").Pool(n_process, initializer=_init_worker, initargs=(self,))
        self._workers = (n_process, pool, weakref.finalize(self, pool.terminate))
        return pool

    def worker_pids(self) -> list[int]:
        """Process ids of the extraction workers (empty when extraction runs in this process)."""
        return [w.pid for w in self._workers[1]._pool] if self._workers is not None else []

    def close(self) -> None:
        """Stop the worker processes, if any (they are also stopped when the extractor is collected)."""
        if self._workers is not None:
            self._workers[2]()
            self._workers = None

    def candidates(self, text: str, label: str | None = None) -> list[Candidate]:
        """Ranked candidate codes for a mention (cached; used for every entity). Copies: callers may
        edit what they get without corrupting the cache."""
        return [c.model_copy() for c in self._ranked(text, label)]

    def _ranked(self, text: str, label: str | None, fuzzy: bool = True) -> list[Candidate]:
        """The cached ranking itself (shared objects: never hand these out). fuzzy=False skips the
        token-overlap search, the slow part, when only exact / trimmed phrase hits matter."""
        # case matters only for one Titlecase word (TerminologyIndex.candidates: "Age" is not AGE)
        key = (text.lower(), titlecase_word(text), label or "", fuzzy)
        hit = self._cand_cache.get(key)
        if hit is None:
            hit = self.index.candidates(text, label, top_k=self.cfg.matcher.top_k,
                                        min_score=self.cfg.matcher.fuzzy_min_score, fuzzy=fuzzy)
            # "hypertension (amlodipine 5 mg - continued)": a parenthetical note matched only loosely; the
            # mention without it is an exact phrase, and that phrase's codes come first
            # "Septic arthritis R knee - MSSA on synovial fluid culture": a note after a spaced dash, the same
            core = _PAREN.sub(" ", text).strip(" -,;:")
            before_dash = _SPACED_DASH.split(core, maxsplit=1)[0].strip(" -,;:") if core else ""
            # (the dash split only when the whole matched weakly: "acute pancreatitis - alcohol-induced"
            # is better matched whole, K85.2, than by its head, K85.9)
            for part, floor, weak in ((core, 0.85, 0.9), (before_dash, 0.8, 0.6)):
                if part and part != text and (not hit or hit[0].score < weak):
                    hit = self._lead(hit, [c for c in self._ranked(part, label, fuzzy) if c.score >= floor])
            # "AF (permanent)", "knee OA (bilateral)": a bracket holding only a qualifier qualifies the name
            moved = _QUALIFIER_BRACKET.fullmatch(text.strip())
            if moved and all(w.lower() in _BRACKET_QUALIFIERS for w in moved.group(2).split()):
                front = [c for c in self._ranked(f"{moved.group(2)} {moved.group(1)}", label, fuzzy)
                         if c.score >= 0.9 and c.source.endswith(("exact", "trimmed"))]
                if front and (not hit or front[0].code != hit[0].code):
                    hit = self._lead(hit, front[:1])
            # "ESKD (diabetic nephropathy)": a bracket that is itself a known condition is a second one
            inner = _PAREN_INNER.findall(text) if core and core != text else []
            if inner and hit and hit[0].score >= 0.9 and label != "PROCEDURE":
                for part in inner:
                    extra = [c for c in self._ranked(part, label, fuzzy)[:1]
                             if c.score >= 0.9 and c.source.endswith(("exact", "trimmed"))]
                    if extra and extra[0].code not in {c.code for c in hit[:1]}:
                        hit = self._lead(hit, [c.model_copy(update={"source": _joined(c.source)})
                                               for c in (hit[0], extra[0])])
                        break
            # "T2DM with diabetic nephropathy": two known phrases joined; each part's best exact code
            # leads (the fusion and the specificity rules then combine them: E11.9 + E11.2 -> E11.2)
            # Only a split where *both* sides are known phrases counts ("granulomatosis with polyangiitis"
            # is one name; "giant cell arteritis with polymyalgic symptoms" is left to the whole-text match).
            joins = list(_JOINER.finditer(core)) if core else []
            if joins and (not hit or hit[0].score < 0.9):
                head = []
                for j in joins:
                    left = [c for c in self._ranked(core[:j.start()], label, fuzzy)[:1] if c.score >= 0.9]
                    right = [c for c in self._ranked(core[j.end():], label, fuzzy)[:1] if c.score >= 0.9]
                    if left and right:
                        # both parts are the mention's own conditions: marked "joined-" so the fusion
                        # ranks each as a top candidate (copies: the parts' rankings are cached too)
                        head = [c.model_copy(update={"source": _joined(c.source)})
                                for c in left + [c for c in right if c.code != left[0].code]]
                        break
                hit = self._lead(hit, head)
            # "Punch biopsy L forearm (dermatology": a weak whole that begins or ends with a known operation;
            # that operation is what the mention names (its codes lead; _relabel reads its label from them).
            # Operations only: a diagnosis mention is better ranked whole ("GCA with polymyalgic symptoms")
            if label in (None, "PROCEDURE") and (not hit or hit[0].score < 0.6):
                hit = self._lead(hit, [c for c in self._edge_phrase(text, label, fuzzy) if c.system == "opcs4"])
            # "Acute haematogenous osteomyelitis of the right distal tibia", "L acute mastoiditis with
            # subperiosteal abscess": a condition name framed only by modifiers, a site or a complication
            if label != "PROCEDURE" and (not hit or hit[0].score < 0.6):
                head = [c for c in self._edge_phrase(text, label, fuzzy, diagnosis=True) if c.system == "icd10"]
                # ... unless the whole mention's best code is a sibling of the name's: the extra words chose
                # the 4th character ("GCA with polymyalgic symptoms" -> M31.5, not M31.6)
                if head and hit and hit[0].code[:3] == head[0].code[:3] and hit[0].code != head[0].code:
                    head = [hit[0].model_copy(update={"score": head[0].score, "source": head[0].source}),
                            head[0].model_copy(update={"score": round(head[0].score - 0.05, 4)})] + head[1:]
                hit = self._lead(hit, head)
            # one known word overlapping a title is no name for it ("Immune" ~ D69.3 immune thrombocytopenic
            # purpura, "Ureteric" ~ N20.1): a one-word mention keeps only close fuzzy forms ("hypokalaemic");
            # a word no title knows is a misspelling, for which the fuzzy search is all there is
            words = _WORD.findall(text)
            if len(words) == 1 and words[0].lower() in self.index.vocab and not _OPERATION_WORD.search(words[0]):
                hit = [c for c in hit if not c.source.endswith("fuzzy") or c.score >= _ONE_WORD_FUZZY_MIN]
            self._cand_cache[key] = hit
            if len(self._cand_cache) > 20000:
                self._cand_cache.popitem(last=False)
        return hit

    def _lead(self, hit: list[Candidate], head: list[Candidate]) -> list[Candidate]:
        """`head` first, then the rest of `hit` without its codes."""
        if not head:
            return hit
        seen: set[str] = set()
        head = [c for c in head if not (c.code in seen or seen.add(c.code))]   # each code once, first wins
        return (head + [c for c in hit if c.code not in seen])[:self.cfg.matcher.top_k]

    def _edge_phrase(self, text: str, label: str | None, fuzzy: bool, diagnosis: bool = False) -> list[Candidate]:
        """Exact codes of the longest known phrase found at the start or the end of a mention.

        diagnosis=True: the phrase may sit after leading modifiers ("R acute ...") and before either
        more modifiers or a connector that starts a site / complication / cause ("... of the tibia")."""
        lead = len(text) - len(text.lstrip(" -*\u2022"))
        tail = len(text.rstrip(" .,;:)("))
        if diagnosis:
            # leading: modifiers, or one or two adjectives before a strong name ("Humoral hypercalcaemia of
            # malignancy", "Pre-renal AKI"); trailing: modifiers, or a connector after a strong name (a
            # one-word name is too weak a head: "arteritis with polymyalgic symptoms", but "GCA with ...")
            def strong(name: str) -> bool:
                return _strong(name) or self._specific(name, label)

            hits = [(c0, c1) for c0, c1, _, _ in self.index.find_in_text(text)
                    if (c0, c1) != (lead, tail)
                    and (_only_modifiers(text[lead:c0]) or _adjectives(text[lead:c0]) and strong(text[c0:c1]))
                    and (_only_modifiers(text[c1:tail]) or _DX_CONNECTOR.match(text, c1) and strong(text[c0:c1]))]
        else:
            hits = [(c0, c1) for c0, c1, _, _ in self.index.find_in_text(text)
                    if (c0 == lead or c1 == tail) and (c0, c1) != (lead, tail)]
        for c0, c1 in sorted(hits, key=lambda h: h[0] - h[1]):
            head = [c for c in self._ranked(text[c0:c1], label, fuzzy)[:2] if c.score >= 0.9]
            if head:
                return head
        return []

    def _specific(self, name: str, label: str | None) -> bool:
        """A one-word condition name that is a category of its own ("intussusception" K56.1, "acromegaly"
        E22.0), not the residual code of a family ("arteritis" I77.6 Arteritis, unspecified): such a name
        stands for a mention that only adds adjectives or a cause ("Idiopathic ileocolic intussusception",
        "Acromegaly due to a GH-secreting adenoma"). Only an exact phrase can answer that, so the slow
        token-overlap search is skipped (a fuzzy score is at most 0.85)."""
        top = self._ranked(name, label, fuzzy=False)[:1]
        return bool(top) and top[0].score >= 0.9 and top[0].source.endswith("exact") \
            and _RESIDUAL_TITLE.search(top[0].title or "") is None

    # -- internals
    def _post(self, doc: Doc, text: str) -> list[Entity]:
        if self._pyrush is None:
            split_sentences(doc, self.cfg.sentences.split_on_semicolon, text)
        sections = self.sections.detect(text)
        ner_spans = [self._repair(doc, p) for s in doc.ents for p in self._split_at_sentences(doc, s)]
        if self._on_drug is not None:
            ner_spans = [self._cut_at_drug(doc, s) for s in ner_spans]
        # a section heading is never a mention ("Mechanism:" of a trauma letter is no immune disorder)
        heads = [(h.start, h.body_start) for h in sections]
        ner_spans = [s for s in ner_spans if not self._never_entity(s.text) and not _test_name(s, text)
                     and not _in_heading(s, heads)]
        ner_spans = self._join_split_names(doc, ner_spans)
        matched = [m for m in self._matcher_spans(doc, text) if not self._measurement(m[0], text)
                   and not _test_name(m[0], text) and not (self._never and self._never.fullmatch(m[0].text))]
        ner_spans = [s for s in ner_spans if not _ecg_finding(s, text)]
        matched = [m for m in matched if not _ecg_finding(m[0], text)]
        merged, sources = self._merge(doc, ner_spans, matched)
        merged = [self._relabel(s) for s in merged]
        doc.ents = merged
        doc.user_data[SOURCE_KEY] = sources
        self.context(doc)
        ents = doc_to_entities(doc, sections, self.context, self.candidates, text)
        if self.senses is not None:
            ents = self.senses.apply(ents, text, self.index.tables.title)
        return ents

    def _matcher_spans(self, doc: Doc, text: str) -> list[tuple[Span, str]]:
        """Curated synonyms and code-title variants found in the text, as whole-token spans.

        With a trained NER, a phrase the NER saw in its training letters mostly *outside* gold spans
        (e.g. "echo" in investigations, "falls" in a risk statement) is left to the NER's judgement:
        the matcher adds spans for phrases the NER could not have learnt."""
        if self.cfg.matcher.add_spans == "none" or len(doc) == 0:
            return []
        hits = self.index.find_in_text(text)
        if not hits:
            return []
        arr = doc.to_array([IDX, LENGTH])
        tok_start, tok_end = arr[:, 0], arr[:, 0] + arr[:, 1]
        out = []
        for c0, c1, ph, fuzzy in hits:
            ts = int(np.searchsorted(tok_start, c0, side="right")) - 1
            te = int(np.searchsorted(tok_end, c1, side="left"))
            # a match must cover whole tokens ("CKD3a" is one token: accept only if all of it matched)
            if ts < 0 or te >= len(doc) or tok_start[ts] != c0 or tok_end[te] != c1:
                continue
            best = ph.entries[0]
            kind = best.source if best.source in ("synonym", "index") else "title"
            if self.cfg.matcher.add_spans == "curated" and kind != "synonym":
                continue
            # a phrase the NER mostly leaves untagged in training text ("diabetes team") is left to the
            # NER. A spelling-corrected one the NER never saw ("diabeties") is kept when the phrase is an
            # entity at least a third of the time ("diabetes" 11 of 29; "temperature" 0 of 81 is not)
            seen = self.phrase_stats.get(" ".join(ph.keys))
            if seen is not None and seen[0] < seen[1] and not (fuzzy and 2 * seen[0] >= seen[1]):
                continue
            out.append((Span(doc, ts, te + 1, label=label_for(best.code, best.system)),
                        "fuzzy" if fuzzy else kind))
        return out

    @staticmethod
    def _split_at_sentences(doc: Doc, span: Span) -> list[Span]:
        """An NER span never crosses a sentence: "COPD GOLD 3 / group E. HTN" is two mentions (the
        run-together one matched neither). Splits where a sentence starts or after a full stop that is
        followed by a capitalised word; pieces that are only punctuation are dropped."""
        cuts = [i for i in range(span.start + 1, span.end)
                if doc[i].is_sent_start or (doc[i - 1].text.endswith(".") and doc[i].text[:1].isupper())]
        if not cuts:
            return [span]
        bounds = [span.start, *cuts, span.end]
        parts = [Span(doc, a, b, label=span.label_) for a, b in pairwise(bounds)]
        return [p for p in parts if any(t.is_alpha for t in p)]

    def _never_entity(self, text: str) -> bool:
        """Only an analyte / drug with its value (not_entities.txt), or a shape that is never a condition
        (not_entity_patterns.txt)."""
        return any(rx is not None and rx.fullmatch(text) for rx in (self._not_entity, self._never))

    def _join_split_names(self, doc: Doc, spans: list[Span]) -> list[Span]:
        """Two touching condition spans that are one known name together become one span: the NER often
        breaks a name at a bracket ("Giant cell (temporal)" + "arteritis with polymyalgic symptoms" is
        giant cell arteritis with PMR, M31.5). Only when the whole is a phrase match (>= 0.9) and the
        first part alone is not: two conditions listed side by side stay two."""
        out: list[Span] = []
        for sp in sorted(spans, key=lambda x: x.start):
            prev = out[-1] if out else None
            if prev is not None and prev.end == sp.start and prev.label_ == sp.label_ == "DIAGNOSIS" \
                    and not doc[sp.start].is_sent_start:
                whole = Span(doc, prev.start, sp.end, label=prev.label_)
                top = self._ranked(whole.text, "DIAGNOSIS")[:1]
                first = self._ranked(prev.text, "DIAGNOSIS", fuzzy=False)[:1]
                if top and top[0].score >= 0.9 and top[0].source.endswith(("exact", "trimmed")) \
                        and not (first and first[0].score >= 0.9):
                    out[-1] = whole
                    continue
            out.append(sp)
        return out

    def _cut_at_drug(self, doc: Doc, span: Span) -> Span:
        """A condition span that runs on into its treatment ("AF on apixaban 5") ends before "on": the
        treatment is its own fact (Z92.1 for an anticoagulant; the matcher's "on apixaban" span)."""
        for i in range(span.start + 1, span.end):
            if doc[i].lower_ == "on" and self._on_drug.match(doc[i:span.end].text):
                return Span(doc, span.start, i, label=span.label_)
        return span

    @staticmethod
    def _repair(doc: Doc, span: Span) -> Span:
        """Fix NER span edges that are never right: an unclosed "(" (extend to its ")" when it is near,
        else cut the span before it), a dangling
        "secondary to" / "of" / "with" (extend over the next word), trailing punctuation (trim)."""
        start, end = span.start, span.end
        for _ in range(3):
            text = doc[start:end].text
            if text.count("(") > text.count(")") and end < len(doc):
                close = next((i for i in range(end, min(len(doc), end + 6)) if doc[i].text == ")"), None)
                if close is not None and not any(doc[i].is_sent_start or doc[i].is_space
                                                 for i in range(end, close + 1)):
                    end = close + 1
                    continue
            last = doc[end - 1].lower_
            if last in _DANGLING and end < len(doc) and doc[end].is_alpha and not doc[end].is_sent_start:
                end += 1
                continue
            break
        text = doc[start:end].text
        opened = [i for i in range(start + 1, end) if doc[i].text == "("]
        if opened and text.count("(") > text.count(")"):
            end = opened[-1]    # "total knee replacement (Attune cruciate": the bracket never closes nearby
        colon = next((i for i in range(start + 1, end - 1) if doc[i].text == ":" and doc[i + 1].idx >
                      doc[i].idx + 1 and any(t.is_alpha for t in doc[start:i])), None)
        if colon is not None:
            end = colon   # "OGD 23:10: meat bolus mid-oesophagus": the finding after the colon is its own mention
        while end - start > 1 and doc[end - 1].is_punct and doc[end - 1].text not in (")", "]", "+"):
            end -= 1
        while end - start > 1 and doc[start].lower_ in _LEADING_CUES:   # "previous gastro" -> "gastro"
            start += 1
        cue = _TRAILING_CUE.search(doc[start:end].text)
        if cue and cue.start() > 0:
            cut = doc[start].idx + cue.start()
            while end - start > 1 and doc[end - 1].idx >= cut:
                end -= 1
        if (start, end) == (span.start, span.end):
            return span
        return Span(doc, start, end, label=span.label_)

    def _relabel(self, span: Span) -> Span:
        """Label from the terminology when the mention is a known phrase: an OPCS-4 match is a
        PROCEDURE, an ICD-10 chapter XVIII match a SYMPTOM, any other ICD-10 match a DIAGNOSIS."""
        # fuzzy hits score at most 0.85, so they can never be the >= 0.9 exact / trimmed top hit
        # looked for here: skip that search (it is most of the cost of a new mention)
        top = self._ranked(span.text, None, fuzzy=False)[:1]
        if not top or not top[0].source.endswith(("exact", "trimmed")) or top[0].score < 0.9:
            top = self._other_system(span)
            if not top:
                return span
        label = label_for(top[0].code, top[0].system)
        return span if label == span.label_ else Span(span.doc, span.start, span.end, label=label)

    def _measurement(self, span: Span, text: str) -> bool:
        """A known word that is also an analyte, with a value after it: "SBP" is spontaneous bacterial
        peritonitis, "SBP <120" a blood pressure. Operations keep theirs ("alteplase 0.9 mg/kg" is X83.3)."""
        return (self._not_entity is not None and span.label_ != "PROCEDURE"
                and self._not_entity.fullmatch(span.text) is not None and _VALUE_AFTER.match(text, span.end_char) is not None)

    def _other_system(self, span: Span) -> list[Candidate]:
        """The NER's label on an unfamiliar mention is a guess, and a wrong one costs the mention every
        code ("L acute mastoiditis with subperiosteal abscess" tagged PROCEDURE has no OPCS-4 code at
        all). When the mention's own terminology matches it weakly and the other one clearly, the
        other's best code (so its label) is returned; else nothing."""
        if span.label_ not in ("DIAGNOSIS", "PROCEDURE", "SYMPTOM"):
            return []
        own = self._ranked(span.text, span.label_)[:1]
        if own and own[0].system == "opcs4" and own[0].code[:1] in "YZ":
            own = []    # a site code ("tibial shaft" Z77.2) is no operation: "open fracture R tibial shaft"
        own_score = own[0].score if own else 0.0
        own_fuzzy = not own or own[0].source.endswith("fuzzy")
        if own_score >= self.cfg.matcher.relabel_below and not own_fuzzy:
            return []
        other = self._ranked(span.text, "DIAGNOSIS" if span.label_ == "PROCEDURE" else "PROCEDURE")[:1]
        if not other or other[0].score < max(self.cfg.matcher.relabel_min, own_score + 0.2):
            return []
        if other[0].system == "opcs4" and other[0].code[:1] in "YZ":
            return []   # a site or method ("lower leg" is Z90.4) is never the operation a mention names
        # a fairly good own score still loses to a phrase match in the other terminology when the own one
        # is only token overlap: "Category 4 (elective) lower segment caesarean section" overlaps the ICD-10
        # O82.0 title (0.50) but is the OPCS-4 phrase R17.2 with its qualifiers trimmed (0.86)
        if own_score >= self.cfg.matcher.relabel_below and not other[0].source.endswith(("exact", "trimmed")):
            return []
        return other

    @staticmethod
    def _merge(doc: Doc, ner: list[Span], matched: list[tuple[Span, str]]
               ) -> tuple[list[Span], dict[tuple[int, int], str]]:
        """NER spans win, except that a matcher span which strictly contains NER span(s) replaces
        them (the NER found part of a known phrase: "exacerbation of COPD" inside "infective
        exacerbation of COPD") and an exact matcher span across the cut between two touching NER spans
        joins them (the NER cut a known term in two); matcher spans overlapping nothing are added."""
        spans: list[Span] = list(ner)
        sources = {(s.start_char, s.end_char): "ner" for s in ner}
        for m, kind in matched:
            over = sorted((s for s in spans if s.start < m.end and m.start < s.end), key=lambda s: s.start)
            if not over:
                spans.append(m)
                sources[(m.start_char, m.end_char)] = f"matcher:{kind}"
            elif all(m.start <= s.start and s.end <= m.end for s in over) and \
                    any((s.start, s.end) != (m.start, m.end) for s in over):
                label = over[0].label_ if len(over) == 1 else m.label_
                _replace(spans, sources, over, Span(doc, m.start, m.end, label=label))
            elif kind != "fuzzy" and len(over) == 1 and over[0].start <= m.start < over[0].end < m.end:
                # the NER stopped inside a known term ("Left malignant otitis" | "externa"): it runs on to
                # the term's end
                _replace(spans, sources, over, Span(doc, over[0].start, m.end, label=over[0].label_))
            elif kind != "fuzzy" and len(over) == 1 and m.start < over[0].start < m.end <= over[0].end:
                # ... or started inside one ("Ocular" | "hypertension both eyes"): it starts at the term's start
                _replace(spans, sources, over, Span(doc, m.start, over[0].end, label=over[0].label_))
            elif kind != "fuzzy" and len(over) >= 2 and _contiguous(over):
                # the NER cut a known term in two ("Giant cell" | "arteritis with polymyalgic symptoms"):
                # the two pieces are one mention
                _replace(spans, sources, over, Span(doc, min(m.start, over[0].start), max(m.end, over[-1].end),
                                                    label=over[0].label_))
            else:
                for s in over:
                    if (s.start, s.end) == (m.start, m.end):
                        sources[(s.start_char, s.end_char)] = "ner+matcher"
        return sorted(filter_spans(spans), key=lambda s: s.start), sources


def _replace(spans: list[Span], sources: dict[tuple[int, int], str], pieces: list[Span], new: Span) -> None:
    """`new` (found by NER and matcher together) takes the place of `pieces` in `spans` and `sources`."""
    for s in pieces:
        spans.remove(s)
        sources.pop((s.start_char, s.end_char), None)
    spans.append(new)
    sources[(new.start_char, new.end_char)] = "ner+matcher"


def _in_heading(span: Span, heads: list[tuple[int, int]]) -> bool:
    """Does the span lie inside a section heading (heading start .. body start)?"""
    return any(h0 <= span.start_char and span.end_char <= h1 for h0, h1 in heads)


def _contiguous(spans: list[Span]) -> bool:
    """Each span starts at the token where the one before it ends (no word between the pieces), or right
    after the hyphen of a hyphenated word the NER cut at ("primary angle" - "closure glaucoma")."""
    def touching(a: Span, b: Span) -> bool:
        return b.start == a.end or (b.start == a.end + 1 and a.doc[a.end].text == "-"
                                    and not a.doc[a.end - 1].whitespace_ and not a.doc[a.end].whitespace_)
    return all(touching(a, b) for a, b in pairwise(spans))


_MEASURE_TAIL = (r"(?:\s*(?:(?:of|was|is|at|level|levels|count|x\s*10\^?\d*|mg|mcg|micrograms?|g|"
                 r"units?|iu|ml|mmol|umol|µmol|nmol|pmol|ng|ug|pg|mu|mm|cm|mmhg|kpa|bpm|kg/m2|od|bd|tds|qds|nocte|prn|stat|po|iv|sc|im|"
                 r"daily|once|twice|weekly|infusion|tablets?|started|given|stopped|increased|reduced|raised|low|high|"
                 r"normal)(?:/[a-z]+)?\b\.?|[:=<>~%]|\d[\d.,/]*|[+-]+))*\s*")


#: "ST depression", "ST-segment elevation", "T wave inversion": an ECG finding, not the mood disorder
_ECG_LEAD = re.compile(r"\b(?:ST|ST[- ]segments?|PR|T[- ]waves?|J[- ]point)\s*-?\s*$", re.IGNORECASE)
_ECG_WORD = re.compile(r"(?:depressions?|elevations?|inversions?)", re.IGNORECASE)


def _only_modifiers(part: str) -> bool:
    """Nothing but modifier words, single letters (L, R, type B), numbers (stage 3) and spinal levels
    ("L3/4 pyogenic discitis", "C5/6") in `part`."""
    return all(w in _EDGE_MODIFIERS or len(w) <= 1 or w.isdigit() or _SPINAL_LEVEL.fullmatch(w)
               for w in re.findall(r"[a-z0-9']+", part.lower()))


_PREFIXES = {"pre", "post", "non", "peri", "sub", "intra", "extra", "para"}


_RESIDUAL_TITLE = re.compile(r"\b(?:unspecified|other|NOS|NEC)\b", re.IGNORECASE)


def _strong(name: str) -> bool:
    """A condition name of two or more words, or an abbreviation: specific enough to stand for its mention."""
    return " " in name.strip() or name.isupper()


def _adjectives(part: str) -> bool:
    """One or two adjective-like words ('humoral', 'pre-renal'), modifiers allowed beside them."""
    words = [w for w in re.findall(r"[a-z0-9']+", part.lower()) if w not in _EDGE_MODIFIERS and len(w) > 1]
    return 1 <= len(words) <= 2 and all(w in _PREFIXES or len(w) >= 5 and w.endswith(ADJECTIVE_ENDINGS)
                                        for w in words)


def _ecg_finding(span: Span, text: str) -> bool:
    return bool(_ECG_WORD.fullmatch(span.text)) and \
        _ECG_LEAD.search(text, max(0, span.start_char - 14), span.start_char) is not None


_TEST_WORDS = r"(?:panel|screen|serology|titres?|assay)"
_TEST_TAIL = re.compile(rf"\b{_TEST_WORDS}\s*$", re.IGNORECASE)
_TEST_AFTER = re.compile(rf"\s+{_TEST_WORDS}\b", re.IGNORECASE)
_POSITIVE_AFTER = re.compile(r"[^.;\n]{0,20}\b(?:positive|raised|high|detected|strongly)\b", re.IGNORECASE)


def _test_name(span: Span, text: str) -> bool:
    """'myositis panel', 'coeliac screen', 'vasculitis serology': the name of a test (in the span or straight
    after it), not the disease, unless the sentence goes on to say the test was positive."""
    after = _TEST_AFTER.match(text, span.end_char)
    if not after and not _TEST_TAIL.search(span.text):
        return False
    return not _POSITIVE_AFTER.match(text, after.end() if after else span.end_char)


_VALUE_AFTER = re.compile(r"\s*(?:of\s+|was\s+|is\s+|target\s+|to\s+)?[<>=:~\u2264\u2265]*\s*\d")


def _drug_names(cfg: PipelineConfig) -> list[str]:
    """First column of the drugs file (matcher.drugs); read once per extractor (see __init__)."""
    m = cfg.matcher
    if not (m.drugs and cfg.path(m.drugs).exists()):
        return []
    return [line.split("\t", 1)[0].strip() for line in cfg.path(m.drugs).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#") and not line.startswith("drug\t")]


def _alternation(words: Iterable[str]) -> str | None:
    """Case-folded words as one regex alternation, longest first (so "insulin glargine" beats "insulin")."""
    ordered = sorted({w.lower() for w in words if w}, key=len, reverse=True)
    return "|".join(re.escape(w) for w in ordered) or None


def _on_drug_pattern(drugs: list[str]) -> re.Pattern | None:
    """'on <drug>' right after a condition ("AF on apixaban", "epilepsy on long-term levetiracetam")."""
    alt = _alternation(drugs)
    if alt is None:
        return None
    return re.compile(rf"on\s+(?:long[- ]?term\s+|regular\s+|oral\s+)?(?:{alt})\b", re.IGNORECASE)


def _not_entity_pattern(cfg: PipelineConfig, drugs: list[str] | None = None) -> re.Pattern | None:
    """One regex for spans that are only an analyte / drug name plus numbers, units and dosing words."""
    words: list[str] = []
    m = cfg.matcher
    if m.not_entities and cfg.path(m.not_entities).exists():
        words += [ln.strip() for ln in cfg.path(m.not_entities).read_text(encoding="utf-8").splitlines()
                  if ln.strip() and not ln.startswith("#")]
    words += _drug_names(cfg) if drugs is None else drugs
    alt = _alternation(words)
    if alt is None:
        return None
    return re.compile(rf"(?:{_MEASURE_TAIL})(?:{alt}){_MEASURE_TAIL}", re.IGNORECASE)


def _never_entity_pattern(cfg: PipelineConfig) -> re.Pattern | None:
    """configs/extract/not_entity_patterns.txt as one whole-span regex (none when the file is absent)."""
    name = cfg.matcher.not_entity_patterns
    return read_pattern_list(cfg.path(name)) if name and cfg.path(name).exists() else None


_WORKER: Extractor | None = None   # the extractor, in a forked worker process


def _sense_rules(cfg: PipelineConfig, index: TerminologyIndex) -> SenseRules | None:
    """The sense file, its codes checked against the loaded tables: like the curated synonyms, a code
    the tables lack is skipped with a warning (a partial OPCS-4 table must not stop the extractor)."""
    if not cfg.matcher.senses:
        return None
    path = cfg.path(cfg.matcher.senses)
    if not path.exists():
        raise ConfigError(f"abbreviation senses file not found: {path} (matcher.senses in the pipeline config)")
    rules = SenseRules.from_file(path, cfg.matcher.sense_window)
    missing = rules.keep_codes(lambda code, system: index.tables.normalise(code, system) == code)
    if missing:
        log.warning("%d abbreviation sense codes are not in the loaded tables and were skipped: %s",
                       len(missing), ", ".join(missing[:5]))
    return rules


def _init_worker(extractor: Extractor) -> None:
    """In a forked worker: keep the extractor, and move everything inherited (index, model, ~600k
    objects) out of the garbage collector's reach, so collections here never rescan it (a full
    collection over it costs about half a second) nor copy its memory pages."""
    global _WORKER
    _WORKER = extractor
    gc.freeze()


def _work(texts: list[str]) -> list[list[Entity]]:
    return _WORKER._extract_batch(texts, len(texts))


def _processes(n_process: int | None) -> int:
    if n_process is None:
        raw = os.environ.get(PROCESSES_ENV, "1").strip() or "1"
        try:
            n_process = int(raw)
        except ValueError:
            raise ConfigError(f"{PROCESSES_ENV}={raw!r}: expected a whole number of processes (1 = none extra)") from None
    return max(1, int(n_process))


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
