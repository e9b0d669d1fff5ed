"""Liveness, readiness and Prometheus metrics: open (no API key), for orchestrators and scrapers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from autocoder.serve.deps import HolderDep, MetricsDep
from autocoder.serve.metrics import CONTENT_TYPE_LATEST

router = APIRouter(tags=["health"])


@router.get("/health/live", summary="The process is up")
def live():
    return {"status": "ok"}


@router.get("/health/ready", summary="A model is loaded (503 until then)",
            responses={503: {"description": "model not loaded yet (or its load failed)"}})
def ready(holder: HolderDep):
    info = holder.info()
    if not info["ready"]:
        body = {"status": "loading" if info["loading"] else "unavailable", "last_error": info["last_error"]}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return {"status": "ready", "model_version": info["model_version"], "config_hash": info["config_hash"],
            "reloading": info["loading"]}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(m: MetricsDep):
    return Response(m.render(), media_type=CONTENT_TYPE_LATEST)
