"""Who at a recipient organisation is told about ESP leave and withdrawal notices: its contacts.

The one rule, used by every message to an organisation (a leave request waiting, a withdrawal
notice, a reminder of an unacknowledged notice):

- the organisation's accounts of the role for its kind (an employer's ``employer`` accounts,
  another police force's ``police_force`` accounts, a partner's ``partner`` accounts) that are
  enabled (``is_active``) and activated (a password set: an invitation never taken up is not a
  person reading the portal, and mail to it would tell someone who has not signed up yet);
- only when there is no such account, the contact address the coordinator recorded for the
  organisation, so a notice is never silently undelivered before anyone there has signed in;
- each address once, compared case-insensitively, in a stable order.

The recorded address is a fallback, not an addition: once the organisation has people of its own
on the portal, they decide who reads its notices (a shared inbox can be given an account).
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
    """The organisation's contact addresses under the module's rule, normalised, each once."""
    org = (
        await Organisation.select(Organisation.contact_email, Organisation.kind)
        .where(Organisation.id == organisation_id)
        .first()
    )
    if org is None:
        return []
    role = ORGANISATION_ROLES.get(str(org["kind"]), Role.EMPLOYER)
    accounts = await UserAccount.select(UserAccount.email).where(
        (UserAccount.organisation == organisation_id)
        & (UserAccount.role == role.value)
        & (UserAccount.is_active == True)  # noqa: E712
        & UserAccount.activated_at.is_not_null()
    )
    found = {normalise_email(str(row["email"])) for row in accounts}
    if not found and org["contact_email"]:
        found.add(normalise_email(str(org["contact_email"])))
    return sorted(found)


def contact_key(address: str) -> str:
    """A short digest naming a contact in an idempotency key (never the address itself)."""
    return hashlib.sha256(address.encode()).hexdigest()[:16]
