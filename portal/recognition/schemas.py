"""API bodies for awards (the edge): what the coordinator records and what anyone reads back."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from portal.recognition.kinds import AwardKind

#: Earliest award date accepted: the Special Constabulary's modern form dates from 1831.
EARLIEST_AWARD = dt.date(1831, 1, 1)


class AwardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AwardKind = Field(description="commendation, long_service, certificate or other")
    title: str = Field(
        min_length=1,
        max_length=120,
        description="What the award is, as the volunteer would name it (no other person named)",
    )
    awarded_on: dt.date

    @field_validator("title")
    @classmethod
    def _title_has_words(cls, value: str) -> str:
        cleaned = " ".join(value.split())
        if not cleaned:
            raise ValueError("must not be blank")
        return cleaned

    @field_validator("awarded_on")
    @classmethod
    def _plausible_date(cls, value: dt.date) -> dt.date:
        if value < EARLIEST_AWARD:
            raise ValueError(f"must not be before {EARLIEST_AWARD.isoformat()}")
        return value


class AwardOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    volunteer_id: str
    kind: AwardKind
    title: str
    awarded_on: dt.date
    recorded_at: dt.datetime


class AwardList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[AwardOut]
