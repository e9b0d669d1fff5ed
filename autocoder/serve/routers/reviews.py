"""Export of the coders' decisions (engineer): the latest review per episode as JSONL, the truth used
for retraining. Label Studio export itself is `autocoder review export` (review_export/)."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from autocoder.serve.deps import StoreDep
from autocoder.serve.security import EngineerUser

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


@router.get("/export", summary="Latest review per episode as JSONL (ReviewRecord)",
            responses={200: {"content": {"application/x-ndjson": {}}}})
def export_reviews(user: EngineerUser, store: StoreDep,
                   since: str | None = Query(None, description="only reviews received at or after this ISO time")):
    when = None
    if since:
        try:
            when = datetime.fromisoformat(since)
        except ValueError:
            raise HTTPException(422, f"query 'since': expected an ISO 8601 time like 2026-11-23T10:15:00Z, "
                                     f"got {since!r}") from None
    items = store.reviewed_since(when)
    body = "".join(json.dumps(i.reviews[-1].model_dump(exclude_none=True), ensure_ascii=False) + "\n"
                   for i in items)
    return Response(body, media_type="application/x-ndjson", headers={"X-Reviews": str(len(items))})
