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

An organisation of a kind with no role here (the force itself, a messaging provider, a kind added
later and not yet given one) has no contacts under this rule: asking for them raises
:class:`NoContactRole` naming the kind, rather than guessing a role and mailing its accounts.
"""

from __future__ import annotations

import hashlib

from portal.accounts.emails import normalise_email
from portal.accounts.roles import ORGANISATION_ROLES
from portal.accounts.tables import UserAccount
from portal.organisations.tables import Organisation


class NoContactRole(LookupError):
    """The organisation's kind names no role whose accounts read its notices."""

    def __init__(self, organisation_id: str, kind: str) -> None:
        super().__init__(
            f"organisation {organisation_id} is of kind {kind!r}, which has no contact role "
            f"(known kinds: {', '.join(sorted(ORGANISATION_ROLES))})"
        )
        self.kind = kind


async def organisation_contacts(organisation_id: str) -> list[str]:
    """The organisation's contact addresses under the module's rule, normalised, each once.

    Raises :class:`NoContactRole` for an organisation whose kind has no role (never a guess)."""
    org = (
        await Organisation.select(Organisation.contact_email, Organisation.kind)
        .where(Organisation.id == organisation_id)
        .first()
    )
    if org is None:
        return []
    kind = str(org["kind"])
    role = ORGANISATION_ROLES.get(kind)
    if role is None:
        raise NoContactRole(organisation_id, kind)
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
