"""Telling the DPO and coordinators that an agreement is about to end (a periodic job).

For each agreement in force and not yet renewed, the job finds the smallest notice point
(``ESP_AGREEMENT_ENDING_NOTICE_DAYS``, 30 and 7 days) the days left have reached and writes one
email per DPO and coordinator keyed by the agreement and that point: each point is told once,
and a job that missed a day (the worker was down) still tells the point it is now past, once.
"""

from __future__ import annotations

import datetime as dt

import structlog

from portal.agreements.services import AgreementService
from portal.dbutil import write_transaction
from portal.messages.tables import OutboxMessage
from portal.settings import Settings
from portal.staffmail import tell_force_staff

log = structlog.get_logger(__name__)


def notice_point(days_left: int, points: tuple[int, ...]) -> int | None:
    """The smallest of ``points`` that ``days_left`` has reached, or None."""
    reached = [p for p in points if days_left <= p]
    return min(reached) if reached else None


async def tell_agreements_ending(settings: Settings, now: dt.datetime) -> int:
    """Write the "agreement ending" emails now due; how many messages."""
    points = settings.agreement_ending_notice_days
    service = AgreementService(None, clock=lambda: now)
    written = 0
    for ending in await service.ending_within(max(points)):
        point = notice_point(ending.days_left, points)
        if point is None or ending.renewed:
            continue
        agreement = ending.agreement
        async with write_transaction(OutboxMessage):
            written += await tell_force_staff(
                settings,
                kind="agreement_ending",
                event_key=f"agreement-ending:{agreement.id}:{point}",
                context={
                    "employer": agreement.employer_name or "an employer",
                    "version": agreement.version,
                    "ends_on": agreement.ends_on.strftime("%-d %B %Y"),
                    "days_left": ending.days_left,
                    "link": f"{settings.base_url}/coordinator/employers/{agreement.employer_id}",
                },
            )
    log.info("agreements.ending_notices_written", messages=written)
    return written
