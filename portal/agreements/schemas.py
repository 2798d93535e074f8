"""API bodies for data sharing agreements (the edge)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from portal.apibody import StrictBody
from portal.receipts import ReceiptOut

Signatory = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
Code = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class Expectation(StrictBody):
    """How many disclosures the employer expects to ask for under one purpose (volume alerts)."""

    count: int = Field(ge=0, le=10_000_000, description="expected disclosures in each period")
    per: Literal["day", "month"] = Field(description="the period the count is for")


class AgreementCreate(StrictBody):
    employer_id: uuid.UUID = Field(
        description="the recipient organisation: an employer (data sharing agreement), another "
        "police force (information sharing agreement) or a partner (processing contract)"
    )
    version: int = Field(ge=1, le=100_000, description="the previous version + 1 (1 for the first)")
    purposes: dict[Code, list[Code]] = Field(
        min_length=1,
        description="purpose code -> the categories the employer may receive for it",
    )
    starts_on: dt.date
    ends_on: dt.date
    signed_by: Signatory = Field(description="who signed for the employer and the force")
    expected: dict[Code, Expectation] = Field(
        default_factory=dict,
        description="purpose code -> the disclosures the employer expects to ask for "
        "(optional; the DPO's volume alerts compare each day against it)",
    )


class AgreementOut(BaseModel):
    id: str
    employer_id: str
    employer_name: str | None
    organisation_kind: Literal["employer", "police_force", "partner"] = Field(
        description="the kind of recipient organisation the agreement is with"
    )
    agreement_kind: Literal[
        "data_sharing_agreement", "information_sharing_agreement", "processing_contract"
    ] = Field(description="what the agreement is, by the kind of organisation")
    version: int
    purposes: dict[str, list[str]]
    starts_on: dt.date
    ends_on: dt.date
    signed_by: str
    expected: dict[str, Expectation]
    supersedes: str | None
    recorded_at: dt.datetime
    ledger_index: int
    state: Literal["scheduled", "in_force", "ended", "superseded"]


class AgreementCreated(BaseModel):
    agreement: AgreementOut
    receipt: ReceiptOut


class AgreementPage(BaseModel):
    items: list[AgreementOut]
    total: int
    limit: int
    offset: int


class AgreementEnding(BaseModel):
    agreement: AgreementOut
    days_left: int
    renewed: bool = Field(description="a later version is already recorded")
