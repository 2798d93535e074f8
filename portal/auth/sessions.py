"""Server-side sessions: the cookie holds a random token, the database its digest.

A session ends at its absolute expiry, after the idle timeout, or when revoked (logout). Every
sign-in creates a new token, so a token planted before sign-in is never promoted (no fixation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.accounts.secrets import digest, new_token
from portal.accounts.tables import Role, UserSession
from portal.auth.identity import Identity
from portal.clock import utcnow
from portal.dbutil import FixedQuery
from portal.settings import Settings

SESSION_COOKIE = "esp_session"
CSRF_HEADER = "X-CSRF-Token"
#: Touch ``last_seen_at`` at most this often, to keep reads from becoming writes.
TOUCH_INTERVAL = dt.timedelta(seconds=60)
#: Every signed-in request runs this, so it is compiled once (``FixedQuery``) rather than built
#: by the query builder per request (building the two-table select cost more CPU than the query
#: itself). It also reads the account's email, so ``/api/auth/me`` needs no second query.
#: Always a database read: a sign-out or a deactivation in any worker counts from the next
#: request (no cache can promise that across processes without asking the database anyway).
RESOLVE_SQL = (
    "SELECT s.id, s.csrf_token, s.last_seen_at, s.expires_at, s.revoked_at, "
    "u.id AS user_id, u.role, u.is_active, u.organisation AS organisation_id, "
    "u.volunteer AS volunteer_id, u.email "
    'FROM user_session s JOIN user_account u ON u.id = s."user" '
    "WHERE s.token_hash = {}"
)
_RESOLVE = FixedQuery(RESOLVE_SQL, UserSession)


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: dt.datetime


class SessionStore:
    def __init__(self, settings: Settings) -> None:
        self.idle = dt.timedelta(minutes=settings.session_idle_minutes)
        self.absolute = dt.timedelta(hours=settings.session_absolute_hours)

    async def create(self, user_id: str) -> NewSession:
        token, csrf = new_token(), new_token()
        now = utcnow()
        expires = now + self.absolute
        await UserSession.insert(
            UserSession(
                token_hash=digest(token),
                csrf_token=csrf,
                user=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=expires,
            )
        )
        return NewSession(token=token, csrf_token=csrf, expires_at=expires)

    async def resolve(self, token: str) -> Identity | None:
        """The identity behind a cookie token, or None if unknown, expired, idle or revoked."""
        rows = await _RESOLVE.rows(digest(token))
        if not rows:
            return None
        row = rows[0]
        now = utcnow()
        if (
            row["revoked_at"] is not None
            or row["expires_at"] <= now
            or row["last_seen_at"] + self.idle <= now
            or not row["is_active"]
        ):
            return None
        if now - row["last_seen_at"] >= TOUCH_INTERVAL:
            await UserSession.update({UserSession.last_seen_at: now}).where(
                UserSession.id == row["id"]
            )
        return Identity(
            user_id=str(row["user_id"]),
            role=Role(row["role"]),
            via="session",
            organisation_id=_str_or_none(row["organisation_id"]),
            volunteer_id=_str_or_none(row["volunteer_id"]),
            session_id=str(row["id"]),
            csrf_token=row["csrf_token"],
            email=str(row["email"]),
        )

    async def revoke(self, session_id: str) -> None:
        await UserSession.update({UserSession.revoked_at: utcnow()}).where(
            (UserSession.id == session_id) & UserSession.revoked_at.is_null()
        )


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
