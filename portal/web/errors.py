"""Errors on pages, the GOV.UK way: plain pages that say what to do and leak nothing.

On page paths, a missing or expired session sends the user to sign in and back to where they
were; 403, 404 and the rest get a page with no detail about what exists; a 500 shows only the
request id to quote. API paths keep the problem+json answers of :mod:`portal.errors`.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from litestar import Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect

from portal.auth.requests import AppRequest
from portal.auth.sessions import SESSION_COOKIE
from portal.errors import (
    Forbidden,
    NotFound,
    PortalError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
)
from portal.web.csrf import CsrfFailed, is_page_path
from portal.web.pages import NO_STORE, render_now

log = structlog.get_logger(__name__)

Handler = Callable[[AppRequest, Any], Response[Any]]

PAGES: dict[int, tuple[str, str]] = {
    400: ("There is a problem with the request", "Go back and try again."),
    403: ("You cannot see this page", "Your account does not give you access to this page."),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted the web address, "
        "check you copied the entire address.",
    ),
    405: ("There is a problem with the request", "Go back and try again."),
    409: ("This has already changed", "Go back, refresh the page and try again."),
    413: ("The file is too big", "Go back and choose a smaller file."),
    429: ("Too many attempts", "Wait a minute, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later."),
    503: (
        "Sorry, the service is unavailable",
        "Nothing was shown or shared. Try again in a few minutes.",
    ),
}


def error_page(request: AppRequest, status: int, *, message: str | None = None) -> Any:
    title, advice = PAGES.get(status, PAGES[400 if status < 500 else 500])
    return render_now(
        request,
        "error.html",
        status=status,
        title=title,
        advice=message or advice,
        status_code=status,
        show_request_id=status >= 500,
    )


def sign_in_redirect(request: AppRequest) -> Redirect:
    """Send the user to sign in, remembering the page (its query too, for a GET).

    A form post is not repeated after signing in: the user returns to the page of its section
    (``/volunteer/sharing/give`` -> ``/volunteer/sharing``) to check and send it again.
    """
    target = request.url.path
    if request.method == "GET":
        if request.url.query:
            target += "?" + request.url.query
    else:
        target = "/" + "/".join([part for part in target.split("/") if part][:2])
    expired = SESSION_COOKIE in request.cookies
    location = "/sign-in?next=" + quote(target, safe="/")
    if expired:
        location += "&expired=1"
    response = Redirect(location, status_code=303, headers=NO_STORE)
    if expired:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def page_error(request: AppRequest, exc: Exception) -> Response[Any]:
    """The web router's handler for everything raised while serving a page."""
    if isinstance(exc, Unauthenticated):
        return sign_in_redirect(request)
    if isinstance(exc, CsrfFailed):
        return error_page(  # type: ignore[no-any-return]
            request,
            403,
            message="The form had expired or did not come from this service. "
            "Go back, refresh the page and try again.",
        )
    if isinstance(exc, Forbidden):
        return error_page(request, 403)  # type: ignore[no-any-return]
    if isinstance(exc, NotFound | NotFoundException):
        return error_page(request, 404)  # type: ignore[no-any-return]
    if isinstance(exc, TooManyRequests):
        return error_page(request, 429)  # type: ignore[no-any-return]
    if isinstance(exc, ServiceUnavailable):
        log.error("web.unavailable", error=type(exc).__name__, path=_template(request))
        return error_page(request, 503)  # type: ignore[no-any-return]
    if isinstance(exc, PortalError):
        return error_page(request, exc.status)  # type: ignore[no-any-return]
    if isinstance(exc, ValidationException):
        return error_page(request, 400)  # type: ignore[no-any-return]
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return error_page(request, exc.status_code)  # type: ignore[no-any-return]
    # Where it failed, but no traceback locals: they may hold personal data (rule 7).
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    log.error("web.unhandled_error", error=type(exc).__name__, where=where, path=_template(request))
    return error_page(request, 500)  # type: ignore[no-any-return]


def _template(request: AppRequest) -> str:
    return str(request.scope.get("path_template") or "<unmatched>")


#: The web router's exception handlers. Every key the app registers is repeated here, because
#: Litestar looks a handler up by the exception's MRO across all layers: an app-level
#: ``PortalError`` handler would otherwise beat a router-level ``Exception`` one.
PAGE_EXCEPTION_HANDLERS: dict[Any, Any] = dict.fromkeys(
    (
        Exception,
        PortalError,
        HTTPException,
        ValidationException,
        NotAuthorizedException,
        PermissionDeniedException,
        NotFoundException,
    ),
    page_error,
)


def html_for_pages(api_handler: Handler) -> Handler:
    """Wrap an app-level handler: page paths get an HTML page, API paths the API's answer.

    App-level handlers answer what no route handled: an unknown path (404), a wrong method (405).
    """

    def handler(request: AppRequest, exc: Any) -> Response[Any]:
        if is_page_path(request.url.path):
            return page_error(request, exc)
        return api_handler(request, exc)

    handler.__name__ = f"html_for_pages_{getattr(api_handler, '__name__', 'handler')}"
    return handler
