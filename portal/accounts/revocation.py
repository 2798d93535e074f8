"""Ending every session of an account at once: on disable, password change or reset.

The session rows are the accounts domain's own table; the sign-in side (``portal.auth.sessions``)
reads them on every request, so a revoked session is refused on the very next one, in any worker.
"""

from __future__ import annotations

from portal.accounts.tables import UserSession
from portal.clock import utcnow


async def revoke_all_sessions(user_id: str) -> None:
    """Mark every live session of ``user_id`` revoked (history kept, never deleted)."""
    await UserSession.update({UserSession.revoked_at: utcnow()}).where(
        (UserSession.user == user_id) & UserSession.revoked_at.is_null()
    )
