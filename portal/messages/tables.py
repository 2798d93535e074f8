"""The outbox: one row per message, written in the transaction of the event that causes it.

A row holds the rendered message (so a template change never alters what an event already said)
and its delivery state. ``idempotency_key`` is unique: enqueuing the same event twice writes one
message, and the transport is handed the key so the provider can refuse a second copy.

A message to a volunteer names them (``volunteer``) instead of holding their address: the address
or number is read through the disclosure gate when the message is sent, ledgered as a disclosure
to the provider (``provider``, ``ledger_index``), and never stored here. ``status`` is one of
``pending``, ``sending``, ``sent``, ``failed``, ``refused`` (the gate refused: not sent),
``to_call`` / ``called`` (a phone call the coordinator makes, never sent by a machine).
"""

from __future__ import annotations

from piccolo.columns import UUID, BigInt, Boolean, Integer, Text, Timestamptz, Varchar
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
    #: The volunteer the message is to (their contact data passes the gate at send time).
    volunteer = Varchar(length=64, default="", index=True)
    #: Account security (invitation, password reset): sent whatever the contact preferences.
    security = Boolean(default=False)
    #: The provider organisation the contact data was disclosed to, and the ledger entry.
    provider = Varchar(length=64, default="")
    ledger_index = Integer(null=True, default=None)
    #: When the bodies were emptied (after sending, for a secret link; or by retention).
    purged_at = Timestamptz(null=True, default=None)


class JobRun(Table, tablename="job_run"):
    """One run of a periodic job for one period: the row is the lease.

    ``(job, period)`` is unique (a raw migration's index), so of two workers reaching the same
    period only one inserts the row and runs the job. A run that dies leaves ``finished_at``
    empty; once ``claimed_until`` has passed another worker takes the row over and runs it again
    (every job is idempotent, so a second run of a half-done one finishes it).
    """

    id = UUID(primary_key=True)
    job = Varchar(length=64)
    #: The period number: whole intervals since the epoch (``ESP_JOBS_INTERVAL_SECONDS``).
    period = BigInt()
    worker = Varchar(length=64, default="")
    started_at = Timestamptz(default=TimestamptzNow())
    claimed_until = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    #: How many things the run did (messages written, alerts raised), or the error's type name.
    outcome = Varchar(length=200, default="")


TABLES = (OutboxMessage, JobRun)
