"""A person's portal accounts as held, for their subject access report (Art. 15).

What an account *is* (email, role, dates, state) is the person's data; what proves it (password
hash, authenticator secret, session tokens) is never shown, not even to the DPO.
"""

from __future__ import annotations

from typing import Any

from portal.accounts.tables import UserAccount, UserSession
from portal.dbutil import as_moment
from portal.ids import parse_id


def _moment(value: Any) -> str | None:
    return as_moment(value).isoformat() if value is not None else None


async def accounts_held(volunteer_id: str) -> list[dict[str, Any]]:
    """The accounts linked to the person's volunteer record, oldest first, with sign-in dates."""
    key = parse_id(volunteer_id)
    if key is None:
        return []
    rows = (
        await UserAccount.select(
            UserAccount.id,
            UserAccount.email,
            UserAccount.role,
            UserAccount.is_active,
            UserAccount.created_at,
            UserAccount.activated_at,
            UserAccount.locked_until,
        )
        .where(UserAccount.volunteer == key)
        .order_by(UserAccount.created_at)
    )
    held = []
    for row in rows:
        sessions = (
            await UserSession.select(UserSession.created_at)
            .where(UserSession.user == row["id"])
            .order_by(UserSession.created_at, ascending=False)
        )
        held.append(
            {
                "id": str(row["id"]),
                "email": row["email"],
                "role": row["role"],
                "active": bool(row["is_active"]),
                "created_at": _moment(row["created_at"]),
                "activated_at": _moment(row["activated_at"]),
                "locked_until": _moment(row["locked_until"]),
                "sign_ins": len(sessions),
                "last_sign_in": _moment(sessions[0]["created_at"]) if sessions else None,
            }
        )
    return held
