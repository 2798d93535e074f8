"""API bodies for disclosures, receipts, staff reads, evidence bundles and the DPO (the edge)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.receipts import ReceiptOut


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Employer staff reads -------------------------------------------------------------------------


class StaffMember(Output):
    """One staff member, projected to exactly the categories the gate permitted."""

    volunteer_id: str
    purpose: str
    categories: list[str] = Field(description="the categories released, sorted")
    data: dict[str, Any] = Field(
        description="exactly the fields the released categories map to; a category with no data "
        "for this person (e.g. recognition without an award) is not released"
    )
    receipt: ReceiptOut


class StaffPageOut(Output):
    items: list[StaffMember]
    next_cursor: str | None = Field(description="pass as 'after' for the next page")
    limit: int


# Volunteer's view of their disclosures ----------------------------------------------------------


class DisclosureOut(Output):
    index: int
    logged_at: str
    purpose: str
    purpose_label: str
    lawful_basis: str
    recipient_org: str
    recipient_org_name: str | None
    recipient_kind: str = Field(
        description="employer, police_force (another force), partner (processes applications "
        "for the force), provider (carries a message), or force (the force itself)"
    )
    recipient_user: str
    recipient_user_email: str | None
    categories: list[str]
    consent_ids: list[str]
    agreement_ids: list[str]
    channel: str
    receipt: ReceiptOut


class DisclosurePage(Output):
    items: list[DisclosureOut]
    next_cursor: int | None = Field(description="pass as 'before' for the next (older) page")
    limit: int


class BundleEntry(Output):
    index: int
    entry_b64: str = Field(description="the exact stored entry bytes (RFC 8785 JSON), base64")
    entry: dict[str, Any]
    leaf_hash: str
    inclusion_path: list[str]


class EvidenceBundle(Output):
    """Everything needed to check, offline, that each entry is in the signed log."""

    format: Literal["esp-portal-evidence-bundle/1"] = "esp-portal-evidence-bundle/1"
    origin: str
    verifier_key: str
    checkpoint: str
    tree_size: int
    subject: str
    generated_at: dt.datetime
    how_to_verify: str
    entries: list[BundleEntry]
    completeness: dict[str, Any] | None = Field(
        default=None,
        description=(
            "proof that the entries are every entry about the subject up to tree_size "
            "(esp-portal-subject-map/1, docs/VERIFY.md §5); null for a tree signed before "
            "subject maps were committed"
        ),
    )


# DPO -------------------------------------------------------------------------------------------


class LedgerEntryOut(Output):
    index: int
    logged_at: str
    kind: str
    purpose: str
    subject: str
    recipient_org: str
    recipient_user: str
    channel: str
    leaf_hash: str
    entry: dict[str, Any]


class LedgerPage(Output):
    items: list[LedgerEntryOut]
    next_cursor: int | None = Field(description="pass as 'before' for the next (older) page")
    limit: int


class RefusalOut(Output):
    id: str
    occurred_at: dt.datetime
    reason: str
    purpose: str
    subject: str
    requested_id: str
    recipient_org: str
    recipient_user: str
    categories: list[str]
    channel: str
    request_id: str


class RefusalPage(Output):
    items: list[RefusalOut]
    total: int
    limit: int
    offset: int
