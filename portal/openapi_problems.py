"""Every API operation documents every status it can answer, derived in one place.

Hand-written ``responses=`` on each handler drift from the code; instead, when the app registers
a route, :class:`ProblemResponsesPlugin` works out what the route can refuse from what it is:

* its **guards** (a role, scope or sign-in guard: 401 without credentials, 403 for the wrong ones,
  and the operation is documented with the matching security scheme),
* its **method** (an unsafe request with a session needs the CSRF header: 403),
* its **parameters** and **body** (400 for a malformed value, 422 for a value the rules refuse,
  404 for a path naming nothing; a body may also be too large, 413, or of the wrong type, 415),
* what it **touches**: a signed-in operation reads the database and may write the ledger, which
  fail closed (503); a write may conflict with the current state (409),
* and anything the handler **declares** in ``opt={"raises": (...)}`` (e.g. the sign-in
  lockout's 429).

Every such status is documented with the RFC 9457 problem-details schema that
:mod:`portal.errors` actually writes. A status the handler documents itself is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus

from litestar._kwargs import KwargsModel
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from pydantic import BaseModel, ConfigDict, Field

from portal.errors import PROBLEM_JSON, PortalError

#: Unsafe methods: a cookie session must send its CSRF token, and the request may conflict.
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Every request may carry credentials; a bearer token or header that does not resolve is refused
#: by the auth middleware before any route runs, whatever the route.
ALWAYS = frozenset({401})


class FieldProblem(BaseModel):
    """One wrong field of a request: where it is and what is wrong with it."""

    field: str
    message: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem, as :func:`portal.errors.problem` writes it."""

    model_config = ConfigDict(extra="allow", title="ProblemDetails")

    type: str = Field(description="A URI reference naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str = Field(description="The path the problem happened at")
    request_id: str = Field(description="Quote it when reporting the problem")
    errors: list[FieldProblem] | None = Field(
        default=None, description="Each wrong field, for 400 and 422"
    )


def _credentials(handler: HTTPRouteHandler) -> set[str]:
    """What the handler's guards (or its ``opt["credentials"]``) ask for: session and/or token."""
    kinds = set(handler.opt.get("credentials", ()))
    for layer in handler.ownership_layers:
        for guard in layer.guards or ():
            kind = getattr(guard, "credential", None)
            if isinstance(kind, str):
                kinds.add(kind)
    return kinds


def _declared(handler: HTTPRouteHandler) -> set[int]:
    raises: Iterable[type[PortalError]] = handler.opt.get("raises", ())
    return {exc.status for exc in raises}


def possible_statuses(handler: HTTPRouteHandler, kwargs: KwargsModel) -> set[int]:
    """The error statuses ``handler`` can answer, from its guards, parameters and body."""
    has_body = "data" in kwargs.expected_reserved_kwargs
    has_params = bool(
        kwargs.expected_path_params
        or kwargs.expected_query_params
        or kwargs.expected_header_params
        or kwargs.expected_cookie_params
    )
    credentials = _credentials(handler)
    unsafe = bool(handler.http_methods & UNSAFE)
    statuses = set(ALWAYS)
    if has_params or has_body:
        statuses |= {400, 422}
    if kwargs.expected_path_params:
        statuses.add(404)
    if has_body:
        statuses |= {413, 415}
    if credentials or unsafe:
        statuses.add(403)
    if credentials:
        statuses.add(503)
        if unsafe and (has_body or kwargs.expected_path_params):
            statuses.add(409)
    return statuses | _declared(handler)


def _security(handler: HTTPRouteHandler) -> list[SecurityRequirement] | None:
    credentials = _credentials(handler)
    unsafe = bool(handler.http_methods & UNSAFE)
    alternatives: list[SecurityRequirement] = []
    # A bearer header wins over a cookie in the auth middleware, so it is listed first.
    if "token" in credentials:
        alternatives.append({"bearer": []})
    if "session" in credentials:
        alternatives.append({"session": [], "csrf": []} if unsafe else {"session": []})
    return alternatives or None


def _problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemDetails,
        description=HTTPStatus(status).phrase,
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


def document_handler(handler: HTTPRouteHandler, kwargs: KwargsModel) -> None:
    """Give ``handler`` a problem response for every status it can answer, and its security."""
    if not handler.include_in_schema:
        return
    own = dict(handler.responses or {})
    derived = {s: _problem_response(s) for s in sorted(possible_statuses(handler, kwargs))}
    handler.responses = {**derived, **own}
    if not any(layer.security for layer in handler.ownership_layers):
        handler.security = _security(handler)


class ProblemResponsesPlugin(ReceiveRoutePlugin):
    """Documents each API route's error statuses as the app registers it."""

    def receive_route(self, route: BaseRoute) -> None:
        if isinstance(route, HTTPRoute):
            for handler, kwargs in route.route_handler_map.values():
                document_handler(handler, kwargs)
