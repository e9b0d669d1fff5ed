"""Assertion status of each entity: medspaCy ConText with our rules, then section semantics.

Why both: ConText reads the sentence ("no", "?", "ruled out", "previous", "mother had", "if ...
consider"), but a UK letter also says things by where it puts them. Under "Family history" every
condition is the relative's. Under "Past medical history" a condition is a current comorbidity
(present: "PMH: COPD, T2DM", and also "MI" which codes as old MI) unless the sentence marks it as
over ("appendicectomy 1989", "previous MI 2010", "pneumonia as a child", "(resolved)"); an
operation listed there was not done this episode, so it is historical.

Flags are computed from the ConText modifiers on each span (not medspaCy's span attributes) so that
our extra category CONFIRMED ("likely X - treated as such", "?PE confirmed on CTPA") can cancel an
uncertainty cue. A "?" written straight after a mention ("UTI?") also makes it uncertain."""

from __future__ import annotations

import re
from dataclasses import dataclass

from loguru import logger as _loguru
from spacy.language import Language
from spacy.tokens import Doc, Span

from autocoder.extract.config import PipelineConfig

_loguru.disable("PyRuSH")

_LIST_SEP = re.compile(r",|\band\b")
_STATUS = re.compile(r"\bin situ\b", re.IGNORECASE)
#: "?PE - CTPA negative", "?appendicitis -> USS normal", "query SAH: LP clear": a queried diagnosis
#: answered by a normal test in the same sentence was ruled out (negated), not left uncertain.
_QUERY_BEFORE = re.compile(r"(\?\s*|\bquery\s+|\bqueried\s+)$", re.IGNORECASE)
_ANSWERED_NORMAL = re.compile(
    r"^\s*\)?\s*(?:-+>?|–|—|:|=>|→)\s*[^.;\n]{0,50}?\b(?:normal|negative|clear|unremarkable|excluded|"
    r"ruled out|no evidence|not seen|not shown|nad)\b", re.IGNORECASE)

#: a suspected mention answered later in its sentence: "... to exclude X; this was normal", "the differential
#: included X, which was excluded by CT"
_EXCLUDED_AFTER = re.compile(
    r"^[^.\n]{0,50}?(?:[;,]\s*(?:this|which|it|these|they)\s+(?:was|were|came\s+back|is|are)\s+(?:normal|negative|"
    r"unremarkable|clear|within\s+normal|wnl|nad)\b|,?\s*which\s+(?:was|were)\s+(?:excluded|ruled\s+out)|"
    r"\s+(?:was|were)\s+(?:subsequently\s+|then\s+|later\s+)?(?:excluded|ruled\s+out))", re.IGNORECASE)

#: a mention answered by a normal test whatever its cue: "X was considered, but the BNP was unremarkable",
#: "we looked for X, but the Doppler showed no evidence of it"
_BUT_NORMAL = re.compile(
    r"^\s*(?:(?:was|were)\s+(?:initially\s+|first\s+|also\s+)?(?:considered|suspected|queried)\s*,?\s*but\s+"
    r"[^.;\n]{0,60}?\b(?:was|were|came\s+back)\s+(?:normal|unremarkable|reassuring|nad|negative|wnl|clear)\b|"
    r"[^.;\n]{0,10}?,?\s*but\s+[^.;\n]{0,60}?\b(?:showed|revealed|demonstrated|found)\s+no\s+evidence\s+of\s+"
    r"(?:it|this|them)\b)", re.IGNORECASE)
#: "the CT ruled out X", "imaging excluded X": the past-tense verb before the mention negates it ("rule out X",
#: the request, stays uncertain through the ConText rules)
_RULED_OUT_BEFORE = re.compile(r"\b(?:ruled\s+out|excluded)\s+(?:an?\s+|any\s+)?$", re.IGNORECASE)

# a finding said to be missing, inside a bracket that names the finding first ("(monofilament absent")
_FINDING_ABSENT = {"absent", "not present", "not palpable", "not felt"}
_BRACKET_SUBJECT = re.compile(r"\([^()]*[A-Za-z]{2,}[^()]*$")
_OPEN_PAREN = re.compile(r"\([^)]*$")
#: a query mark at most one word before a mention ("?incomplete myotomy", "(?PE)")
_QUERY_NEAR = re.compile(r"(?:^|[\s(\[,;:])\?\s*(?:[A-Za-z][A-Za-z-]*\s+)?$")
#: "no orchidectomy", "nil surgery": an operation straight after "no" was not done. (The ConText "no" rule is
#: for conditions only: its scope would reach "no complications after laparoscopic cholecystectomy".)
_NO_OPERATION = re.compile(r"\b(?:no|nil)\s+(?:further\s+|formal\s+|surgical\s+|defunctioning\s+|diverting\s+|"
                           r"need\s+for\s+(?:an?\s+)?)?$", re.IGNORECASE)
#: a spaced dash starts a new clause: a forward negation before it does not reach past it (a backward one,
#: "?PE - CTPA negative", still does)
_CLAUSE_DASH = re.compile(r"\s[-\u2013\u2014]+>?\s")

#: Which flag wins when several apply: a negated or family mention is never coded as the patient's
#: condition, so those rank first; history ranks last (a "?previous MI" is still uncertain).
PRIORITY = ("family", "negated", "hypothetical", "uncertain", "historical")

_CATEGORY_FLAG = {"NEGATED_EXISTENCE": "negated", "POSSIBLE_EXISTENCE": "uncertain", "HISTORICAL": "historical",
                  "FAMILY": "family", "HYPOTHETICAL": "hypothetical", "RESOLVED": "historical"}


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


class AssertionContext:
    def __init__(self, nlp: Language, cfg: PipelineConfig) -> None:
        from medspacy.context import ConText, ConTextRule

        self.cfg = cfg
        self.context = ConText(nlp, name="autocoder_context",
                               rules="default" if cfg.context.use_medspacy_default_rules else None,
                               max_scope=cfg.context.max_scope)
        self.list_bounded = set(cfg.context.list_bounded)
        self.context.add(ConTextRule.from_json(str(cfg.path(cfg.context.rules))))
        self.semantics = cfg.sections.semantics
        self.resolved_current = set(cfg.context.resolved_current_sections)

    def __call__(self, doc: Doc) -> Doc:
        if doc.ents:
            parts = self._matchers()
            if parts is None:
                self.context(doc)    # scopes beyond a sentence / regex rules: medspaCy's own path
            else:
                self._context_in_entity_sentences(doc, *parts)
        return doc

    def _matchers(self):
        """(token-pattern matcher, phrase matcher, prune?) inside medspaCy's ConText, or None when the
        sentence-restricted path below would not be exact (regex rules, a ConText-wide max_scope) or
        medspaCy's internals are not what this was written against."""
        if not hasattr(self, "_parts"):
            ctx = self.context
            mm = getattr(ctx, "_ConText__matcher", None)
            parts = (getattr(mm, "_MedspacyMatcher__matcher", None), getattr(mm, "_MedspacyMatcher__phrase_matcher", None),
                     getattr(mm, "_prune", None))
            ok = None not in parts and not ctx.max_scope and not any(isinstance(r.pattern, str) for r in ctx.rules)
            self._parts = parts if ok else None
        return self._parts

    def _context_in_entity_sentences(self, doc: Doc, token_matcher, phrase_matcher, prune: bool) -> None:
        """medspaCy's ConText.__call__ with its cue matching limited to the sentences holding an entity
        (merged into runs of neighbouring sentences). A cue's scope never leaves its own sentence, so
        cues elsewhere modify nothing; a letter keeps about a third of its tokens and half its cues
        here, which makes ConText about twice as fast. Modifiers keep medspaCy's order."""
        from medspacy.common.util import prune_overlapping_matches
        from medspacy.context.context_graph import ConTextGraph
        from medspacy.context.context_modifier import ConTextModifier

        ctx = self.context
        runs: list[list[int]] = []   # token ranges: from an entity's first to its last sentence
        for a, b in sorted({(doc[e.start].sent.start, doc[e.end - 1].sent.end) for e in doc.ents}):
            if runs and runs[-1][1] >= a:
                runs[-1][1] = max(runs[-1][1], b)
            else:
                runs.append([a, b])
        # spaCy's Matcher gives offsets within a Span, its PhraseMatcher offsets within the Doc (and is
        # cheap on the whole Doc)
        matches = [(k, a + s, a + e) for a, b in runs for k, s, e in token_matcher(doc[a:b])]
        matches += [m for m in phrase_matcher(doc) if any(a <= m[1] < b for a, b in runs)]
        if prune:
            matches = prune_overlapping_matches(matches)
        rules = ctx._ConText__matcher.rule_map
        graph = ConTextGraph(prune_on_modifier_overlap=ctx.prune_on_target_overlap)
        graph.targets = doc.ents
        graph.modifiers = [ConTextModifier(rules[ctx.nlp.vocab[k].text], s, e, doc, max_scope=ctx.max_scope)
                           for k, s, e in matches]
        graph.update_scopes()
        graph.apply_modifiers()
        for target, modifier in graph.edges:
            target._.modifiers += (modifier,)
        if ctx.context_attributes_mapping:
            ctx.set_context_attributes(graph.edges)
        doc._.context_graph = graph

    @staticmethod
    def _answered_later(span: Span, text: str) -> bool:
        """A suspicion the same sentence answers: "X was considered, but the CT was normal", "the CT ruled
        out X", "because of the risk of X, a Doppler was done: no X"."""
        after = text[span.end_char:span.end_char + 160]
        if _BUT_NORMAL.match(after) or _RULED_OUT_BEFORE.search(text, max(0, span.start_char - 30), span.start_char):
            return True
        cut = re.search(r"\.\s|\n", after)
        sentence_rest = after[:cut.start()] if cut else after
        # the mention or its head noun: "concern about cord compression ... showed no compression"
        words = span.text.split()
        named = [re.escape(span.text)] + ([re.escape(words[-1])] if len(words) > 1 and len(words[-1]) >= 5 else [])
        return re.search(r"\b(?:no|not)\s+(?:" + "|".join(named) + r")\b", sentence_rest, re.IGNORECASE) is not None

    def assertion(self, span: Span, section: str | None, text: str | None = None) -> Assertion:
        """Flags for one entity span; `text` is doc.text (pass it: spaCy rebuilds it on every access)."""
        a = Assertion()
        if text is None:
            text = span.doc.text
        cats = set()
        for m in span._.modifiers:
            m0, m1 = m.modifier_span
            if m.category == "NEGATED_EXISTENCE" and span.start < m0 and m1 <= span.end and (
                    span.doc[m0].lower_ == "without" or _OPEN_PAREN.search(text, span.start_char, span.doc[m0].idx)):
                continue   # "ACS (troponin negative)", "ulcer without haemorrhage": the cue qualifies the entity
            if m.category == "NEGATED_EXISTENCE" and m1 <= span.start and _CLAUSE_DASH.search(
                    text, span.doc[m1 - 1].idx + len(span.doc[m1 - 1]), span.start_char):
                continue   # "no passage of gastric contents - hypertrophic pyloric stenosis": the dash ends the cue
            if m.category == "NEGATED_EXISTENCE" and m0 >= span.end and \
                    span.doc[m0:m1].text.lower() in _FINDING_ABSENT and _BRACKET_SUBJECT.search(
                        text, span.end_char, span.doc[m0].idx):
                continue   # "diabetic neuropathy (monofilament absent)": the bracket's own noun is absent
            if m.category in self.list_bounded:
                doc = span.doc
                lo, hi = (doc[m1 - 1].idx + len(doc[m1 - 1]), span.start_char) if m1 <= span.start else \
                         (span.end_char, doc[m0].idx)
                if _LIST_SEP.search(text, lo, hi) if lo < hi else False:
                    continue   # "s/p CABG, gout": the cue belongs to another list item
            cats.add(m.category)
        if section in self.resolved_current:
            cats.discard("RESOLVED")   # a diagnosis of this stay that settled during it is still coded
        for cat in cats:
            flag = _CATEGORY_FLAG.get(cat)
            if flag:
                setattr(a, flag, True)
        if span.end_char < len(text) and text[span.end_char] == "?":
            a.uncertain = True
        if _QUERY_NEAR.search(text, max(0, span.start_char - 25), span.start_char):
            a.uncertain = True     # "?incomplete myotomy", "?PE": the query mark one word before still applies
        if "CONFIRMED" in cats:
            a.uncertain = False
        elif a.uncertain and _QUERY_BEFORE.search(text, max(0, span.start_char - 9), span.start_char) \
                and _ANSWERED_NORMAL.match(text[span.end_char:span.end_char + 80]):
            a.negated = True     # negated outranks the '?' (both flags stay set)
        elif a.uncertain and _EXCLUDED_AFTER.match(text[span.end_char:span.end_char + 90]):
            a.negated = True     # "to exclude X; this was normal", "X, which was excluded by CT"
        if not a.negated and span.label_ != "PROCEDURE" and self._answered_later(span, text):
            a.negated = True
        if span.label_ == "PROCEDURE" and _NO_OPERATION.search(text, max(0, span.start_char - 20), span.start_char):
            a.negated = True
        if span.label_ == "PROCEDURE" and span[-1].lower_ in ("scar", "scars"):
            a.historical = True      # "appendicectomy scar": an old operation seen on examination
        rule = self.semantics.get(section or "")
        if rule == "family":
            a.family = True
        elif rule == "historical":
            a.historical = True
        elif rule == "hypothetical":
            a.hypothetical = True
        elif rule == "uncertain" and not a.negated:
            a.uncertain = True       # a differential is a possibility (one "confirmed" later is coded
                                     # from its other mentions)
        elif rule == "negated":
            a.negated = True
        elif rule == "history_unless_chronic" and span.label_ == "PROCEDURE" \
                and not _STATUS.search(text, span.start_char, span.end_char):
            a.historical = True      # an operation listed in PMH was not done this episode
                                     # (but "THR in situ" is a current status)
        return a
