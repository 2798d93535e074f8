"""API bodies for application milestones (the edge)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from portal.applications.stages import Outcome, Stage

#: No application in the portal is older than this; an earlier date is a typing mistake.
EARLIEST_MILESTONE = dt.date(2000, 1, 1)


class MilestoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Stage = Field(description="which step: " + ", ".join(s.value for s in Stage))
    outcome: Outcome = Field(description="in_progress, passed, not_passed or withdrawn")
    occurred_on: dt.date

    @field_validator("occurred_on")
    @classmethod
    def _plausible(cls, value: dt.date) -> dt.date:
        if value < EARLIEST_MILESTONE:
            raise ValueError(f"must not be before {EARLIEST_MILESTONE.isoformat()}")
        return value


class MilestoneOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    stage: Stage
    outcome: Outcome
    occurred_on: dt.date
    recorded_at: dt.datetime


class ApplicationOut(BaseModel):
    """A volunteer's application: the current state of each step reached, in stage order, and
    every milestone recorded (newest first)."""

    model_config = ConfigDict(extra="forbid")

    volunteer_id: str
    current: list[MilestoneOut]
    history: list[MilestoneOut]


class MilestoneImportOut(BaseModel):
    """What a milestone file added; the same file again adds nothing (200)."""

    model_config = ConfigDict(extra="forbid")

    lines: int = Field(description="Milestone lines read (header and blank lines not counted)")
    added: int = Field(description="Milestones recorded from this file")
    existing: int = Field(
        description="Lines the force had recorded already (same volunteer, step, outcome and "
        "day): left as they are"
    )
