"""The live pipeline: loaded once in a background thread, swapped atomically on reload.

Why a holder: requests take a reference to the current pipeline at their start, so a reload never
interrupts them; the new pipeline replaces the old one in one assignment only after it loaded fully.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from autocoder.schemas import CodingResult, Episode

log = logging.getLogger(__name__)


class PipelineLike(Protocol):
    model_version: str
    config_hash: str

    def predict(self, episodes: Sequence[Episode], top_k: int = 0) -> list[CodingResult]: ...


def default_loader(source: str | None) -> PipelineLike:
    from autocoder.pipeline import CodingPipeline

    return CodingPipeline.load(source)


class PipelineHolder:
    def __init__(self, source: str | None, loader: Callable[[str | None], PipelineLike] | None = None,
                 pipeline: PipelineLike | None = None, concurrency: int = 1,
                 on_swap: Callable[[PipelineLike], None] | None = None) -> None:
        self.source = source
        self.loader = loader or default_loader
        self._pipeline = pipeline
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.loading = False
        self.last_error: str | None = None
        self.loaded_at: float | None = time.time() if pipeline is not None else None
        self.load_seconds: float | None = None
        self.predict_slots = threading.BoundedSemaphore(concurrency)
        self.on_swap = on_swap
        self.ready_event = threading.Event()
        if pipeline is not None:
            self.ready_event.set()

    @property
    def pipeline(self) -> PipelineLike | None:
        return self._pipeline

    @property
    def ready(self) -> bool:
        return self._pipeline is not None

    def load_async(self, source: str | None = None) -> bool:
        """Start loading `source` (default: the configured one) in a thread; False if one is running."""
        with self._lock:
            if self.loading:
                return False
            self.loading = True
            src = self.source if source is None else source
            self._thread = threading.Thread(target=self._load, args=(src,), name="autocoder-model-load",
                                            daemon=True)
            self._thread.start()
            return True

    def _load(self, source: str | None) -> None:
        t0 = time.perf_counter()
        try:
            log.info("loading model from %s", source or "the default bundle")
            new = self.loader(source)
            self._pipeline = new   # the atomic swap: one reference assignment
            self.source = source
            self.loaded_at, self.load_seconds = time.time(), time.perf_counter() - t0
            self.last_error = None
            self.ready_event.set()
            log.info("model %s ready in %.1f s", getattr(new, "model_version", "?"), self.load_seconds)
            if self.on_swap is not None:
                self.on_swap(new)
        except Exception as exc:  # noqa: BLE001 - keep serving the old pipeline, report on /health/ready
            self.last_error = f"{exc.__class__.__name__}: {exc}"
            log.error("model load from %s failed: %s", source or "the default bundle", self.last_error)
        finally:
            with self._lock:
                self.loading = False

    def wait(self, timeout: float | None = None) -> bool:
        """For tests and the bench: block until a model is loaded (or the current load finished)."""
        t = self._thread
        if t is not None:
            t.join(timeout)
        return self.ready

    def predict(self, episodes: Sequence[Episode], top_k: int = 0,
                pipeline: PipelineLike | None = None) -> tuple[PipelineLike, list[CodingResult]]:
        pipe = pipeline or self._pipeline
        if pipe is None:
            raise RuntimeError("model not loaded yet")
        with self.predict_slots:
            results = pipe.predict(list(episodes), top_k=top_k)
        if len(results) != len(episodes):
            raise RuntimeError(f"pipeline returned {len(results)} results for {len(episodes)} episodes")
        return pipe, results

    def info(self) -> dict[str, Any]:
        p = self._pipeline
        return {"ready": p is not None, "loading": self.loading, "source": self.source,
                "model_version": getattr(p, "model_version", None), "config_hash": getattr(p, "config_hash", None),
                "loaded_at": self.loaded_at, "load_seconds": self.load_seconds, "last_error": self.last_error}


class MicroBatcher:
    """Groups concurrent single-episode requests into one predict call.

    Why: an encoder usually codes a batch faster per letter than single calls, and with one predict at a
    time (2 cores) requests queue anyway. Off by default (settings.micro_batch_max = 0): measure with
    bench/load_code.py --micro-batch N on the target machine first. Whatever is
    queued while the model is busy goes into the next call; nothing waits for a batch to fill up. A
    failing batch is retried one by one, so one bad letter fails only its own request."""

    def __init__(self, holder: PipelineHolder, max_batch: int = 8) -> None:
        self.holder, self.max_batch = holder, max_batch
        self._q: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._held: tuple | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, episode: Episode, top_k: int = 0) -> Future:
        if self._thread is None:   # started on first use, after the model (and torch) loaded
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="autocoder-micro-batcher", daemon=True)
                    self._thread.start()
        fut: Future = Future()
        self._q.put((episode, top_k, fut))
        return fut

    def code(self, episode: Episode, top_k: int = 0,
             timeout: float | None = 600) -> tuple[PipelineLike, CodingResult]:
        return self.submit(episode, top_k).result(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._q.put(None)
        if self._thread is not None:
            self._thread.join(5)

    def _next_batch(self) -> list[tuple]:
        first = self._held or self._q.get()
        self._held = None
        if first is None:
            return []
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._stop.set()
                break
            if item[1] != first[1]:      # another top_k: next call
                self._held = item
                break
            batch.append(item)
        return batch

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._next_batch()
            if not batch:
                continue
            batch = [b for b in batch if b[2].set_running_or_notify_cancel()]
            if not batch:
                continue
            top_k = batch[0][1]
            try:
                pipe, results = self.holder.predict([b[0] for b in batch], top_k=top_k)
                for (_, _, fut), res in zip(batch, results):
                    fut.set_result((pipe, res))
            except Exception:  # noqa: BLE001 - isolate: one by one
                for ep, _, fut in batch:
                    try:
                        pipe, (res,) = self.holder.predict([ep], top_k=top_k)
                        fut.set_result((pipe, res))
                    except Exception as exc:  # noqa: BLE001
                        fut.set_exception(exc)
        while True:   # fail what is left so no request hangs
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                break
            if item is not None and item[2].set_running_or_notify_cancel():
                item[2].set_exception(RuntimeError("service shutting down"))
