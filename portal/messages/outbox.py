"""Writing a message: :func:`enqueue`, called by a service inside the transaction of its event.

Because the row is written in the same transaction, the event and its message commit or roll
back together: no event without its message, no message without its event. Delivery happens
later, in :mod:`portal.messages.worker`.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from portal.messages.render import render_email, render_sms
from portal.messages.tables import OutboxMessage
from portal.settings import Settings

Channel = Literal["email", "sms"]


def common_context(settings: Settings) -> dict[str, str]:
    """What every message says about its sender and where to change preferences."""
    return {
        "sender": settings.messages_sender.split("<")[0].strip() or settings.messages_sender,
        "preferences_url": f"{settings.base_url}/account",
    }


async def enqueue(
    settings: Settings,
    *,
    kind: str,
    channel: Channel,
    recipient: str,
    idempotency_key: str,
    context: dict[str, Any],
) -> str:
    """Render ``kind`` and write it to the outbox; returns the message id.

    Call it inside the caller's ``engine.transaction()``. Enqueuing the same ``idempotency_key``
    again writes nothing and returns the id of the message already there.
    """
    existing = (
        await OutboxMessage.select(OutboxMessage.id)
        .where(OutboxMessage.idempotency_key == idempotency_key)
        .first()
    )
    if existing is not None:
        return str(existing["id"])
    full = {**common_context(settings), **context}
    if channel == "email":
        email = render_email(kind, full)
        subject, text, html = email.subject, email.text, email.html
    else:
        subject, text, html = "", render_sms(kind, full), ""
    message_id = uuid.uuid4()
    await OutboxMessage.insert(
        OutboxMessage(
            id=message_id,
            idempotency_key=idempotency_key,
            template=kind,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body_text=text,
            body_html=html,
        )
    )
    return str(message_id)
