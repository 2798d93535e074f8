"""Writing a message: :func:`enqueue`, called by a service inside the transaction of its event.

Because the row is written in the same transaction, the event and its message commit or roll
back together: no event without its message, no message without its event. Delivery happens
later, in :mod:`portal.messages.worker`.

A message to a volunteer names them (``volunteer_id``) and holds no address: the worker asks the
disclosure gate for it when sending, so the disclosure is decided and ledgered then (see
``docs/MESSAGES.md``, "When the gate runs"). Channel ``phone`` is a call for the coordinator to
make: it waits on their "people to call" list and is never sent by a machine.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from portal.messages.render import render_call, render_email, render_sms
from portal.messages.tables import OutboxMessage
from portal.settings import Settings

Channel = Literal["email", "sms", "phone"]

#: Templates whose body holds a secret (a one-time link): emptied as soon as the message is sent.
SECRET_TEMPLATES = frozenset({"password_reset", "invitation"})


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
    recipient: str = "",
    idempotency_key: str,
    context: dict[str, Any],
    volunteer_id: str | None = None,
    security: bool = False,
) -> str:
    """Render ``kind`` and write it to the outbox; returns the message id.

    Call it inside the caller's ``engine.transaction()``. Enqueuing the same ``idempotency_key``
    again writes nothing and returns the id of the message already there. ``recipient`` is an
    address that is not a volunteer's (an employer contact, staff); ``volunteer_id`` instead
    names a volunteer, whose address the gate releases at send time (``recipient`` is then the
    address to use for ``security`` email, an account's sign-in address, or empty).
    ``security``: account-security email, sent whatever the contact preferences.
    """
    if not (recipient or volunteer_id):
        raise ValueError("a message needs a recipient address or a volunteer")
    if channel == "phone" and not volunteer_id:
        raise ValueError("a phone call is made to a volunteer")
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
    elif channel == "sms":
        subject, text, html = "", render_sms(kind, full), ""
    else:  # what the coordinator says on the phone
        subject, text, html = "", render_call(kind, full), ""
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
            volunteer=volunteer_id or "",
            security=security,
            status="to_call" if channel == "phone" else "pending",
        )
    )
    return str(message_id)
