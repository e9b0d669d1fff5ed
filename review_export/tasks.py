"""Turn one reviewed episode (store.reviewed_since item) into one Label Studio task.

Why predictions AND annotations: the prediction is what the model suggested (model_version, score =
episode confidence), the annotation is what the coder decided. An ML engineer auditing in Label Studio
sees both, and a later annotation of theirs overrides the coder's on import.
"""

from __future__ import annotations

from typing import Any

from autocoder.schemas import CodeSuggestion, CodingResult, Episode, ReviewRecord
from review_export import labelling as L

N_ALTERNATIVES = 5


def _latest_review(stored: Any) -> ReviewRecord:
    reviews = list(getattr(stored, "reviews", None) or [])
    if not reviews:
        raise ValueError(f"episode {stored.episode.id!r} has no review; only reviewed episodes are exported")
    # reviewed_since returns the latest per episode; be robust to a full history too
    return max(enumerate(reviews), key=lambda ir: ((ir[1].decided_at or ""), ir[0]))[1]


def _titles(result: CodingResult) -> dict[tuple[str, str], str]:
    t: dict[tuple[str, str], str] = {}
    for s in result.diagnoses:
        t[("icd10", s.code)] = s.title
    for s in result.procedures:
        t[("opcs4", s.code)] = s.title
    return t


def _options(system: str, final: list[str], suggested: list[str], ranked: list[str],
             titles: dict[tuple[str, str], str], n_alt: int) -> list[dict[str, str]]:
    """Coder's final codes first (their order), then the suggested ones, then top alternatives."""
    codes: list[str] = []
    for c in [*final, *suggested]:
        if c not in codes:
            codes.append(c)
    alt = 0
    for c in ranked:
        if alt >= n_alt:
            break
        if c not in codes:
            codes.append(c)
            alt += 1
    return [{"value": L.option_string(c, titles.get((system, c)) or L.code_title(c, system))} for c in codes]


def _option_map(options: list[dict[str, str]]) -> dict[str, str]:
    return {L.option_code(o["value"]): o["value"] for o in options}


def _choices(name: str, values: list[str], rid: str) -> dict:
    return {"id": rid, "from_name": name, "to_name": L.TEXT_TAG, "type": "choices",
            "value": {"choices": values}}


def _spans(suggestions: list[CodeSuggestion], label: str, keep: set[str] | None, prefix: str,
           text: str) -> list[dict]:
    out, seen = [], set()
    for s in suggestions:
        if keep is not None and s.code not in keep:
            continue
        for ev in s.evidence:
            key = (ev.start, ev.end, label)
            if key in seen or not (0 <= ev.start < ev.end <= len(text)):
                continue
            seen.add(key)
            out.append({"id": f"{prefix}{len(out)}", "from_name": L.EVIDENCE, "to_name": L.TEXT_TAG,
                        "type": "labels", "meta": {"text": [s.code]},
                        "value": {"start": ev.start, "end": ev.end, "text": text[ev.start:ev.end],
                                  "labels": [label]}})
    return out


def _code_results(dx: list[str], proc: list[str], dx_map: dict[str, str], proc_map: dict[str, str],
                  prefix: str) -> list[dict]:
    res = []
    if dx:
        res.append(_choices(L.DX_CODES, [dx_map[c] for c in dx], f"{prefix}dx"))
        res.append(_choices(L.PRIMARY_DX, [dx_map[dx[0]]], f"{prefix}pdx"))
    if proc:
        res.append(_choices(L.PROC_CODES, [proc_map[c] for c in proc], f"{prefix}px"))
        res.append(_choices(L.PRIMARY_PROC, [proc_map[proc[0]]], f"{prefix}ppx"))
    return res


def build_task(stored: Any, n_alternatives: int = N_ALTERNATIVES) -> dict:
    """Label Studio import JSON for one reviewed episode (one task, one prediction, one annotation)."""
    ep: Episode = stored.episode
    res: CodingResult = stored.result
    review = _latest_review(stored)
    titles = _titles(res)
    sug_dx, sug_proc = res.diagnosis_codes(), res.procedure_codes()
    fin_dx, fin_proc = list(review.final_diagnoses), list(review.final_procedures)
    ranked_dx = [r.code for r in (res.ranked_diagnoses or [])]
    ranked_proc = [r.code for r in (res.ranked_procedures or [])]
    dx_opts = _options("icd10", fin_dx, sug_dx, ranked_dx, titles, n_alternatives)
    proc_opts = _options("opcs4", fin_proc, sug_proc, ranked_proc, titles, n_alternatives)
    dx_map, proc_map = _option_map(dx_opts), _option_map(proc_opts)

    header = (f"{ep.id} | sex {ep.sex or '?'} | age {ep.age if ep.age is not None else '?'} | "
              f"model {res.model_version} | confidence {res.confidence:.2f} | reviewed by {review.reviewer}")
    data = {"text": ep.text, "episode_id": ep.id, "header": header,
            "dx_options": dx_opts, "proc_options": proc_opts,
            "sex": ep.sex, "age": ep.age, "model_version": res.model_version,
            "confidence": round(float(res.confidence), 4), "reviewer": review.reviewer,
            "reviewed_at": review.decided_at, "suggested_diagnoses": sug_dx,
            "suggested_procedures": sug_proc}

    pred_result = _code_results(sug_dx, sug_proc, dx_map, proc_map, "p-")
    pred_result += _spans(res.diagnoses, "DIAGNOSIS", None, "p-dxev", ep.text)
    pred_result += _spans(res.procedures, "PROCEDURE", None, "p-pxev", ep.text)
    prediction = {"model_version": res.model_version, "score": round(float(res.confidence), 4),
                  "result": pred_result}

    decision = L.ACCEPTED if (fin_dx == sug_dx and fin_proc == sug_proc) else L.CORRECTED
    ann_result = _code_results(fin_dx, fin_proc, dx_map, proc_map, "a-")
    ann_result += _spans(res.diagnoses, "DIAGNOSIS", set(fin_dx), "a-dxev", ep.text)
    ann_result += _spans(res.procedures, "PROCEDURE", set(fin_proc), "a-pxev", ep.text)
    ann_result.append(_choices(L.DECISION, [decision], "a-decision"))
    if review.comment:
        ann_result.append({"id": "a-note", "from_name": L.NOTE, "to_name": L.TEXT_TAG, "type": "textarea",
                           "value": {"text": [review.comment]}})
    annotation = {"result": ann_result, "ground_truth": False}
    return {"data": data, "predictions": [prediction], "annotations": [annotation]}


def build_tasks(stored_items: list[Any], n_alternatives: int = N_ALTERNATIVES) -> list[dict]:
    return [build_task(s, n_alternatives) for s in stored_items]
