"""Contact data for a message: what the gate gives a messaging provider, and who that provider is.

Sending a volunteer an email or a text hands their address or number to a provider (an SMTP
relay, GOV.UK Notify, or the demo's file folder): a disclosure for ``communication.notification``
like any other, decided and ledgered by the gate (:meth:`DisclosureGate.disclose_contact`).
Each provider is a recipient organisation of kind ``provider``; its id is derived from its name,
so every process (web, workers) names the same provider with the same id without coordinating.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from piccolo.query.mixins import OnConflictAction

from portal.disclosure.reasons import RefusalReason
from portal.messages.contact import ContactRefused as MessageRefused
from portal.organisations.tables import Organisation, OrganisationKind

NOTIFICATION_PURPOSE = "communication.notification"
#: Each channel's category and the one field it releases.
CHANNEL_CATEGORY: dict[str, tuple[str, str]] = {
    "email": ("contact.email", "email_address"),
    "sms": ("contact.phone", "phone_number"),
}
#: Fixed namespace for provider ids (uuid5 of the provider's name).
_PROVIDERS = uuid.UUID("6f1f3c1e-5a7e-4b8e-9d53-3c0f4a8f9e21")


class ContactRefused(MessageRefused):
    """The gate refused the contact data (recorded as a refusal); the message is not sent."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(reason.value)
        self.refusal = reason


@dataclass(frozen=True)
class ContactReleased:
    """The address or number, released after its disclosure entry committed."""

    value: str
    category: str
    ledger_index: int
    provider_id: str


def provider_id(name: str) -> str:
    """The recipient organisation id of the provider called ``name`` (stable across processes)."""
    return str(uuid.uuid5(_PROVIDERS, name))


async def ensure_provider(name: str) -> str:
    """The provider's organisation row, created on first use (a race is harmless: same id)."""
    key = provider_id(name)
    if not await Organisation.exists().where(Organisation.id == key):
        await Organisation.insert(
            Organisation(id=key, name=name[:200], kind=OrganisationKind.PROVIDER.value)
        ).on_conflict(action=OnConflictAction.do_nothing)
    return key
