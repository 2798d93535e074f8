"""Request id and the one log event per request.

Wraps the whole ASGI handler (outside routing), so unknown routes and errors are logged too. The
id comes from a well-formed ``X-Request-ID`` header or is generated, is bound into structlog's
context for every event of the request, and is echoed on the response.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.auth.requests import AppRequest
from portal.logging import PerRequestLogger

#: Bound once per logging configuration, not per request (see ``PerRequestLogger``).
log = PerRequestLogger("portal.request")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id(request: AppRequest) -> str:
    """The id of the request being handled (for ledger entries and refusals), at most 64 chars."""
    return str(request.scope.get("state", {}).get("request_id", ""))[:64]


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SAFE_ID.match(text) else None
    return None


class RequestContextMiddleware:
    """Outermost ASGI wrapper: request id, timing, one structured event."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        # 128 random bits as 32 hex digits, as uuid4().hex gave, without building a UUID.
        request_id = _incoming_id(scope) or os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            identity: Any = scope.get("user")
            log.get().info(
                "http.request",
                method=scope.get("method"),
                route=scope.get("path_template") or "<unmatched>",
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                user_id=getattr(identity, "user_id", None),
                role=getattr(identity, "role", None),
            )
            structlog.contextvars.clear_contextvars()
