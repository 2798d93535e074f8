"""The portal's exception tree, mapped once to RFC 9457 problem details.

Services raise these; controllers never build error responses themselves. Anything else that
escapes is a 500 whose body carries only the request id, and is logged loudly with it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import structlog
from litestar import Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions import NotFoundException as LitestarNotFound
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

if TYPE_CHECKING:  # a type only: the auth package itself raises these errors
    from portal.auth.requests import AppRequest

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


class PortalError(Exception):
    """Base of every error the portal reports to a client on purpose."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class InvalidInput(PortalError):
    """One or more fields are wrong; ``errors`` names each ``{field, message}``."""

    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail, errors=errors or [])


class Unauthenticated(PortalError):
    status = 401
    title = "Not signed in"
    type_slug = "unauthenticated"


class Forbidden(PortalError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(PortalError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(PortalError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class UnsupportedMediaType(PortalError):
    """The body is not in the one media type the route reads (e.g. JSON sent as text/plain)."""

    status = 415
    title = "Unsupported media type"
    type_slug = "unsupported-media-type"


class TooManyRequests(PortalError):
    status = 429
    title = "Too many requests"
    type_slug = "too-many-requests"


class ServiceUnavailable(PortalError):
    """A dependency needed to answer safely (the ledger, the database) is not available."""

    status = 503
    title = "Service unavailable"
    type_slug = "service-unavailable"


def _request_id(request: AppRequest) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def problem(
    request: AppRequest,
    status: int,
    title: str,
    detail: str,
    type_slug: str,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": _request_id(request),
        **extra,
    }
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="esp-portal"'
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _portal_error(request: AppRequest, exc: PortalError) -> Response[dict[str, Any]]:
    if exc.status >= 500:
        log.error("request.unavailable", error=type(exc).__name__, path=request.url.path)
    return problem(request, exc.status, exc.title, exc.detail, exc.type_slug, **exc.extra)


def _field_name(key: Any) -> str:
    return str(key) if key not in (None, "") else "body"


#: Litestar's words for a required parameter that was not sent (it gives no error list).
_MISSING_PARAMETER = re.compile(r"^Missing required (\w+) parameter '([^']{1,80})'")


def _missing_parameter(detail: str) -> list[dict[str, str]]:
    """The field a "Missing required ... parameter" refusal is about, as an error item."""
    found = _MISSING_PARAMETER.match(detail or "")
    if found is None:
        return []
    where, name = found.groups()
    return [{"field": name, "message": f"is required (a {where} parameter)"}]


def _validation_error(request: AppRequest, exc: ValidationException) -> Response[dict[str, Any]]:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            errors.append(
                {"field": _field_name(item.get("key")), "message": str(item.get("message", ""))}
            )
    if not errors:
        errors = _missing_parameter(str(exc.detail))
    names = ", ".join(e["field"] for e in errors) or "request"
    return problem(
        request,
        400,
        "Invalid request",
        f"Invalid value for: {names}",
        "invalid-request",
        errors=errors,
    )


def _http_error(request: AppRequest, exc: HTTPException) -> Response[dict[str, Any]]:
    slug = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        429: "too-many-requests",
    }.get(exc.status_code, "http-error")
    title = {401: "Not signed in", 403: "Forbidden", 404: "Not found"}.get(
        exc.status_code, "Request failed"
    )
    detail = exc.detail if exc.status_code < 500 else "The service could not complete the request"
    if exc.status_code >= 500:
        log.error("request.http_error", status=exc.status_code, path=request.url.path)
    return problem(request, exc.status_code, title, str(detail), slug)


def _unexpected(request: AppRequest, exc: Exception) -> Response[dict[str, Any]]:
    log.error(
        "request.unhandled_error",
        error=type(exc).__name__,
        path=request.url.path,
        request_id=_request_id(request),
        exc_info=exc,
    )
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal error",
        "Something went wrong; quote the request id when reporting it",
        "internal-error",
    )


def _too_deep(request: AppRequest, exc: RecursionError) -> Response[dict[str, Any]]:
    """A body nested deeper than the decoder can follow (JSON ``[[[[...`` a thousand deep)."""
    log.info("request.too_deep", path=request.url.path)
    return problem(
        request,
        400,
        "Invalid request",
        "The request body is nested too deeply",
        "invalid-request",
        errors=[{"field": "body", "message": "is nested too deeply"}],
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    RecursionError: _too_deep,
    PortalError: _portal_error,
    ValidationException: _validation_error,
    NotAuthorizedException: _http_error,
    PermissionDeniedException: _http_error,
    LitestarNotFound: _http_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
