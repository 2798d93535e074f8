"""The outbox: one row per message, written in the transaction of the event that causes it.

A row holds the rendered message (so a template change never alters what an event already said)
and its delivery state. ``idempotency_key`` is unique: enqueuing the same event twice writes one
message, and the transport is handed the key so the provider can refuse a second copy.
"""

from __future__ import annotations

from piccolo.columns import UUID, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxMessage(Table, tablename="outbox"):
    id = UUID(primary_key=True)
    idempotency_key = Varchar(length=200, unique=True)
    template = Varchar(length=64)
    channel = Varchar(length=10)
    recipient = Varchar(length=254)
    subject = Varchar(length=200)
    body_text = Text()
    body_html = Text(default="")
    status = Varchar(length=10, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    claimed_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    provider_ref = Varchar(length=200, default="")
    last_error = Varchar(length=200, default="")


TABLES = (OutboxMessage,)
