"""Label Studio JSON export -> training episodes (FORMATS.md episode format) with gold from the
final annotation.

Which annotation is final: cancelled (skipped) annotations are ignored; an annotation marked
ground_truth wins; otherwise the most recent one (updated_at, then created_at, then id). So an ML
engineer's later annotation, or an edit of the coder's one, overrides the coder's review.

Why the full JSON export and not JSON_MIN: JSON_MIN collapses a single selected choice to a bare
string and flattens data keys into the row; JSON keeps every result typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autocoder.errors import RecordError
from review_export import labelling as L


@dataclass
class ImportStats:
    tasks: int = 0
    episodes: int = 0
    corrections: int = 0
    accepted: int = 0
    overridden: int = 0          # final annotation is not the first (coder's) one
    ground_truth: int = 0
    cancelled_ignored: int = 0
    without_annotation: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "problems"} | {"problems": len(self.problems)}


def _ts(a: dict, key: str) -> str:
    v = a.get(key)
    return str(v) if v else ""


def choose_annotation(annotations: list[dict]) -> dict | None:
    """The final annotation of a task (see module doc); None when every one was cancelled."""
    live = [a for a in annotations or [] if not a.get("was_cancelled")]
    if not live:
        return None
    gt = [a for a in live if a.get("ground_truth")]
    pool = gt or live

    def key(a: dict) -> tuple:
        return (_ts(a, "updated_at") or _ts(a, "created_at"), _ts(a, "created_at"), int(a.get("id") or 0))

    return max(pool, key=key)


def _by_control(result: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in result or []:
        out.setdefault(r.get("from_name", ""), []).append(r)
    return out


def _choices(items: list[dict]) -> list[str]:
    vals: list[str] = []
    for r in items:
        ch = (r.get("value") or {}).get("choices") or []
        vals.extend([ch] if isinstance(ch, str) else ch)
    return vals


def _texts(items: list[dict]) -> str:
    parts: list[str] = []
    for r in items:
        t = (r.get("value") or {}).get("text") or []
        parts.extend([t] if isinstance(t, str) else t)
    return "\n".join(parts)


def _codes_from_options(values: list[str], system: str, where: str, problems: list[str]) -> list[str]:
    out = []
    for v in values:
        raw = L.option_code(v)
        try:
            c = L.normalise_code(raw, system)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{where}: {exc}")
            continue
        if c not in out:
            out.append(c)
    return out


def _final_codes(ctl: dict[str, list[dict]], system: str, where: str, problems: list[str]) -> list[str] | None:
    """Ordered codes for one system, primary first; None when the annotation says nothing about them."""
    sel_name, prim_name, extra_name = ((L.DX_CODES, L.PRIMARY_DX, L.EXTRA_DX) if system == "icd10"
                                       else (L.PROC_CODES, L.PRIMARY_PROC, L.EXTRA_PROC))
    if not any(n in ctl for n in (sel_name, prim_name, extra_name)):
        return None
    selected = _codes_from_options(_choices(ctl.get(sel_name, [])), system, where, problems)
    typed = L.parse_typed_codes(_texts(ctl.get(extra_name, [])), system)
    problems.extend(f"{where}: {p}" for p in typed.problems)
    codes = list(selected)
    for c in typed.codes:
        if c not in codes:
            codes.append(c)
    primary = typed.primary
    if primary is None:
        prim = _codes_from_options(_choices(ctl.get(prim_name, [])), system, where, problems)
        primary = prim[0] if prim else None
    if primary is not None:
        if primary not in codes:
            codes.append(primary)  # choosing a primary implies the code is in the episode
        codes.remove(primary)
        codes.insert(0, primary)
    return codes


def _spans(ctl: dict[str, list[dict]], text: str) -> list[dict]:
    spans = []
    for r in ctl.get(L.EVIDENCE, []):
        v = r.get("value") or {}
        labels = v.get("labels") or []
        if "start" not in v or "end" not in v or not labels:
            continue
        s, e = int(v["start"]), int(v["end"])
        if not (0 <= s < e <= len(text)):
            continue
        item = {"start": s, "end": e, "label": labels[0], "text": text[s:e]}
        meta = (r.get("meta") or {}).get("text")
        if meta:
            item["code"] = meta[0] if isinstance(meta, list) else str(meta)
        spans.append(item)
    return spans


def task_to_episode(task: dict, stats: ImportStats | None = None) -> dict | None:
    """One exported task -> one episode dict (FORMATS.md) or None when it has no live annotation."""
    stats = stats if stats is not None else ImportStats()
    data = task.get("data") or {}
    ep_id = data.get("episode_id")
    text = data.get("text")
    if not ep_id or not isinstance(text, str) or not text.strip():
        raise RecordError("task data must carry 'episode_id' and a non-empty 'text' (was it exported by "
                          "`autocoder review export`?)", record_id=str(task.get("id")), field="data")
    anns = task.get("annotations") or []
    stats.cancelled_ignored += sum(1 for a in anns if a.get("was_cancelled"))
    ann = choose_annotation(anns)
    if ann is None:
        stats.without_annotation += 1
        return None
    live = [a for a in anns if not a.get("was_cancelled")]
    first = min(live, key=lambda a: (_ts(a, "created_at"), int(a.get("id") or 0)))
    if ann is not first:
        stats.overridden += 1
    if ann.get("ground_truth"):
        stats.ground_truth += 1
    where = f"task {task.get('id')} episode {ep_id!r} annotation {ann.get('id')}"
    ctl = _by_control(ann.get("result") or [])
    decision = L.decision_value((_choices(ctl.get(L.DECISION, [])) or [None])[0])
    sug_dx = list(data.get("suggested_diagnoses") or [])
    sug_proc = list(data.get("suggested_procedures") or [])
    dx = _final_codes(ctl, "icd10", where, stats.problems)
    proc = _final_codes(ctl, "opcs4", where, stats.problems)
    if dx is None and proc is None and decision == L.ACCEPTED:
        dx, proc = sug_dx, sug_proc  # "accepted as suggested" without ticking anything
    dx = dx or []
    proc = proc or []
    changed = dx != sug_dx or proc != sug_proc
    if decision is None:
        decision = L.CORRECTED if changed else L.ACCEPTED
    elif decision == L.ACCEPTED and changed:
        stats.problems.append(f"{where}: decision 'accepted' but codes differ from the suggestion; "
                              "the ticked codes are used")
    if decision == L.CORRECTED or changed:
        stats.corrections += 1
    else:
        stats.accepted += 1
    note = _texts(ctl.get(L.NOTE, []))
    ep: dict[str, Any] = {"id": str(ep_id), "text": text}
    if data.get("sex") in ("M", "F", "U"):
        ep["sex"] = data["sex"]
    if isinstance(data.get("age"), int):
        ep["age"] = data["age"]
    ep["diagnoses"] = dx
    ep["procedures"] = proc
    # provenance (an optional extension field; evidence spans are partial, so not `entities`)
    ep["feedback"] = {"source": "label-studio", "task_id": task.get("id"), "annotation_id": ann.get("id"),
                      "decision": L.CORRECTED if (decision == L.CORRECTED or changed) else L.ACCEPTED,
                      "ground_truth": bool(ann.get("ground_truth")), "model_version": data.get("model_version"),
                      "suggested_diagnoses": sug_dx, "suggested_procedures": sug_proc,
                      "evidence": _spans(ctl, text), "note": note}
    stats.episodes += 1
    return ep


def episodes_from_export(rows: list[dict]) -> tuple[list[dict], ImportStats]:
    """All tasks of a JSON export -> episodes (one per episode id; a later task id wins)."""
    if not isinstance(rows, list):
        raise RecordError(f"expected a Label Studio JSON export (a list of tasks), got {type(rows).__name__}")
    stats = ImportStats()
    by_id: dict[str, dict] = {}
    for n, task in enumerate(sorted(rows, key=lambda t: int(t.get("id") or 0)), start=1):
        if not isinstance(task, dict):
            raise RecordError(f"expected a task object, got {type(task).__name__}", line=n)
        stats.tasks += 1
        ep = task_to_episode(task, stats)
        if ep is not None:
            if ep["id"] in by_id:
                stats.episodes -= 1
            by_id[ep["id"]] = ep
    return list(by_id.values()), stats


def load_export_file(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"Label Studio export {p} does not exist (expected the JSON export, a list of tasks)")
    try:
        rows = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RecordError(f"{p}: not JSON ({exc.msg} at line {exc.lineno}); export as JSON, not JSON_MIN/CSV") from None
    if isinstance(rows, list) and rows and isinstance(rows[0], dict) and "data" not in rows[0]:
        raise RecordError(f"{p}: rows have no 'data' object; this looks like a JSON_MIN export, use the JSON export")
    return rows


def write_feedback(episodes: list[dict], out: str | Path) -> int:
    """Validate every episode against the shared schema, then write JSONL (one episode a line)."""
    from autocoder.io import parse_episode, write_jsonl

    for n, ep in enumerate(episodes, start=1):
        parse_episode(ep, line=n)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    return write_jsonl(out, episodes)
