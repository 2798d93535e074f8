"""Consent is refused for a purpose the volunteer's link to a force or partner was not made for.

The gate refuses every read through such a link for any purpose that is not one of its reasons
(``purpose_not_for_link``), so a consent for it could never release anything: the consent API
refuses it up front (422 naming ``purpose``) and records nothing, and so does the bulk path.
Both databases, the real app served.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role
from portal.auth.identity import Identity
from portal.consent.schemas import ConsentGive
from portal.consent.services import ConsentService
from portal.consent.tables import ConsentEvent
from portal.errors import InvalidInput
from portal.organisations.tables import OrganisationKind
from portal.settings import Settings
from tests.support import disclosure_world as world
from tests.support.auth import TestUser, create_user, fields_named, sign_in_as, sign_out
from tests.support.disclosure_scene import NOTICE

TRANSFER = "force.service-transfer"
MULTI = "force.multi-force-application"


@dataclass
class Links:
    force: str
    transferring: world.Person  # the link is for a transfer only
    applied: world.Person  # the link is for a transfer and an application
    transferring_user: TestUser
    applied_user: TestUser

    def ask(self, purpose: str = MULTI) -> dict[str, Any]:
        return {
            "employer_id": self.force,
            "purpose": purpose,
            "categories": ["identity"],
            "notice_version": NOTICE,
        }


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Links:
    force = await world.organisation("Eastshire Police", OrganisationKind.POLICE_FORCE)
    await world.agreement(
        ledger, force, {TRANSFER: ["identity", "status"], MULTI: ["identity", "application"]}
    )
    transferring = await world.volunteer("Tess Transfer")
    await world.employ(transferring, force, reasons=(TRANSFER,))
    applied = await world.volunteer("Abi Applied")
    await world.employ(applied, force, reasons=(TRANSFER, MULTI))
    return Links(
        force=force,
        transferring=transferring,
        applied=applied,
        transferring_user=await create_user(
            settings, transferring.email, Role.VOLUNTEER, volunteer_id=transferring.id
        ),
        applied_user=await create_user(
            settings, applied.email, Role.VOLUNTEER, volunteer_id=applied.id
        ),
    )


async def test_the_api_refuses_consent_beyond_the_links_reasons(
    client: AsyncTestClient[Any], scene: Links
) -> None:
    await sign_in_as(client, scene.transferring_user)
    refused = await client.post("/api/volunteer/consents", json=scene.ask())
    assert refused.status_code == 422, refused.text
    assert fields_named(refused) == {"purpose"}
    message = refused.json()["errors"][0]["message"]
    assert f"made for {TRANSFER}, not {MULTI}" in message
    assert "could not take effect" in message
    overview = (await client.get("/api/volunteer/consents")).json()
    assert overview["current"] == [] and overview["history_total"] == 0

    # A link made for the purpose takes the same consent.
    await sign_out(client)
    await sign_in_as(client, scene.applied_user)
    given = await client.post("/api/volunteer/consents", json=scene.ask())
    assert given.status_code == 201, given.text


async def test_the_bulk_path_refuses_it_the_same_way(
    engine: Any, ledger: Any, scene: Links
) -> None:
    def identity(user: TestUser, person: world.Person) -> Identity:
        return Identity(user_id=user.id, role=Role.VOLUNTEER, via="session", volunteer_id=person.id)

    refused = (identity(scene.transferring_user, scene.transferring), scene.ask(), "bulk-1")
    allowed = (identity(scene.applied_user, scene.applied), scene.ask(), "bulk-2")
    service = ConsentService(ledger)
    with pytest.raises(InvalidInput) as bulk:
        await service.give_many(
            [(who, ConsentGive.model_validate(data), rid) for who, data, rid in (allowed, refused)],
            channel="cli",
        )
    assert [e["field"] for e in bulk.value.extra["errors"]] == ["purpose"]
    assert await ConsentEvent.count() == 0  # nothing of the batch was recorded
    who, data, rid = allowed
    assert await service.give_many([(who, ConsentGive.model_validate(data), rid)], channel="cli")
    assert await ConsentEvent.count().where(ConsentEvent.volunteer == scene.applied.id) == 1
