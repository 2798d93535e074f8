"""The record of every erasure: what went, when, by whose decision and why, never whose data.

A record names the erased volunteer only by ``volunteer_digest`` (SHA-256 of a fixed label and
the volunteer id, :func:`portal.erasure.plan.volunteer_digest`). The id itself is gone from the
database once the erasure commits, so the digest leads nowhere in it; in a backup taken before the
erasure it finds the row again, which is exactly what replaying erasures after a restore needs.
Append-only (triggers, and the application role may only SELECT and INSERT).
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Date,
    ForeignKey,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.organisations.tables import Volunteer


class ErasureRecord(Table, tablename="erasure_record"):
    id = UUID(primary_key=True)
    volunteer_digest = Varchar(length=64, unique=True)
    #: Why: the legal ground (Art. 17(1)(a)-(f)) or the retention rule, as the decider gave it.
    reason = Varchar(length=500)
    #: The deciding account's id, or ``system`` for a scheduled retention run.
    decided_by = Varchar(length=64)
    erased_at = Timestamptz(default=TimestamptzNow())
    #: Rows removed or reduced, per table (``{"consent_event": 4, ...}``): counts, never values.
    erased = JSON(default={})
    #: The ``erasure.recorded`` ledger entry.
    ledger_index = BigInt()
    #: The id of the record this one repeats after a restore, or empty.
    replay_of = Varchar(length=36, default="")


class ErasureRequest(Table, tablename="erasure_request"):
    """One erasure request (UK GDPR Art. 17) and the DPO's decision on it.

    ``status`` moves ``pending`` -> ``approved`` -> ``erased`` or ``pending`` -> ``refused``
    (docs/ERASURE.md, "Erasure requests"). ``approved`` lasts from the decision until the erasure
    commits: the decision's message is sent in between, so a request left ``approved`` by a crash
    is completed by a rerun that sends nothing twice. The application role may SELECT, INSERT and
    UPDATE, never DELETE. When the person is erased (by this request or later, by the retention
    schedule) the erasure procedure reduces the row: the volunteer, their own account and their
    words go; the decision, its reasons and the dates stay.
    """

    id = UUID(primary_key=True)
    volunteer = ForeignKey(
        references=Volunteer, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    #: ``volunteer`` (through their account) or ``dpo`` (received another way, e.g. a letter).
    made_by = Varchar(length=10)
    #: The account that put the request in (the volunteer's own, or the DPO's).
    recorded_by = Varchar(length=64, default="")
    received_on = Date()
    #: One month after ``received_on`` (Art. 12(3)), the date the answer is due.
    due_on = Date(index=True)
    #: The volunteer's own words, or the DPO's note of how the request arrived.
    statement = Text(default="")
    status = Varchar(length=10, default="pending", index=True)
    #: A refusal's Art. 17(3) ground (:data:`portal.erasure.requests.GROUNDS`) and explanation.
    ground = Varchar(length=40, default="")
    explanation = Text(default="")
    decided_by = Varchar(length=64, default="")
    decided_at = Timestamptz(null=True, default=None)
    #: ``sent`` (handed to the transport), ``not_sent`` (refused or failed: tell them by letter).
    told = Varchar(length=10, default="")
    #: The erasure record of an erased request.
    erasure_id = Varchar(length=36, default="")
    received_index = BigInt()
    decided_index = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


TABLES = (ErasureRecord, ErasureRequest)
