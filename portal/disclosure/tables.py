"""Refused disclosure attempts: append-only, for the DPO. A refusal is never a disclosure."""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.disclosure.reasons import RefusalReason as RefusalReason  # re-exported


class DisclosureRefusal(Table, tablename="disclosure_refusal"):
    id = UUID(primary_key=True)
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    reason = Varchar(length=40, choices=RefusalReason, index=True)
    purpose = Varchar(length=80, default="")
    #: The pseudonymous subject when the id named a volunteer, else empty.
    subject = Varchar(length=40, default="", index=True)
    #: The id the caller asked for, as sent (truncated), so guessing is visible to the DPO.
    requested_id = Varchar(length=64, default="")
    recipient_org = Varchar(length=64, default="", index=True)
    recipient_user = Varchar(length=64, default="")
    categories = JSON(default=[])
    channel = Varchar(length=16, default="web")
    request_id = Varchar(length=64, default="")
