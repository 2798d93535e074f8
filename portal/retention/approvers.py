"""Who may approve a retention run: an active data protection officer's account.

The command line names the DPO by their account email; the pages know the signed-in account.
Either way the service checks the account again when it approves (:mod:`services`).
"""

from __future__ import annotations

from portal.accounts.emails import normalise_email
from portal.accounts.roles import Role
from portal.accounts.tables import UserAccount
from portal.errors import Forbidden, NotFound


async def dpo_account(email: str) -> str:
    """The id of the active DPO account with this email; a clear error otherwise."""
    wanted = normalise_email(email)
    row = (
        await UserAccount.select(UserAccount.id, UserAccount.role, UserAccount.is_active)
        .where(UserAccount.email == wanted)
        .first()
    )
    if row is None:
        raise NotFound("No account has this email (--dpo)")
    if row["role"] != Role.DPO.value or not row["is_active"]:
        raise Forbidden(
            "Only an active data protection officer may approve a retention run; "
            "the account with this email (--dpo) is not one"
        )
    return str(row["id"])
