"""CodiEsp (CLEF eHealth 2020) diagnosis coding: train on train, evaluate on dev, print JSON.

    python -m training.codiesp --config configs/codiesp.yaml

Why: CodiEsp is real clinical text coded by someone else (ICD-10-CM, English machine translation of
Spanish case reports). It checks that our classifiers learn from real letters, with CodiEsp's official
metric, MAP (mean over documents of the average precision of the full ranked code list).

Systems reported (all trained on train only; dev is never used for fitting or for choosing weights):
  - ``transformer``: LabelAttentionClassifier over the codes seen in train;
  - ``baseline``: TfidfBaseline over the same labels;
  - ``matcher``: an ICD-10-CM title / inclusion-term matcher over the text (simple-icd-10-cm), which can
    rank codes never seen in train (18% of dev gold code mentions are not in train);
  - ``ranker``: CodeRanker, gradient-boosted re-ranking of matcher + kNN candidates (features leave-one-out
    on train);
  - ``map_fused_with_ranker``: rank fusion of a classifier with the ranker, weight fixed in the config
    (``fusion.classifier_weight``), not tuned on dev.
Codes are compared as given in the tsv files (lower case, e.g. ``r52``, ``n20.0``, ``s02.5xx``).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from autocoder.model.baseline import BaselineConfig
from autocoder.model.classifier import ClassifierConfig

log = logging.getLogger("training.codiesp")

LABEL_PREFIX = "icd10cm:"


# ---------------------------------------------------------------------------------------------- config
class MatcherConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_coverage: float = Field(0.4, gt=0, le=1, description="share of a term's idf mass found in one sentence")
    use_inclusion_terms: bool = True
    prior_weight: float = Field(0.0, ge=0, description="bonus for codes frequent in train (tie-breaker)")


class RankerConfig(BaseModel):
    """Candidate re-ranker: kNN over TF-IDF + term-matcher evidence -> gradient-boosted P(code is gold)."""

    model_config = ConfigDict(extra="forbid")

    knn_k: int = Field(25, ge=1)
    knn_power: float = Field(2.0, gt=0)
    knn_k_small: int = Field(8, ge=1)
    knn_candidates: int = Field(100, ge=1, description="top kNN codes added to the matcher's candidates")
    max_iter: int = Field(300, ge=1)
    learning_rate: float = Field(0.05, gt=0)
    seed: int = 0


class FusionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    classifier_weight: float = Field(
        0.3, ge=0, le=1, description="fused = w*rank(classifier) + (1-w)*rank(ranker); fixed a priori, never tuned on dev"
    )


class EnsembleConfig(BaseModel):
    """Rank fusion of several coders (training/codiesp_ensemble.py); weights fitted on out-of-fold train."""

    model_config = ConfigDict(extra="forbid")

    components: list[str] = Field(
        default_factory=lambda: ["ranker", "transformer", "linear", "matcher", "matcher_neg", "backoff", "prior"])
    folds: int = Field(4, ge=2, description="train folds for out-of-fold component scores")
    transformer_folds: int = Field(
        2, ge=2, description="folds for the transformer's out-of-fold scores (each fit costs minutes on 2 cores)")
    seed: int = 0
    start: str = Field("ranker", description="component the weight search starts from (weight 1, kept)")
    weight_grid: list[float] = Field(default_factory=lambda: [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5])
    passes: int = Field(3, ge=1)
    use_assertions: bool = Field(True, description="blank negated/family/hypothetical mentions for the matcher")
    ranker_affirmed: bool = Field(True, description="the ranker's matcher features read the affirmed text too")
    stacker: bool = Field(True, description="also fit a gradient-boosted stacker over the components (OOF train)")
    stacker_top: int = Field(300, ge=10, description="stacker candidates: top codes of the weighted fusion")
    ridge_alpha: float = Field(1.0, gt=0)
    char_ngrams: tuple[int, int] | None = (3, 5)

    @model_validator(mode="after")
    def _check(self) -> EnsembleConfig:
        if self.start not in self.components:
            raise ValueError(f"ensemble.start: expected one of components {self.components}, received {self.start!r}")
        return self


class CodiEspConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_dir: str | None = Field(None, description="folder with train/ and dev/; None = <shared data>/codiesp")
    train_split: str = "train"
    eval_split: str = "dev"
    limit_train: int | None = Field(None, ge=1, description="first N train docs (tests)")
    limit_eval: int | None = Field(None, ge=1)
    run_transformer: bool = True
    run_baseline: bool = True
    run_matcher: bool = True
    run_ranker: bool = True
    threshold: float = Field(0.5, gt=0, lt=1, description="probability threshold for micro-F1")
    transformer_min_count: int = Field(
        1, ge=1, description="transformer labels: codes seen at least this often in train (rare ones are the ranker's)"
    )
    classifier: ClassifierConfig = ClassifierConfig()
    baseline: BaselineConfig = BaselineConfig()
    matcher: MatcherConfig = MatcherConfig()
    ranker: RankerConfig = RankerConfig()
    fusion: FusionConfig = FusionConfig()
    ensemble: EnsembleConfig = EnsembleConfig()


def load_config(path: str | Path | None) -> CodiEspConfig:
    if path is None:
        return CodiEspConfig()
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    try:
        return CodiEspConfig(**data)
    except Exception as e:  # name the file: a typo in YAML should say where it is
        raise ValueError(f"{path}: invalid CodiEsp config: {e}") from e


# ---------------------------------------------------------------------------------------------- data
def load_split(data_dir: Path, split: str, limit: int | None = None) -> tuple[list[str], list[str], list[list[str]]]:
    """-> (ids, texts, codes) for documents of ``split``; codes as in <split>D.tsv (lower case, ordered).
    Documents without any diagnosis code are kept (they count as empty gold)."""
    base = data_dir / split
    tdir = base / "text_files_en"
    tsv = base / f"{split}D.tsv"
    if not tdir.is_dir() or not tsv.is_file():
        raise FileNotFoundError(f"CodiEsp split {split!r}: expected {tdir} and {tsv}")
    codes: dict[str, list[str]] = {}
    for n, line in enumerate(tsv.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise ValueError(f"{tsv}:{n}: expected 'id<TAB>code', received {len(parts)} fields")
        doc, code = parts[0].strip(), parts[1].strip().lower()
        lst = codes.setdefault(doc, [])
        if code not in lst:
            lst.append(code)
    ids = sorted(p.stem for p in tdir.glob("*.txt"))
    if limit is not None:
        ids = ids[:limit]
    texts = [(tdir / f"{i}.txt").read_text(encoding="utf-8") for i in ids]
    return ids, texts, [codes.get(i, []) for i in ids]


# ---------------------------------------------------------------------------------------------- metrics
def average_precision(ranked: Sequence[str], gold: set[str]) -> float:
    """AP of one ranked list: mean over gold codes of precision at the rank where each is found (0 when
    never found), i.e. the trec_eval definition used by the CodiEsp evaluation."""
    if not gold:
        return 0.0
    hits, total = 0, 0.0
    for k, code in enumerate(ranked, 1):
        if code in gold:
            hits += 1
            total += hits / k
    return total / len(gold)


#: The official CodiEsp script scores MAP with trectools ``TrecEval.get_map(trec_eval=False)``, whose default
#: depth is 1000: only the first 1000 predictions of a document count.
MAP_DEPTH = 1000


def mean_average_precision(
    scores: np.ndarray, codes: Sequence[str], gold: Sequence[Sequence[str]], depth: int = MAP_DEPTH
) -> float:
    """MAP over documents with at least one gold code (the official script averages over the gold file's
    documents); ranking = codes sorted by decreasing score, cut at ``depth`` (codes with score <= 0 are not
    ranked; stable order on ties). A gold code never ranked adds 0 precision but counts in the denominator."""
    aps = []
    for i, g in enumerate(gold):
        if not g:
            continue
        row = scores[i]
        pos = np.flatnonzero(row > 0)
        order = pos[np.argsort(-row[pos], kind="stable")][:depth]
        ranked = [codes[j] for j in order]
        aps.append(average_precision(ranked, set(g)))
    return float(np.mean(aps)) if aps else 0.0


def micro_prf(pred: Sequence[set[str]], gold: Sequence[Sequence[str]]) -> dict[str, float]:
    tp = sum(len(p & set(g)) for p, g in zip(pred, gold))
    n_pred = sum(len(p) for p in pred)
    n_gold = sum(len(set(g)) for g in gold)
    prec = tp / n_pred if n_pred else 0.0
    rec = tp / n_gold if n_gold else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"micro_precision": prec, "micro_recall": rec, "micro_f1": f1}


# ---------------------------------------------------------------------------------------------- matcher
_STOP = frozenset(
    ["a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the", "to", "with", "without", "other", "unspecified", "nos", "specified", "not", "elsewhere", "classified", "due", "which", "this", "that", "than", "its", "their", "be", "was", "were", "has", "have", "had", "type", "site", "unsp", "part"]
)
_TOKEN = re.compile(r"[a-z0-9]+")
_SEVENTH = re.compile(r",\s*(initial|subsequent) encounter.*$|,\s*sequela.*$", re.IGNORECASE)


#: Adjective -> noun folding so "renal calculus" meets "calculus of kidney" (titles mix both styles).
_SYNONYMS = {
    "renal": "kidney", "nephric": "kidney", "hepatic": "liver", "pulmonary": "lung", "cardiac": "heart",
    "cerebral": "brain", "gastric": "stomach", "cutaneous": "skin", "ocular": "eye", "osseous": "bone",
    "vesical": "bladder", "urinary": "urine", "splenic": "spleen", "pancreatic": "pancreas", "colonic": "colon",
    "intestinal": "intestine", "bowel": "intestine", "thyroid": "thyroid", "arterial": "artery",
    "venous": "vein", "vertebral": "vertebra", "spinal": "spine", "febrile": "fever", "pyrexia": "fever",
    "neoplasm": "tumor", "neoplasia": "tumor", "tumour": "tumor", "carcinoma": "cancer", "malignant": "cancer",
    "haemorrhage": "hemorrhage", "bleeding": "hemorrhage", "oedema": "edema", "anaemia": "anemia",
    "leukocytosis": "leukocytosis", "painful": "pain", "ache": "pain", "hypertensive": "hypertension",
    "diabetic": "diabetes", "infectious": "infection", "infected": "infection", "obese": "obesity",
    "lumbar": "lumbar", "abdominal": "abdomen", "thoracic": "thorax", "chest": "thorax", "pelvic": "pelvis",
    "dyspnoea": "dyspnea", "breathlessness": "dyspnea", "vomit": "vomiting", "nausea": "nausea",
}


def _stem(tok: str) -> str:
    """Tiny suffix folding so 'fractures'/'fracture', 'stones'/'stone' meet; medical words ending in -is/-us
    (nephrolithiasis, calculus) are left alone."""
    if len(tok) > 4 and tok.endswith("ies"):
        return tok[:-3] + "y"
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith(("ss", "is", "us")):
        return tok[:-1]
    return tok


def tokens(text: str) -> list[str]:
    out = []
    for t in _TOKEN.findall(text.lower()):
        if t in _STOP:
            continue
        t = _stem(t)
        out.append(_SYNONYMS.get(t, t))
    return out


def codiesp_form(cm_code: str) -> str:
    """ICD-10-CM code with dot -> the form CodiEsp annotates: lower case, 7th character dropped
    (``S02.5XXA`` -> ``s02.5xx``)."""
    c = cm_code.lower()
    return c[:-1] if len(c.replace(".", "")) == 7 else c


@lru_cache(maxsize=1)
def cm_terms(use_inclusion_terms: bool = True) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """All ICD-10-CM codes (CodiEsp form) and (code, term) pairs: the title plus inclusion terms."""
    import simple_icd_10_cm as cm

    pairs: list[tuple[str, str]] = []
    codes: dict[str, None] = {}
    for c in cm.get_all_codes(True):
        if not cm.is_category_or_subcategory(c) and not cm.is_extended_subcategory(c):
            continue
        form = codiesp_form(c)
        codes.setdefault(form, None)
        terms = [_SEVENTH.sub("", cm.get_description(c))]
        if use_inclusion_terms:
            terms += list(cm.get_inclusion_term(c) or [])
        for t in terms:
            pairs.append((form, t))
    return tuple(codes), tuple(dict.fromkeys(pairs))


def cm_title(code: str) -> str | None:
    """Title of a CodiEsp-form code (``s02.5xx`` -> title of S02.5XXA without the encounter clause)."""
    import simple_icd_10_cm as cm

    c = code.upper()
    for cand in (c, c + "A"):
        if cm.is_valid_item(cand):
            return _SEVENTH.sub("", cm.get_description(cand))
    return None


class TermMatcher:
    """Scores every ICD-10-CM code by how completely one of its terms occurs in one sentence.

    coverage(term, sentence) = idf mass of the term's tokens present in the sentence / idf mass of the term
    (idf over all terms: 'fracture' is cheap, 'brucellosis' is decisive). A code's score is its best
    coverage if >= ``min_coverage`` (else 0), plus ``prior_weight`` x a train-frequency prior so frequent
    codes win ties.
    """

    def __init__(self, cfg: MatcherConfig, train_codes: Sequence[Sequence[str]] = ()) -> None:
        from scipy import sparse

        self.cfg = cfg
        codes, pairs = cm_terms(cfg.use_inclusion_terms)
        self.codes = list(codes)
        cidx = {c: i for i, c in enumerate(self.codes)}
        vocab: dict[str, int] = {}
        rows, cols, term_code = [], [], []
        for code, term in pairs:
            toks = sorted(set(tokens(term)))
            if not toks:
                continue
            r = len(term_code)
            term_code.append(cidx[code])
            for t in toks:
                rows.append(r)
                cols.append(vocab.setdefault(t, len(vocab)))
        self.vocab = vocab
        n_terms = len(term_code)
        df = np.bincount(cols, minlength=len(vocab))
        idf = np.log((1 + n_terms) / (1 + df)) + 1.0
        self.m = sparse.csr_matrix((idf[cols], (rows, cols)), shape=(n_terms, len(vocab)), dtype=np.float32)
        self.term_mass = np.asarray(self.m.sum(1)).ravel()
        self.term_code = np.asarray(term_code)
        freq = Counter(c for cs in train_codes for c in set(cs))
        n = max(len(train_codes), 1)
        self.prior = np.array([math.log1p(freq.get(c, 0)) / math.log1p(n) for c in self.codes], dtype=np.float32)

    def score_detail(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """-> (coverage, matched idf mass) per code, best term per code; 0 where below ``min_coverage``."""
        from scipy import sparse

        sents = [s for s in re.split(r"[\n.;]+", text) if s.strip()]
        rows, cols = [], []
        for i, s in enumerate(sents):
            for t in set(tokens(s)):
                j = self.vocab.get(t)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        cov_out = np.zeros(len(self.codes), dtype=np.float32)
        mass_out = np.zeros(len(self.codes), dtype=np.float32)
        if not rows:
            return cov_out, mass_out
        s_mat = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(sents), len(self.vocab)))
        hit = (self.m @ s_mat.T).tocsr()  # [n_terms, n_sents] matched idf mass
        best = np.asarray(hit.max(axis=1).todense()).ravel()
        cov = best / np.maximum(self.term_mass, 1e-9)
        keep = cov >= self.cfg.min_coverage
        np.maximum.at(cov_out, self.term_code[keep], cov[keep])
        np.maximum.at(mass_out, self.term_code[keep], best[keep])
        return cov_out, mass_out

    def score(self, text: str) -> np.ndarray:
        out = self.score_detail(text)[0]
        out[out > 0] += self.cfg.prior_weight * self.prior[out > 0]
        return out

    def score_many(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.score(t) for t in texts]) if texts else np.zeros((0, len(self.codes)), np.float32)


# ---------------------------------------------------------------------------------------------- fusion
def rank_normalise(scores: np.ndarray) -> np.ndarray:
    """Per row: 1/(1 + log2(rank)) for positive scores (rank 1 = best), 0 otherwise. Fusing ranks instead of
    raw scores makes a sigmoid probability and a coverage score commensurable."""
    out = np.zeros_like(scores, dtype=np.float32)
    for i, row in enumerate(scores):
        pos = np.where(row > 0)[0]
        if not len(pos):
            continue
        order = pos[np.argsort(-row[pos], kind="stable")]
        out[i, order] = 1.0 / (1.0 + np.log2(np.arange(1, len(order) + 1)))
    return out


def align(scores: np.ndarray, from_codes: Sequence[str], to_index: dict[str, int]) -> np.ndarray:
    """Scores over ``from_codes`` -> columns of a shared code space."""
    out = np.zeros((scores.shape[0], len(to_index)), dtype=np.float32)
    src = [i for i, c in enumerate(from_codes) if c in to_index]
    out[:, [to_index[from_codes[i]] for i in src]] = scores[:, src]
    return out


def fuse(clf: np.ndarray, other: np.ndarray, w: float) -> np.ndarray:
    """w*rank(clf) + (1-w)*rank(other), both in the same code space; a tiny raw-score term breaks ties."""
    return w * rank_normalise(clf) + (1 - w) * rank_normalise(other) + 1e-3 * (clf + other)


class CodeRanker:
    """Learned re-ranking of candidate codes (why: the matcher finds codes never seen in train but fires on
    many wrong ones; kNN knows what annotators code for similar letters; a small model learns how to
    weigh both per code).

    Candidates per document: every code the matcher fires on + the top ``knn_candidates`` kNN codes.
    Features: kNN scores (k=25 squared similarities, k=8), their rank, matcher coverage / matched idf mass /
    rank / exact flag, the code's matcher precision in train, its train frequency, its 3-character
    category's kNN mass and matcher best. On train every feature is leave-one-out (the document's own
    labels are removed from kNN, frequency and precision), so the model is not trained on leaked evidence.
    """

    def __init__(self, cfg: RankerConfig, matcher: TermMatcher, train_codes_space: Sequence[str]) -> None:
        self.cfg = cfg
        self.matcher = matcher
        self.space = list(dict.fromkeys(list(train_codes_space) + matcher.codes))
        self.sidx = {c: i for i, c in enumerate(self.space)}
        cats = sorted({c[:3] for c in self.space})
        cidx = {c: i for i, c in enumerate(cats)}
        self.code_cat = np.array([cidx[c[:3]] for c in self.space])
        self.n_cats = len(cats)

    def _matcher(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        det = [self.matcher.score_detail(t) for t in texts]
        cov = np.stack([d[0] for d in det]) if det else np.zeros((0, len(self.matcher.codes)), np.float32)
        mass = np.stack([d[1] for d in det]) if det else cov.copy()
        return align(cov, self.matcher.codes, self.sidx), align(mass, self.matcher.codes, self.sidx)

    def _knn(self, sims: np.ndarray, k: int, power: float) -> np.ndarray:
        s = sims.copy()
        if s.shape[1] > k:
            idx = np.argpartition(-s, k - 1, axis=1)[:, k:]
            np.put_along_axis(s, idx, 0.0, axis=1)
        return (np.clip(s, 0, None) ** power) @ self.y_train

    def _features(self, sims: np.ndarray, cov: np.ndarray, mass: np.ndarray, y: np.ndarray | None):
        cfg = self.cfg
        k1 = self._knn(sims, cfg.knn_k, cfg.knn_power)
        k2 = self._knn(sims, cfg.knn_k_small, 1.0)
        rows, labels, where = [], [], []
        for i in range(sims.shape[0]):
            top = np.argsort(-k1[i])[: cfg.knn_candidates]
            top = top[k1[i, top] > 0]
            cand = np.union1d(top, np.where(cov[i] > 0)[0]).astype(int)
            if not len(cand):
                where.append((i, cand))
                continue
            fired = (cov[i, cand] > 0).astype(np.float32)
            yi = y[i, cand] if y is not None else np.zeros(len(cand), np.float32)
            freq = self.freq[cand] - yi
            fires = self.fires[cand] - fired * (y is not None)
            hits = self.hits[cand] - yi * fired
            kc = np.bincount(self.code_cat, weights=k1[i], minlength=self.n_cats)[self.code_cat[cand]]
            mc = np.zeros(self.n_cats, np.float32)
            np.maximum.at(mc, self.code_cat, cov[i])
            kr = np.argsort(np.argsort(-k1[i, cand]))
            mr = np.argsort(np.argsort(-cov[i, cand]))
            f = np.stack([
                k1[i, cand], k1[i, cand] / (k1[i].max() + 1e-9), np.log1p(kr), k2[i, cand],
                cov[i, cand], fired, np.log1p(mr) * fired, (cov[i, cand] >= 0.999), mass[i, cand],
                (hits + 0.1) / (fires + 1.0), np.log1p(freq), np.log1p(fires), (freq > 0), kc, mc[self.code_cat[cand]],
            ], axis=1)
            rows.append(f)
            labels.append(yi)
            where.append((i, cand))
        x = np.concatenate(rows) if rows else np.zeros((0, 15), np.float32)
        return x, (np.concatenate(labels) if labels else np.zeros(0)), where

    def fit(self, texts: Sequence[str], codes: Sequence[Sequence[str]]) -> CodeRanker:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, stop_words="english")
        x = self.vec.fit_transform(list(texts))
        self.x_train = x
        y = np.zeros((len(texts), len(self.space)), np.float32)
        for i, cs in enumerate(codes):
            for c in cs:
                if c in self.sidx:
                    y[i, self.sidx[c]] = 1.0
        self.y_train = y
        cov, mass = self._matcher(texts)
        self.freq = y.sum(0)
        self.fires = (cov > 0).sum(0).astype(np.float32)
        self.hits = ((cov > 0) * y).sum(0)
        sims = (x @ x.T).toarray()
        np.fill_diagonal(sims, 0.0)  # leave-one-out
        feats, labels, _ = self._features(sims, cov, mass, y)
        self.model = HistGradientBoostingClassifier(max_iter=self.cfg.max_iter, learning_rate=self.cfg.learning_rate,
                                                    random_state=self.cfg.seed)
        if len(np.unique(labels)) < 2:
            raise ValueError(f"CodeRanker: need positive and negative candidates in train, received {len(labels)} rows")
        self.model.fit(feats, labels)
        return self

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """[n, len(space)] P(gold) for candidates, 0 elsewhere."""
        cov, mass = self._matcher(texts)
        sims = (self.vec.transform(list(texts)) @ self.x_train.T).toarray()
        feats, _, where = self._features(sims, cov, mass, None)
        out = np.zeros((len(texts), len(self.space)), np.float32)
        p = self.model.predict_proba(feats)[:, 1] if len(feats) else np.zeros(0)
        o = 0
        for i, cand in where:
            out[i, cand] = p[o : o + len(cand)] + 1e-6
            o += len(cand)
        return out


# ---------------------------------------------------------------------------------------------- runner
def _fit_model(kind: str, labels: list[str], cfg: CodiEspConfig, texts: list[str], label_lists: list[list[str]]) -> Any:
    if kind == "transformer" and cfg.transformer_min_count > 1:
        counts = Counter(x for ls in label_lists for x in ls)
        labels = [x for x in labels if counts[x] >= cfg.transformer_min_count]
        keep = set(labels)
        label_lists = [[x for x in ls if x in keep] for ls in label_lists]
    if kind == "transformer":
        from autocoder.model.classifier import LabelAttentionClassifier

        titles = {lab: t for lab in labels if (t := cm_title(lab[len(LABEL_PREFIX):]))}
        model: Any = LabelAttentionClassifier(labels, cfg.classifier, titles=titles)
    else:
        from autocoder.model.baseline import TfidfBaseline

        model = TfidfBaseline(labels, cfg.baseline)
    # primary = first code in the tsv (CodiEsp lists are not sequenced, so this only exercises the head)
    hist = model.fit(texts, label_lists, primary_dx=[ls[0] if ls else None for ls in label_lists])
    return model, hist, labels


def run(cfg: CodiEspConfig) -> dict[str, Any]:
    from autocoder.paths import shared_data_dir

    if cfg.data_dir:
        data_dir = Path(cfg.data_dir)
    else:
        sd = shared_data_dir()
        if sd is None:
            raise FileNotFoundError("CodiEsp: no data_dir given and the shared data folder is absent")
        data_dir = sd / "codiesp"
    t0 = time.perf_counter()
    _, tr_texts, tr_codes = load_split(data_dir, cfg.train_split, cfg.limit_train)
    _, ev_texts, ev_codes = load_split(data_dir, cfg.eval_split, cfg.limit_eval)
    codes = sorted({c for cs in tr_codes for c in cs})
    labels = [LABEL_PREFIX + c for c in codes]
    tr_labels = [[LABEL_PREFIX + c for c in cs] for cs in tr_codes]
    result: dict[str, Any] = {
        "data": {"train_docs": len(tr_texts), "eval_docs": len(ev_texts), "labels": len(labels),
                 "eval_gold_in_train_vocab": _coverage(ev_codes, set(codes))},
    }

    matcher = TermMatcher(cfg.matcher, tr_codes) if (cfg.run_matcher or cfg.run_ranker) else None
    space = list(dict.fromkeys(codes + (matcher.codes if matcher else [])))
    sidx = {c: i for i, c in enumerate(space)}
    if matcher is not None and cfg.run_matcher:
        m_ev = align(matcher.score_many(ev_texts), matcher.codes, sidx)
        result["matcher"] = {"map": mean_average_precision(m_ev, space, ev_codes)}
    r_ev = None
    if matcher is not None and cfg.run_ranker:
        ts = time.perf_counter()
        ranker = CodeRanker(cfg.ranker, matcher, codes).fit(tr_texts, tr_codes)
        train_s = time.perf_counter() - ts
        r_ev = align(ranker.score(ev_texts), ranker.space, sidx)
        pred_sets = [{space[j] for j in np.where(row >= cfg.threshold)[0]} for row in r_ev]
        result["ranker"] = {"map": mean_average_precision(r_ev, space, ev_codes), **micro_prf(pred_sets, ev_codes),
                            "train_seconds": round(train_s, 1)}
        log.info("ranker: %s", result["ranker"])

    for kind, flag in (("transformer", cfg.run_transformer), ("baseline", cfg.run_baseline)):
        if not flag:
            continue
        ts = time.perf_counter()
        model, hist, used = _fit_model(kind, labels, cfg, tr_texts, tr_labels)
        train_s = time.perf_counter() - ts
        ts = time.perf_counter()
        probs = model.predict_proba(ev_texts)
        pred_s = time.perf_counter() - ts
        m_codes = [x[len(LABEL_PREFIX):] for x in used]
        pred_sets = [{m_codes[j] for j in np.where(row >= cfg.threshold)[0]} for row in probs]
        res: dict[str, Any] = {"map": mean_average_precision(probs, m_codes, ev_codes), **micro_prf(pred_sets, ev_codes),
                               "labels": len(used), "train_seconds": round(train_s, 1),
                               "predict_seconds": round(pred_s, 1)}
        if "train_loss" in hist:
            res["train_loss"] = [round(x, 3) for x in hist["train_loss"]]
        if r_ev is not None:
            fused = fuse(align(probs, m_codes, sidx), r_ev, cfg.fusion.classifier_weight)
            res["map_fused_with_ranker"] = mean_average_precision(fused, space, ev_codes)
        result[kind] = res
        log.info("%s: %s", kind, {k: v for k, v in res.items() if k != "train_loss"})
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result


def _coverage(gold: Sequence[Sequence[str]], vocab: set[str]) -> float:
    flat = [c for g in gold for c in g]
    return sum(c in vocab for c in flat) / len(flat) if flat else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", type=Path, default=None, help="YAML with CodiEspConfig keys (configs/codiesp.yaml)")
    ap.add_argument("--no-transformer", action="store_true", help="skip the transformer (fast run)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    cfg = load_config(args.config)
    if args.no_transformer:
        cfg = cfg.model_copy(update={"run_transformer": False})
    print(json.dumps(run(cfg), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
