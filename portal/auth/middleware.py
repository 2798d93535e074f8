"""Resolve the caller from a session cookie or a bearer token, and enforce CSRF for cookies.

Anonymous callers pass through with ``user = None``; guards on each route decide. A bearer token
that does not resolve is refused at once (an integration must not silently become anonymous).
Cookie-authenticated unsafe requests to the API need the session's CSRF token in
``X-CSRF-Token``. An HTML form post to a page cannot send a header: it carries the token as a form
field instead, which ``portal.web.csrf.check_csrf`` checks before any page handler runs.

Requests that can start a session carry no CSRF token yet, so two more rules cover them (login
CSRF: another site signing a browser in to an account of its choosing):

- the anonymous JSON routes (``/api/auth/login``, ``/api/auth/activate``) read only
  ``application/json`` (415 otherwise): a cross-site HTML form can send ``text/plain`` but not
  JSON without a CORS preflight, which the portal never grants;
- an unsafe request that a browser marks as coming from another site (``Sec-Fetch-Site`` is
  ``cross-site`` or ``same-site``; without that header, ``Origin`` is neither this service's base
  URL nor the request's own host) is refused (403) before it reaches a route, unless it carries a
  bearer token (integrations are not browsers and hold no cookie).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.accounts.secrets import same
from portal.auth.identity import Identity
from portal.auth.sessions import CSRF_HEADER, SESSION_COOKIE, SessionStore
from portal.auth.tokens import resolve_token
from portal.errors import Forbidden, Unauthenticated, UnsupportedMediaType

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Unsafe routes that are reachable without a session and so cannot carry a CSRF token.
CSRF_EXEMPT_PATHS = frozenset({"/api/auth/login", "/api/auth/activate"})
#: Paths answered as API (JSON, header CSRF). Everything else is a page, whose forms carry the
#: token in a field; a header sent to a page is still checked here.
HEADER_CSRF_PREFIXES = ("/api/", "/ledger/", "/schema", "/health", "/ready")
#: ``Sec-Fetch-Site`` values a browser sends for a request this service's own pages made.
JSON = "application/json"
_OWN_SITE = frozenset({"same-origin", "none"})


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


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _from_another_site(scope: Scope, own_origin: str) -> bool:
    """True when a browser says this request was made by a page of another site.

    ``Sec-Fetch-Site`` decides when sent (every current browser sends it). Without it,
    ``Origin`` does, unless it is ``null``: the portal's own pages send ``null`` too, as their
    referrer policy is ``no-referrer``.
    """
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in _OWN_SITE
    origin = _header(scope, b"origin")
    if origin is None or origin.strip() == "null":
        return False
    host = _header(scope, b"host") or ""
    allowed = {own_origin, f"{scope.get('scheme', 'http')}://{host}".lower()}
    return origin.strip().lower() not in allowed


def _media_type(scope: Scope) -> str:
    return (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()


class AuthMiddleware(ASGIMiddleware):
    def __init__(self, sessions: SessionStore, base_url: str) -> None:
        self.sessions = sessions
        self.own_origin = _origin_of(base_url)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        authorization = _header(scope, b"authorization")
        unsafe = scope.get("method", "GET") not in SAFE_METHODS
        if unsafe:
            self._refuse_unsafe_request(scope, authorization)
        identity = await self._identity(scope, authorization)
        scope["user"] = identity
        scope["auth"] = identity
        if unsafe and identity is not None and identity.via == "session":
            _check_csrf_header(scope, identity)
        await next_app(scope, receive, send)

    def _refuse_unsafe_request(self, scope: Scope, authorization: str | None) -> None:
        """Cross-site writes (login CSRF included) and non-JSON sign-in bodies never get in."""
        if not authorization and _from_another_site(scope, self.own_origin):
            raise Forbidden("Cross-site requests are refused; use this service's own pages")
        if scope.get("path") in CSRF_EXEMPT_PATHS and _media_type(scope) != JSON:
            raise UnsupportedMediaType(f"Send the body as {JSON}")

    async def _identity(self, scope: Scope, authorization: str | None) -> Identity | None:
        """Who is asking: a bearer token when one is sent, else the session cookie, else nobody."""
        if authorization:
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() != "bearer" or not credential:
                raise Unauthenticated("Use 'Authorization: Bearer <token>'")
            identity = await resolve_token(credential.strip())
            if identity is None:
                raise Unauthenticated("The bearer token is unknown, expired or revoked")
            return identity
        token = _cookie(scope, SESSION_COOKIE)
        return await self.sessions.resolve(token) if token else None


def _check_csrf_header(scope: Scope, identity: Identity) -> None:
    """A session's unsafe API request carries its CSRF header; a page's form post is checked
    by ``portal.web.csrf`` against its ``csrf_token`` field instead."""
    path = str(scope.get("path", ""))
    if path in CSRF_EXEMPT_PATHS:
        return
    sent = _header(scope, CSRF_HEADER.lower().encode())
    if sent is None and not path.startswith(HEADER_CSRF_PREFIXES):
        return
    if not sent or not identity.csrf_token or not same(sent, identity.csrf_token):
        raise Forbidden(f"Missing or invalid CSRF token: send the {CSRF_HEADER} header")


def identity_of(scope: Any) -> Identity | None:
    user = scope.get("user")
    return user if isinstance(user, Identity) else None
