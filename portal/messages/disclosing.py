"""Sending to a volunteer: the address passes the disclosure gate, then the transport sends.

:class:`GatedTransport` wraps the configured transport. For a message to a volunteer it asks the
gate for their address or number just before sending, naming the provider as the recipient
organisation; the gate checks the contact preferences (account-security email excepted),
ledgers the disclosure and records its index on the outbox row in the same transaction, and only
then is the address handed to the transport. A refusal means the message is not sent: the row
becomes ``refused``. Every attempt that hands the address over is one ledger entry, so a retry
after a failure is recorded again (over-recording is the safe side: the ledger never misses one).
"""

from __future__ import annotations

from dataclasses import replace

from portal.messages.contact import ContactGate, ContactRefused
from portal.messages.tables import OutboxMessage
from portal.messages.transports import (
    Outgoing,
    Transport,
    TransportError,
    provider_name,
    transport_for,
)
from portal.settings import Settings


class Refused(TransportError):
    """The gate refused the volunteer's contact data: never sent, never retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}", permanent=True)


class GatedTransport:
    """The configured transport behind the disclosure gate."""

    gated = True

    def __init__(self, inner: Transport, gate: ContactGate, provider_name: str) -> None:
        self.inner = inner
        self.gate = gate
        self.provider_name = provider_name
        self.channels = inner.channels

    async def send(self, message: Outgoing) -> str:
        if not message.volunteer_id:
            return await self.inner.send(message)
        if message.channel not in self.inner.channels:
            # before the gate: nothing is disclosed for a message this transport cannot carry
            raise TransportError(f"this transport does not send {message.channel}", permanent=True)

        async def record(index: int) -> None:
            await OutboxMessage.update({OutboxMessage.ledger_index: index}).where(
                OutboxMessage.id == message.message_id
            )

        try:
            released = await self.gate.disclose_contact(
                self.provider_name,
                message.volunteer_id,
                message.channel,
                request_id=f"message:{message.message_id}",
                security=message.security,
                address=message.recipient,
                record=record,
            )
        except ContactRefused as exc:
            raise Refused(exc.reason) from None
        except Exception as exc:  # the ledger cannot be written: nothing left, try again later
            raise TransportError(f"disclosure not recorded: {type(exc).__name__}") from None
        await OutboxMessage.update({OutboxMessage.provider: released.provider_id}).where(
            OutboxMessage.id == message.message_id
        )
        return await self.inner.send(replace(message, recipient=released.value))


def gated_transport(settings: Settings, gate: ContactGate) -> GatedTransport:
    """The transport the settings name, behind ``gate``, naming its provider."""
    return GatedTransport(transport_for(settings), gate, provider_name(settings))
