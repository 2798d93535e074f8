"""Recording awards and reading them back: the force's own record of a volunteer's recognition.

The coordinator and the volunteer read awards here directly (the force reading its own record,
and a person reading their own data, are not disclosures). Anyone else receives them only through
the gate, from the source in :mod:`portal.recognition.staff_fields`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from portal.clock import Clock, local_date, utcnow
from portal.errors import InvalidInput
from portal.organisations.lookup import existing_volunteer
from portal.recognition.kinds import AwardKind
from portal.recognition.schemas import AwardCreate, AwardList, AwardOut
from portal.recognition.tables import Award


def _out(row: Mapping[str, Any]) -> AwardOut:
    return AwardOut(
        id=str(row["id"]),
        volunteer_id=str(row["volunteer"]),
        kind=AwardKind(row["kind"]),
        title=row["title"],
        awarded_on=row["awarded_on"],
        recorded_at=row["recorded_at"],
    )


class RecognitionService:
    """Awards of one force, recorded by its coordinator."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self._clock = clock

    async def record(self, volunteer_id: str, data: AwardCreate, recorded_by: str) -> AwardOut:
        """Record an award; a date after today (London) is refused, naming ``awarded_on``."""
        key = await existing_volunteer(volunteer_id)
        today = local_date(self._clock())
        if data.awarded_on > today:
            raise InvalidInput(
                "An award cannot be dated in the future",
                errors=[{"field": "awarded_on", "message": "must be today or earlier"}],
            )
        award = Award(
            volunteer=key,
            kind=data.kind.value,
            title=data.title,
            awarded_on=data.awarded_on,
            recorded_by=recorded_by,
            recorded_at=self._clock(),
        )
        await award.save()
        row = await Award.select().where(Award.id == award.id).first()
        assert row is not None  # just written in this connection
        return _out(row)

    async def awards_of(self, volunteer_id: str) -> AwardList:
        """A volunteer's awards, newest first (404 for an unknown volunteer)."""
        key = await existing_volunteer(volunteer_id)
        return AwardList(items=[_out(row) for row in await _rows([key])])


async def _rows(volunteer_ids: Sequence[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await Award.select()
        .where(Award.volunteer.is_in(list(volunteer_ids)))
        .order_by(Award.awarded_on, ascending=False)
        .order_by(Award.id)
    )
    return rows


async def awards_by_volunteer(volunteer_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The released form of each volunteer's awards (kind, title, date), newest first; one
    query for any number of people, and volunteers without awards are left out."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not volunteer_ids:
        return found
    for row in await _rows(volunteer_ids):
        found.setdefault(str(row["volunteer"]), []).append(
            {
                "kind": row["kind"],
                "title": row["title"],
                "awarded_on": row["awarded_on"].isoformat()
                if isinstance(row["awarded_on"], dt.date)
                else str(row["awarded_on"]),
            }
        )
    return found
