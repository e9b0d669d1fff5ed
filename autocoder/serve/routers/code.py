"""POST /v1/code: one episode in, one suggestion out (and stored for review)."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Request

from autocoder.serve.api_models import EPISODE_EXAMPLE, CodingResultOut, EpisodeIn
from autocoder.serve.deps import HolderDep, MetricsDep, SettingsDep, StoreDep
from autocoder.serve.security import CoderUser

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["code"])


def check_text(ep: EpisodeIn, max_chars: int) -> None:
    if len(ep.text) > max_chars:
        raise HTTPException(413, f"episode {ep.id!r}, field 'text': {len(ep.text)} characters is over the "
                                 f"limit of {max_chars} (setting max_text_chars)")


def require_ready(holder) -> None:
    if not holder.ready:
        raise HTTPException(503, "model not loaded yet; retry shortly (GET /health/ready)",
                            headers={"Retry-After": "5"})


@router.post("/code", response_model=CodingResultOut, response_model_exclude_none=True,
             summary="Code one episode",
             responses={401: {"description": "missing or unknown API key"}, 413: {"description": "too large"},
                        422: {"description": "invalid episode (the message names the field)"},
                        503: {"description": "model not loaded yet"}})
def code_episode(
    request: Request, user: CoderUser, settings: SettingsDep, store: StoreDep, holder: HolderDep, metrics: MetricsDep,
    episode: Annotated[EpisodeIn, Body(openapi_examples={"letter": {"summary": "A short letter",
                                                                    "value": EPISODE_EXAMPLE}})],
    top_k: int = Query(0, ge=0, le=500, description="also return the ranked candidate lists (top k)"),
):
    """Suggest ordered ICD-10 and OPCS-4 codes with evidence; the result is stored for review."""
    check_text(episode, settings.max_text_chars)
    require_ready(holder)
    ep = episode
    t0 = time.perf_counter()
    batcher = request.app.state.batcher
    if batcher is not None:
        pipe, result = batcher.code(ep, top_k=top_k)
    else:
        pipe, (result,) = holder.predict([ep], top_k=top_k)
    store.save_coded(ep, result, pipe.config_hash)
    metrics.episodes_coded.labels(via="api").inc()
    log.info("coded episode %s by %s (%d chars, %d dx, %d proc) in %.0f ms", ep.id, user.name, len(ep.text),
             len(result.diagnoses), len(result.procedures), (time.perf_counter() - t0) * 1000)
    return result
