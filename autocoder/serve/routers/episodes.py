"""The review worklist, one episode with its suggestion and reviews, and posting a review."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import JSONResponse

from autocoder.serve.api_models import (
    REVIEW_EXAMPLE,
    EpisodeDetail,
    ReviewAccepted,
    ReviewHistoryItem,
    ReviewIn,
    Worklist,
    WorklistItemOut,
)
from autocoder.serve.deps import MetricsDep, SettingsDep, StoreDep, TerminologyDep
from autocoder.serve.security import CoderUser
from autocoder.serve.store import EpisodeNotFoundError, ReviewConflictError, ReviewValidationError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/episodes", tags=["episodes"])


@router.get("", response_model=Worklist, summary="The worklist")
def worklist(user: CoderUser, store: StoreDep, settings: SettingsDep,
             status: Literal["needs_review", "reviewed", "auto_coded", "all"] = "needs_review",
             limit: int = Query(50, ge=1), offset: int = Query(0, ge=0)):
    """Episodes by status: `needs_review` (least confident first), `reviewed`, `auto_coded`, `all`."""
    if limit > settings.worklist_max_limit:
        raise HTTPException(422, f"query 'limit': at most {settings.worklist_max_limit}, got {limit}")
    items = store.list_episodes(status, limit=limit, offset=offset)
    return Worklist(items=[WorklistItemOut(status=i.status, **{k: v for k, v in i.__dict__.items()})
                           for i in items],
                    total=store.count_episodes(status), limit=limit, offset=offset, status=status)


@router.get("/{episode_id}", response_model=EpisodeDetail, summary="One episode: letter, suggestion, reviews")
def episode_detail(episode_id: str, user: CoderUser, store: StoreDep):
    try:
        st = store.get(episode_id)
    except EpisodeNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return EpisodeDetail(
        id=episode_id, status=st.status, episode=st.episode.model_dump(exclude_none=True),
        result=st.result.model_dump(exclude_none=True),
        reviews=[ReviewHistoryItem(**h) for h in store.review_history(episode_id)],
        model_version=st.model_version, config_hash=st.config_hash, coded_at=st.coded_at, batch_id=st.batch_id)


@router.post("/{episode_id}/reviews", status_code=201, response_model=ReviewAccepted,
             summary="Submit a review (append-only)",
             responses={404: {"description": "episode not coded"},
                        409: {"description": "the suggestion changed since the review began"},
                        422: {"description": "invalid review: every problem names its field and code"}})
def submit_review(episode_id: str, user: CoderUser, store: StoreDep, metrics: MetricsDep,
                  term: TerminologyDep,
                  review: Annotated[ReviewIn, Body(openapi_examples={"review": {"summary": "Accept, reject and add",
                                                                                "value": REVIEW_EXAMPLE}})]):
    """Accept / reject suggested codes, add codes, and give the final ordered lists (primary first).
    Reviews are never changed: a second review is a new record, the latest one counts."""
    if review.episode_id and review.episode_id != episode_id:
        raise HTTPException(422, f"field 'episode_id': {review.episode_id!r} does not match the episode in "
                                 f"the path {episode_id!r}")
    record = review.model_copy(update={"episode_id": episode_id})
    if store._terminology is None:
        store._terminology = term
    try:
        rid = store.add_review(record, submitted_by=user.name)
    except EpisodeNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except ReviewConflictError as exc:
        metrics.reviews_rejected.inc()
        raise HTTPException(409, str(exc)) from None
    except ReviewValidationError as exc:
        metrics.reviews_rejected.inc()
        return JSONResponse(status_code=422, content={
            "detail": [p.as_dict() for p in exc.problems], "message": str(exc)})
    metrics.reviews.inc()
    log.info("review %d of episode %s by %s", rid, episode_id, user.name)
    stored = store.review_history(episode_id)[-1]["record"]
    return ReviewAccepted(review_id=rid, episode_id=episode_id, record=stored)
