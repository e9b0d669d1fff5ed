"""The FastAPI app factory: settings, store, pipeline holder, batch worker, routers, static review page.

Why a factory with injectable parts: tests build apps with a fake pipeline, a temporary database and a
small terminology; `autocoder serve` builds the real one. The pipeline loads in a background thread at
startup so /health/live answers at once and /health/ready says 503 until the model is in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from autocoder import __version__
from autocoder.serve.metrics import ServeMetrics
from autocoder.serve.routers import admin, batches, code, codes, episodes, health, reviews
from autocoder.serve.runtime import MicroBatcher, PipelineHolder, PipelineLike
from autocoder.serve.security import AccessLogMiddleware, BodyLimitMiddleware
from autocoder.serve.settings import ServeSettings, load_settings, settings_summary
from autocoder.serve.store import ReviewStore
from autocoder.serve.worker import BatchWorker

log = logging.getLogger("autocoder.serve")
STATIC_DIR = Path(__file__).resolve().parent / "static"

DESCRIPTION = """Suggests ICD-10 (5th ed.) and OPCS-4 codes with evidence for NHS discharge summaries,
keeps every suggestion and every coder review (append-only audit trail), codes JSONL batches in the
background and serves the review page at /review.

Authentication: `X-API-Key: <key>` or `Authorization: Bearer <key>`. Roles: coder (code, review),
engineer (also batches and review export), admin (also model reload). /health/* and /metrics are open."""


def _validation_message(errors: list[dict]) -> str:
    parts = []
    for e in errors[:10]:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        msg = e.get("msg", "invalid")
        if e.get("type") == "missing":
            msg = "required field is missing"
        elif e.get("type") == "json_invalid":
            msg = f"malformed JSON ({(e.get('ctx') or {}).get('error', 'parse error')})"
            loc = "body"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def _clean_errors(errors) -> list[dict]:
    """Validation errors without the `input` echo (it may hold the whole letter) and with plain ctx."""
    out = []
    for e in errors:
        d = {k: v for k, v in dict(e).items() if k not in ("input", "ctx", "url")}
        d["loc"] = [str(p) for p in d.get("loc", ())]
        out.append(d)
    return out


def create_app(settings: ServeSettings | None = None, pipeline: PipelineLike | None = None,
               store: ReviewStore | None = None, *, terminology: Any = None,
               loader: Callable[[str | None], PipelineLike] | None = None) -> FastAPI:
    """Build the service. `pipeline` (already loaded) skips the startup load; `loader(source)` replaces
    CodingPipeline.load (tests: slow or failing loads); `terminology` replaces get_terminology()."""
    settings = settings or load_settings()
    metrics = ServeMetrics()
    own_store = store is None
    holder = PipelineHolder(settings.model, loader=loader, pipeline=pipeline,
                            concurrency=settings.predict_concurrency,
                            on_swap=lambda p: metrics.set_model(p.model_version, p.config_hash))
    if pipeline is not None:
        metrics.set_model(pipeline.model_version, pipeline.config_hash)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        st = app.state
        if st.store is None:
            st.store = ReviewStore(settings.database_url, terminology=terminology)
        elif terminology is not None and st.store._terminology is None:
            st.store._terminology = terminology
        log.info("serving with settings %s", settings_summary(settings))
        if not holder.ready:
            holder.load_async()
        st.batcher = MicroBatcher(holder, settings.micro_batch_max) if settings.micro_batch_max > 0 else None
        st.worker = BatchWorker(st.store, holder, chunk_size=settings.batch_chunk_size, metrics=metrics)
        if settings.start_worker:
            st.worker.start()   # resumes unfinished batches from the store
        try:
            yield
        finally:
            st.worker.stop()
            if st.batcher is not None:
                st.batcher.stop()
            if own_store:
                st.store.close()

    app = FastAPI(title="autocoder", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_tags=[{"name": n} for n in ("code", "batches", "episodes", "reviews", "codes", "admin",
                                                       "health")])
    app.state.settings = settings
    app.state.api_keys = settings.keys()
    app.state.metrics = metrics
    app.state.holder = holder
    app.state.store = store
    app.state.terminology = terminology
    app.state.worker = None
    app.state.batcher = None
    app.state.worker_notify = lambda: app.state.worker.notify() if app.state.worker else None
    if settings.auth_disabled:
        log.warning("AUTH DISABLED (auth_disabled=true): every caller is admin; development only")
    elif not settings.api_keys:
        log.warning("no API keys configured: every protected route answers 401 (set AUTOCODER_API_KEYS)")

    for r in (code.router, batches.router, episodes.router, reviews.router, codes.router, admin.router,
              health.router):
        app.include_router(r)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = _clean_errors(exc.errors())
        return JSONResponse(status_code=422, content={"detail": errors, "message": _validation_message(errors)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # pragma: no cover - last resort
        log.error("unexpected %s on %s %s", exc.__class__.__name__, request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": f"internal error ({exc.__class__.__name__}); "
                                                                 "see the server log"})

    @app.get("/", include_in_schema=False)
    def _root():
        return RedirectResponse("/review/")

    @app.get("/review", include_in_schema=False)
    def _review():
        return RedirectResponse("/review/")

    app.mount("/review", StaticFiles(directory=STATIC_DIR, html=True), name="review")
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(AccessLogMiddleware, metrics=metrics)
    return app
