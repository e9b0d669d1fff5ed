"""Model administration: reload the champion (or the configured source) without downtime."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Query

from autocoder.serve.api_models import ModelStatus
from autocoder.serve.deps import HolderDep
from autocoder.serve.security import AdminUser, EngineerUser

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post("/reload", status_code=202, response_model=ModelStatus, summary="Reload the model in the background",
             responses={409: {"description": "a load is already running"}})
def reload_model(user: AdminUser, holder: HolderDep,
                 source: str | None = Query(None, max_length=1000,
                                            description="another bundle path or models:/ URI; default: the "
                                                        "source being served (e.g. models:/autocoder@champion)")):
    """Loads the configured source again (e.g. models:/autocoder@champion after a promotion) in a thread;
    the old pipeline serves every request until the new one is ready, then they swap atomically. A failed
    load changes nothing (see last_error in GET /v1/admin/model)."""
    if not holder.load_async(source):
        raise HTTPException(409, "a model load is already running; poll GET /v1/admin/model")
    log.info("model reload requested by %s", user.name)
    return ModelStatus(**holder.info())


@router.get("/model", response_model=ModelStatus, summary="The model being served and any load in progress")
def model_status(user: EngineerUser, holder: HolderDep):
    return ModelStatus(**holder.info())
