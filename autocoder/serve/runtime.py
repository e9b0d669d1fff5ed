"""The live pipeline: loaded once in a background thread, swapped atomically on reload.

Why a holder: requests take a reference to the current pipeline at their start, so a reload never
interrupts them; the new pipeline replaces the old one in one assignment only after it loaded fully.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
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
