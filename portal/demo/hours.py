"""Demo data for hours: leave policies, a realistic year of duties, and leave requests.

Deterministic: whether a volunteer served on a day, when and what, is drawn from a generator
seeded with the volunteer and the date, so running the demo again adds only days that have
passed since (the duties already recorded are recognised and skipped by the importer). Serving
and in-training volunteers do three or four duties a month on average, some on ESP leave.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import structlog

from portal.clock import local_date, utcnow
from portal.csvimport import ImportRejected, LineError
from portal.demo import data
from portal.demo.context import DemoContext
from portal.hours.csvformat import DutyLine
from portal.hours.imports import run_import
from portal.hours.periods import Month, london_wall_clock
from portal.hours.rawdb import LEAVE_WRITE_LOCK, duty_write_transaction
from portal.hours.tables import (
    DutyRecord,
    DutySource,
    LeaveEvent,
    LeavePolicy,
    LeaveRequest,
    LeaveRequestEvent,
    LeaveStatus,
)
from portal.organisations.tables import VolunteerStatus

log = structlog.get_logger(__name__)

#: (unit, amount, paid, roll-over months, leave year start) per demo employer key.
POLICIES: dict[str, tuple[str, str, bool, int, int]] = {
    "nhs": ("hours_per_month", "4", True, 12, 1),
    "greenway": ("days_per_year", "5", True, 0, 4),
    "council": ("hours_per_month", "8", True, 3, 1),
    "bank": ("days_per_year", "10", True, 3, 1),
    "university": ("hours_per_month", "6", False, 0, 1),
    "water": ("days_per_year", "3", True, 6, 4),
}
_SHIFTS = ((7, 8), (9, 6), (10, 4), (14, 6), (18, 5), (19, 4), (22, 8))
_TYPES = ("patrol", "event", "training", "administration", "other")
_TYPE_WEIGHTS = (60, 15, 15, 7, 3)
_SERVING = {VolunteerStatus.ACTIVE, VolunteerStatus.IN_TRAINING}


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def _window(today: dt.date) -> tuple[dt.date, dt.date]:
    """From the first day of the month a year ago to yesterday."""
    first = Month.of_date(today).plus(-12).first_day
    return first, today - dt.timedelta(days=1)


def demo_duties(today: dt.date) -> Iterator[DutyLine]:
    """The demo year of duties of every serving demo volunteer, in a stable order."""
    first, last = _window(today)
    employed = {link.volunteer for link in data.employments() if link.ends_on is None}
    line = 0
    for person in data.volunteers():
        if person.status not in _SERVING:
            continue
        day = first
        while day <= last:
            rng = _rng("duty", person.number, day.isoformat())
            if rng.random() < 0.12:
                hour, length = rng.choice(_SHIFTS)
                length = max(3, length - rng.randint(0, 2))
                start = london_wall_clock(dt.datetime(day.year, day.month, day.day, hour))
                end = start + dt.timedelta(hours=length)
                kind = rng.choices(_TYPES, weights=_TYPE_WEIGHTS)[0]
                weekday_daytime = day.weekday() < 5 and hour < 14
                esp = person.number in employed and weekday_daytime and rng.random() < 0.6
                line += 1
                yield DutyLine(
                    line,
                    str(person.id),
                    int(start.timestamp()),
                    int(end.timestamp()),
                    kind,
                    esp,
                    f"DEMO-{person.number}-{day.isoformat()}",
                    "",
                )
            day += dt.timedelta(days=1)


async def _load_policies(ctx: DemoContext) -> int:
    from portal.agreements.tables import DataSharingAgreement

    added = 0
    for employer in data.EMPLOYERS:
        spec = POLICIES.get(employer.key)
        if spec is None or await LeavePolicy.exists().where(LeavePolicy.employer == employer.id):
            continue
        unit, amount, paid, rollover, year_start = spec
        agreement = (
            await DataSharingAgreement.select(DataSharingAgreement.id)
            .where(DataSharingAgreement.employer == employer.id)
            .order_by(DataSharingAgreement.version, ascending=False)
            .first()
        )
        await LeavePolicy.insert(
            LeavePolicy(
                id=data.demo_id("leave_policy", employer.key),
                employer=employer.id,
                version=1,
                unit=unit,
                amount=Decimal(amount),
                paid=paid,
                rollover_months=rollover,
                year_start_month=year_start,
                starts_on=dt.date(2024, 1, 1),
                agreement_id=agreement["id"] if agreement else None,
                recorded_by="demo",
                recorded_at=utcnow(),
            )
        )
        added += 1
    return added


async def _load_duties(today: dt.date) -> int:
    digest = hashlib.sha256(f"esp-portal demo duties until {today.isoformat()}".encode())
    errors: list[LineError] = []
    try:
        result = await run_import(
            demo_duties(today),
            errors,
            source=DutySource.IMPORT,
            content_hash=digest.hexdigest(),
            created_by="demo",
            filename="demo-duties.csv",
        )
    except ImportRejected as exc:  # e.g. someone recorded overlapping duties by hand
        log.warning("demo.hours.duties_skipped", problems=exc.total_errors)
        return 0
    return result.added


_LEAVE_PLANS = (
    ("approved", -2, 11, LeaveStatus.APPROVED),
    ("declined", -1, 17, LeaveStatus.DECLINED),
    ("pending", None, 0, LeaveStatus.PENDING),
)


def _leave_request(
    link: data.DemoEmployment,
    volunteer_id: uuid.UUID,
    employer_id: str,
    policy: Mapping[str, Any],
    plan: tuple[str, int | None, int, LeaveStatus],
    today: dt.date,
) -> tuple[LeaveRequest, list[LeaveRequestEvent]]:
    """One demo leave request (decided months ago, or pending next week) and its history."""
    key, months_back, day, status = plan
    request_id = data.demo_id("leave_request", f"{link.key}:{key}")
    if months_back is None:
        date = today + dt.timedelta(days=7 + link.volunteer % 5)
    else:
        month = Month.of_date(today).plus(months_back)
        date = dt.date(month.year, month.month, day)
    start = london_wall_clock(dt.datetime(date.year, date.month, date.day, 9))
    created = start - dt.timedelta(days=14)
    decided = created + dt.timedelta(days=2) if months_back is not None else None
    unit = str(policy["unit"])
    request = LeaveRequest(
        id=request_id,
        volunteer=volunteer_id,
        employer=employer_id,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=6),
        unit=unit,
        amount=Decimal("6") if unit == "hours_per_month" else Decimal("1"),
        paid=bool(policy["paid"]),
        status=status.value,
        created_at=created,
        decided_at=decided,
        decided_by="demo" if decided else "",
    )
    steps = [(LeaveEvent.REQUESTED, "", "pending", "volunteer", created)]
    if decided is not None:
        decision = LeaveEvent.APPROVED if status is LeaveStatus.APPROVED else LeaveEvent.DECLINED
        steps.append((decision, "pending", status.value, "employer", decided))
    events = [
        LeaveRequestEvent(
            id=uuid.uuid5(request_id, f"event:{n}"),
            request=request_id,
            event=event.value,
            from_status=before,
            to_status=after,
            actor_user="demo",
            actor_role=role,
            reason="demo data",
            occurred_at=when,
        )
        for n, (event, before, after, role, when) in enumerate(steps)
    ]
    return request, events


async def _store_new_leave(requests: list[LeaveRequest], events: list[LeaveRequestEvent]) -> int:
    """Insert the requests (with their events) not stored by an earlier run; idempotent."""
    if not requests:
        return 0
    rows = await LeaveRequest.select(LeaveRequest.id).where(
        LeaveRequest.id.is_in([r.id for r in requests])
    )
    existing = {str(row["id"]) for row in rows}
    new_requests = [r for r in requests if str(r.id) not in existing]
    new_events = [e for e in events if str(e.request) not in existing]
    if new_requests:
        async with duty_write_transaction(LeaveRequest, lock=LEAVE_WRITE_LOCK):
            await LeaveRequest.insert(*new_requests)
            await LeaveRequestEvent.insert(*new_events)
    return len(new_requests)


async def _load_leave(today: dt.date) -> int:
    """Per demo employee with a policy: an approved, a declined and a pending request."""
    policies = {
        str(row["employer"]): row
        for row in await LeavePolicy.select(
            LeavePolicy.employer, LeavePolicy.unit, LeavePolicy.paid
        )
    }
    employers = {e.key: str(e.id) for e in data.EMPLOYERS}
    people = data.volunteers()
    requests: list[LeaveRequest] = []
    events: list[LeaveRequestEvent] = []
    for link in data.employments():
        employer_id = employers.get(link.employer.key)
        if link.ends_on is not None or employer_id not in policies or link.volunteer % 3 == 2:
            continue
        person = people[link.volunteer]
        if person.status not in _SERVING:
            continue
        for plan in _LEAVE_PLANS:
            request, history = _leave_request(
                link, person.id, employer_id, policies[employer_id], plan, today
            )
            requests.append(request)
            events += history
    return await _store_new_leave(requests, events)


async def load_hours(ctx: DemoContext) -> None:
    """Leave policies, a year of duties and some leave requests for the demo volunteers."""
    today = local_date(utcnow())
    policies = await _load_policies(ctx)
    duties = await _load_duties(today)
    requests = await _load_leave(today)
    ctx.count("leave policies", await LeavePolicy.count(), policies)
    ctx.count("duties", await DutyRecord.count(), duties)
    ctx.count("leave requests", await LeaveRequest.count(), requests)
    log.info("demo.hours", policies=policies, duties=duties, requests=requests)
