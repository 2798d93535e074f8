"""Who at a recipient organisation is told about ESP leave and withdrawal notices: its contacts.

An organisation's contacts are its active, activated accounts of the role for its kind (an
employer's employer accounts, another police force's ``police_force`` accounts, a partner's
``partner`` accounts) and the contact address the coordinator recorded for the organisation.
These addresses are staff of the organisation acting for it, not volunteer data, so messages to
them carry no volunteer's data and need no gate.
"""

from __future__ import annotations

import hashlib

from portal.accounts.emails import normalise_email
from portal.accounts.roles import ORGANISATION_ROLES, Role
from portal.accounts.tables import UserAccount
from portal.organisations.tables import Organisation


async def organisation_contacts(organisation_id: str) -> list[str]:
    """The organisation's contact addresses, each once, in a stable order."""
    org = (
        await Organisation.select(Organisation.contact_email, Organisation.kind)
        .where(Organisation.id == organisation_id)
        .first()
    )
    role = ORGANISATION_ROLES.get(str(org["kind"]), Role.EMPLOYER) if org else Role.EMPLOYER
    accounts = await UserAccount.select(UserAccount.email).where(
        (UserAccount.organisation == organisation_id)
        & (UserAccount.role == role.value)
        & (UserAccount.is_active == True)  # noqa: E712
        & UserAccount.activated_at.is_not_null()
    )
    found = {normalise_email(str(row["email"])) for row in accounts}
    if org and org["contact_email"]:
        found.add(normalise_email(str(org["contact_email"])))
    return sorted(found)


def contact_key(address: str) -> str:
    """A short digest naming a contact in an idempotency key (never the address itself)."""
    return hashlib.sha256(address.encode()).hexdigest()[:16]
