"""CSRF for HTML forms: a ``csrf_token`` field in every form, checked before any page handler.

Signed-in users: the field carries the session's CSRF token (the one the API expects in the
``X-CSRF-Token`` header). Anonymous forms (sign in, the code step, activation): a double-submit
token, set as an HttpOnly, SameSite=Strict cookie and echoed in the form, which defeats login CSRF.

:func:`check_csrf` is the ``before_request`` hook of the whole web router, so no page handler can
forget it: every unsafe request to a page is refused unless its form carries the right token.
The auth middleware leaves header-less form posts to page paths to this hook.
"""

from __future__ import annotations

import structlog
from litestar.datastructures import Cookie

from portal.accounts.secrets import new_token, same
from portal.auth.identity import Identity
from portal.auth.middleware import HEADER_CSRF_PREFIXES
from portal.auth.requests import AppRequest
from portal.errors import Forbidden
from portal.settings import Settings

log = structlog.get_logger(__name__)

FIELD = "csrf_token"
FORM_COOKIE = "esp_form"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Paths that belong to the JSON API and other machine routes; everything else is a page path.
#: The auth middleware checks the CSRF header on exactly these, so both read one list.
API_PREFIXES = HEADER_CSRF_PREFIXES


def is_page_path(path: str) -> bool:
    return not path.startswith(API_PREFIXES)


class CsrfFailed(Forbidden):
    title = "Form expired"
    type_slug = "csrf"


def session_identity(request: AppRequest) -> Identity | None:
    user = request.scope.get("user")
    return user if isinstance(user, Identity) and user.via == "session" else None


def form_token(request: AppRequest) -> tuple[str, Cookie | None]:
    """The token to put in this page's forms, and a cookie to set when a new one was made."""
    identity = session_identity(request)
    if identity is not None and identity.csrf_token:
        return identity.csrf_token, None
    existing = request.cookies.get(FORM_COOKIE)
    if existing and 20 <= len(existing) <= 128:
        return existing, None
    token = new_token()
    settings: Settings = request.app.state.settings
    return token, form_cookie(settings, token)


def form_cookie(settings: Settings, value: str, max_age: int | None = None) -> Cookie:
    return Cookie(
        key=FORM_COOKIE,
        value=value,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
        max_age=max_age,
    )


async def check_csrf(request: AppRequest) -> None:
    """``before_request`` hook: refuse an unsafe request whose form lacks the right token."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    sent = form.get(FIELD)
    identity = session_identity(request)
    expected = identity.csrf_token if identity is not None else request.cookies.get(FORM_COOKIE)
    if not isinstance(sent, str) or not sent or not expected or not same(sent, expected):
        log.info("web.csrf_refused", path=request.scope.get("path_template") or "?")
        raise CsrfFailed("This form has expired or did not come from this service")
