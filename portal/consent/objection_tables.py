"""Objections to processing the force does as a public task, and the DPO's decisions on them.

Where consent is not the lawful basis (UK GDPR Art. 6(1)(e)), the volunteer has the right to
object (Art. 21). An objection is one append-only row with the volunteer's reasons; the DPO's
decision (upheld or rejected, with reasons the volunteer sees) is another append-only row, one per
objection. Both are ledgered in the same transaction. While an upheld objection stands, the gate
refuses that purpose for that volunteer.

The free-text reasons live here only, never in the ledger (they may hold personal detail).
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import UUID, BigInt, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.organisations.tables import Volunteer


class Outcome(StrEnum):
    UPHELD = "upheld"
    REJECTED = "rejected"


class Objection(Table, tablename="objection"):
    id = UUID(primary_key=True)
    volunteer = ForeignKey(references=Volunteer, on_delete=OnDelete.restrict, index=True)
    subject = Varchar(length=40, index=True)
    purpose = Varchar(length=80, index=True)
    reasons = Text()
    raised_at = Timestamptz(default=TimestamptzNow())
    raised_by = Varchar(length=64, default="")
    ledger_index = BigInt()


class ObjectionDecision(Table, tablename="objection_decision"):
    id = UUID(primary_key=True)
    objection = ForeignKey(
        references=Objection, on_delete=OnDelete.restrict, unique=True, index=True
    )
    outcome = Varchar(length=20, choices=Outcome)
    reasons = Text()
    decided_by = Varchar(length=64)
    decided_at = Timestamptz(default=TimestamptzNow())
    ledger_index = BigInt()
