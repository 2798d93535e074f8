"""An award or long-service record the force holds about a volunteer."""

from __future__ import annotations

from piccolo.columns import UUID, Date, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.organisations.tables import Volunteer
from portal.recognition.kinds import AwardKind


class Award(Table, tablename="award"):
    """One award, as the coordinator recorded it (who recorded it is kept for the DPO)."""

    id = UUID(primary_key=True)
    volunteer = ForeignKey(references=Volunteer, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=20, choices=AwardKind)
    title = Varchar(length=120)
    awarded_on = Date()
    recorded_by = Varchar(length=36)
    recorded_at = Timestamptz(default=TimestamptzNow())


TABLES = (Award,)
