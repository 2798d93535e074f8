"""Builders for the hours tests: people, jobs, agreements, consents, sign-ins and CSV files.

Rows are written directly (as the coordinator's and the consent services would) so each test
states exactly the world it needs. Run them with the tables bound to the test database (the
``engine`` fixture) before the app is served, or through ``tests.support.auth.in_app`` after.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role
from portal.agreements.tables import DataSharingAgreement
from portal.auth.tokens import issue_token
from portal.consent.tables import ConsentEvent
from portal.organisations.tables import Employment, Organisation, OrganisationKind, Volunteer
from portal.settings import Settings
from portal.vocabulary import notices
from tests.support.auth import TestUser, create_user, sign_in_as

TODAY = dt.datetime.now(dt.UTC).date()
NOW = dt.datetime.now(dt.UTC)
HEADER = "volunteer_id,start,end,duty_type,esp_leave"
LEAVE = "esp.leave-verification"
_fake_index = itertools.count(2_000_000)


@dataclass(frozen=True)
class Person:
    id: str
    subject: str
    name: str


async def employer(name: str | None = None) -> str:
    row = Organisation(
        name=name or f"Employer {uuid.uuid4().hex[:8]}", kind=OrganisationKind.EMPLOYER.value
    )
    await row.save()
    return str(row.id)


async def volunteer(name: str = "Test Special", status: str = "active") -> Person:
    row = Volunteer(
        display_name=name, email=f"{uuid.uuid4().hex[:10]}@volunteer.example", status=status
    )
    await row.save()
    return Person(str(row.id), str(row.subject), name)


async def volunteers(count: int) -> list[Person]:
    rows = [
        Volunteer(
            display_name=f"Special {n}",
            email=f"{uuid.uuid4().hex[:12]}@volunteer.example",
            status="active",
        )
        for n in range(count)
    ]
    await Volunteer.insert(*rows)
    return [Person(str(r.id), str(r.subject), str(r.display_name)) for r in rows]


async def employ(
    people: Iterable[Person], employer_id: str, starts_on: dt.date | None = None
) -> None:
    await Employment.insert(
        *[
            Employment(
                volunteer=p.id,
                employer=employer_id,
                starts_on=starts_on or dt.date(2020, 1, 1),
                ends_on=None,
            )
            for p in people
        ]
    )


async def agreement(employer_id: str, purposes: dict[str, list[str]]) -> str:
    row = DataSharingAgreement(
        employer=employer_id,
        version=1,
        purposes=purposes,
        starts_on=TODAY - dt.timedelta(days=30),
        ends_on=TODAY + dt.timedelta(days=335),
        signed_by="A. Signatory",
        recorded_by="test",
    )
    await row.save()
    return str(row.id)


async def consent(
    people: Iterable[Person],
    employer_id: str,
    categories: list[str],
    *,
    purpose: str = LEAVE,
    state: str = "given",
) -> None:
    """Consent history rows written directly (ledger index faked): setup only."""
    rows = []
    for person in people:
        index = next(_fake_index)
        for category in categories:
            rows.append(
                ConsentEvent(
                    volunteer=person.id,
                    subject=person.subject,
                    employer=employer_id,
                    purpose=purpose,
                    category=category,
                    state=state,
                    notice_version=notices().current(TODAY).version,
                    recorded_at=NOW,
                    expires_at=NOW + dt.timedelta(days=300) if state == "given" else None,
                    ledger_index=index,
                )
            )
    await ConsentEvent.insert(*rows)


async def coordinator(settings: Settings) -> TestUser:
    return await create_user(settings, f"co-{uuid.uuid4().hex[:8]}@force.example", Role.COORDINATOR)


async def employer_user(settings: Settings, employer_id: str) -> TestUser:
    return await create_user(
        settings,
        f"hr-{uuid.uuid4().hex[:8]}@employer.example",
        Role.EMPLOYER,
        organisation_id=employer_id,
    )


async def volunteer_user(settings: Settings, person: Person) -> TestUser:
    return await create_user(
        settings,
        f"sc-{uuid.uuid4().hex[:8]}@volunteer.example",
        Role.VOLUNTEER,
        volunteer_id=person.id,
    )


async def duties_token() -> str:
    issued = await issue_token("duty system", ["duties:write"], 30, None)
    return issued.token


def csv_text(lines: Iterable[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def duty_line(
    person: Person | str, start: str, end: str, kind: str = "patrol", esp: str = "no"
) -> str:
    who = person.id if isinstance(person, Person) else person
    return f"{who},{start},{end},{kind},{esp}"


def many_lines(people: list[Person], count: int, year: int = 2025) -> list[str]:
    """``count`` non-overlapping four-hour duties spread over ``people`` (one a day each)."""
    out = []
    first = dt.datetime(year, 1, 1, 9, 0, tzinfo=dt.UTC)
    for n in range(count):
        person = people[n % len(people)]
        start = first + dt.timedelta(days=n // len(people))
        end = start + dt.timedelta(hours=4)
        out.append(duty_line(person, f"{start:%Y-%m-%dT%H:%MZ}", f"{end:%Y-%m-%dT%H:%MZ}"))
    return out


async def upload(client: AsyncTestClient[Any], body: bytes, name: str = "duties.csv") -> Any:
    return await client.post(
        "/api/coordinator/duties/import", files={"file": (name, body, "text/csv")}
    )


async def signed_in(client: AsyncTestClient[Any], user: TestUser) -> None:
    await sign_in_as(client, user)
