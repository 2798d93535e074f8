"""Builders for the disclosure tests: employers, volunteers, jobs, agreements and consents.

They write rows directly (as the coordinator's services would) so that each test states exactly
the world the gate decides in. Run them with the tables bound to the test database (the
``engine`` fixture) before the app is served, or through ``tests.support.auth.in_app``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from ledger import Ledger
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.consent.tables import ConsentEvent
from portal.organisations.tables import Employment, Organisation, OrganisationKind, Volunteer
from portal.vocabulary import notices

TODAY = dt.datetime.now(dt.UTC).date()
NOW = dt.datetime.now(dt.UTC)
_fake_index = itertools.count(1_000_000)


@dataclass(frozen=True)
class Person:
    id: str
    subject: str
    display_name: str
    email: str


async def employer(name: str) -> str:
    return await organisation(name, OrganisationKind.EMPLOYER)


async def organisation(name: str, kind: OrganisationKind) -> str:
    """A recipient organisation of any kind (employer, another police force, a partner)."""
    row = Organisation(name=name, kind=kind.value)
    await row.save()
    return str(row.id)


async def volunteer(name: str, status: str = "active") -> Person:
    email = f"{uuid.uuid4().hex[:10]}@volunteer.example"
    row = Volunteer(display_name=name, email=email, status=status)
    await row.save()
    return Person(str(row.id), str(row.subject), name, email)


async def employ(
    person: Person,
    employer_id: str,
    *,
    starts_on: dt.date | None = None,
    ends_on: Any = None,
    reasons: tuple[str, ...] = (),
) -> None:
    """A link: a job with an employer, or (``reasons``: the purposes it was made for) a link
    to another police force or a partner."""
    row = Employment(
        volunteer=person.id,
        employer=employer_id,
        starts_on=starts_on or TODAY - dt.timedelta(days=400),
        ends_on=ends_on,
        reasons=list(reasons),
    )
    await row.save()


async def agreement(
    ledger: Ledger,
    employer_id: str,
    purposes: dict[str, list[str]],
    *,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    version: int = 1,
) -> str:
    created = await AgreementService(ledger).record(
        AgreementCreate(
            employer_id=uuid.UUID(employer_id),
            version=version,
            purposes=purposes,
            starts_on=starts_on or TODAY - dt.timedelta(days=30),
            ends_on=ends_on or TODAY + dt.timedelta(days=335),
            signed_by="A. Signatory",
        ),
        recorded_by="test",
        request_id="test-setup",
        channel="cli",
    )
    return created.agreement.id


async def consent_event(
    person: Person,
    employer_id: str,
    purpose: str,
    categories: list[str],
    *,
    state: str = "given",
    expires_at: dt.datetime | None = None,
    notice_version: str | None = None,
) -> list[str]:
    """Consent history rows written directly (ledger index faked): for decision tests only.

    ``notice_version``: the privacy notice the consent was given under; the one in force today
    unless a test is about an older one."""
    notice_version = notice_version or notices().current(TODAY).version
    index = next(_fake_index)
    ids = [uuid.uuid4() for _ in categories]
    await ConsentEvent.insert(
        *[
            ConsentEvent(
                id=key,
                volunteer=person.id,
                subject=person.subject,
                employer=employer_id,
                purpose=purpose,
                category=category,
                state=state,
                notice_version=notice_version,
                recorded_at=NOW,
                expires_at=(expires_at or NOW + dt.timedelta(days=300))
                if state == "given"
                else None,
                ledger_index=index,
            )
            for key, category in zip(ids, categories, strict=True)
        ]
    )
    return [str(i) for i in ids]
