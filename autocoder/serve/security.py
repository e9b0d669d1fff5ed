"""API keys with roles (coder < engineer < admin), body size limits and request logging.

Why keys and roles this simple: the service runs inside a trust's network behind its own SSO proxy;
the keys separate people who review (coder), who run batches and exports (engineer) and who swap
models (admin). Health and metrics stay open for the load balancer and Prometheus."""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from autocoder.serve.settings import ROLE_RANK, ServeSettings

log = logging.getLogger("autocoder.serve.access")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def authenticate(request: Request) -> Principal:
    settings: ServeSettings = request.app.state.settings
    if settings.auth_disabled:
        return Principal(name="dev-no-auth", role="admin")
    key = _presented_key(request)
    if key is None:
        raise HTTPException(401, "missing API key: send header 'X-API-Key: <key>' or "
                                 "'Authorization: Bearer <key>'", headers={"WWW-Authenticate": "Bearer"})
    for known, spec in request.app.state.api_keys.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            return Principal(name=spec.name, role=spec.role)
    raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})


def require(role: str):
    """Dependency: the caller must hold `role` or a higher one."""

    def _check(principal: Annotated[Principal, Depends(authenticate)], request: Request) -> Principal:
        if ROLE_RANK[principal.role] < ROLE_RANK[role]:
            raise HTTPException(403, f"role {principal.role!r} may not {request.method} {request.url.path}: "
                                     f"needs role {role!r} or higher")
        return principal

    return _check


CoderUser = Annotated[Principal, Depends(require("coder"))]
EngineerUser = Annotated[Principal, Depends(require("engineer"))]
AdminUser = Annotated[Principal, Depends(require("admin"))]


class BodyTooLarge(HTTPException):
    def __init__(self, size: int, limit: int, path: str, setting: str) -> None:
        super().__init__(413, f"request body: {size} bytes or more is over the limit of {limit} bytes for "
                              f"{path} (setting {setting}, env AUTOCODER_{setting.upper()})")


class BodyLimitMiddleware:
    """Refuses large bodies before they are read in full: by Content-Length at once, else by counting."""

    def __init__(self, app, settings: ServeSettings) -> None:
        self.app, self.settings = app, settings

    def _limit(self, path: str) -> tuple[int, str]:
        if path.rstrip("/") == "/v1/batches":
            return self.settings.max_batch_bytes, "max_batch_bytes"
        return self.settings.max_body_bytes, "max_body_bytes"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit, setting = self._limit(path)
        headers = dict(scope.get("headers") or [])
        cl = headers.get(b"content-length")
        if cl is not None:
            try:
                size = int(cl)
            except ValueError:
                size = -1
            if size > limit:
                body = json.dumps({"detail": BodyTooLarge(size, limit, path, setting).detail}).encode()
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode()),
                                        (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return None
        seen = 0

        async def limited_receive():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(seen, limit, path, setting)
            return msg

        return await self.app(scope, limited_receive, send)


class AccessLogMiddleware:
    """Metrics and one log line per request: method, route template, status, size, time. Never bodies
    or query strings (they may hold clinical text)."""

    def __init__(self, app, metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(msg):
            if msg["type"] == "http.response.start":
                status["code"] = msg["status"]
            await send(msg)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            dt = time.perf_counter() - t0
            route = scope.get("route")
            template = getattr(route, "path", None) or ("static" if scope.get("path", "").startswith("/review")
                                                         else "unmatched")
            method = scope.get("method", "")
            self.metrics.requests.labels(route=template, method=method, status=str(status["code"])).inc()
            self.metrics.latency.labels(route=template, method=method).observe(dt)
            headers = dict(scope.get("headers") or [])
            log.info("%s %s -> %s in %.1f ms (%s bytes in)", method, template, status["code"], dt * 1000,
                     headers.get(b"content-length", b"?").decode(errors="replace"))
