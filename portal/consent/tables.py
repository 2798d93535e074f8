"""Consent history and withdrawal notices: append-only, enforced by the database.

A consent record (ISO/IEC TS 27560-style fields) is one event for one volunteer x employer x
purpose x category: ``given`` (with an expiry) or ``withdrawn``. The current state of a tuple is its
latest event (highest ``ledger_index``): consent is current when that event is ``given`` and not
expired. Nothing here is ever updated or deleted; every event is a ledger entry committed in the
same transaction as its rows.

A withdrawal notice tells an organisation that received data under a consent that the consent is
withdrawn and the data must no longer be used; an employer user acknowledges it (a separate
append-only row, one per notice).
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, UUID, BigInt, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.organisations.tables import Organisation, Volunteer


class ConsentState(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class ConsentEvent(Table, tablename="consent_event"):
    id = UUID(primary_key=True)
    volunteer = ForeignKey(references=Volunteer, on_delete=OnDelete.restrict, index=True)
    #: The volunteer's pseudonymous ledger id (ISO/IEC TS 27560 "data subject").
    subject = Varchar(length=40, index=True)
    #: The recipient the consent is for (27560 "recipient").
    employer = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    purpose = Varchar(length=80)
    category = Varchar(length=40)
    state = Varchar(length=20, choices=ConsentState)
    lawful_basis = Varchar(length=40, default="consent")
    #: Version of the privacy notice shown when the event happened (27560 "notice").
    notice_version = Varchar(length=20)
    recorded_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    #: How the event was collected: ``web`` or ``api`` (27560 "collection method").
    method = Varchar(length=16, default="web")
    #: The account that acted (the volunteer's own user account).
    actor_user = Varchar(length=64, default="")
    jurisdiction = Varchar(length=8, default="GB")
    language = Varchar(length=16, default="en-GB")
    #: The ledger entry (``consent.given`` / ``consent.withdrawn``) of this event.
    ledger_index = BigInt(index=True)


class WithdrawalNotice(Table, tablename="withdrawal_notice"):
    id = UUID(primary_key=True)
    employer = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    volunteer = ForeignKey(references=Volunteer, on_delete=OnDelete.restrict, index=True)
    subject = Varchar(length=40, index=True)
    purpose = Varchar(length=80)
    categories = JSON(default=[])
    consent_ids = JSON(default=[])
    issued_at = Timestamptz(default=TimestamptzNow())
    ledger_index = BigInt()


class WithdrawalAcknowledgement(Table, tablename="withdrawal_notice_ack"):
    id = UUID(primary_key=True)
    notice = ForeignKey(
        references=WithdrawalNotice, on_delete=OnDelete.restrict, unique=True, index=True
    )
    acknowledged_by = Varchar(length=64)
    acknowledged_at = Timestamptz(default=TimestamptzNow())
    ledger_index = BigInt()
