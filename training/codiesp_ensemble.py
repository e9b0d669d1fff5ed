"""CodiEsp ensemble: rank fusion of several coders, fusion weights fitted on out-of-fold TRAIN predictions.

    python -m training.codiesp_ensemble --config configs/codiesp.yaml [--cache-dir /tmp/codiesp_cache]

Why: no single system is good at everything on CodiEsp. The re-ranker (kNN + ICD-10-CM term matcher) is the
strongest alone; the label-attention transformer and a linear TF-IDF model know what annotators code for
wordings the matcher cannot see; the matcher finds codes never seen in train; a frequency prior and a
3-character back-off fill the tail of the ranked list (MAP rewards every gold code found, however deep).

Honesty protocol (dev is touched once, at the end):
  1. the train split is cut into ``ensemble.folds`` folds; every component is fitted on the other folds and
     scores the held-out fold -> out-of-fold (OOF) score matrices for all train documents;
  2. fusion weights (and the micro-F1 threshold) are chosen by coordinate ascent on OOF MAP over train;
  3. every component is refitted on the whole train split, scores dev, and the fixed weights are applied.

Components (each a [docs, codes] score matrix over one code space = train codes + codes the term matcher
fires on in any document):
  - ``ranker``: CodeRanker (training/codiesp.py);
  - ``transformer``: LabelAttentionClassifier (autocoder.model.classifier);
  - ``linear``: ridge regression on word + char n-gram TF-IDF (kernel form: fast for a few hundred letters);
  - ``matcher``: term-matcher coverage on the text with negated / family / hypothetical mentions blanked
    (the extractor's assertion context, autocoder.extract); ``matcher_neg``: coverage found only inside
    such mentions (so the fit can give it a small or zero weight);
  - ``backoff``: a 3-character category matched in the text supports its codes seen in train, shared by
    their train frequency inside the category;
  - ``prior``: train frequency of the code (same for every document).
Fused score = sum_k w_k * rank_normalise(component_k) (+ tiny raw term to break ties).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from training.codiesp import (
    LABEL_PREFIX,
    MAP_DEPTH,
    CodeRanker,
    CodiEspConfig,
    TermMatcher,
    _coverage,
    align,
    cm_title,
    load_config,
    load_split,
    mean_average_precision,
    micro_prf,
    rank_normalise,
)

log = logging.getLogger("training.codiesp_ensemble")

#: Assertion statuses whose mentions do not count as the patient's current condition for the matcher.
MASKED_STATUSES = frozenset({"negated", "family", "hypothetical"})
ALL_COMPONENTS = ("ranker", "transformer", "linear", "matcher", "matcher_neg", "backoff", "prior")


# ---------------------------------------------------------------------------------------------- text
def affirmed_texts(texts: Sequence[str], statuses: frozenset[str] = MASKED_STATUSES) -> list[str]:
    """Texts with the characters of negated / family / hypothetical mentions replaced by spaces (offsets
    kept), using the project's extractor (ConText + section rules). Why blank instead of delete: the matcher
    works per sentence, and deleting could glue two sentences' words together."""
    from autocoder.extract import load_extractor

    ex = load_extractor()
    out = []
    for text, ents in zip(texts, ex.iter_extract(texts)):
        chars = list(text)
        for e in ents:
            if e.assertion in statuses:
                chars[e.start : e.end] = " " * (e.end - e.start)
        out.append("".join(chars))
    return out


# ---------------------------------------------------------------------------------------------- linear
class KernelRidgeCoder:
    """Ridge regression of the 0/1 label matrix on TF-IDF (word 1-2 grams + char_wb 3-5 grams), solved in
    the dual: alpha = (K + lambda I)^-1 Y with K = X X^T. Why: one linear solve for all ~1,800 labels in
    seconds, where one-vs-rest logistic regression takes minutes per fit (and the ensemble fits K+1 times)."""

    def __init__(self, alpha: float = 1.0, char_ngrams: tuple[int, int] | None = (3, 5)) -> None:
        self.alpha = alpha
        self.char_ngrams = char_ngrams

    def fit(self, texts: Sequence[str], y: np.ndarray) -> KernelRidgeCoder:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, stop_words="english")
        mats = [self.word.fit_transform(list(texts))]
        self.char = None
        if self.char_ngrams:
            self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, sublinear_tf=True, min_df=2)
            mats.append(self.char.fit_transform(list(texts)))
        x = sparse.hstack(mats).tocsr() / np.sqrt(len(mats))
        self.x = x
        k = (x @ x.T).toarray()
        self.dual = np.linalg.solve(k + self.alpha * np.eye(len(k)), y.astype(np.float64))
        return self

    def score(self, texts: Sequence[str]) -> np.ndarray:
        from scipy import sparse

        mats = [self.word.transform(list(texts))]
        if self.char is not None:
            mats.append(self.char.transform(list(texts)))
        x = sparse.hstack(mats).tocsr() / np.sqrt(len(mats))
        return np.asarray((x @ self.x.T) @ self.dual, dtype=np.float32)


# ---------------------------------------------------------------------------------------------- components
def _multi_hot(codes: Sequence[Sequence[str]], sidx: dict[str, int]) -> np.ndarray:
    y = np.zeros((len(codes), len(sidx)), np.float32)
    for i, cs in enumerate(codes):
        for c in cs:
            j = sidx.get(c)
            if j is not None:
                y[i, j] = 1.0
    return y


class _AffirmedMatcher:
    """TermMatcher view that scores the affirmed version of a text (looked up by the original text), so the
    CodeRanker's matcher features ignore negated mentions without changing CodeRanker."""

    def __init__(self, base: TermMatcher, affirmed: dict[str, str]) -> None:
        self.base = base
        self.codes = base.codes
        self.affirmed = affirmed

    def score_detail(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        return self.base.score_detail(self.affirmed.get(text, text))


def component_scores(
    cfg: CodiEspConfig,
    names: Sequence[str],
    fit: tuple[list[str], list[list[str]]],
    apply_texts: list[str],
    space: list[str],
    matcher: TermMatcher,
    affirmed: dict[str, str],
    cache: Callable[[str, Callable[[], np.ndarray]], np.ndarray],
) -> dict[str, np.ndarray]:
    """Fit each named component on ``fit`` (texts, codes) and score ``apply_texts`` -> name: [n, len(space)]."""
    fit_texts, fit_codes = fit
    sidx = {c: i for i, c in enumerate(space)}
    fit_vocab = sorted({c for cs in fit_codes for c in cs})
    out: dict[str, np.ndarray] = {}
    ecfg = cfg.ensemble

    def matcher_pair() -> tuple[np.ndarray, np.ndarray]:
        full = np.stack([matcher.score_detail(t)[0] for t in apply_texts])
        aff = np.stack([matcher.score_detail(affirmed.get(t, t))[0] for t in apply_texts])
        neg = np.where(aff > 0, 0.0, full).astype(np.float32)
        return align(aff, matcher.codes, sidx), align(neg, matcher.codes, sidx)

    pair: dict[str, np.ndarray] = {}

    def get_pair(which: str) -> np.ndarray:
        if not pair:
            pair["matcher"], pair["matcher_neg"] = matcher_pair()
        return pair[which]

    for name in names:
        ts = time.perf_counter()
        if name == "ranker":
            def f() -> np.ndarray:
                m = _AffirmedMatcher(matcher, affirmed) if ecfg.ranker_affirmed else matcher
                r = CodeRanker(cfg.ranker, m, fit_vocab).fit(fit_texts, fit_codes)  # type: ignore[arg-type]
                return align(r.score(apply_texts), r.space, sidx)
        elif name == "transformer":
            def f() -> np.ndarray:
                from autocoder.model.classifier import LabelAttentionClassifier

                counts = Counter(c for cs in fit_codes for c in cs)
                vocab = [c for c in fit_vocab if counts[c] >= cfg.transformer_min_count]
                labels = [LABEL_PREFIX + c for c in vocab]
                keep = set(vocab)
                titles = {LABEL_PREFIX + c: t for c in vocab if (t := cm_title(c))}
                model = LabelAttentionClassifier(labels, cfg.classifier, titles=titles)
                lab_lists = [[LABEL_PREFIX + c for c in cs if c in keep] for cs in fit_codes]
                hist = model.fit(fit_texts, lab_lists, primary_dx=[ls[0] if ls else None for ls in lab_lists])
                log.info("transformer: %d labels, epochs %d, %.0f s", len(labels), len(hist["train_loss"]),
                         hist["seconds"])
                return align(model.predict_proba(apply_texts), vocab, sidx)
        elif name == "linear":
            def f() -> np.ndarray:
                y = _multi_hot(fit_codes, {c: i for i, c in enumerate(fit_vocab)})
                lin = KernelRidgeCoder(ecfg.ridge_alpha, ecfg.char_ngrams).fit(fit_texts, y)
                return align(np.clip(lin.score(apply_texts), 0, None), fit_vocab, sidx)
        elif name in ("matcher", "matcher_neg"):
            def f(name: str = name) -> np.ndarray:
                return get_pair(name)
        elif name == "backoff":
            def f() -> np.ndarray:
                return backoff_scores(get_pair("matcher"), space, fit_codes)
        elif name == "prior":
            def f() -> np.ndarray:
                freq = _multi_hot(fit_codes, sidx).sum(0)
                row = (np.log1p(freq) / np.log1p(max(len(fit_codes), 1))).astype(np.float32)
                return np.tile(row, (len(apply_texts), 1))
        else:
            raise ValueError(f"ensemble.components: unknown component {name!r}; expected one of {ALL_COMPONENTS}")
        out[name] = cache(name, f)
        log.info("component %s: %.1f s", name, time.perf_counter() - ts)
    return out


def backoff_scores(matcher_scores: np.ndarray, space: Sequence[str], fit_codes: Sequence[Sequence[str]]) -> np.ndarray:
    """A matched 3-character category (``n20``) supports its codes seen in train (``n20.0``, ``n20.1``), each
    by its share of the category's train frequency. Why: the text often names the category ("kidney stones")
    while annotators code the specific child the case implies; the share says which child they usually pick."""
    sidx = {c: i for i, c in enumerate(space)}
    freq = Counter(c for cs in fit_codes for c in cs)
    by_cat: dict[str, list[str]] = {}
    for c in freq:
        if "." in c:
            by_cat.setdefault(c.split(".")[0], []).append(c)
    out = np.zeros_like(matcher_scores)
    for cat, children in by_cat.items():
        j = sidx.get(cat)
        if j is None:
            continue
        total = sum(freq[c] for c in children)
        for c in children:
            out[:, sidx[c]] = np.maximum(out[:, sidx[c]], matcher_scores[:, j] * freq[c] / total)
    return out


# ---------------------------------------------------------------------------------------------- fusion
def fuse(ranked: dict[str, np.ndarray], raw: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """sum_k w_k * rank_normalise(score_k) + 1e-4 * sum_k w_k * score_k / max(score_k) (ties)."""
    shape = next(iter(ranked.values())).shape
    out = np.zeros(shape, np.float32)
    for k, w in weights.items():
        if w <= 0:
            continue
        out += w * ranked[k]
        m = float(raw[k].max()) or 1.0
        out += 1e-4 * w * raw[k] / m
    return out


class _Compact:
    """Per document, only the codes some component scores (> 0): rank-normalised and max-scaled raw values as
    [components, candidates] arrays + gold flags. Why: MAP of a weighted fusion is then a few small dot
    products per document instead of a sort over the whole code space (the weight search needs hundreds)."""

    def __init__(self, ranked: dict[str, np.ndarray], raw: dict[str, np.ndarray], space: Sequence[str],
                 gold: Sequence[Sequence[str]]) -> None:
        self.names = list(ranked)
        sidx = {c: i for i, c in enumerate(space)}
        maxes = np.array([float(raw[k].max()) or 1.0 for k in self.names], np.float32)
        self.docs = []
        for i, g in enumerate(gold):
            if not g:
                continue
            cand = np.flatnonzero(np.any([ranked[k][i] > 0 for k in self.names], axis=0))
            r = np.stack([ranked[k][i, cand] for k in self.names])
            s = np.stack([raw[k][i, cand] for k in self.names]) / maxes[:, None]
            gset = {sidx[c] for c in g if c in sidx}
            self.docs.append((cand, r, s, np.isin(cand, list(gset)), len(set(g))))

    def map(self, weights: dict[str, float]) -> float:
        w = np.array([weights.get(k, 0.0) for k in self.names], np.float32)
        aps = []
        for cand, r, s, is_gold, n_gold in self.docs:
            score = w @ r + 1e-4 * (w @ s)
            pos = np.flatnonzero(score > 0)
            order = pos[np.argsort(-score[pos], kind="stable")][:MAP_DEPTH]
            hits = is_gold[order]
            if not hits.any():
                aps.append(0.0)
                continue
            ranks = np.flatnonzero(hits) + 1
            aps.append(float((np.arange(1, len(ranks) + 1) / ranks).sum() / n_gold))
        return float(np.mean(aps)) if aps else 0.0


def fit_weights(
    ranked: dict[str, np.ndarray], raw: dict[str, np.ndarray], space: Sequence[str], gold: Sequence[Sequence[str]],
    start: str, grid: Sequence[float], passes: int = 3,
) -> tuple[dict[str, float], float, list[dict[str, Any]]]:
    """Coordinate ascent on MAP: start from ``start`` alone (weight 1), then for each other component try every
    grid weight, keep the best; repeat up to ``passes`` times. Returns (weights, MAP, trace per pass)."""
    comp = _Compact(ranked, raw, space, gold)
    weights = {k: (1.0 if k == start else 0.0) for k in ranked}
    best = comp.map(weights)
    trace = [{"weights": dict(weights), "map": best}]
    for _ in range(passes):
        improved = False
        for k in ranked:
            if k == start:
                continue
            for w in grid:
                if w == weights[k]:
                    continue
                trial = {**weights, k: w}
                m = comp.map(trial)
                if m > best + 1e-5:
                    best, weights, improved = m, trial, True
        trace.append({"weights": dict(weights), "map": best})
        if not improved:
            break
    return weights, best, trace


def best_threshold(scores: np.ndarray, space: Sequence[str], gold: Sequence[Sequence[str]]) -> tuple[float, float]:
    """Threshold on a score matrix that maximises micro-F1 (chosen on train OOF, applied to dev). All
    thresholds at once: sort every positive entry, cumulative true positives give F1 at each cut."""
    sidx = {c: i for i, c in enumerate(space)}
    n_gold = sum(len(set(g)) for g in gold)
    vals, hits = [], []
    for i, g in enumerate(gold):
        pos = np.flatnonzero(scores[i] > 0)
        gi = [sidx[c] for c in set(g) if c in sidx]
        vals.append(scores[i, pos])
        hits.append(np.isin(pos, gi))
    v, h = np.concatenate(vals), np.concatenate(hits)
    if not len(v) or not n_gold:
        return 1.0, 0.0
    order = np.argsort(-v, kind="stable")
    v, tp = v[order], np.cumsum(h[order])
    last = np.r_[v[1:] != v[:-1], True]  # a threshold keeps every entry with the same score
    n_pred = np.arange(1, len(v) + 1)
    f1 = np.where(last, 2 * tp / (n_pred + n_gold), -1.0)
    k = int(np.argmax(f1))
    return float(v[k]), float(f1[k])


def _pred_sets(scores: np.ndarray, space: Sequence[str], t: float) -> list[set[str]]:
    return [{space[j] for j in np.where(row >= t)[0]} for row in scores]


# ---------------------------------------------------------------------------------------------- stacker
class Stacker:
    """Learned fusion: a gradient-boosted P(code is gold) over the top ``top`` codes of the weighted fusion,
    from every component's raw score and normalised rank, the fused score, its rank, the best ranker score
    in the code's 3-character category and a 'has a 4th character' flag. Trained on out-of-fold train
    scores only. Codes below the candidate cut keep their fused order underneath the candidates.

    Why: weights are one number per component; the right trust in, say, the matcher depends on whether the
    ranker or the linear model agree, which a tree ensemble can learn from a few hundred documents."""

    def __init__(self, space: Sequence[str], weights: dict[str, float], top: int = 300, max_iter: int = 200,
                 learning_rate: float = 0.05, seed: int = 0) -> None:
        self.space = list(space)
        self.weights = weights
        self.top = top
        self.max_iter, self.learning_rate, self.seed = max_iter, learning_rate, seed
        cats: dict[str, int] = {}
        self.cat = np.array([cats.setdefault(c.split(".")[0], len(cats)) for c in self.space])
        self.n_cats = len(cats)
        self.has_dot = np.array(["." in c for c in self.space], np.float32)

    def _features(self, ranked: dict[str, np.ndarray], raw: dict[str, np.ndarray]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        fused = fuse(ranked, raw, self.weights)
        names = sorted(ranked)
        cands, feats = [], []
        for i in range(fused.shape[0]):
            cand = np.argsort(-fused[i])[: self.top]
            cand = cand[fused[i, cand] > 0]
            cols = [fused[i, cand], np.arange(len(cand), dtype=np.float32)]
            for k in names:
                cols += [raw[k][i, cand], ranked[k][i, cand]]
            if "ranker" in raw:
                cat_max = np.zeros(self.n_cats, np.float32)
                np.maximum.at(cat_max, self.cat[cand], raw["ranker"][i, cand])
                cols.append(cat_max[self.cat[cand]])
            cols.append(self.has_dot[cand])
            cands.append(cand)
            feats.append(np.stack(cols, 1).astype(np.float32))
        return fused, cands, feats

    def _labels(self, cands: list[np.ndarray], gold: Sequence[Sequence[str]]) -> list[np.ndarray]:
        sidx = {c: i for i, c in enumerate(self.space)}
        return [np.isin(c, [sidx[x] for x in g if x in sidx]).astype(np.int8) for c, g in zip(cands, gold)]

    def _fit_rows(self, feats: list[np.ndarray], labels: list[np.ndarray], docs: Sequence[int]) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        x = np.concatenate([feats[i] for i in docs])
        y = np.concatenate([labels[i] for i in docs])
        if len(np.unique(y)) < 2:
            raise ValueError(f"Stacker: need gold and non-gold candidates, received {len(y)} rows of one class")
        return HistGradientBoostingClassifier(max_iter=self.max_iter, learning_rate=self.learning_rate,
                                              random_state=self.seed).fit(x, y)

    @staticmethod
    def _scores(model: Any, fused: np.ndarray, cands: list[np.ndarray], feats: list[np.ndarray],
                docs: Sequence[int]) -> np.ndarray:
        out = np.zeros((len(docs), fused.shape[1]), np.float32)
        for r, i in enumerate(docs):
            out[r] = 1e-3 * fused[i] / (float(fused[i].max()) + 1e-9)
            if len(cands[i]):
                out[r, cands[i]] = 1.0 + model.predict_proba(feats[i])[:, 1]
        return out

    def cross_validate(self, ranked: dict[str, np.ndarray], raw: dict[str, np.ndarray],
                       gold: Sequence[Sequence[str]], folds: int = 2, seed: int = 1) -> np.ndarray:
        """Out-of-fold stacker scores over the (already out-of-fold) train documents: how good the stacker
        is on documents it was not fitted on, and where its micro-F1 threshold is chosen."""
        fused, cands, feats = self._features(ranked, raw)
        labels = self._labels(cands, gold)
        out = np.zeros_like(fused)
        for held in _folds(len(gold), folds, seed):
            rest = np.setdiff1d(np.arange(len(gold)), held)
            model = self._fit_rows(feats, labels, rest)
            out[held] = self._scores(model, fused, cands, feats, held)
        return out

    def fit(self, ranked: dict[str, np.ndarray], raw: dict[str, np.ndarray], gold: Sequence[Sequence[str]]) -> Stacker:
        _, cands, feats = self._features(ranked, raw)
        self.model = self._fit_rows(feats, self._labels(cands, gold), range(len(gold)))
        return self

    def score(self, ranked: dict[str, np.ndarray], raw: dict[str, np.ndarray]) -> np.ndarray:
        fused, cands, feats = self._features(ranked, raw)
        return self._scores(self.model, fused, cands, feats, range(fused.shape[0]))


# ---------------------------------------------------------------------------------------------- runner
def _folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return [np.sort(perm[i::k]) for i in range(k)]


def _cache_fn(cache_dir: Path | None, key: str, n_codes: int) -> Callable[[str, Callable[[], np.ndarray]], np.ndarray]:
    """Memoise component matrices on disk (derived from shared data: keep outside the repository)."""

    def get(name: str, f: Callable[[], np.ndarray]) -> np.ndarray:
        if cache_dir is None:
            return f()
        p = cache_dir / f"{key}-{name}.npy"
        if p.is_file():
            a = np.load(p)
            if a.shape[1:] == (n_codes,):  # another code space (other data limits): recompute
                return a
        a = f()
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(p, a)
        return a

    return get


def _component_key(cfg: CodiEspConfig, name: str) -> str:
    """Hash of the settings a component depends on (cache invalidation)."""
    e = cfg.ensemble
    parts: dict[str, Any] = {"limit_train": cfg.limit_train, "limit_eval": cfg.limit_eval, "seed": e.seed,
                             "folds": e.transformer_folds if name == "transformer" else e.folds,
                             "matcher": cfg.matcher.model_dump()}
    if not e.use_assertions:
        parts["no_assertions"] = True
    if name == "ranker":
        parts |= {"ranker": cfg.ranker.model_dump(), "aff": e.ranker_affirmed}
    elif name == "transformer":
        parts |= {"clf": cfg.classifier.model_dump(), "min_count": cfg.transformer_min_count}
    elif name == "linear":
        parts |= {"alpha": e.ridge_alpha, "char": e.char_ngrams}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]


def run_ensemble(cfg: CodiEspConfig, cache_dir: Path | None = None) -> dict[str, Any]:
    from autocoder.paths import shared_data_dir

    e = cfg.ensemble
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
    names = list(e.components)
    matcher = TermMatcher(cfg.matcher, tr_codes)

    ts = time.perf_counter()
    all_texts = tr_texts + ev_texts
    aff_list = affirmed_texts(all_texts) if e.use_assertions else list(all_texts)
    affirmed = dict(zip(all_texts, aff_list))
    extract_s = time.perf_counter() - ts

    # one code space: train codes + every code the matcher fires on in any document (the others score 0)
    fired: set[int] = set()
    for t in all_texts:
        fired.update(np.where(matcher.score_detail(t)[0] > 0)[0].tolist())
    train_vocab = sorted({c for cs in tr_codes for c in cs})
    space = list(dict.fromkeys(train_vocab + [matcher.codes[j] for j in sorted(fired)]))
    log.info("code space %d (train vocab %d); assertions %.1f s", len(space), len(train_vocab), extract_s)

    # 1. out-of-fold component scores on train (the transformer with fewer folds: it is the costly one; its
    # OOF scores then come from a model fitted on less data than the final one, which only under-weights it)
    oof = {k: np.zeros((len(tr_texts), len(space)), np.float32) for k in names}
    groups: dict[int, list[str]] = {}
    for k in names:
        groups.setdefault(e.transformer_folds if k == "transformer" else e.folds, []).append(k)
    for n_folds, group in groups.items():
        for fi, held in enumerate(_folds(len(tr_texts), n_folds, e.seed)):
            held_set = set(held.tolist())
            fit_idx = [i for i in range(len(tr_texts)) if i not in held_set]
            fit = ([tr_texts[i] for i in fit_idx], [tr_codes[i] for i in fit_idx])

            def cache(name: str, f: Callable[[], np.ndarray], fi: int = fi) -> np.ndarray:
                return _cache_fn(cache_dir, f"oof{fi}-{_component_key(cfg, name)}", len(space))(name, f)

            scores = component_scores(cfg, group, fit, [tr_texts[i] for i in held], space, matcher, affirmed, cache)
            for k in group:
                oof[k][held] = scores[k]
            log.info("%s: fold %d/%d done (%.0f s)", group, fi + 1, n_folds, time.perf_counter() - t0)

    # 2. weights on OOF train
    oof_ranked = {k: rank_normalise(v) for k, v in oof.items()}
    per_oof = {k: mean_average_precision(v, space, tr_codes) for k, v in oof.items()}
    weights, oof_map, trace = fit_weights(oof_ranked, oof, space, tr_codes, e.start, e.weight_grid, e.passes)
    fused_oof = fuse(oof_ranked, oof, weights)
    thr, oof_f1 = best_threshold(fused_oof, space, tr_codes)
    comp_thr = {k: best_threshold(oof[k], space, tr_codes)[0] for k in names if k != "prior"}
    log.info("weights %s, OOF MAP %.4f, threshold %.4f (OOF micro-F1 %.4f)", weights, oof_map, thr, oof_f1)

    stack_res: dict[str, Any] = {}
    stacker = None
    if e.stacker:
        ts = time.perf_counter()
        stacker = Stacker(space, weights, e.stacker_top, seed=e.seed)
        st_oof = stacker.cross_validate(oof_ranked, oof, tr_codes)
        st_thr, st_f1 = best_threshold(st_oof, space, tr_codes)
        stacker.fit(oof_ranked, oof, tr_codes)
        stack_res = {"oof_train_map": mean_average_precision(st_oof, space, tr_codes), "oof_train_micro_f1": st_f1,
                     "threshold": st_thr, "fit_seconds": round(time.perf_counter() - ts, 1)}
        log.info("stacker: %s", stack_res)

    # 3. refit on all train, score dev once
    def cache_full(name: str, f: Callable[[], np.ndarray]) -> np.ndarray:
        return _cache_fn(cache_dir, f"full-{_component_key(cfg, name)}-{cfg.eval_split}", len(space))(name, f)

    ev = component_scores(cfg, names, (tr_texts, tr_codes), ev_texts, space, matcher, affirmed, cache_full)
    ev_ranked = {k: rank_normalise(v) for k, v in ev.items()}
    fused_ev = fuse(ev_ranked, ev, weights)
    components = {}
    for k in names:
        res: dict[str, Any] = {"dev_map": mean_average_precision(ev[k], space, ev_codes), "oof_train_map": per_oof[k]}
        if k in comp_thr:
            res |= {"dev_" + m: v for m, v in micro_prf(_pred_sets(ev[k], space, comp_thr[k]), ev_codes).items()}
            res["threshold_from_oof"] = comp_thr[k]
        components[k] = res
    if stacker is not None:
        st_ev = stacker.score(ev_ranked, ev)
        stack_res["dev_map"] = mean_average_precision(st_ev, space, ev_codes)
        stack_res |= {"dev_" + m: v for m, v in micro_prf(_pred_sets(st_ev, space, stack_res["threshold"]), ev_codes).items()}
    return {
        "data": {"train_docs": len(tr_texts), "eval_docs": len(ev_texts), "code_space": len(space),
                 "eval_gold_in_train_vocab": _coverage(ev_codes, set(train_vocab)),
                 "eval_gold_in_space": _coverage(ev_codes, set(space))},
        "components": components,
        "ensemble": {"weights": weights, "oof_train_map": oof_map, "oof_train_micro_f1": oof_f1, "threshold": thr,
                     "dev_map": mean_average_precision(fused_ev, space, ev_codes),
                     **{"dev_" + m: v for m, v in micro_prf(_pred_sets(fused_ev, space, thr), ev_codes).items()}},
        "weight_trace": trace,
        "stacker": stack_res,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", type=Path, default=None, help="YAML with CodiEspConfig keys (configs/codiesp.yaml)")
    ap.add_argument("--cache-dir", type=Path, default=None, help="memoise component score matrices here (not in the repo)")
    ap.add_argument("--components", default=None, help="comma-separated subset of " + ",".join(ALL_COMPONENTS))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    cfg = load_config(args.config)
    if args.components:
        cfg = cfg.model_copy(update={"ensemble": cfg.ensemble.model_copy(
            update={"components": [c.strip() for c in args.components.split(",") if c.strip()]})})
    print(json.dumps(run_ensemble(cfg, args.cache_dir), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
