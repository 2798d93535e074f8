"""The staff views' hours, read in one statement, equal the old computation exactly.

``portal.hours.staff_fields`` used to fill ``hours.summary``, ``training`` and ``hours.detail``
with about ten queries per page (the report's provider, then jobs and duties again per person).
It now reads everything once. The old computation is kept here, built from the same public
functions it called, and both are run over seeded random worlds: duties over month ends in
London time, corrections and cancellations, jobs starting, ending and resumed inside the year,
a leave policy with approved, pending and declined leave. The gated read's released data must
be the same whichever computes it.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from ledger import Ledger
from portal.clock import local_date, utcnow
from portal.disclosure.gate import DisclosureGate, Recipient, StaffPage
from portal.disclosure.schemas import StaffMember
from portal.gates import build_gate
from portal.hours.aggregate import minutes_of
from portal.hours.duties import correct_duty, list_duties
from portal.hours.imports import import_csv
from portal.hours.leave import employment_of, record_policy
from portal.hours.periods import Month
from portal.hours.reports import report_fields, started_while_employed
from portal.hours.schemas import CorrectionIn, DutyOut, LeavePolicyIn
from portal.hours.staff_fields import year_to_date_fields
from portal.hours.tables import DutyRecord, LeaveRequest
from portal.jsonedge import EncodedJSON, model_json
from portal.ledgering import build_ledger
from portal.organisations.tables import Employment
from portal.receipts import ReceiptOut
from portal.settings import Settings
from tests.hours import hours_world as w

ALL = ("identity", "status", "hours.summary", "hours.detail", "training")
CATEGORY_SETS: tuple[tuple[str, ...], ...] = (
    ALL,
    ("identity", "hours.summary"),
    ("hours.detail",),
    ("training",),
    ("identity", "status"),
)


@pytest.fixture
async def ledger(settings: Settings, engine: Any) -> AsyncIterator[Ledger]:
    instance = build_ledger(settings, engine)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.close()


def _old_year_to_date_fields(organisation_id: str, settings: Settings, day: dt.date) -> Any:
    """The provider as it was before the one-statement read (its code, unchanged)."""
    last = Month.of_date(day)
    first = Month(last.year, 1)
    summaries = report_fields(
        organisation_id, first, last, day, minutes_of(settings.monthly_minimum_hours)
    )

    def compact(duty: DutyOut) -> dict[str, Any]:
        return {
            "starts_at": duty.starts_at,
            "ends_at": duty.ends_at,
            "hours": duty.hours,
            "duty_type": duty.duty_type,
            "esp_leave": duty.esp_leave,
        }

    async def provide(
        subjects: Sequence[tuple[str, tuple[str, ...]]],
    ) -> Mapping[str, Mapping[str, Any]]:
        hours_categories = {"hours.summary", "hours.detail", "training"}
        if not any(set(cats).intersection(hours_categories) for _v, cats in subjects):
            return {}
        provided = {k: dict(v) for k, v in (await summaries(subjects)).items()}
        for fields in provided.values():
            if "hours_summary" in fields:
                fields["hours_summary"] = {"period": f"{first.year}", **fields["hours_summary"]}
        detailed = [volunteer for volunteer, cats in subjects if "hours.detail" in cats]
        employment = await employment_of(detailed, organisation_id) if detailed else {}
        for volunteer in detailed:
            spells = employment.get(volunteer, [])
            duties, _more = await list_duties(volunteer, first, last, limit=1000)
            provided.setdefault(volunteer, {})["hours_detail"] = {
                "period": f"{first.year}",
                "duties": [
                    compact(d)
                    for d in duties
                    if not d.is_cancelled and started_while_employed(d, spells)
                ],
            }
        return provided

    return provide


def _spells(rng: random.Random, year_start: dt.date, today: dt.date) -> list[tuple[Any, Any]]:
    """One of the shapes a job can take around this year."""
    span = max(1, (today - year_start).days)
    mid = year_start + dt.timedelta(days=rng.randrange(span))
    shapes: list[list[tuple[Any, Any]]] = [
        [(dt.date(2020, 1, 1), None)],
        [(mid, None)],
        [(dt.date(2020, 1, 1), mid)],
        [(dt.date(2020, 1, 1), year_start + dt.timedelta(days=20)), (mid, None)],
        [(today.replace(day=1), None)],
        [(year_start - dt.timedelta(days=1), None)],
        [],
    ]
    return rng.choice(shapes)


def _duty_lines(rng: random.Random, person: w.Person, today: dt.date) -> list[str]:
    """Non-overlapping duties from December last year to yesterday, some over a month end
    (London midnight) and some on the clock-change days."""
    lines: list[str] = []
    day = dt.date(today.year - 1, 12, 1)
    last_end = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    while day < today:
        if rng.random() < 0.3 or (day + dt.timedelta(days=1)).day == 1:
            hour = rng.choice([0, 6, 9, 18, 21, 22, 23])
            start = dt.datetime(day.year, day.month, day.day, hour, rng.choice([0, 15, 30]))
            start = start.replace(tzinfo=dt.UTC)
            end = start + dt.timedelta(minutes=rng.choice([20, 50, 90, 240, 360, 600, 1440]))
            if start >= last_end and end <= dt.datetime.now(dt.UTC):
                kind = rng.choice(["patrol", "event", "training", "administration", "other"])
                esp = rng.choice(["yes", "no"])
                lines.append(
                    w.duty_line(
                        person, f"{start:%Y-%m-%dT%H:%MZ}", f"{end:%Y-%m-%dT%H:%MZ}", kind, esp
                    )
                )
                last_end = end
        day += dt.timedelta(days=1)
    return lines


async def _correct_some(rng: random.Random, people: Sequence[w.Person]) -> None:
    """Cancel some duties, move some (shorter, so no overlap), flip ESP leave on others."""
    rows = await DutyRecord.select(DutyRecord.duty_id, DutyRecord.start_s, DutyRecord.end_s).where(
        DutyRecord.volunteer.is_in([p.id for p in people])
    )
    for row in rng.sample(rows, k=min(len(rows), 12)):
        choice = rng.randrange(3)
        if choice == 0:
            change = CorrectionIn(cancel=True, reason="recorded in error")
        elif choice == 1:
            start = dt.datetime.fromtimestamp(int(row["start_s"]), dt.UTC)
            end = start + dt.timedelta(
                seconds=max(60, (int(row["end_s"]) - int(row["start_s"])) // 2)
            )
            change = CorrectionIn(ends_at=end.isoformat(), reason="left early")
        else:
            change = CorrectionIn(esp_leave=rng.random() < 0.5, duty_type="training", reason="typo")
        try:
            await correct_duty(str(row["duty_id"]), change, "test")
        except Exception:  # a correction that changes nothing is refused: skip it
            continue


async def _world(seed: int, settings: Settings) -> tuple[str, list[w.Person]]:
    rng = random.Random(seed)
    today = local_date(utcnow())
    year_start = dt.date(today.year, 1, 1)
    org = await w.employer()
    await w.agreement(org, {w.LEAVE: list(ALL)})
    people = await w.volunteers(7)
    jobs = []
    for person in people:
        for starts_on, ends_on in _spells(rng, year_start, today):
            jobs.append(
                Employment(volunteer=person.id, employer=org, starts_on=starts_on, ends_on=ends_on)
            )
    if jobs:
        await Employment.insert(*jobs)
    await w.consent(people, org, list(ALL))
    lines = [line for person in people for line in _duty_lines(rng, person, today)]
    await import_csv(io.BytesIO(w.csv_text(lines)), created_by="test")
    await _correct_some(rng, people)
    await record_policy(
        LeavePolicyIn(
            employer_id=org,
            unit="hours_per_month",
            amount=7.5,
            rollover_months=2,
            starts_on=dt.date(today.year - 1, 6, 1),
        ),
        "test",
    )
    leave = []
    for person in people:
        for _ in range(rng.randrange(4)):
            starts = dt.datetime.combine(
                year_start + dt.timedelta(days=rng.randrange(max(1, (today - year_start).days))),
                dt.time(9),
                tzinfo=dt.UTC,
            )
            leave.append(
                LeaveRequest(
                    volunteer=person.id,
                    employer=org,
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=3),
                    unit="hours_per_month",
                    amount=Decimal(rng.choice(["1.5", "3.00", "7.25"])),
                    status=rng.choice(["approved", "pending", "declined"]),
                )
            )
    if leave:
        await LeaveRequest.insert(*leave)
    return org, people


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_one_read_gives_the_old_hours_fields(
    seed: int, settings: Settings, engine: Any
) -> None:
    org, people = await _world(seed, settings)
    today = local_date(utcnow())
    subjects = [(p.id, CATEGORY_SETS[n % len(CATEGORY_SETS)]) for n, p in enumerate(people)]
    subjects += [(p.id, ALL) for p in people]  # every person with every category, too
    for batch in (subjects[: len(people)], subjects[len(people) :], subjects[:1]):
        new = await year_to_date_fields(org, settings, today)(batch)
        old = await _old_year_to_date_fields(org, settings, today)(batch)
        assert {k: dict(v) for k, v in new.items()} == {k: dict(v) for k, v in old.items()}
    checked = await year_to_date_fields(org, settings, today)([(p.id, ALL) for p in people])
    assert any(f["hours_detail"]["duties"] for f in checked.values())  # the world has duties
    assert any("leave_used" in f["hours_summary"] for f in checked.values())


@dataclass(frozen=True)
class _Pages:
    """One world's staff page read through the gate, by the new provider and by the old."""

    gate: DisclosureGate
    recipient: Recipient
    new: StaffPage
    old: StaffPage


@pytest.fixture
async def pages(request: pytest.FixtureRequest, settings: Settings, ledger: Ledger) -> _Pages:
    """The world of the seed the test is parametrised with, read both ways."""
    org, _people = await _world(request.param, settings)
    gate = build_gate(ledger, settings)
    recipient = Recipient("employer", org, "user-hr", "api")
    old = _old_year_to_date_fields(org, settings, local_date(utcnow()))
    page_new = await gate.disclose_staff(recipient, w.LEAVE, request_id="new", limit=50)
    page_old = await gate.disclose_staff(
        recipient, w.LEAVE, request_id="old", limit=50, provider=old
    )
    return _Pages(gate, recipient, page_new, page_old)


@pytest.mark.parametrize("pages", [4], indirect=True, ids=["seed 4"])
async def test_the_gated_read_releases_what_the_old_computation_gave(pages: _Pages) -> None:
    gate, recipient, page_new, page_old = pages.gate, pages.recipient, pages.new, pages.old
    assert page_new.items, "someone employed today is released"
    assert [(r.volunteer_id, r.categories, r.data) for r in page_new.items] == [
        (r.volunteer_id, r.categories, r.data) for r in page_old.items
    ]
    for released in page_new.items:
        one = await gate.disclose_one(recipient, w.LEAVE, released.volunteer_id, request_id="one")
        assert (one.categories, one.data) == (released.categories, released.data)


@pytest.mark.parametrize("pages", [5], indirect=True, ids=["seed 5"])
async def test_the_sent_json_is_byte_for_byte_the_old_computations(pages: _Pages) -> None:
    """The duty records arrive pre-encoded (not rebuilt and re-encoded per response) and the
    response body holds exactly the bytes the old computation's Python values gave."""
    gate, recipient, page_new, page_old = pages.gate, pages.recipient, pages.new, pages.old
    assert page_new.items and len(page_new.items) == len(page_old.items)
    detailed = [r for r in page_new.items if "hours_detail" in r.data]
    assert detailed and all(
        isinstance(r.data["hours_detail"]["duties"], EncodedJSON) for r in detailed
    )
    assert any(r.data["hours_detail"]["duties"] for r in detailed)  # the world has duties
    for new, was in zip(page_new.items, page_old.items, strict=True):
        receipt = ReceiptOut.of(new.receipt)  # the same receipt: only the data is compared
        sent = StaffMember(
            volunteer_id=new.volunteer_id,
            purpose=new.purpose,
            categories=list(new.categories),
            data=new.data,
            receipt=receipt,
        )
        expected = StaffMember(
            volunteer_id=was.volunteer_id,
            purpose=was.purpose,
            categories=list(was.categories),
            data=was.data,
            receipt=receipt,
        )
        assert model_json(sent) == expected.model_dump_json()
    # The answers are remembered across reads: what one caller does to its copy changes
    # nothing another caller receives.
    for released in page_new.items:
        for value in released.data.values():
            if isinstance(value, dict):
                value.clear()
    again = await gate.disclose_staff(recipient, w.LEAVE, request_id="again", limit=50)
    assert [r.data for r in again.items] == [r.data for r in page_old.items]
