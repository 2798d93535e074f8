"""Demo awards: long-service awards and commendations for some serving volunteers and leavers,
so the ``recognition`` category has something to show. Deterministic and idempotent: each award
has a stable id, and only absent ones are added."""

from __future__ import annotations

import datetime as dt

import structlog

from portal.clock import local_date, utcnow
from portal.demo import data
from portal.demo.context import DemoContext
from portal.organisations.tables import VolunteerStatus
from portal.recognition.kinds import AwardKind
from portal.recognition.tables import Award

log = structlog.get_logger(__name__)

_RECOGNISED = {VolunteerStatus.ACTIVE, VolunteerStatus.LEAVER}


def _awards(today: dt.date) -> list[Award]:
    """Every fourth recognised volunteer has five years' service; every fifth a commendation."""
    awards = []
    for person in data.volunteers():
        if person.status not in _RECOGNISED:
            continue
        if person.number % 4 == 0:
            awards.append(
                Award(
                    id=data.demo_id("award-long-service", person.number),
                    volunteer=person.id,
                    kind=AwardKind.LONG_SERVICE.value,
                    title="Five years' service",
                    awarded_on=today - dt.timedelta(days=30 + 7 * person.number),
                    recorded_by="demo",
                )
            )
        if person.number % 5 == 1:
            awards.append(
                Award(
                    id=data.demo_id("award-commendation", person.number),
                    volunteer=person.id,
                    kind=AwardKind.COMMENDATION.value,
                    title="Divisional commander's commendation for a missing person search",
                    awarded_on=today - dt.timedelta(days=90 + 11 * person.number),
                    recorded_by="demo",
                )
            )
    return awards


async def load_awards(ctx: DemoContext) -> None:
    wanted = _awards(local_date(utcnow()))
    present = {
        str(row["id"])
        for row in await Award.select(Award.id).where(Award.id.is_in([a.id for a in wanted]))
    }
    new = [award for award in wanted if str(award.id) not in present]
    if new:
        await Award.insert(*new)
    ctx.count("awards", await Award.count(), len(new))
    log.info("demo.awards", added=len(new))
