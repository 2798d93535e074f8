"""Retention runs: each dry run, what it found per record kind, and the DPO's approval.

A run is one look at the schedule on one clock: each :class:`RetentionStep` fixes the cutoff of
one record kind, so approving the run later erases what was past that cutoff when it was found,
never more. ``state`` moves ``found`` -> ``erasing`` -> ``erased``; only a step of an approved run
may move to ``erasing``, and on SQLite that move runs the owner procedure for refused attempts,
which passes their append-only trigger with a marker row of its own transaction
(docs/RETENTION.md).
"""

from __future__ import annotations

from piccolo.columns import JSON, UUID, BigInt, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class RetentionRun(Table, tablename="retention_run"):
    id = UUID(primary_key=True)
    #: The clock's instant the run looked at the schedule from (every cutoff counts back from it).
    found_at = Timestamptz(default=TimestamptzNow())
    schedule_version = Varchar(length=20)
    #: ``cli``, ``web`` or ``system`` (the scheduled run).
    channel = Varchar(length=10)
    #: The account that asked for the run (``scheduler`` for the scheduled run).
    requested_by = Varchar(length=64)
    #: Persons whose whole record is due for erasure: ``[{"volunteer", "rule", "left_on"}]``.
    persons_due = JSON(default=[])
    found_index = BigInt(null=True, default=None)
    approved_by = Varchar(length=64, default="")
    approved_at = Timestamptz(null=True, default=None)
    erased_index = BigInt(null=True, default=None)
    #: Persons handed to the person eraser on approval (0 when the service had none).
    persons_erased = Integer(default=0)


class RetentionStep(Table, tablename="retention_step"):
    id = UUID(primary_key=True)
    run = ForeignKey(references=RetentionRun, on_delete=OnDelete.restrict, index=True)
    #: A record kind of ``portal/vocabulary/records.json`` erased row by row.
    record_kind = Varchar(length=40)
    #: Rows of this kind older than this (or, for kinds counted from leaving, of persons who
    #: left before this) are past their time.
    cutoff = Timestamptz()
    found = Integer(default=0)
    erased = Integer(null=True, default=None)
    state = Varchar(length=10, default="found")


TABLES = (RetentionRun, RetentionStep)
