"""Refused disclosure attempts: append-only, for the DPO. A refusal is never a disclosure."""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, UUID, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class RefusalReason(StrEnum):
    #: The id names no volunteer, or one outside the recipient's organisation (same answer: 404).
    OUTSIDE_ORGANISATION = "outside_organisation"
    UNKNOWN_PURPOSE = "unknown_purpose"
    PURPOSE_NOT_FOR_RECIPIENT = "purpose_not_for_recipient"
    NO_AGREEMENT = "no_agreement"
    AGREEMENT_EXPIRED = "agreement_expired"
    PURPOSE_NOT_IN_AGREEMENT = "purpose_not_in_agreement"
    CATEGORY_NOT_IN_AGREEMENT = "category_not_in_agreement"
    NO_CONSENT = "no_consent"
    CONSENT_EXPIRED = "consent_expired"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    #: Everything permitted has no data to give (e.g. ``recognition``, which nothing records).
    NO_DATA = "no_data"


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
