"""Resolve the caller from a session cookie or a bearer token, and enforce CSRF for cookies.

Anonymous callers pass through with ``user = None``; guards on each route decide. A bearer token
that does not resolve is refused at once (an integration must not silently become anonymous).
Cookie-authenticated unsafe requests to the API need the session's CSRF token in
``X-CSRF-Token``. An HTML form post to a page cannot send a header: it carries the token as a form
field instead, which ``portal.web.csrf.check_csrf`` checks before any page handler runs.
"""

from __future__ import annotations

from typing import Any

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.auth.identity import Identity
from portal.auth.secrets import same
from portal.auth.sessions import CSRF_HEADER, SESSION_COOKIE, SessionStore
from portal.auth.tokens import resolve_token
from portal.errors import Forbidden, Unauthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Unsafe routes that are reachable without a session and so cannot carry a CSRF token.
CSRF_EXEMPT_PATHS = frozenset({"/api/auth/login", "/api/auth/activate"})
#: Paths answered as API (JSON, header CSRF). Everything else is a page, whose forms carry the
#: token in a field; a header sent to a page is still checked here.
HEADER_CSRF_PREFIXES = ("/api/", "/ledger/", "/schema", "/health", "/ready")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


class AuthMiddleware(ASGIMiddleware):
    def __init__(self, sessions: SessionStore) -> None:
        self.sessions = sessions

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        identity: Identity | None = None
        authorization = _header(scope, b"authorization")
        if authorization:
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() != "bearer" or not credential:
                raise Unauthenticated("Use 'Authorization: Bearer <token>'")
            identity = await resolve_token(credential.strip())
            if identity is None:
                raise Unauthenticated("The bearer token is unknown, expired or revoked")
        else:
            token = _cookie(scope, SESSION_COOKIE)
            if token:
                identity = await self.sessions.resolve(token)
        scope["user"] = identity
        scope["auth"] = identity
        if (
            identity is not None
            and identity.via == "session"
            and scope.get("method", "GET") not in SAFE_METHODS
            and scope.get("path") not in CSRF_EXEMPT_PATHS
        ):
            sent = _header(scope, CSRF_HEADER.lower().encode())
            path = str(scope.get("path", ""))
            if sent is None and not path.startswith(HEADER_CSRF_PREFIXES):
                pass  # a page's form post: its csrf_token field is checked by portal.web.csrf
            elif not sent or not identity.csrf_token or not same(sent, identity.csrf_token):
                raise Forbidden(f"Missing or invalid CSRF token: send the {CSRF_HEADER} header")
        await next_app(scope, receive, send)


def identity_of(scope: Any) -> Identity | None:
    user = scope.get("user")
    return user if isinstance(user, Identity) else None
