"""The authenticated caller, as every handler and guard sees it (``request.user``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from portal.accounts.tables import Role


@dataclass(frozen=True)
class Identity:
    """A signed-in user (via a session cookie) or an integration (via a bearer token).

    ``role`` is None for integration tokens, which act only within their ``scopes``.
    """

    user_id: str
    role: Role | None
    via: Literal["session", "token"]
    organisation_id: str | None = None
    volunteer_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    session_id: str | None = None
    token_id: str | None = None
    csrf_token: str | None = None
    #: The account's email, read with the session (``/api/auth/me`` shows it). Never in a
    #: repr, so never in a log line that prints an identity.
    email: str | None = field(default=None, repr=False)
