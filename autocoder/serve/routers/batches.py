"""Batch coding: upload JSONL (raw body or multipart `file`), poll status, fetch results in input order."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from autocoder.serve.api_models import BatchCreated, BatchLineProblem, BatchStatus
from autocoder.serve.deps import SettingsDep, StoreDep
from autocoder.serve.security import EngineerUser
from autocoder.serve.worker import new_batch_id, parse_batch

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/batches", tags=["batches"])

_JSONL_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"},
                                     "example": '{"id": "EP-1", "text": "Diagnosis: COPD."}\n'
                                                '{"id": "EP-2", "text": "Diagnosis: pneumonia."}\n'},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
        },
    }
}


async def _read_upload(request: Request) -> bytes:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        up = form.get("file")
        if up is None or isinstance(up, str):
            raise HTTPException(422, "multipart upload: field 'file' (the JSONL file) is missing")
        return await up.read()
    return await request.body()


@router.post("", status_code=202, response_model=BatchCreated, openapi_extra=_JSONL_BODY,
             summary="Submit a JSONL batch",
             responses={413: {"description": "body over max_batch_bytes"},
                        422: {"description": "not UTF-8 text, empty, or too many lines"}})
async def create_batch(request: Request, user: EngineerUser, settings: SettingsDep, store: StoreDep,
                       top_k: int = Query(0, ge=0, le=500)):
    """Accepts one episode per line. Bad lines are reported here (line number, id, problem) and skipped;
    the rest are coded in the background. Returns the job id."""
    raw = await _read_upload(request)
    try:
        body = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"batch body: expected UTF-8 JSONL text, got undecodable bytes at offset "
                                 f"{exc.start}") from None
    try:
        parsed = parse_batch(body.splitlines(), settings.max_text_chars, settings.max_batch_lines)
    except ValueError as exc:
        raise HTTPException(413, str(exc)) from None
    if not parsed:
        raise HTTPException(422, "batch body: expected one JSON episode per line, got no records")
    batch_id = new_batch_id()
    await run_in_threadpool(store.create_batch, batch_id, parsed, top_k, user.name)
    request.app.state.worker_notify()
    errors = [BatchLineProblem(line=n, id=i, problem=p) for n, i, _, p in parsed if p]
    log.info("batch %s by %s: %d records, %d bad lines, %d bytes", batch_id, user.name, len(parsed),
             len(errors), len(raw))
    return BatchCreated(id=batch_id, status="queued", total=len(parsed), accepted=len(parsed) - len(errors),
                        failed=len(errors), errors=errors[:1000], status_url=f"/v1/batches/{batch_id}",
                        results_url=f"/v1/batches/{batch_id}/results")


@router.get("/{batch_id}", response_model=BatchStatus, summary="Batch status and progress")
def batch_status(batch_id: str, user: EngineerUser, store: StoreDep):
    try:
        info = store.batch_info(batch_id)
    except KeyError:
        raise HTTPException(404, f"batch {batch_id!r} not found") from None
    finished = info.coded + info.failed
    return BatchStatus(
        id=info.id, status=info.status, progress=(finished / info.total) if info.total else 1.0,
        counts={"total": info.total, "coded": info.coded, "failed": info.failed, "pending": info.pending},
        errors=[BatchLineProblem(line=e.line, id=e.episode_id, problem=e.problem or "") for e in info.errors],
        top_k=info.top_k, created_at=info.created_at, updated_at=info.updated_at, finished_at=info.finished_at,
        error=info.error)


@router.get("/{batch_id}/results", summary="Results as JSONL, in input order",
            responses={200: {"content": {"application/x-ndjson": {}}},
                       409: {"description": "batch not finished (pass partial=true for what is ready)"}})
def batch_results(batch_id: str, user: EngineerUser, store: StoreDep,
                  partial: bool = Query(False, description="return the results coded so far")):
    """One CodingResult per coded line, the same JSON `autocoder code` writes; failed lines are listed in
    the status (errors), not here."""
    try:
        info = store.batch_info(batch_id, max_errors=0)
    except KeyError:
        raise HTTPException(404, f"batch {batch_id!r} not found") from None
    if info.status != "done" and not partial:
        raise HTTPException(409, f"batch {batch_id!r} is {info.status} ({info.coded + info.failed}/{info.total} "
                                 "lines finished); poll GET /v1/batches/{id} or pass partial=true")
    lines = store.batch_results(batch_id)
    body = "".join(line + "\n" for line in lines)
    return Response(body, media_type="application/x-ndjson",
                    headers={"X-Batch-Status": info.status, "X-Results": str(len(lines))})
