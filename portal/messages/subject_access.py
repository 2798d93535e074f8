"""Messages the portal sent to a person, for their subject access report (Art. 15).

The outbox keeps each message as rendered, addressed to an email address or phone number; the
person's messages are those sent to the contact details their record holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from portal.dbutil import as_moment
from portal.messages.tables import OutboxMessage


async def messages_to(addresses: Sequence[str]) -> list[dict[str, Any]]:
    """Every outbox message to any of ``addresses``, oldest first: what was sent, when and how
    far it got. The body is left out: a message may carry a one-time link that still works."""
    wanted = sorted({a for a in addresses if a})
    if not wanted:
        return []
    rows = (
        await OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.template,
            OutboxMessage.channel,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.status,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
        )
        .where(OutboxMessage.recipient.is_in(wanted))
        .order_by(OutboxMessage.created_at)
    )
    return [
        {
            "id": str(r["id"]),
            "kind": r["template"],
            "channel": r["channel"],
            "to": r["recipient"],
            "subject": r["subject"],
            "status": r["status"],
            "created_at": as_moment(r["created_at"]).isoformat(),
            "sent_at": as_moment(r["sent_at"]).isoformat() if r["sent_at"] else None,
        }
        for r in rows
    ]
