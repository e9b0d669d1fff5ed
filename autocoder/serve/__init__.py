"""The coding service: FastAPI app (create_app), review store (ReviewStore), review page (static/).

Import the submodules directly; this package stays light so `import autocoder.serve.store` does not
pull FastAPI in (the Label Studio exporter only needs the store)."""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from autocoder.serve.app import create_app

        return create_app
    raise AttributeError(name)
