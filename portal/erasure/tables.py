"""The record of every erasure: what went, when, by whose decision and why, never whose data.

A record names the erased volunteer only by ``volunteer_digest`` (SHA-256 of a fixed label and
the volunteer id, :func:`portal.erasure.plan.volunteer_digest`). The id itself is gone from the
database once the erasure commits, so the digest leads nowhere in it; in a backup taken before the
erasure it finds the row again, which is exactly what replaying erasures after a restore needs.
Append-only (triggers, and the application role may only SELECT and INSERT).
"""

from __future__ import annotations

from piccolo.columns import JSON, UUID, BigInt, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


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


TABLES = (ErasureRecord,)
