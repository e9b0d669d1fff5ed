"""Train the clinical NER (DIAGNOSIS, PROCEDURE, SYMPTOM) with spaCy's own training loop.

Why spaCy's loop and a small tok2vec (hash embeddings + CNN, no vectors, no transformer): it trains
on CPU in a few minutes from the synthetic corpus' gold spans, runs at thousands of words a second,
and the result is an ordinary spaCy directory (config.cfg + weights) that the pipeline helper copies
into the model bundle. The config is written next to the model so a run is reproducible from it."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy
import spacy
from spacy.tokens import DocBin
from spacy.util import filter_spans
from thinc.api import NumpyOps

from autocoder.extract import tokenizer as _tokenizer  # noqa: F401  (registers the clinical tokenizer)
from autocoder.extract.config import NerConfig, load_config
from autocoder.schemas import Episode

log = logging.getLogger(__name__)

CONFIG_TEMPLATE = """
[paths]
train = null
dev = null
vectors = null
init_tok2vec = null

[system]
gpu_allocator = null
seed = {seed}

[nlp]
lang = "en"
pipeline = ["tok2vec","ner"]
batch_size = 64
tokenizer = {{"@tokenizers":"autocoder.clinical_tokenizer.v1"}}

[components]

[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "spacy.Tok2Vec.v2"

[components.tok2vec.model.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = ${{components.tok2vec.model.encode.width}}
attrs = ["NORM","PREFIX","SUFFIX","SHAPE"]
rows = [{rows},{rows_small},{rows_small},{rows_small}]
include_static_vectors = false

[components.tok2vec.model.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = {width}
depth = {depth}
window_size = 1
maxout_pieces = 3

[components.ner]
factory = "ner"

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = 64
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = ${{components.tok2vec.model.encode.width}}
upstream = "*"

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${{paths.train}}
max_length = 0

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${{paths.dev}}
max_length = 0

[training]
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
seed = ${{system.seed}}
gpu_allocator = ${{system.gpu_allocator}}
dropout = {dropout}
accumulate_gradient = 1
patience = 0
max_epochs = {max_epochs}
max_steps = 0
eval_frequency = {eval_frequency}
frozen_components = []
annotating_components = []
before_to_disk = null

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = 500
stop = 3000
compound = 1.001
t = 0.0

[training.logger]
@loggers = "spacy.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = false
eps = 0.00000001
learn_rate = 0.002

[training.score_weights]
ents_f = 1.0
ents_p = 0.0
ents_r = 0.0
ents_per_type = null

[pretraining]

[initialize]
vectors = ${{paths.vectors}}
init_tok2vec = ${{paths.init_tok2vec}}
vocab_data = null
lookups = null
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]
"""


class OpenBlasOps(NumpyOps):
    """thinc's NumpyOps with gemm done by numpy.matmul (OpenBLAS) on one thread.

    Why: thinc's bundled BLIS kernel runs the tok2vec matrix products at about a third of the speed
    of numpy's OpenBLAS on this CPU (35 vs 90 GFLOP/s single-threaded, measured), and the tok2vec is
    most of the NER's time. One thread: the extractor may run in several processes, and on a shared
    machine extra BLAS threads only add overhead. Outputs agree with BLIS to float rounding (~1e-6)."""

    name = "numpy"

    def gemm(self, x, y, out=None, trans1: bool = False, trans2: bool = False):
        if trans1:
            x = x.T
        if trans2:
            y = y.T
        with _one_blas_thread():
            if out is None:
                return numpy.matmul(x, y)
            numpy.matmul(x, y, out=out)
        return out


_BLAS_LIMIT = None


def _one_blas_thread():
    """Context limiting numpy's OpenBLAS to one thread (no-op without threadpoolctl)."""
    global _BLAS_LIMIT
    if _BLAS_LIMIT is None:
        try:
            from threadpoolctl import ThreadpoolController

            ctl = ThreadpoolController().select(internal_api="openblas")
            _BLAS_LIMIT = (lambda: ctl.limit(limits=1)) if ctl.lib_controllers else contextlib.nullcontext
        except Exception:  # noqa: BLE001 - optional: without it OpenBLAS keeps its own thread count
            _BLAS_LIMIT = contextlib.nullcontext
    return _BLAS_LIMIT()


def use_fast_ops(nlp: spacy.Language) -> int:
    """Give every layer of nlp's trained components OpenBlasOps (in place); returns layers changed."""
    ops = OpenBlasOps()
    n = 0
    for _name, proc in nlp.pipeline:
        model = getattr(proc, "model", None)
        if model is None or not hasattr(model, "walk"):
            continue
        for node in model.walk():
            node.ops = ops
            n += 1
    return n


def render_config(ner: NerConfig, max_epochs: int | None = None, eval_frequency: int = 200) -> str:
    return CONFIG_TEMPLATE.format(seed=ner.seed, rows=ner.embed_rows, rows_small=max(500, ner.embed_rows // 3),
                                  width=ner.tok2vec_width, depth=ner.tok2vec_depth, dropout=ner.dropout,
                                  max_epochs=max_epochs or ner.max_epochs, eval_frequency=eval_frequency)


def episodes_to_docbin(nlp: spacy.Language, episodes: list[Episode], labels: set[str]) -> tuple[DocBin, Counter]:
    """Gold spans -> spaCy Docs. Spans are snapped outward to token boundaries; overlapping spans
    keep the longest (spaCy NER is flat)."""
    db = DocBin(store_user_data=False)
    stats: Counter = Counter()
    for ep in episodes:
        doc = nlp.make_doc(ep.text)
        spans = []
        for g in ep.entities or []:
            if g.label not in labels:
                continue
            span = doc.char_span(g.start, g.end, label=g.label, alignment_mode="expand")
            if span is None:
                stats["unaligned"] += 1
                continue
            if (span.start_char, span.end_char) != (g.start, g.end):
                stats["snapped"] += 1
            spans.append(span)
            stats[g.label] += 1
        kept = filter_spans(spans)
        stats["overlap_dropped"] += len(spans) - len(kept)
        doc.ents = kept
        db.add(doc)
        stats["docs"] += 1
    return db, stats


def corpus_stats(episodes: list[Episode], cfg, terminology=None) -> dict:
    """What the NER bundle learns besides weights, saved as corpus_stats.json:

    forms    gold mention text (lowercase; a short all-caps form keeps its case) -> {"icd10:J44.1": n}:
             extra candidate phrases, so a training wording ranks its gold code first and nearby unseen
             wordings find it by overlap;
    phrases  matcher phrase -> [n inside a gold span, n outside]: a phrase the letters mostly use
             outside coded mentions (investigations, risk statements) is left to the NER at run time.
    No document text is stored (mention strings are terminology-like, counts only)."""
    from autocoder.extract.extractor import build_index

    if terminology is None:
        from autocoder.codes import get_terminology

        terminology = get_terminology()
    forms: dict[str, Counter] = {}
    phrases: dict[str, list[int]] = {}
    index = build_index(cfg, terminology)
    for ep in episodes:
        gold = [(g.start, g.end) for g in ep.entities or []]
        for g in ep.entities or []:
            if not g.code:
                continue
            form = " ".join(ep.text[g.start:g.end].split())
            # an all-caps short form ("AGE", "MS") keeps its case: the index then knows it as an
            # abbreviation, not as the word "age"
            form = form if form.isupper() and len(form) <= 6 and " " not in form else form.lower()
            system = "opcs4" if g.label == "PROCEDURE" else "icd10"
            for code in str(g.code).replace("+", " ").split()[:1]:
                forms.setdefault(form, Counter())[f"{system}:{code}"] += 1
        for c0, c1, ph, _fuzzy in index.find_in_text(ep.text):
            key = " ".join(ph.keys)
            inside = any(a < c1 and c0 < b for a, b in gold)
            phrases.setdefault(key, [0, 0])[0 if inside else 1] += 1
    return {"episodes": len(episodes), "forms": {f: dict(c) for f, c in forms.items()}, "phrases": phrases}


def surface_forms(cfg, terminology, codes: set[str]) -> dict[str, list[str]]:
    """Other wordings of each code, from the curated synonyms and the code-title variants."""
    from autocoder.extract.lexicon import read_synonyms, title_variants

    out: dict[str, list[str]] = {}
    for term, _system, cs in read_synonyms(cfg.path(cfg.matcher.synonyms)):
        for c in cs[:1]:
            if c in codes:
                out.setdefault(c, []).append(term)
    for c in codes:
        for table in (terminology.icd10, terminology.opcs4):
            try:
                title = table.title(c)
            except Exception:  # noqa: BLE001 - code not in this table
                continue
            if title:
                out.setdefault(c, []).extend(v for v, pen in title_variants(title)[1:] if pen < 0.1)
                break
    return {c: sorted(set(v)) for c, v in out.items() if v}


def augment(episodes: list[Episode], forms: dict[str, list[str]], rng: random.Random,
            p_span: float = 0.5) -> list[Episode]:
    """Copies of the episodes with coded mentions re-worded from the terminology.

    Why: the NER must tag wordings it never saw (held-out synonyms, rare codes). Re-wording gold
    spans with title variants and curated synonyms, in varied case, teaches it to rely on the slot
    (context, section, list position) rather than memorise the training vocabulary."""
    out = []
    for ep in episodes:
        new_spans = []
        pieces, last = [], 0
        for g in sorted(ep.entities or [], key=lambda g: g.start):
            alts = forms.get(str(g.code)) if g.code else None
            if g.start < last:
                continue
            repl = ep.text[g.start:g.end]
            if alts and rng.random() < p_span:
                repl = rng.choice(alts)
                r = rng.random()
                repl = repl.upper() if r < 0.1 else repl[:1].upper() + repl[1:] if r < 0.4 else repl
            pieces.append(ep.text[last:g.start])
            start = sum(map(len, pieces))
            pieces.append(repl)
            new_spans.append(g.model_copy(update={"start": start, "end": start + len(repl), "text": repl}))
            last = g.end
        pieces.append(ep.text[last:])
        text = "".join(pieces)
        out.append(ep.model_copy(update={"id": f"{ep.id}-aug", "text": text, "entities": new_spans}))
    return out


def train_ner(episodes: list[Episode], out_dir: Path, n_iter: int | None = None, config: Path | None = None,
              max_docs: int | None = None, terminology=None, augment_fraction: float | None = None) -> Path:
    """Train tok2vec+ner on episodes' gold `entities`; save a spaCy model directory at out_dir.

    n_iter: epochs (default from configs/pipeline.yaml ner.max_epochs). Returns out_dir."""
    cfg = load_config(config)
    ner = cfg.ner
    labels = set(ner.labels)
    eps = [e for e in episodes if e.entities]
    if not eps:
        raise ValueError(f"train_ner: none of the {len(episodes)} episodes has gold `entities` spans; "
                         "expected episodes from training.synth.generate_episodes")
    rng = random.Random(ner.seed)
    rng.shuffle(eps)
    cap = max_docs or ner.max_train_docs
    eps = eps[:cap]
    n_dev = max(1, int(len(eps) * ner.dev_fraction))
    dev, train = eps[:n_dev], eps[n_dev:] or eps[:n_dev]
    frac = ner.augment_fraction if augment_fraction is None else augment_fraction
    if frac > 0:
        if terminology is None:
            from autocoder.codes import get_terminology

            terminology = get_terminology()
        codes = {str(g.code) for e in train for g in e.entities or [] if g.code}
        forms = surface_forms(cfg, terminology, codes)
        chosen = rng.sample(train, int(len(train) * frac))
        train = train + augment(chosen, forms, rng)
    out_dir = Path(out_dir)
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "autocoder.clinical_tokenizer.v1"}}})
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="autocoder-ner-") as tmp:
        tmpd = Path(tmp)
        db_train, st_train = episodes_to_docbin(nlp, train, labels)
        db_dev, _ = episodes_to_docbin(nlp, dev, labels)
        db_train.to_disk(tmpd / "train.spacy")
        db_dev.to_disk(tmpd / "dev.spacy")
        words = sum(len(e.text.split()) for e in train)
        steps_per_epoch = max(1, words // 600)
        eval_freq = max(5, min(1000, steps_per_epoch))   # about once an epoch: evaluation is not free
        (tmpd / "config.cfg").write_text(render_config(ner, n_iter, eval_freq), encoding="utf-8")
        from spacy.cli.train import train as spacy_train

        with contextlib.redirect_stdout(sys.stderr):   # spaCy's progress table must not pollute stdout
            spacy_train(tmpd / "config.cfg", tmpd / "out",
                        overrides={"paths.train": str(tmpd / "train.spacy"), "paths.dev": str(tmpd / "dev.spacy")})
        # the final weights (a fixed, small number of epochs); dev is scored below for the card
        if out_dir.exists():
            shutil.rmtree(out_dir)
        shutil.copytree(tmpd / "out" / "model-last", out_dir)
        from spacy.training import Example

        trained = spacy.load(out_dir)
        examples = [Example(trained.make_doc(d.text), d) for d in db_dev.get_docs(trained.vocab)]
        scores = trained.evaluate(examples)
    card = {
        "component": "autocoder.extract NER (spaCy tok2vec+ner)",
        "spacy_version": spacy.__version__,
        "labels": sorted(labels),
        "train_docs": len(train), "dev_docs": len(dev), "train_words": words,
        "span_stats": dict(st_train), "epochs": n_iter or ner.max_epochs,
        "seconds": round(time.time() - t0, 1),
        "dev_scores": {k: round(float(scores.get(k) or 0.0), 4) for k in ("ents_f", "ents_p", "ents_r")},
        "config": ner.model_dump(),
    }
    stats = corpus_stats(episodes, cfg, terminology)
    (out_dir / "corpus_stats.json").write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")
    card["corpus_stats"] = {"forms": len(stats["forms"]), "matcher_phrases": len(stats["phrases"]),
                            "episodes": stats["episodes"]}
    (out_dir / "model_card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
    log.info("NER trained on %d docs in %.0fs (dev ents_f=%s)", len(train), card["seconds"],
             card["dev_scores"].get("ents_f"))
    return out_dir
