"""Application milestones: each one an event, appended, never changed."""

from __future__ import annotations

from piccolo.columns import UUID, Date, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.applications.stages import Outcome, Stage
from portal.organisations.tables import Volunteer


class Milestone(Table, tablename="application_milestone"):
    """A step of a volunteer's application reached an outcome on a date (the latest event per
    step is its current state; earlier ones are its history)."""

    id = UUID(primary_key=True)
    volunteer = ForeignKey(references=Volunteer, on_delete=OnDelete.restrict, index=True)
    stage = Varchar(length=30, choices=Stage)
    outcome = Varchar(length=20, choices=Outcome)
    occurred_on = Date()
    recorded_by = Varchar(length=36)
    recorded_at = Timestamptz(default=TimestamptzNow())


TABLES = (Milestone,)
