"""Email to the people who run the scheme: the force's DPO and coordinators, an employer's contacts.

These messages go to staff about the scheme (an agreement ending, an objection waiting, a volume
alert, an unacknowledged withdrawal notice), never to a volunteer, so they carry no volunteer's
contact details and are not disclosures to a messaging provider. What they say stays within what
the recipient already holds: an employer is reminded of a notice it already received, the DPO is
pointed at a page rather than handed a person.

Each message is written to the outbox (:func:`portal.messages.outbox.enqueue`) in the caller's
transaction, one per recipient account, with an idempotency key made of the event's key and the
account: the same event twice writes nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.accounts.roles import Role
from portal.accounts.tables import UserAccount
from portal.messages.outbox import enqueue
from portal.settings import Settings

FORCE_STAFF = (Role.DPO, Role.COORDINATOR)
#: Why a recipient gets these emails, in the footer of each.
FORCE_AUDIENCE = "the force's data protection officer or ESP coordinator"
EMPLOYER_AUDIENCE = "an employer's contact for Employer Supported Policing"
#: The same, per kind of recipient organisation (``Organisation.kind``).
ORGANISATION_AUDIENCES: dict[str, str] = {
    "employer": EMPLOYER_AUDIENCE,
    "police_force": "another police force's contact for sharing with this force",
    "partner": "a partner processing applications for the force",
}


@dataclass(frozen=True)
class StaffAddress:
    """Where one message goes: the account (or organisation) it is for, and its address."""

    key: str
    email: str


async def force_staff() -> list[StaffAddress]:
    """The active DPO and coordinator accounts."""
    rows = await (
        UserAccount.select(UserAccount.id, UserAccount.email)
        .where(
            UserAccount.role.is_in([r.value for r in FORCE_STAFF]) & (UserAccount.is_active == True)  # noqa: E712
        )
        .order_by(UserAccount.email)
    )
    return [StaffAddress(str(r["id"]), r["email"]) for r in rows]


async def send_to(
    settings: Settings,
    addresses: list[StaffAddress],
    *,
    kind: str,
    event_key: str,
    context: dict[str, Any],
    audience: str = EMPLOYER_AUDIENCE,
) -> int:
    """Enqueue ``kind`` to each address (call inside the event's transaction); how many."""
    context = {"audience": audience, **context}
    for address in addresses:
        await enqueue(
            settings,
            kind=kind,
            channel="email",
            recipient=address.email,
            idempotency_key=f"{event_key}:{address.key}",
            context=context,
        )
    return len(addresses)


async def tell_force_staff(
    settings: Settings, *, kind: str, event_key: str, context: dict[str, Any]
) -> int:
    """Enqueue ``kind`` to every DPO and coordinator; how many messages."""
    return await send_to(
        settings,
        await force_staff(),
        kind=kind,
        event_key=event_key,
        context=context,
        audience=FORCE_AUDIENCE,
    )
