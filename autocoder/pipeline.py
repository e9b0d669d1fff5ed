"""CodingPipeline: letters in, sequenced and validated ICD-10 / OPCS-4 suggestions with evidence out.

Stages per batch: extractor (mentions, assertions, sections, terminology candidates) -> classifier
(label probabilities and primary heads) -> fusion (suppression, combiner, calibration, thresholds,
primaries, confidence) -> sequencing and validation rules (autocoder.codes.rules) -> CodingResult in the
FORMATS.md shape. Heavy components are loaded once in `load()` and reused for every batch.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from autocoder.model.bundle import bundle_hash, read_card, resolve_source
from autocoder.model.fusion import Cand, Decision, FusionModel, build_candidates
from autocoder.model.policy import CodingPolicy, apply_policy, load_policy
from autocoder.schemas import (
    CodeSuggestion,
    CodingResult,
    Entity,
    Episode,
    Evidence,
    RankedCode,
    RuleWarning,
)

log = logging.getLogger(__name__)

_SENT_RE = re.compile(r"[^\n.;]+")
_WORD_RE = re.compile(r"[a-z][a-z0-9]+")
_STOP = {"and", "the", "of", "with", "without", "other", "unspecified", "not", "elsewhere", "classified",
         "or", "in", "to", "for", "by", "due", "nec", "nos", "specified", "part", "site", "type", "acute"}


class CodeBook:
    """Thin adapter over autocoder.codes (terminology + rules) with safe fallbacks.

    Why: the pipeline must never emit a non-code or crash on one odd matcher candidate; and unit tests
    can run before/without the full terminology."""

    def __init__(self) -> None:
        try:
            from autocoder.codes import get_terminology

            self.term = get_terminology()
        except Exception as exc:  # noqa: BLE001 - report and degrade, never block coding
            log.warning("terminology unavailable (%s): codes are not normalised or titled", exc.__class__.__name__)
            self.term = None
        try:
            from autocoder.codes import rules

            self.rules = rules
        except Exception as exc:  # noqa: BLE001
            log.warning("coding rules unavailable (%s): no sequencing rules or validation", exc.__class__.__name__)
            self.rules = None
        self._sided: frozenset[str] | None = None

    def _sys(self, system: str):
        if self.term is None:
            return None
        return self.term.icd10 if system == "icd10" else self.term.opcs4

    def normalise(self, code: str, system: str) -> str | None:
        from autocoder.metrics import canon_icd10, canon_opcs4

        t = self._sys(system)
        if t is None:
            return canon_icd10(code) if system == "icd10" else canon_opcs4(code)
        try:
            c = t.normalise(code)
        except Exception:  # noqa: BLE001 - UnknownCodeError or a malformed candidate
            return None
        return c if t.is_valid(c) else None

    def display(self, code: str, system: str) -> str:
        t = self._sys(system)
        try:
            return t.display(code) if t is not None else code
        except Exception:  # noqa: BLE001
            return code

    def title(self, code: str, system: str) -> str:
        t = self._sys(system)
        try:
            return (t.title(code) or "") if t is not None else ""
        except Exception:  # noqa: BLE001
            return ""

    def may_be_primary(self, code: str, system: str) -> bool:
        if self.rules is not None and hasattr(self.rules, "may_be_primary"):
            try:
                return bool(self.rules.may_be_primary(code, system))
            except TypeError:  # a rules module with the one-argument form
                if system == "icd10":
                    return bool(self.rules.may_be_primary(code))
            except Exception:  # noqa: BLE001
                pass
        if system == "opcs4":
            return not code.startswith(("Y", "Z"))
        return not (code[:1] in "VWXY" or code.startswith(("B95", "B96", "B97", "B98")))

    def fits_patient(self, code: str, system: str, sex: str | None, age: int | None) -> bool:
        """False for a diagnosis outside its sex / age limits (the validator's errors); True without rules."""
        if system != "icd10" or self.rules is None or not hasattr(self.rules, "fits_patient"):
            return True
        try:   # memoised in rules.fits_patient
            return bool(self.rules.fits_patient(code, sex, age))
        except Exception:  # noqa: BLE001 - an odd candidate is kept rather than coding blocked
            return True

    def sequence(self, system: str, codes: list[str]) -> list[str]:
        """Rule-based order, primary kept first; never loses or invents a code."""
        if not codes or self.rules is None:
            return codes
        fn = self.rules.sequence_diagnoses if system == "icd10" else self.rules.sequence_procedures
        try:
            seq = list(fn(codes, primary=codes[0]))
        except Exception as exc:  # noqa: BLE001
            log.warning("sequencing failed for %s (%s); keeping fused order", system, exc.__class__.__name__)
            return codes
        seen = set()
        seq = [c for c in seq if c in codes and not (c in seen or seen.add(c))]
        return seq + [c for c in codes if c not in seen]

    def sided(self) -> frozenset[str]:
        """OPCS-4 categories done on one side of the body (need a Z94 laterality code); empty without rules."""
        if self._sided is None:
            try:
                self._sided = frozenset(self.rules.sided_categories()) if self.rules is not None else frozenset()
            except Exception as exc:  # noqa: BLE001 - no laterality inference rather than no coding
                log.warning("sided OPCS-4 categories unavailable (%s)", exc.__class__.__name__)
                self._sided = frozenset()
        return self._sided

    def validate(self, dx: list[str], proc: list[str], sex: str | None, age: int | None) -> list[RuleWarning]:
        if self.rules is None:
            return []
        try:
            return list(self.rules.validate_codes(dx, proc, sex=sex, age=age))
        except Exception as exc:  # noqa: BLE001
            log.warning("validation failed (%s)", exc.__class__.__name__)
            return [RuleWarning(rule="validation-error", codes=[], severity="warning",
                                message=f"code validation could not run ({exc.__class__.__name__})")]


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENT_RE.finditer(text) if m.group().strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def classifier_evidence(text: str, phrases: Sequence[str], title: str) -> tuple[int, int]:
    """Best span for a code the extractor did not see: a phrase learned from training evidence for this
    code, else the sentence sharing most words with its title, else the first sentence. Never empty."""
    low = text.lower()
    best: tuple[int, int] | None = None
    for ph in sorted({p.lower() for p in phrases if p and p.strip()}, key=len, reverse=True):
        i = low.find(ph)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, i + len(ph))
            break
    if best:
        return best
    sents = _sentences(text)
    words = {w for w in _WORD_RE.findall(title.lower()) if w not in _STOP}
    if words and sents:
        scored = [(len(words & set(_WORD_RE.findall(low[s:e]))), -s, s, e) for s, e in sents]
        top = max(scored)
        if top[0] > 0:
            return _trim(text, top[2], top[3])
    if sents:
        return _trim(text, *sents[0])
    return 0, len(text)


def _load_extractor(ner_dir: Path | None):
    """The spaCy extractor (a seam so tests can substitute a fake)."""
    from autocoder.extract import load_extractor

    return load_extractor(ner_dir)


class CodingPipeline:
    """Load once, then `predict(episodes)` in batches. Construct directly with components in tests."""

    def __init__(self, *, labels: Sequence[str], fusion: FusionModel, classifier=None, extractor=None,
                 phrases: dict[str, list[str]] | None = None, model_version: str = "autocoder@dev",
                 config_hash: str = "unknown", codebook: CodeBook | None = None, bundle_dir: Path | None = None,
                 card: dict | None = None, batch_size: int = 32, policy: CodingPolicy | None = None) -> None:
        self.labels = list(labels)
        self.fusion = fusion
        self.classifier = classifier
        self.extractor = extractor
        self.phrases = phrases or {}
        self.model_version = model_version
        self.config_hash = config_hash
        self.codes = codebook or CodeBook()
        self.bundle_dir = bundle_dir
        self.card = card or {}
        self.batch_size = batch_size
        # local coding conventions: read at load time (not part of the bundle), so a trust changes them
        # without retraining; None = configs/coding_policy.yaml (or AUTOCODER_CODING_POLICY)
        self.policy = policy if policy is not None else load_policy()

    # ---- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, source: str | Path | None = None, *, with_extractor: bool = True,
             quantize: bool | None = None) -> CodingPipeline:
        """From a bundle dir, None (default_model_dir()) or `models:/autocoder@champion`.

        `quantize` (default: env AUTOCODER_QUANTIZE=1) runs the classifier encoder with dynamic int8
        weights: about 1.5x the throughput on 2 CPU cores for a ~0.005 micro-F1 cost (bench/throughput.py).
        The model version then carries "+int8" so results say which arithmetic produced them."""
        if quantize is None:
            quantize = os.environ.get("AUTOCODER_QUANTIZE", "").strip().lower() in ("1", "true", "yes")
        bundle_dir, reg = resolve_source(source)
        card = read_card(bundle_dir)
        labels = json.loads((bundle_dir / "labels.json").read_text(encoding="utf-8"))
        fusion = FusionModel.from_dict(json.loads((bundle_dir / "fusion.json").read_text(encoding="utf-8")))
        phrases = {}
        if (bundle_dir / "phrases.json").exists():
            phrases = json.loads((bundle_dir / "phrases.json").read_text(encoding="utf-8"))
        classifier = None
        if (bundle_dir / "classifier").is_dir():
            from autocoder.model.classifier import LabelAttentionClassifier

            classifier = LabelAttentionClassifier.load(bundle_dir / "classifier")
            if quantize:
                classifier.cfg.quantize = True
        extractor = None
        if with_extractor:
            ner = bundle_dir / "ner"
            extractor = _load_extractor(ner if ner.is_dir() else None)
        digest = card.get("hash") or bundle_hash(bundle_dir)
        name = card.get("name", bundle_dir.name)
        if reg.get("version"):
            version = f"{reg['name']}@{reg['version']}"
        elif card.get("registered_version"):
            version = f"{card.get('registered_model', 'autocoder')}@{card['registered_version']}"
        else:
            version = f"{name}-{digest[:8]}"
        if quantize and classifier is not None:
            version += "+int8"
        return cls(labels=labels, fusion=fusion, classifier=classifier, extractor=extractor, phrases=phrases,
                   model_version=version, config_hash=card.get("config_hash", "unknown"), bundle_dir=bundle_dir,
                   card=card)

    # ---- prediction ------------------------------------------------------------------------
    def _classify(self, texts: list[str]) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        if self.classifier is None or not self.labels:
            return None, None, None
        if hasattr(self.classifier, "predict_all"):
            probs, dx, proc = self.classifier.predict_all(texts)
        else:
            probs = self.classifier.predict_proba(texts)
            dx, proc = self.classifier.predict_primary(texts)
        return np.asarray(probs), np.asarray(dx), np.asarray(proc)

    def candidates(self, episodes: Sequence[Episode]) -> list[list[Cand]]:
        """Fusion candidates per episode (used for fitting fusion on dev and by predict)."""
        texts = [e.text for e in episodes]
        ents = self.extractor.extract_many(texts) if self.extractor is not None else [[] for _ in texts]
        probs, dx, proc = self._classify(texts)
        out = []
        for i, _ in enumerate(episodes):
            out.append(build_candidates(self.labels, None if probs is None else probs[i],
                                        None if dx is None else dx[i], None if proc is None else proc[i],
                                        ents[i], self.fusion.cfg, normalise=self.codes.normalise,
                                        text=texts[i]))
        return out

    def predict(self, episodes: Sequence[Episode], top_k: int = 0,
                progress: Callable[[int], None] | None = None) -> list[CodingResult]:
        """CodingResults in input order; `top_k` > 0 adds ranked_diagnoses / ranked_procedures."""
        results: list[CodingResult] = []
        for b in range(0, len(episodes), self.batch_size):
            batch = list(episodes[b:b + self.batch_size])
            for ep, cands in zip(batch, self.candidates(batch)):
                results.append(self.to_result(ep, self.decide(ep, cands), top_k))
            if progress:
                progress(len(batch))
        return results

    def results_from_candidates(self, episodes: Sequence[Episode], cands: Sequence[Sequence[Cand]],
                                top_k: int = 0) -> list[CodingResult]:
        """Decide + assemble from precomputed candidates (training reuses the dev candidates it fitted on)."""
        return [self.to_result(ep, self.decide(ep, list(c)), top_k) for ep, c in zip(episodes, cands)]

    def decide(self, ep: Episode, cands: Sequence[Cand]) -> Decision:
        """Fusion decision, then the coding-convention refinements (specificity, OPCS-4 qualifiers), then
        the local coding policy (configs/coding_policy.yaml). Candidates outside the patient's sex / age
        limits are dropped first, so no suggestion is one the validator would reject."""
        from autocoder.model.refine import refine

        cands = [c for c in cands if self.codes.fits_patient(c.code, c.system, ep.sex, ep.age)]
        d = self.fusion.decide(cands, may_be_primary=self.codes.may_be_primary)
        d = refine(d, ep.text, title=self.codes.title, sided=self.codes.sided(), cfg=self.fusion.cfg.refine)
        return apply_policy(d, ep.text, self.policy, may_be_primary=self.codes.may_be_primary)

    def predict_one(self, episode: Episode, top_k: int = 0) -> CodingResult:
        return self.predict([episode], top_k=top_k)[0]

    # ---- result assembly -------------------------------------------------------------------
    def _evidence(self, ep: Episode, cand: Cand, title: str) -> list[Evidence]:
        text = ep.text
        ents: Iterable[Entity] = sorted(cand.present, key=lambda e: (0 if (e.section or "").lower().startswith(
            "diagnos") else 1, e.start))
        ev = []
        for e in ents:
            if 0 <= e.start < e.end <= len(text):
                ev.append(Evidence(start=e.start, end=e.end, text=text[e.start:e.end], section=e.section))
            if len(ev) >= 3:
                break
        if not ev:
            s, e = classifier_evidence(text, self.phrases.get(cand.key, []), title)
            ev.append(Evidence(start=s, end=e, text=text[s:e], section=None))
        return ev

    def _suggestions(self, ep: Episode, system: str, items: list[tuple[Cand, float]], order: list[str],
                     warnings: list[RuleWarning]) -> list[CodeSuggestion]:
        by_code = {c.code: (c, p) for c, p in items}
        out = []
        for i, code in enumerate(order):
            cand, p = by_code[code]
            title = self.codes.title(code, system)
            sources = []
            if cand.in_vocab and cand.clf_prob >= self.fusion.cfg.cand_min_prob:
                sources.append("classifier")
            if cand.present:
                sources.append("extractor")
            assertion = None
            if cand.present:
                a = cand.present[0]
                assertion = ("historical" if a.historical else "uncertain" if a.uncertain else a.assertion)
            out.append(CodeSuggestion(
                code=code, display=self.codes.display(code, system), title=title, score=round(float(p), 4),
                primary=(i == 0), evidence=self._evidence(ep, cand, title), sources=sources or ["classifier"],
                warnings=[w for w in warnings if code in w.codes], assertion=assertion))
        return out

    def to_result(self, ep: Episode, d: Decision, top_k: int = 0) -> CodingResult:
        dx_codes = self.codes.sequence("icd10", [c.code for c, _ in d.diagnoses])
        pr_codes = self.codes.sequence("opcs4", [c.code for c, _ in d.procedures])
        warnings = self.codes.validate(dx_codes, pr_codes, ep.sex, ep.age)
        dx = self._suggestions(ep, "icd10", d.diagnoses, dx_codes, warnings)
        pr = self._suggestions(ep, "opcs4", d.procedures, pr_codes, warnings)
        has_error = any(w.severity == "error" for w in warnings)
        res = CodingResult(id=ep.id, model_version=self.model_version, diagnoses=dx, procedures=pr,
                           confidence=round(d.confidence, 4),
                           needs_review=bool(d.confidence < self.fusion.review_threshold or has_error or not dx),
                           warnings=warnings)
        if top_k and top_k > 0:
            res.ranked_diagnoses = [RankedCode(code=c.code, score=round(p, 4)) for c, p in d.ranked_diagnoses[:top_k]]
            res.ranked_procedures = [RankedCode(code=c.code, score=round(p, 4)) for c, p in d.ranked_procedures[:top_k]]
        return res
