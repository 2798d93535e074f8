"""Data sharing agreements between the force and one employer, versioned and append-only.

A new version supersedes the previous one; no version is ever edited (the database rejects UPDATE
and DELETE). The version in force on a day is the highest version whose ``starts_on`` has come; it
permits disclosures only while that day is on or before its ``ends_on``.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.organisations.tables import Organisation


class DataSharingAgreement(Table, tablename="data_sharing_agreement"):
    id = UUID(primary_key=True)
    employer = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    #: 1, 2, 3 ... per employer (unique per employer: index created by a raw migration).
    version = Integer()
    #: ``{"<purpose>": ["<category>", ...]}``, purposes and categories from the vocabulary.
    purposes = JSON(default={})
    starts_on = Date()
    ends_on = Date(index=True)
    signed_by = Varchar(length=200)
    #: ``{"<purpose>": {"count": n, "per": "day" | "month"}}``: the disclosures the employer
    #: expects to ask for; volume alerts compare each day against it (not a term of release).
    expected = JSON(default={})
    supersedes = UUID(null=True, default=None)
    recorded_by = Varchar(length=64, default="")
    recorded_at = Timestamptz(default=TimestamptzNow())
    #: The ledger entry (``agreement.recorded``) committed atomically with this row.
    ledger_index = BigInt(default=-1)
