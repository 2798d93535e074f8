"""Recording milestones and reading an application back.

The coordinator (the force's own record) and the applicant (their own data) read here directly;
anyone else receives milestones only through the gate (:mod:`portal.applications.staff_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from portal.applications.schemas import ApplicationOut, MilestoneCreate, MilestoneOut
from portal.applications.stages import Outcome, Stage
from portal.applications.tables import Milestone
from portal.clock import Clock, local_date, utcnow
from portal.errors import InvalidInput
from portal.organisations.lookup import existing_volunteer

_STAGE_ORDER = {stage.value: position for position, stage in enumerate(Stage)}


def _out(row: Mapping[str, Any]) -> MilestoneOut:
    return MilestoneOut(
        id=str(row["id"]),
        stage=Stage(row["stage"]),
        outcome=Outcome(row["outcome"]),
        occurred_on=row["occurred_on"],
        recorded_at=row["recorded_at"],
    )


async def history_of(volunteer_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every milestone of these volunteers, newest first (by date, then by when recorded)."""
    if not volunteer_ids:
        return []
    rows: list[dict[str, Any]] = (
        await Milestone.select()
        .where(Milestone.volunteer.is_in(list(volunteer_ids)))
        .order_by(Milestone.occurred_on, ascending=False)
        .order_by(Milestone.recorded_at, ascending=False)
    )
    return rows


def current_steps(history: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The latest milestone of each step (``history`` newest first), in stage order."""
    latest: dict[str, Mapping[str, Any]] = {}
    for row in history:
        latest.setdefault(str(row["stage"]), row)
    return sorted(latest.values(), key=lambda row: _STAGE_ORDER[str(row["stage"])])


class ApplicationService:
    """Applications of one force, kept by its coordinator."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self._clock = clock

    async def record(
        self, volunteer_id: str, data: MilestoneCreate, recorded_by: str
    ) -> MilestoneOut:
        """Append a milestone; a date after today (London) is refused, naming ``occurred_on``."""
        key = await existing_volunteer(volunteer_id)
        if data.occurred_on > local_date(self._clock()):
            raise InvalidInput(
                "A milestone cannot be dated in the future",
                errors=[{"field": "occurred_on", "message": "must be today or earlier"}],
            )
        milestone = Milestone(
            volunteer=key,
            stage=data.stage.value,
            outcome=data.outcome.value,
            occurred_on=data.occurred_on,
            recorded_by=recorded_by,
            recorded_at=self._clock(),
        )
        await milestone.save()
        row = await Milestone.select().where(Milestone.id == milestone.id).first()
        assert row is not None  # just written
        return _out(row)

    async def application_of(self, volunteer_id: str) -> ApplicationOut:
        key = await existing_volunteer(volunteer_id)
        history = await history_of([key])
        return ApplicationOut(
            volunteer_id=key,
            current=[_out(row) for row in current_steps(history)],
            history=[_out(row) for row in history],
        )
