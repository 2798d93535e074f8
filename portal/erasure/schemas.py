"""API bodies for erasure requests (the edge): what is asked, decided and read back."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from portal.apibody import StrictBody
from portal.erasure.requests import EXPLANATION_MAX, GROUNDS, STATEMENT_MAX, RequestView


class OwnRequestIn(StrictBody):
    """A volunteer's own request: their words are optional (the right needs no reasons)."""

    statement: str = Field(default="", max_length=STATEMENT_MAX)


class RecordedRequestIn(StrictBody):
    """A request the DPO received another way (a letter, a call) and records for the volunteer."""

    volunteer_id: str = Field(min_length=1, max_length=64)
    received_on: dt.date | None = Field(
        default=None, description="the day the request arrived (default: today); not later"
    )
    statement: str = Field(default="", max_length=STATEMENT_MAX, description="how it arrived")


class DecisionIn(StrictBody):
    """``approve`` (the volunteer is told, then erased) or ``refuse`` with a ground and why."""

    outcome: Literal["approve", "refuse"]
    ground: str = Field(
        default="",
        max_length=40,
        description="a refusal's ground: " + ", ".join(GROUNDS),
    )
    explanation: str = Field(default="", max_length=EXPLANATION_MAX)


class RequestOut(BaseModel):
    id: str
    volunteer_id: str | None = Field(description="empty once the person is erased")
    made_by: str
    received_on: dt.date
    due_on: dt.date = Field(description="one month after the request arrived (Art. 12(3))")
    overdue: bool
    status: str = Field(description="pending, approved (being carried out), erased or refused")
    ground: str
    ground_label: str
    explanation: str
    decided_at: dt.datetime | None
    told: str = Field(description="sent, not_sent (tell them by letter), or empty")
    erasure_id: str
    received_index: int
    decided_index: int | None

    @classmethod
    def of(cls, view: RequestView) -> RequestOut:
        return cls(
            id=view.id,
            volunteer_id=view.volunteer_id,
            made_by=view.made_by,
            received_on=view.received_on,
            due_on=view.due_on,
            overdue=view.overdue,
            status=view.status,
            ground=view.ground,
            ground_label=view.ground_label,
            explanation=view.explanation,
            decided_at=view.decided_at,
            told=view.told,
            erasure_id=view.erasure_id,
            received_index=view.received_index,
            decided_index=view.decided_index,
        )


class RequestList(BaseModel):
    items: list[RequestOut]
