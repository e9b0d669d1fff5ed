"""Reading episodes from JSONL, a folder of .txt files or CSV, and writing JSONL.

Why a generator of (episode, error) pairs: batch callers must report every bad record by line and
id and still code the rest (FORMATS.md); nothing is silently dropped."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel, ValidationError

from autocoder.errors import RecordError
from autocoder.schemas import Episode

ReadItem = tuple[Episode | None, RecordError | None]


def _validation_message(exc: ValidationError) -> tuple[str, str | None]:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or None
    msg = err.get("msg", "invalid value")
    if err.get("type") == "missing":
        msg = "required field is missing"
    return msg, field


def parse_episode(obj: object, *, line: int | None = None) -> Episode:
    """Validate one decoded record; raise RecordError naming line, id and field."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}", line=line)
    rid = obj.get("id")
    rid = str(rid) if rid is not None else None
    if rid is not None and not isinstance(obj.get("id"), str):
        obj = {**obj, "id": rid}
    try:
        return Episode.model_validate(obj)
    except ValidationError as exc:
        msg, field = _validation_message(exc)
        raise RecordError(msg, line=line, record_id=rid, field=field) from None


def iter_jsonl_lines(lines: Iterable[str]) -> Iterator[ReadItem]:
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield None, RecordError(f"malformed JSON ({exc.msg} at column {exc.colno})", line=n)
            continue
        try:
            yield parse_episode(obj, line=n), None
        except RecordError as err:
            yield None, err


def read_episodes(path: str | Path) -> Iterator[ReadItem]:
    """Episodes from a .jsonl file, a .csv file (id,text,...) or a folder of .txt files (id = stem)."""
    p = Path(path)
    if p.is_dir():
        for f in sorted(p.glob("*.txt")):
            try:
                yield Episode(id=f.stem, text=f.read_text(encoding="utf-8")), None
            except (ValidationError, UnicodeDecodeError) as exc:
                yield None, RecordError(f"unreadable or empty text ({exc.__class__.__name__})",
                                        record_id=f.stem, field="text")
        return
    if not p.exists():
        raise FileNotFoundError(f"input {p} does not exist (expected a .jsonl file, a .csv file or a folder)")
    if p.suffix.lower() == ".csv":
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"id", "text"} - set(reader.fieldnames or [])
            if missing:
                raise RecordError(f"CSV must have columns id,text; missing {sorted(missing)}")
            for n, row in enumerate(reader, start=2):
                rec: dict = {k: v for k, v in row.items() if v not in (None, "")}
                if "age" in rec:
                    try:
                        rec["age"] = int(rec["age"])
                    except ValueError:
                        yield None, RecordError(f"age must be a whole number, got {rec['age']!r}",
                                                line=n, record_id=rec.get("id"), field="age")
                        continue
                for key in ("diagnoses", "procedures"):
                    if key in rec:
                        rec[key] = [c for c in rec[key].replace(";", " ").split() if c]
                try:
                    yield parse_episode(rec, line=n), None
                except RecordError as err:
                    yield None, err
        return
    with p.open(encoding="utf-8") as fh:
        yield from iter_jsonl_lines(fh)


def load_episodes(path: str | Path, *, strict: bool = True) -> list[Episode]:
    """All good episodes; with strict=True the first bad record raises."""
    out = []
    for ep, err in read_episodes(path):
        if err is not None:
            if strict:
                raise err
            continue
        out.append(ep)
    return out


def write_jsonl(path: str | Path, records: Iterable[BaseModel | dict]) -> int:
    n = 0
    with Path(path).open("w", encoding="utf-8") as fh:
        for r in records:
            obj = r.model_dump(exclude_none=True) if isinstance(r, BaseModel) else r
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
            n += 1
    return n
