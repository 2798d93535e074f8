"""How long a message's wording is kept: ``ESP_MESSAGES_BODY_RETENTION_DAYS`` from when it was
written, once it has finished (sent, failed, refused, called).

The contact log shows a volunteer what was sent to them; after the retention period the wording
(subject stays, bodies emptied) and any address not a volunteer's are removed, and the row keeps
only what the DPO's counts need: kind, channel, status, times, provider and ledger index.
Messages still waiting are never purged. Run by the worker (hourly) and ``esp-portal messages
purge``.
"""

from __future__ import annotations

import datetime as dt

import structlog

from portal.messages.tables import OutboxMessage
from portal.settings import Settings

log = structlog.get_logger(__name__)

FINISHED = ("sent", "failed", "refused", "called")


async def purge_bodies(settings: Settings, now: dt.datetime) -> int:
    """Empty finished messages written before the retention period; returns how many."""
    cutoff = now - dt.timedelta(days=settings.messages_body_retention_days)
    purged = (
        await OutboxMessage.update(
            {
                OutboxMessage.body_text: "",
                OutboxMessage.body_html: "",
                OutboxMessage.recipient: "",
                OutboxMessage.purged_at: now,
            }
        )
        .where(
            OutboxMessage.status.is_in(list(FINISHED))
            & (OutboxMessage.created_at < cutoff)
            & (
                (OutboxMessage.body_text != "")
                | (OutboxMessage.body_html != "")
                | (OutboxMessage.recipient != "")
            )
        )
        .returning(OutboxMessage.id)
    )
    log.info(
        "messages.purged",
        messages=len(purged),
        retention_days=settings.messages_body_retention_days,
    )
    return len(purged)
