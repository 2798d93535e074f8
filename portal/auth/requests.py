"""The request type every handler sees: ``request.user`` is the caller's :class:`Identity`.

``AuthMiddleware`` sets both ``scope["user"]`` and ``scope["auth"]`` to the resolved identity (or
None for an anonymous caller), so one alias states that once instead of ``AppRequest``
in every handler, and type checking sees ``request.user.role`` for what it is.
"""

from __future__ import annotations

from typing import TypeAlias

from litestar import Request
from litestar.datastructures import State

from portal.auth.identity import Identity

__all__ = ["AppRequest"]

#: A request whose user and auth are the caller's identity, None when anonymous.
AppRequest: TypeAlias = Request[Identity | None, Identity | None, State]
