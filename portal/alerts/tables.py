"""Volume alerts as raised, and the DPO's acknowledgements of them.

An alert is one (employer, purpose, London day): unique, so the check may run as often as it
likes and two workers cannot raise the same alert twice (index in a raw migration). The figures
are kept as they stood when the alert was raised. Acknowledgements are append-only, each
committed with its ``alert.acknowledged`` ledger entry, like an employer's acknowledgement of a
withdrawal notice.
"""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    BigInt,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.organisations.tables import Organisation


class VolumeAlert(Table, tablename="volume_alert"):
    id = UUID(primary_key=True)
    employer = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    purpose = Varchar(length=80)
    day = Date()
    #: Disclosures on the day when the alert was raised.
    disclosures = Integer()
    #: The median of the window's days before it (the recipient's usual level).
    usual = DoublePrecision()
    #: The agreement's expectation for one day, when it states one.
    expected = DoublePrecision(null=True, default=None)
    raised_at = Timestamptz(default=TimestamptzNow(), index=True)


class VolumeAlertAcknowledgement(Table, tablename="volume_alert_ack"):
    id = UUID(primary_key=True)
    alert = ForeignKey(references=VolumeAlert, on_delete=OnDelete.restrict, unique=True, index=True)
    acknowledged_by = Varchar(length=64)
    acknowledged_at = Timestamptz(default=TimestamptzNow())
    ledger_index = BigInt()


TABLES = (VolumeAlert, VolumeAlertAcknowledgement)
