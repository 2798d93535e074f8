"""Demo applications: applicants at every step, trainees on their course, and a few serving
volunteers with their whole way in recorded. Deterministic and idempotent (stable ids; only
absent milestones are added). Vetting and medical carry an outcome only, never a finding."""

from __future__ import annotations

import datetime as dt

import structlog

from portal.applications.stages import Outcome, Stage
from portal.applications.tables import Milestone
from portal.clock import local_date, utcnow
from portal.demo import data
from portal.demo.context import DemoContext
from portal.organisations.tables import VolunteerStatus

log = structlog.get_logger(__name__)

_STEPS = list(Stage)
#: Days between one step and the next in the demo.
_GAP_DAYS = 21


def _reached(person: data.DemoVolunteer) -> tuple[int, Outcome]:
    """How many steps the person has reached, and the outcome of the last one."""
    if person.status is VolunteerStatus.APPLICANT:
        last = person.number % 6  # received .. medical
        outcome = Outcome.NOT_PASSED if person.number % 11 == 3 else Outcome.IN_PROGRESS
        return last + 1, outcome
    if person.status is VolunteerStatus.IN_TRAINING:
        return _STEPS.index(Stage.TRAINING_COMPLETED) + 1, Outcome.IN_PROGRESS
    return len(_STEPS), Outcome.PASSED


def _milestones(today: dt.date) -> list[Milestone]:
    milestones = []
    for person in data.volunteers():
        if person.status is VolunteerStatus.LEAVER or (
            person.status is VolunteerStatus.ACTIVE and person.number % 3
        ):
            continue  # leavers, and most serving volunteers, joined before the portal
        count, last_outcome = _reached(person)
        start = today - dt.timedelta(days=_GAP_DAYS * count + person.number % 17)
        for position, stage in enumerate(_STEPS[:count]):
            final = position == count - 1
            milestones.append(
                Milestone(
                    id=data.demo_id("milestone", f"{person.number}:{stage.value}"),
                    volunteer=person.id,
                    stage=stage.value,
                    outcome=(last_outcome if final else Outcome.PASSED).value,
                    occurred_on=start + dt.timedelta(days=_GAP_DAYS * position),
                    recorded_by="demo",
                )
            )
    return milestones


async def load_applications(ctx: DemoContext) -> None:
    wanted = _milestones(local_date(utcnow()))
    present = {
        str(row["id"])
        for row in await Milestone.select(Milestone.id).where(
            Milestone.id.is_in([m.id for m in wanted])
        )
    }
    new = [m for m in wanted if str(m.id) not in present]
    if new:
        await Milestone.insert(*new)
    ctx.count("milestones", await Milestone.count(), len(new))
    log.info("demo.applications", added=len(new))
