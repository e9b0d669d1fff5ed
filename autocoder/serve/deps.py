"""Dependencies as Annotated aliases (FastAPI full-stack template style): routers declare what they
need; the app factory decides what it is (real or injected for tests)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from autocoder.serve.metrics import ServeMetrics
from autocoder.serve.runtime import PipelineHolder
from autocoder.serve.settings import ServeSettings
from autocoder.serve.store import ReviewStore


def _settings(request: Request) -> ServeSettings:
    return request.app.state.settings


def _store(request: Request) -> ReviewStore:
    return request.app.state.store


def _holder(request: Request) -> PipelineHolder:
    return request.app.state.holder


def _metrics(request: Request) -> ServeMetrics:
    return request.app.state.metrics


def _terminology(request: Request) -> Any:
    term = request.app.state.terminology
    if term is None:
        try:
            from autocoder.codes import get_terminology

            term = get_terminology()
        except Exception as exc:  # noqa: BLE001 - report as unavailable, never a 500
            raise HTTPException(503, f"terminology unavailable ({exc.__class__.__name__}); "
                                     "import the code tables with `autocoder codes import`") from None
        request.app.state.terminology = term
    return term


SettingsDep = Annotated[ServeSettings, Depends(_settings)]
StoreDep = Annotated[ReviewStore, Depends(_store)]
HolderDep = Annotated[PipelineHolder, Depends(_holder)]
MetricsDep = Annotated[ServeMetrics, Depends(_metrics)]
TerminologyDep = Annotated[Any, Depends(_terminology)]
