"""Consent is informed only by a notice that describes the purpose consented to.

Notice 2026-11 says nothing about sharing with other police forces; a consent to
``force.multi-force-application`` given under it would bind to words the volunteer never read.
So the consent service refuses it (422 naming ``purpose`` and the notice version, nothing
written), and accepts it under 2026-12, the first notice that describes it. An ``esp.*`` consent
is still accepted under either: the service refuses only what the notice in force leaves out.
The clocks are fixed to a day on which each notice is the one in force.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from ledger.tables import LedgerEntry
from portal.accounts.tables import Role
from portal.auth.identity import Identity
from portal.consent.schemas import ConsentGive
from portal.consent.services import ConsentService
from portal.consent.tables import ConsentEvent
from portal.errors import InvalidInput
from portal.organisations.tables import OrganisationKind
from portal.settings import Settings
from portal.vocabulary import notices
from tests.support import disclosure_world as world
from tests.support.auth import create_user, fields_named, serve, sign_in_as

MULTI = "force.multi-force-application"
LV = "esp.leave-verification"
IN_NOVEMBER = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
IN_DECEMBER = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


async def _applicant_of_two_forces(ledger: Any) -> tuple[world.Person, str, str]:
    """An applicant linked to another force (multi-force consent offered) and an employer."""
    force = await world.organisation("Other Constabulary", OrganisationKind.POLICE_FORCE)
    await world.agreement(ledger, force, {MULTI: ["identity", "application"]})
    employer = await world.employer("Acme Logistics")
    await world.agreement(ledger, employer, {LV: ["identity", "status"]})
    person = await world.volunteer("Ash Applicant", status="applicant")
    await world.employ(person, force, reasons=(MULTI,))
    await world.employ(person, employer)
    return person, force, employer


def _identity(person: world.Person) -> Identity:
    return Identity(
        user_id=str(uuid.uuid4()), role=Role.VOLUNTEER, via="session", volunteer_id=person.id
    )


def _give(org: str, purpose: str, version: str) -> ConsentGive:
    return ConsentGive.model_validate(
        {
            "employer_id": org,
            "purpose": purpose,
            "categories": ["identity"],
            "notice_version": version,
        }
    )


def test_only_the_december_notice_describes_the_new_recipient_purposes() -> None:
    every = notices()
    november, december = every.get("2026-11"), every.get("2026-12")
    assert november is not None and december is not None
    new = {"force.service-transfer", MULTI, "partner.application-processing"}
    assert not new & set(november.purposes)
    assert new <= set(december.purposes)
    assert every.current(IN_NOVEMBER.date()).version == "2026-11"
    assert every.current(IN_DECEMBER.date()).version == "2026-12"


async def test_consent_to_a_purpose_the_notice_in_force_does_not_describe_is_refused(
    engine: Any, ledger: Any
) -> None:
    person, force, employer = await _applicant_of_two_forces(ledger)
    november = ConsentService(ledger, clock=lambda: IN_NOVEMBER)
    with pytest.raises(InvalidInput) as refused:
        await november.give(
            _identity(person), _give(force, MULTI, "2026-11"), request_id="r1", channel="web"
        )
    (error,) = refused.value.extra["errors"]
    assert error["field"] == "purpose"
    assert "2026-11" in error["message"] and MULTI in error["message"]
    assert await ConsentEvent.count() == 0
    assert await LedgerEntry.count().where(LedgerEntry.kind.like("consent.%")) == 0

    # What the November notice does describe is still accepted under it.
    given = await november.give(
        _identity(person), _give(employer, LV, "2026-11"), request_id="r2", channel="web"
    )
    assert given.notice_version == "2026-11"

    december = ConsentService(ledger, clock=lambda: IN_DECEMBER)
    multi = await december.give(
        _identity(person), _give(force, MULTI, "2026-12"), request_id="r3", channel="web"
    )
    assert multi.notice_version == "2026-12" and multi.categories == ["identity"]
    rows = await ConsentEvent.select(ConsentEvent.purpose, ConsentEvent.notice_version)
    assert sorted((r["purpose"], r["notice_version"]) for r in rows) == [
        (LV, "2026-11"),
        (MULTI, "2026-12"),
    ]


async def test_the_api_accepts_a_multi_force_consent_under_the_notice_in_force(
    settings: Settings, engine: Any, ledger: Any
) -> None:
    """On the real clock: the current notice describes the purpose, so the volunteer's consent
    through the API is accepted and bound to it; an older version is refused by name."""
    person, force, _employer = await _applicant_of_two_forces(ledger)
    user = await create_user(settings, person.email, Role.VOLUNTEER, volunteer_id=person.id)
    current = notices().current(world.TODAY)
    assert MULTI in current.purposes
    body = {"employer_id": force, "purpose": MULTI, "categories": ["identity"]}
    client: AsyncTestClient[Any]
    async with serve(settings) as client:
        await sign_in_as(client, user)
        old = await client.post(
            "/api/volunteer/consents", json={**body, "notice_version": "2026-11"}
        )
        assert old.status_code == 422, old.text
        assert fields_named(old) == {"notice_version"}
        given = await client.post(
            "/api/volunteer/consents", json={**body, "notice_version": current.version}
        )
        assert given.status_code == 201, given.text
        assert given.json()["notice_version"] == current.version
