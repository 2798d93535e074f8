"""Sending one outbox message now, for an event that must not go on until its message has left.

Most events leave their messages to the worker. An approved erasure cannot: erasing the person
deletes their contact details and their outbox rows, so the message telling them must be handed
to the transport first. :func:`send_now` claims that one row exactly as the worker claims rows (a
lease, one more attempt), sends it through the same :func:`~portal.messages.worker.deliver`, and
returns the row's status afterwards. A row already ``sent`` is not sent again; a row another
worker holds under a live lease is left to it (the caller tries again later).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portal.dbutil import as_moment, write_transaction
from portal.messages.tables import OutboxMessage
from portal.messages.transports import Transport
from portal.messages.worker import CLAIMED, deliver
from portal.settings import Settings

#: Statuses after which nothing more will happen to a message by itself.
FINISHED = frozenset({"sent", "failed", "refused"})


async def _claim(message_id: str, settings: Settings) -> tuple[str, dict[str, Any] | None]:
    now = datetime.now(UTC)
    async with write_transaction(OutboxMessage):
        query = OutboxMessage.select(*CLAIMED, OutboxMessage.status, OutboxMessage.claimed_until)
        rows = await query.where(OutboxMessage.id == message_id)
        if not rows:
            return "missing", None
        row = rows[0]
        lapsed = row["status"] == "sending" and (
            row["claimed_until"] is None or as_moment(row["claimed_until"]) < now
        )
        if row["status"] != "pending" and not lapsed:
            return str(row["status"]), None
        await OutboxMessage.update(
            {
                OutboxMessage.status: "sending",
                OutboxMessage.claimed_until: now
                + timedelta(seconds=settings.messages_lease_seconds),
                OutboxMessage.attempts: OutboxMessage.attempts + 1,
            }
        ).where(OutboxMessage.id == message_id)
    row["attempts"] += 1
    return "sending", row


async def send_now(message_id: str, transport: Transport, settings: Settings) -> str:
    """Send the message now unless it is finished or another worker holds it; its status."""
    status, row = await _claim(message_id, settings)
    if row is None:
        return status
    outcome = await deliver(row, transport, settings)
    return outcome.status
