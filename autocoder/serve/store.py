"""The review store: coded episodes, the coders' reviews (append-only audit trail), batch jobs and
export marks, in one SQLAlchemy 2 database (SQLite with WAL by default, PostgreSQL by URL).

Why a database and not files: the API, the batch worker and the Label Studio exporter write at the
same time; reviews are the training truth and must never be edited or lost, so the reviews table
refuses UPDATE and DELETE (ORM guard plus a database trigger) and every coding event is kept too.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from autocoder.errors import AutocoderError
from autocoder.schemas import CodingResult, Episode, ReviewDecision, ReviewRecord

log = logging.getLogger(__name__)

Status = Literal["needs_review", "reviewed", "all"]


# --------------------------------------------------------------------------------------- errors
class EpisodeNotFoundError(AutocoderError, KeyError):
    def __init__(self, episode_id: str) -> None:
        self.episode_id = episode_id
        super().__init__(f"episode {episode_id!r} is not in the review store (code it first: POST /v1/code)")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


@dataclass
class FieldProblem:
    """One invalid part of a review: the JSON path of the field, the code involved, what is wrong."""

    field: str
    message: str
    code: str | None = None

    def as_dict(self) -> dict:
        return {"loc": ["body", *self.field.replace("]", "").replace("[", ".").split(".")],
                "field": self.field, "code": self.code, "msg": self.message, "type": "review_invalid"}


class ReviewValidationError(AutocoderError, ValueError):
    """A review that cannot be stored as is; `problems` names every bad field and code."""

    def __init__(self, episode_id: str, problems: list[FieldProblem]) -> None:
        self.episode_id, self.problems = episode_id, problems
        msg = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(f"review of episode {episode_id!r} rejected: {msg}")


class ReviewConflictError(AutocoderError, ValueError):
    """The review was made on another model version's suggestion than the one stored now."""


class AppendOnlyError(AutocoderError, RuntimeError):
    """Someone tried to change or delete a stored review."""


# --------------------------------------------------------------------------------------- tables
class Base(DeclarativeBase):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


class EpisodeRow(Base):
    """The current suggestion for one episode (the latest coding event)."""

    __tablename__ = "episodes"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    episode_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str] = mapped_column(String(200))
    config_hash: Mapped[str] = mapped_column(String(200))
    needs_review: Mapped[bool] = mapped_column(Boolean, index=True)
    confidence: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    coded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    n_reviews: Mapped[int] = mapped_column(Integer, default=0, index=True)
    last_review_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CodingEventRow(Base):
    """Every coding of every episode (append-only): which model said what, when."""

    __tablename__ = "coding_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    episode_id: Mapped[str] = mapped_column(String(200), index=True)
    model_version: Mapped[str] = mapped_column(String(200))
    config_hash: Mapped[str] = mapped_column(String(200))
    result_json: Mapped[str] = mapped_column(Text)
    batch_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    coded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ReviewRow(Base):
    """One coder decision (append-only: the audit trail)."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    episode_id: Mapped[str] = mapped_column(String(200), ForeignKey("episodes.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    submitted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    record_json: Mapped[str] = mapped_column(Text)


class ExportRow(Base):
    __tablename__ = "exports"
    episode_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    target: Mapped[str] = mapped_column(String(400), primary_key=True)
    exported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class BatchRow(Base):
    __tablename__ = "batch_jobs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)   # queued | running | done | failed
    top_k: Mapped[int] = mapped_column(Integer, default=0)
    submitted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class BatchLineRow(Base):
    """One input line of a batch: pending until its result is committed (exactly once)."""

    __tablename__ = "batch_lines"
    batch_id: Mapped[str] = mapped_column(String(64), ForeignKey("batch_jobs.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)   # pending | coded | failed
    episode_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)


@event.listens_for(ReviewRow, "before_update")
def _no_review_update(mapper, connection, target) -> None:
    raise AppendOnlyError(f"review #{target.id} is part of the audit trail and cannot be changed")


@event.listens_for(ReviewRow, "before_delete")
def _no_review_delete(mapper, connection, target) -> None:
    raise AppendOnlyError(f"review #{target.id} is part of the audit trail and cannot be deleted")


_SQLITE_TRIGGERS = [
    ("CREATE TRIGGER IF NOT EXISTS reviews_no_update BEFORE UPDATE ON reviews "
     "BEGIN SELECT RAISE(ABORT, 'reviews are append-only (audit trail)'); END"),
    ("CREATE TRIGGER IF NOT EXISTS reviews_no_delete BEFORE DELETE ON reviews "
     "BEGIN SELECT RAISE(ABORT, 'reviews are append-only (audit trail)'); END"),
]
_PG_TRIGGERS = [
    ("CREATE OR REPLACE FUNCTION reviews_append_only() RETURNS trigger AS $$ BEGIN "
     "RAISE EXCEPTION 'reviews are append-only (audit trail)'; END; $$ LANGUAGE plpgsql"),
    "DROP TRIGGER IF EXISTS reviews_no_change ON reviews",
    ("CREATE TRIGGER reviews_no_change BEFORE UPDATE OR DELETE ON reviews "
     "FOR EACH ROW EXECUTE FUNCTION reviews_append_only()"),
]


# --------------------------------------------------------------------------------------- values
@dataclass
class StoredEpisode:
    """An episode as stored: the letter, the current suggestion and its reviews (oldest first)."""

    episode: Episode
    result: CodingResult
    reviews: list[ReviewRecord]
    config_hash: str
    model_version: str = ""
    coded_at: datetime | None = None
    batch_id: str | None = None
    needs_review: bool = True

    @property
    def status(self) -> str:
        if self.reviews:
            return "reviewed"
        return "needs_review" if self.needs_review else "auto_coded"

    @property
    def latest_review(self) -> ReviewRecord | None:
        return self.reviews[-1] if self.reviews else None


@dataclass
class WorklistItem:
    """A worklist row: no letter text (the list is for choosing, the episode view shows the text)."""

    id: str
    model_version: str
    confidence: float
    needs_review: bool
    n_reviews: int
    coded_at: datetime
    primary_diagnosis: str | None
    n_diagnoses: int
    n_procedures: int
    n_warnings: int
    batch_id: str | None = None

    @property
    def status(self) -> str:
        if self.n_reviews:
            return "reviewed"
        return "needs_review" if self.needs_review else "auto_coded"


@dataclass
class BatchLine:
    line: int
    status: str
    episode_id: str | None = None
    problem: str | None = None


@dataclass
class BatchInfo:
    id: str
    status: str
    total: int
    coded: int
    failed: int
    pending: int
    top_k: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    errors: list[BatchLine] = field(default_factory=list)
    error: str | None = None


def _dump_result(result: CodingResult) -> str:
    """The same JSON `autocoder code` writes (autocoder.io.write_jsonl): None fields left out."""
    return json.dumps(result.model_dump(exclude_none=True), ensure_ascii=False)


def _utc(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:  # SQLite returns naive datetimes
        return dt.replace(tzinfo=UTC)
    return dt


def default_url() -> str:
    from autocoder.paths import data_home

    return f"sqlite:///{data_home() / 'review.db'}"


def _iso_z(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------------------- store
class ReviewStore:
    """Review store API of docs/INTERFACES.md, plus batch job state for the server's worker.

    `terminology` (optional) validates review codes; default: autocoder.codes.get_terminology() on first
    review. Thread-safe: one engine, one short session per call."""

    def __init__(self, url: str | None = None, *, terminology: Any = None, echo: bool = False) -> None:
        self.url = url or default_url()
        self._terminology = terminology
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.engine)
        self._install_triggers()
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock() if self.is_sqlite else None

    # -- plumbing
    def _install_triggers(self) -> None:
        ddl = _SQLITE_TRIGGERS if self.is_sqlite else (
            _PG_TRIGGERS if self.engine.dialect.name == "postgresql" else [])
        with self.engine.begin() as conn:
            for stmt in ddl:
                conn.execute(text(stmt))

    def _write(self):
        """A session for writes; on SQLite one writer at a time avoids 'database is locked' retries."""
        return _WriteSession(self._session, self._write_lock)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def terminology(self):
        if self._terminology is None:
            from autocoder.codes import get_terminology

            self._terminology = get_terminology()
        return self._terminology

    # -- coded episodes
    def save_coded(self, episode: Episode, result: CodingResult, config_hash: str,
                   batch_id: str | None = None) -> None:
        """Store (or replace) the current suggestion for an episode and append a coding event."""
        with self._write() as s:
            self._save_coded(s, episode, result, config_hash, batch_id)

    def _save_coded(self, s: Session, episode: Episode, result: CodingResult, config_hash: str,
                    batch_id: str | None) -> None:
        now = _now()
        rjson = result.model_dump_json()
        row = s.get(EpisodeRow, episode.id)
        if row is None:
            row = EpisodeRow(id=episode.id, n_reviews=0)
            s.add(row)
        row.episode_json = episode.model_dump_json(exclude_none=True)
        row.result_json = rjson
        row.model_version = result.model_version
        row.config_hash = config_hash
        row.needs_review = bool(result.needs_review)
        row.confidence = float(result.confidence)
        row.batch_id = batch_id
        row.coded_at = now
        s.add(CodingEventRow(episode_id=episode.id, model_version=result.model_version,
                             config_hash=config_hash, result_json=rjson, batch_id=batch_id, coded_at=now))

    def _stored(self, row: EpisodeRow, reviews: list[ReviewRow]) -> StoredEpisode:
        return StoredEpisode(
            episode=Episode.model_validate_json(row.episode_json),
            result=CodingResult.model_validate_json(row.result_json),
            reviews=[ReviewRecord.model_validate_json(r.record_json) for r in reviews],
            config_hash=row.config_hash, model_version=row.model_version, coded_at=_utc(row.coded_at),
            batch_id=row.batch_id, needs_review=row.needs_review)

    def get(self, episode_id: str) -> StoredEpisode:
        with self._session() as s:
            row = s.get(EpisodeRow, episode_id)
            if row is None:
                raise EpisodeNotFoundError(episode_id)
            reviews = s.scalars(select(ReviewRow).where(ReviewRow.episode_id == episode_id)
                                .order_by(ReviewRow.id)).all()
            return self._stored(row, list(reviews))

    def _status_filter(self, stmt, status: str):
        if status == "needs_review":
            return stmt.where(EpisodeRow.needs_review.is_(True), EpisodeRow.n_reviews == 0)
        if status == "reviewed":
            return stmt.where(EpisodeRow.n_reviews > 0)
        if status == "auto_coded":
            return stmt.where(EpisodeRow.needs_review.is_(False), EpisodeRow.n_reviews == 0)
        if status == "all":
            return stmt
        raise ValueError(f"status must be needs_review, reviewed, auto_coded or all, got {status!r}")

    def list_episodes(self, status: Status | str = "needs_review", limit: int = 50,
                      offset: int = 0) -> list[WorklistItem]:
        """The worklist: least confident first for needs_review (the coder's best use of time), else newest."""
        stmt = self._status_filter(select(EpisodeRow), status)
        if status == "needs_review":
            stmt = stmt.order_by(EpisodeRow.confidence.asc(), EpisodeRow.coded_at.asc(), EpisodeRow.id)
        else:
            stmt = stmt.order_by(EpisodeRow.coded_at.desc(), EpisodeRow.id)
        with self._session() as s:
            rows = s.scalars(stmt.limit(limit).offset(offset)).all()
            out = []
            for r in rows:
                res = json.loads(r.result_json)
                dx = res.get("diagnoses") or []
                out.append(WorklistItem(
                    id=r.id, model_version=r.model_version, confidence=r.confidence, needs_review=r.needs_review,
                    n_reviews=r.n_reviews, coded_at=_utc(r.coded_at),
                    primary_diagnosis=dx[0]["code"] if dx else None, n_diagnoses=len(dx),
                    n_procedures=len(res.get("procedures") or []),
                    n_warnings=len(res.get("warnings") or []), batch_id=r.batch_id))
            return out

    def count_episodes(self, status: Status | str = "needs_review") -> int:
        stmt = self._status_filter(select(func.count()).select_from(EpisodeRow), status)
        with self._session() as s:
            return int(s.scalar(stmt) or 0)

    # -- reviews
    def validate_review(self, record: ReviewRecord, stored: StoredEpisode | None = None) -> ReviewRecord:
        """The record with canonical codes, or ReviewValidationError naming every bad field and code."""
        stored = stored or self.get(record.episode_id)
        res = stored.result
        if record.model_version and record.model_version != res.model_version:
            raise ReviewConflictError(
                f"review of episode {record.episode_id!r} was made on model_version {record.model_version!r} "
                f"but the stored suggestion is from {res.model_version!r}; reload the episode and review again")
        term = self.terminology
        suggested = {"icd10": [c.code for c in res.diagnoses], "opcs4": [c.code for c in res.procedures]}
        problems: list[FieldProblem] = []

        def norm(code: str, system: str, fld: str) -> str | None:
            tab = term.icd10 if system == "icd10" else term.opcs4
            try:
                c = tab.normalise(code)
                if hasattr(tab, "is_valid") and not tab.is_valid(c):
                    raise ValueError(code)
                return c
            except Exception:  # noqa: BLE001 - UnknownCodeError or a malformed string
                name = "ICD-10" if system == "icd10" else "OPCS-4"
                problems.append(FieldProblem(fld, f"unknown {name} code {code!r}", code))
                return None

        finals: dict[str, list[str]] = {}
        for system, key in (("icd10", "final_diagnoses"), ("opcs4", "final_procedures")):
            seen: dict[str, int] = {}
            out = []
            for i, code in enumerate(getattr(record, key)):
                c = norm(code, system, f"{key}[{i}]")
                if c is None:
                    continue
                if c in seen:
                    problems.append(FieldProblem(f"{key}[{i}]", f"code {c} is listed twice (also at "
                                                 f"{key}[{seen[c]}])", c))
                    continue
                seen[c] = i
                out.append(c)
            finals[system] = out

        decisions: list[ReviewDecision] = []
        decided: dict[str, int] = {}
        for i, d in enumerate(record.decisions):
            fld = f"decisions[{i}].code"
            raw = d.code
            system = (d.model_extra or {}).get("system")
            cand_systems = [system] if system in ("icd10", "opcs4") else ["icd10", "opcs4"]
            code, sys_found = None, None
            # which system: the one whose suggestion or final list holds it, else the first that knows it
            for sysname in cand_systems:
                tab = term.icd10 if sysname == "icd10" else term.opcs4
                try:
                    c = tab.normalise(raw)
                except Exception:  # noqa: BLE001, S112 - not a code of this system: try the next
                    continue
                if c in suggested[sysname] or c in finals[sysname]:
                    code, sys_found = c, sysname
                    break
                if code is None and (not hasattr(tab, "is_valid") or tab.is_valid(c)):
                    code, sys_found = c, sysname
            if code is None:
                problems.append(FieldProblem(fld, f"unknown code {raw!r} (neither ICD-10 nor OPCS-4)", raw))
                continue
            if code in decided:
                problems.append(FieldProblem(fld, f"code {code} has two decisions (also decisions"
                                             f"[{decided[code]}])", code))
                continue
            decided[code] = i
            was_suggested = code in suggested[sys_found]
            in_final = code in finals[sys_found]
            final_key = "final_diagnoses" if sys_found == "icd10" else "final_procedures"
            if d.decision in ("accepted", "rejected") and not was_suggested:
                problems.append(FieldProblem(fld, f"code {code} was {d.decision} but the model did not suggest it "
                                             f"(suggested: {', '.join(suggested[sys_found]) or 'none'}); "
                                             "use decision 'added'", code))
            elif d.decision == "added" and was_suggested:
                problems.append(FieldProblem(fld, f"code {code} was added but the model already suggested it; "
                                             "use decision 'accepted'", code))
            elif d.decision == "rejected" and in_final:
                problems.append(FieldProblem(fld, f"code {code} was rejected but is in {final_key}", code))
            elif d.decision in ("accepted", "added") and not in_final:
                problems.append(FieldProblem(fld, f"code {code} was {d.decision} but is missing from {final_key}",
                                             code))
            decisions.append(ReviewDecision.model_validate({**d.model_dump(), "code": code}))

        decided_at = record.decided_at
        if decided_at:
            try:
                datetime.fromisoformat(decided_at)  # 3.11 reads a trailing Z
            except ValueError:
                problems.append(FieldProblem("decided_at", f"expected an ISO 8601 time like 2026-11-23T10:15:00Z, "
                                             f"got {decided_at!r}"))
        if problems:
            raise ReviewValidationError(record.episode_id, problems)
        return record.model_copy(update={
            "decisions": decisions, "final_diagnoses": finals["icd10"], "final_procedures": finals["opcs4"],
            "model_version": record.model_version or res.model_version,
            "decided_at": decided_at or _iso_z(_now())})

    def add_review(self, record: ReviewRecord, submitted_by: str | None = None) -> int:
        """Validate and append a review; returns its id. Reviews are never updated or deleted."""
        clean = self.validate_review(record)
        with self._write() as s:
            row = ReviewRow(episode_id=clean.episode_id, reviewer=clean.reviewer, submitted_by=submitted_by,
                            model_version=clean.model_version, decided_at=clean.decided_at, received_at=_now(),
                            record_json=clean.model_dump_json())
            s.add(row)
            s.execute(update(EpisodeRow).where(EpisodeRow.id == clean.episode_id)
                      .values(n_reviews=EpisodeRow.n_reviews + 1, last_review_at=row.received_at))
            s.flush()
            return int(row.id)

    def reviewed_since(self, since: datetime | None = None) -> list[StoredEpisode]:
        """Episodes with a review received at/after `since`; `reviews` holds only the latest review."""
        latest = select(ReviewRow.episode_id, func.max(ReviewRow.id).label("rid")).group_by(ReviewRow.episode_id)
        if since is not None:
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            latest = latest.where(ReviewRow.received_at >= since)
        sub = latest.subquery()
        with self._session() as s:
            rows = s.execute(select(EpisodeRow, ReviewRow).join(sub, sub.c.episode_id == EpisodeRow.id)
                             .join(ReviewRow, ReviewRow.id == sub.c.rid).order_by(ReviewRow.id)).all()
            return [self._stored(ep, [rv]) for ep, rv in rows]

    def review_history(self, episode_id: str) -> list[dict]:
        """The audit trail for one episode: every review with who submitted it and when it arrived."""
        with self._session() as s:
            rows = s.scalars(select(ReviewRow).where(ReviewRow.episode_id == episode_id).order_by(ReviewRow.id))
            return [{"review_id": r.id, "reviewer": r.reviewer, "submitted_by": r.submitted_by,
                     "received_at": _iso_z(_utc(r.received_at)), "record": json.loads(r.record_json)}
                    for r in rows]

    # -- export marks (review_export)
    def mark_exported(self, episode_ids: Iterable[str], target: str) -> None:
        ids = list(dict.fromkeys(episode_ids))
        if not ids:
            return
        with self._write() as s:
            have = set(s.scalars(select(ExportRow.episode_id).where(ExportRow.target == target,
                                                                    ExportRow.episode_id.in_(ids))))
            for eid in ids:
                if eid not in have:
                    s.add(ExportRow(episode_id=eid, target=target, exported_at=_now()))

    def exported_ids(self, target: str) -> set[str]:
        with self._session() as s:
            return set(s.scalars(select(ExportRow.episode_id).where(ExportRow.target == target)))

    # -- batch jobs
    def create_batch(self, batch_id: str, lines: Sequence[tuple[int, str | None, str | None, str | None]],
                     top_k: int = 0, submitted_by: str | None = None) -> None:
        """lines: (line_no, episode_id, episode_json or None, problem or None); bad lines are failed at once."""
        with self._write() as s:
            s.add(BatchRow(id=batch_id, status="queued", top_k=top_k, submitted_by=submitted_by,
                           total=len(lines), created_at=_now(), updated_at=_now()))
            s.flush()
            for no, eid, ejson, problem in lines:
                s.add(BatchLineRow(batch_id=batch_id, line_no=no, episode_id=eid,
                                   status="failed" if problem else "pending", episode_json=ejson, problem=problem))

    def unfinished_batches(self) -> list[str]:
        with self._session() as s:
            return list(s.scalars(select(BatchRow.id).where(BatchRow.status.in_(("queued", "running")))
                                  .order_by(BatchRow.created_at, BatchRow.id)))

    def pending_lines(self, batch_id: str, limit: int) -> list[tuple[int, Episode]]:
        with self._session() as s:
            rows = s.scalars(select(BatchLineRow).where(BatchLineRow.batch_id == batch_id,
                                                        BatchLineRow.status == "pending")
                             .order_by(BatchLineRow.line_no).limit(limit)).all()
            return [(r.line_no, Episode.model_validate_json(r.episode_json)) for r in rows]

    def batch_top_k(self, batch_id: str) -> int:
        with self._session() as s:
            row = s.get(BatchRow, batch_id)
            return row.top_k if row else 0

    def set_batch_status(self, batch_id: str, status: str, error: str | None = None) -> None:
        with self._write() as s:
            row = s.get(BatchRow, batch_id)
            if row is None:
                return
            row.status, row.updated_at = status, _now()
            if error is not None:
                row.error = error
            if status in ("done", "failed"):
                row.finished_at = _now()

    def commit_batch_chunk(self, batch_id: str, coded: Sequence[tuple[int, Episode, CodingResult]],
                           failed: Sequence[tuple[int, str]], config_hash: str) -> None:
        """One transaction: results, per-line status and the stored episodes, so a crash loses or
        duplicates nothing (uncommitted lines stay pending and are coded again after a restart)."""
        with self._write() as s:
            for no, ep, res in coded:
                line = s.get(BatchLineRow, (batch_id, no))
                if line is None or line.status != "pending":
                    continue  # already committed by an earlier run: exactly once
                line.status, line.result_json = "coded", _dump_result(res)
                self._save_coded(s, ep, res, config_hash, batch_id)
            for no, problem in failed:
                line = s.get(BatchLineRow, (batch_id, no))
                if line is not None and line.status == "pending":
                    line.status, line.problem = "failed", problem
            job = s.get(BatchRow, batch_id)
            if job is not None:
                job.updated_at = _now()
                if job.status == "queued":
                    job.status = "running"

    def batch_info(self, batch_id: str, max_errors: int = 1000) -> BatchInfo:
        with self._session() as s:
            job = s.get(BatchRow, batch_id)
            if job is None:
                raise KeyError(batch_id)
            counts = dict(s.execute(select(BatchLineRow.status, func.count()).where(
                BatchLineRow.batch_id == batch_id).group_by(BatchLineRow.status)).all())
            errs = s.scalars(select(BatchLineRow).where(BatchLineRow.batch_id == batch_id,
                                                        BatchLineRow.status == "failed")
                             .order_by(BatchLineRow.line_no).limit(max_errors)).all()
            return BatchInfo(id=job.id, status=job.status, total=job.total, coded=counts.get("coded", 0),
                             failed=counts.get("failed", 0), pending=counts.get("pending", 0), top_k=job.top_k,
                             created_at=_utc(job.created_at), updated_at=_utc(job.updated_at),
                             finished_at=_utc(job.finished_at), error=job.error,
                             errors=[BatchLine(line=e.line_no, status=e.status, episode_id=e.episode_id,
                                               problem=e.problem) for e in errs])

    def batch_results(self, batch_id: str) -> Iterable[str]:
        """Result JSON lines of the coded lines, in input order."""
        with self._session() as s:
            if s.get(BatchRow, batch_id) is None:
                raise KeyError(batch_id)
            rows = s.scalars(select(BatchLineRow.result_json).where(BatchLineRow.batch_id == batch_id,
                                                                    BatchLineRow.status == "coded")
                             .order_by(BatchLineRow.line_no)).all()
        return list(rows)


class _WriteSession:
    def __init__(self, factory, lock: threading.Lock | None) -> None:
        self.factory, self.lock = factory, lock

    def __enter__(self) -> Session:
        if self.lock is not None:
            self.lock.acquire()
        self.session = self.factory()
        self.session.begin()
        return self.session

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()
            if self.lock is not None:
                self.lock.release()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
    finally:
        cur.close()
