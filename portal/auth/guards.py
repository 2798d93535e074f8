"""Route guards: declared next to each route, checked before the handler runs.

Guards are coroutines: Litestar runs a plain function guard in a worker thread, a thread hop on
every guarded request for a check that only reads ``scope["user"]``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from portal.accounts.tables import Role
from portal.auth.identity import Identity
from portal.auth.requests import AppRequest
from portal.errors import Forbidden, Unauthenticated

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def _identity(connection: ASGIConnection[Any, Any, Any, Any]) -> Identity:
    user = connection.scope.get("user")
    if not isinstance(user, Identity):
        raise Unauthenticated("Sign in to use this")
    return user


async def requires_sign_in(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """Any signed-in user (not an integration token)."""
    if _identity(connection).via != "session":
        raise Forbidden("This needs a signed-in user")


#: What each guard asks for, read by :mod:`portal.openapi_problems` to document the route.
requires_sign_in.credential = "session"  # type: ignore[attr-defined]


def requires_role(*roles: Role) -> Guard:
    """Only users holding one of ``roles``, through a session (tokens have no role)."""
    allowed = frozenset(roles)

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        identity = _identity(connection)
        if identity.via != "session" or identity.role not in allowed:
            raise Forbidden("Your role may not do this")

    guard.__name__ = "requires_role_" + "_".join(sorted(r.value for r in allowed))
    guard.credential = "session"  # type: ignore[attr-defined]
    # Which roles get in, for whoever walks the routes (the 320 px test visits each role's pages).
    guard.roles = frozenset(r.value for r in allowed)  # type: ignore[attr-defined]
    return guard


def requires_scope(scope: str) -> Guard:
    """Only integration tokens holding ``scope``."""

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        identity = _identity(connection)
        if identity.via != "token" or scope not in identity.scopes:
            raise Forbidden(f"This needs an integration token with the {scope} scope")

    guard.__name__ = f"requires_scope_{scope}"
    guard.credential = "token"  # type: ignore[attr-defined]
    return guard


def caller(request: AppRequest) -> Identity:
    """The signed-in caller of a guarded route (its guard has already refused anonymous ones).

    Raising rather than asserting keeps the rule honest if a route ever loses its guard.
    """
    identity = request.user
    if identity is None:
        raise Unauthenticated("Sign in to use this")
    return identity
