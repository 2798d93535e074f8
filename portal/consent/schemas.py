"""API bodies for a volunteer's consents and the withdrawal notices employers receive."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from portal.apibody import StrictBody
from portal.receipts import ReceiptOut

Code = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class ConsentRecordOut(BaseModel):
    """One consent event as the volunteer's history and the DPO's report show it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    employer_id: str
    purpose: str
    category: str
    state: str
    notice_version: str
    recorded_at: dt.datetime
    expires_at: dt.datetime | None
    method: str
    ledger_index: int


class ConsentGive(StrictBody):
    employer_id: uuid.UUID
    purpose: Code
    categories: list[Code] = Field(min_length=1, max_length=20)
    notice_version: Annotated[str, StringConstraints(min_length=1, max_length=20)] = Field(
        description="the privacy notice version shown to you; must be the current one"
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="when the consent lapses; default and maximum: 12 months"
    )


class ConsentWithdraw(StrictBody):
    employer_id: uuid.UUID
    purpose: Code
    categories: list[Code] | None = Field(
        default=None, max_length=20, description="omit (or send []) to withdraw every category"
    )


class NoticeOut(BaseModel):
    version: str
    published_on: dt.date
    title: str
    summary: str


class ConsentCurrent(BaseModel):
    employer_id: str
    employer_name: str | None
    purpose: str
    purpose_label: str | None
    category: str
    state: Literal["given", "withdrawn", "expired"]
    since: dt.datetime
    expires_at: dt.datetime | None
    notice_version: str
    consent_id: str


class ConsentOverview(BaseModel):
    notice: NoticeOut = Field(description="the current privacy notice (consent against it)")
    current: list[ConsentCurrent]
    history: list[ConsentRecordOut] = Field(description="every consent event, newest first")
    history_total: int
    limit: int
    offset: int


class ConsentGiven(BaseModel):
    consent_ids: list[str]
    employer_id: str
    purpose: str
    categories: list[str]
    notice_version: str
    expires_at: dt.datetime
    receipt: ReceiptOut


class NoticeIssued(BaseModel):
    notice_id: str
    employer_id: str
    receipt: ReceiptOut


class ConsentWithdrawn(BaseModel):
    consent_ids: list[str]
    withdrawn_consent_ids: list[str]
    employer_id: str
    purpose: str
    categories: list[str]
    receipt: ReceiptOut
    notices: list[NoticeIssued] = Field(
        description="withdrawal notices sent to organisations that received data under it"
    )


class WithdrawalNoticeOut(BaseModel):
    id: str
    volunteer_id: str
    purpose: str
    categories: list[str]
    issued_at: dt.datetime
    ledger_index: int
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    message: str


class WithdrawalNoticePage(BaseModel):
    items: list[WithdrawalNoticeOut]
    total: int
    limit: int
    offset: int


class Acknowledged(BaseModel):
    notice: WithdrawalNoticeOut
    receipt: ReceiptOut
