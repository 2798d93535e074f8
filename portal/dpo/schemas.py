"""The DPO's API bodies: the subject access report (UK GDPR Art. 15), one model shown as a page,
a CSV and JSON; and the person search.

The API returns it as JSON, the page renders it, and ``portal.dpo.report_csv`` writes it as CSV,
so the three forms never disagree. Disclosure receipts carry their inclusion path only: every one
proves its entry against the one signed ``checkpoint`` of ``tree_size`` the report gives.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from portal.apibody import StrictBody
from portal.disclosure.schemas import RefusalOut
from portal.organisations.schemas import EmployerLink
from portal.organisations.status import VolunteerStatus
from portal.receipts import ReceiptOut


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PurposeBasis(Output):
    code: str
    label: str
    lawful_basis: str
    article: str = Field(description="e.g. UK GDPR Art. 6(1)(a)")


class RetentionOut(Output):
    period: str | None = Field(description="ISO 8601 period (P6Y, P12M, P90D); null: as the ledger")
    counted_from: str = Field(description="leaving, record, decision or ledger")
    in_words: str
    reason: str


class HeldCategory(Output):
    """One category of data held about the person: why, from where, for how long, and a copy."""

    code: str = Field(description="record kind (portal/vocabulary/records.json)")
    label: str
    description: str
    shared_as: list[str] = Field(description="vocabulary data categories it is shared as")
    purposes: list[PurposeBasis]
    retention: RetentionOut
    source: str
    items: list[dict[str, Any]] = Field(
        description="a copy of the data held: one object per record"
    )


class DisclosureReceipt(TypedDict):
    """Proves the entry at ``index`` against the report's ``checkpoint`` (of ``tree_size``)."""

    index: int
    leaf_hash: str
    tree_size: int
    inclusion_path: list[str]


class ReportDisclosure(TypedDict):
    """One disclosure of the person's data, as its ledger entry records it, with its receipt.

    A typed dictionary, not a model: a report holds tens of thousands, and a model object per
    row cost more than the rest of the report together (bench/art15_bench.py).
    """

    index: int
    logged_at: str
    purpose: str
    lawful_basis: str
    recipient_org: str
    recipient_name: str
    #: employer, police_force, partner, provider, or force (the force's own oversight).
    recipient_kind: str
    recipient_user: str
    categories: list[str]
    consent_ids: list[str]
    agreement_ids: list[str]
    request_id: str
    channel: str
    receipt: DisclosureReceipt


class RecipientSummary(Output):
    """Everyone who received the person's data: which data, for what, first and last time."""

    recipient_org: str
    name: str
    recipient_kind: str = Field(
        description="employer, police_force, partner, provider, or force (its own oversight)"
    )
    purposes: list[str]
    categories: list[str]
    disclosures: int
    first_at: str
    last_at: str


class SubjectAccessReport(Output):
    """UK GDPR Art. 15: what the force holds about one person and to whom it went."""

    volunteer_id: str
    subject: str = Field(description="the pseudonymous id the ledger records")
    generated_at: dt.datetime
    audit_receipt: ReceiptOut = Field(description="the dpo.audit entry this report itself made")
    checkpoint: str = Field(description="signed checkpoint every disclosure receipt proves against")
    tree_size: int
    categories: list[HeldCategory] = Field(description="every category of data held, with a copy")
    recipients: list[RecipientSummary] = Field(description="most recent first")
    disclosures: list[ReportDisclosure] = Field(description="newest first")
    recipient_kind: str | None = Field(
        default=None,
        description="when asked for: recipients and disclosures are only those of this kind",
    )
    refusals: list[RefusalOut] = Field(description="newest first")


# The DPO's person search ------------------------------------------------------------------------
# The query travels in a request body, not in the URL: it is often a name or an email address,
# and URLs end up in proxy logs and browser history.

MAX_RESULTS = 50


class PersonSearch(StrictBody):
    q: str = Field(
        min_length=1,
        max_length=200,
        description="a name (typos and accents forgiven), an email address, a volunteer id, "
        "or a ledger subject id (sub_…, or its first 8 or more hex digits)",
    )
    limit: int = Field(default=20, ge=1, le=MAX_RESULTS, description="most people to show")


class PersonFound(BaseModel):
    volunteer_id: str
    subject: str = Field(description="the pseudonymous id the ledger records")
    display_name: str
    status: VolunteerStatus
    employers: list[EmployerLink] = Field(description="current employers first")
    matched_on: str = Field(description="name, email, volunteer_id or subject")
    score: float = Field(description="1 for an exact match; lower for a less certain name match")
    report_url: str = Field(description="the person's subject access report page")
    audit_index: int = Field(description="the ledger entry recording that this person was shown")


class PersonSearchResult(BaseModel):
    matched_on: str = Field(
        description="how the query was read: name, email, volunteer_id, subject"
    )
    items: list[PersonFound] = Field(description="best match first")
