"""Batch jobs: parse an uploaded JSONL file line by line, then code it in a background thread.

Why the state lives in the store: a batch interrupted by a restart resumes on startup with no lost and
no duplicated episodes. Lines are pending until their results are committed in one transaction with
the stored episodes; a crash redoes at most one chunk and never writes a line twice.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable

from autocoder.io import iter_jsonl_lines
from autocoder.schemas import Episode
from autocoder.serve.runtime import PipelineHolder
from autocoder.serve.store import ReviewStore

log = logging.getLogger(__name__)


def parse_batch(lines: Iterable[str], max_text_chars: int,
                max_lines: int) -> list[tuple[int, str | None, str | None, str | None]]:
    """(line_no, id, episode_json, problem) for every non-blank line, in input order, using the same
    reader as `autocoder code` (autocoder.io) so both report and skip the same records."""
    out: list[tuple[int, str | None, str | None, str | None]] = []
    first_line: dict[str, int] = {}
    raw_lines = list(lines)
    numbered = iter_jsonl_lines(raw_lines)
    # iter_jsonl_lines skips blanks; recover line numbers from the errors or by counting non-blank lines
    nonblank = [i for i, raw in enumerate(raw_lines, start=1) if raw.strip()]
    if len(nonblank) > max_lines:
        raise ValueError(f"batch has {len(nonblank)} records; the limit is {max_lines} (setting max_batch_lines)")
    for line_no, (ep, err) in zip(nonblank, numbered):
        if err is not None:
            out.append((line_no, err.record_id, None, str(err)))
            continue
        assert ep is not None
        if len(ep.text) > max_text_chars:
            out.append((line_no, ep.id, None, (f"line {line_no}, id {ep.id!r}, field 'text': {len(ep.text)} "
                                               f"characters is over the limit of {max_text_chars} (max_text_chars)")))
            continue
        if len(ep.id) > 200:
            out.append((line_no, None, None, (f"line {line_no}, field 'id': {len(ep.id)} characters is over "
                                               "the limit of 200")))
            continue
        if ep.id in first_line:
            out.append((line_no, ep.id, None, (f"line {line_no}, id {ep.id!r}, field 'id': duplicate id "
                                               f"(first seen at line {first_line[ep.id]}); ids must be unique")))
            continue
        first_line[ep.id] = line_no
        out.append((line_no, ep.id, ep.model_dump_json(exclude_none=True), None))
    return out


def new_batch_id() -> str:
    return uuid.uuid4().hex[:20]


class BatchWorker:
    """One thread that codes pending batch lines chunk by chunk, oldest batch first."""

    def __init__(self, store: ReviewStore, holder: PipelineHolder, chunk_size: int = 16, metrics=None) -> None:
        self.store, self.holder, self.chunk_size, self.metrics = store, holder, chunk_size, metrics
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self.stop_event.clear()
        self._thread = threading.Thread(target=self._run, name="autocoder-batch-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def notify(self) -> None:
        self.wake.set()

    def _run(self) -> None:
        while not self.stop_event.is_set():
            if not self.holder.ready:
                self.holder.ready_event.wait(0.5)
                continue
            try:
                worked = self.step()
            except Exception as exc:
                log.exception("batch worker step failed (%s); retrying in 2 s", exc.__class__.__name__)
                worked = False
                self.stop_event.wait(2.0)
            if not worked:
                self.wake.wait(1.0)
                self.wake.clear()

    def step(self) -> bool:
        """Code one chunk of the oldest unfinished batch; False when there is nothing to do."""
        for batch_id in self.store.unfinished_batches():
            if self.stop_event.is_set():
                return False
            lines = self.store.pending_lines(batch_id, self.chunk_size)
            if not lines:
                self.store.set_batch_status(batch_id, "done")
                log.info("batch %s done", batch_id)
                return True
            self._code_chunk(batch_id, lines)
            return True
        return False

    def _code_chunk(self, batch_id: str, lines: list[tuple[int, Episode]]) -> None:
        top_k = self.store.batch_top_k(batch_id)
        episodes = [ep for _, ep in lines]
        coded, failed = [], []
        try:
            pipe, results = self.holder.predict(episodes, top_k=top_k)
            coded = [(no, ep, res) for (no, ep), res in zip(lines, results)]
            config_hash = pipe.config_hash
        except Exception as exc:  # noqa: BLE001 - isolate the bad episode: code the chunk one by one
            log.warning("batch %s: chunk of %d failed (%s); coding one by one", batch_id, len(lines),
                        exc.__class__.__name__)
            config_hash = getattr(self.holder.pipeline, "config_hash", "unknown")
            for no, ep in lines:
                try:
                    pipe, (res,) = self.holder.predict([ep], top_k=top_k)
                    coded.append((no, ep, res))
                    config_hash = pipe.config_hash
                except Exception as exc1:  # noqa: BLE001
                    failed.append((no, f"line {no}, id {ep.id!r}: coding failed ({exc1.__class__.__name__})"))
        self.store.commit_batch_chunk(batch_id, coded, failed, config_hash)
        if self.metrics is not None:
            self.metrics.episodes_coded.labels(via="batch").inc(len(coded))
            if failed:
                self.metrics.episodes_failed.inc(len(failed))
        log.info("batch %s: %d coded, %d failed in this chunk", batch_id, len(coded), len(failed))
