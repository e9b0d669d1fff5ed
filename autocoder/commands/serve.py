"""`autocoder serve`: the API and the review page (uvicorn)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default from configs/serve.yaml: "
                                                     "127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    model: Annotated[str | None, typer.Option(help="Model bundle path or models:/autocoder@champion "
                                                      "(default: the default bundle).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Review store SQLAlchemy URL (default: "
                                                           "sqlite:///<data_home>/review.db).")] = None,
    config: Annotated[Path | None, typer.Option(help="Settings file (default configs/serve.yaml; "
                                                        "AUTOCODER_* env vars override it).")] = None,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="Development only: disable API keys "
                                                            "(every caller is admin).")] = False,
    log_level: Annotated[str | None, typer.Option(help="Python log level (default INFO).")] = None,
) -> None:
    """Serve suggestions (POST /v1/code), batches, the review worklist and the review page (/review).

    API keys come from AUTOCODER_API_KEYS="key1:coder,key2:engineer,key3:admin:alice". The model loads
    in the background: /health/ready answers 503 until it is in memory."""
    import uvicorn

    from autocoder.serve.app import create_app
    from autocoder.serve.settings import load_settings

    overrides = {"host": host, "port": port, "model": model, "database_url": db, "log_level": log_level}
    if no_auth:
        overrides["auth_disabled"] = True
    settings = load_settings(config, **overrides)
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    if not settings.api_keys and not settings.auth_disabled:
        typer.secho("no API keys configured: set AUTOCODER_API_KEYS=\"key:coder,...\" (or --no-auth for local "
                    "development); protected routes will answer 401", fg=typer.colors.YELLOW, err=True)
    app = create_app(settings)
    typer.secho(f"autocoder serving on http://{settings.host}:{settings.port} (review page /review, "
                f"API docs /docs)", err=True)
    # access_log off: uvicorn would log query strings; our middleware logs route templates only
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                access_log=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
