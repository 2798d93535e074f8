"""Changing a volunteer's status: an allowed move, with its date, kept as history.

Each change is a new row of ``volunteer_status_change`` (append-only: the database refuses an
edit) and sets ``Volunteer.status`` to the new status, in one transaction that holds the
volunteer's row, so two coordinators cannot both move the same person from the same status.
The allowed moves are data in :mod:`portal.organisations.status`. A change takes effect on a
day that is not in the future (the force records what has happened) and not before the previous
change (history reads in order). Reading the force's own records is not a disclosure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog
from piccolo.engine.sqlite import SQLiteEngine

from portal.clock import Clock, local_date, utcnow
from portal.dbutil import as_date, write_transaction
from portal.errors import NotFound
from portal.fielderrors import field_error
from portal.ids import parse_id
from portal.organisations.schemas import StatusChangeOut
from portal.organisations.status import VolunteerStatus, may_become, next_statuses
from portal.organisations.tables import Volunteer, VolunteerStatusChange

log = structlog.get_logger(__name__)

_LABELS = {
    VolunteerStatus.APPLICANT: "an applicant",
    VolunteerStatus.IN_TRAINING: "in training",
    VolunteerStatus.ACTIVE: "serving",
    VolunteerStatus.LEAVER: "left",
}


def _move_refused(current: VolunteerStatus, wanted: VolunteerStatus) -> Exception:
    if current is wanted:
        return field_error("status", f"the volunteer is already {_LABELS[current]}")
    allowed = " or ".join(_LABELS[s] for s in next_statuses(current))
    return field_error(
        "status",
        f"a volunteer who is {_LABELS[current]} can next become {allowed}, not {_LABELS[wanted]}",
    )


def change_out(row: dict[str, Any]) -> StatusChangeOut:
    return StatusChangeOut(
        id=str(row["id"]),
        from_status=VolunteerStatus(row["from_status"]),
        to_status=VolunteerStatus(row["to_status"]),
        effective_on=as_date(row["effective_on"]),
        recorded_by=row["recorded_by"],
        channel=row["channel"],
        recorded_at=row["recorded_at"],
    )


class StatusChanges:
    """Moves along applicant → in training → serving → left, each kept with its date."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock

    async def change(
        self,
        volunteer_id: str,
        wanted: VolunteerStatus,
        effective_on: dt.date,
        *,
        recorded_by: str,
        channel: str,
    ) -> StatusChangeOut:
        key = parse_id(volunteer_id)
        if key is None:
            raise NotFound("No volunteer has this id")
        today = local_date(self.clock())
        if effective_on > today:
            raise field_error("effective_on", "the date of the change must be today or in the past")
        async with write_transaction(Volunteer):
            query = Volunteer.select(Volunteer.status).where(Volunteer.id == key)
            if not isinstance(Volunteer._meta.db, SQLiteEngine):
                query = query.lock_rows("NO KEY UPDATE")  # SQLite: BEGIN IMMEDIATE
            rows = await query
            if not rows:
                raise NotFound("No volunteer has this id")
            current = VolunteerStatus(rows[0]["status"])
            if not may_become(current, wanted):
                raise _move_refused(current, wanted)
            last = (
                await VolunteerStatusChange.select(VolunteerStatusChange.effective_on)
                .where(VolunteerStatusChange.volunteer == key)
                .order_by(VolunteerStatusChange.effective_on, ascending=False)
                .first()
            )
            if last is not None and effective_on < as_date(last["effective_on"]):
                raise field_error(
                    "effective_on",
                    "the date of the change must not be before the previous change of status "
                    f"({as_date(last['effective_on']).isoformat()})",
                )
            row = VolunteerStatusChange(
                volunteer=key,
                from_status=current.value,
                to_status=wanted.value,
                effective_on=effective_on,
                recorded_by=recorded_by[:64],
                channel=channel,
                recorded_at=self.clock(),
            )
            await VolunteerStatusChange.insert(row)
            await Volunteer.update({Volunteer.status: wanted.value}).where(Volunteer.id == key)
        log.info(
            "volunteer.status_changed",
            volunteer_id=str(key),
            from_status=current.value,
            to_status=wanted.value,
            channel=channel,
        )
        return change_out(row.to_dict())

    async def history(self, volunteer_id: str) -> list[StatusChangeOut]:
        """Every change of the volunteer's status, oldest first."""
        key = parse_id(volunteer_id)
        if key is None:
            return []
        rows = (
            await VolunteerStatusChange.select()
            .where(VolunteerStatusChange.volunteer == key)
            .order_by(VolunteerStatusChange.effective_on)
            .order_by(VolunteerStatusChange.recorded_at)
            .order_by(VolunteerStatusChange.id)
        )
        return [change_out(r) for r in rows]
