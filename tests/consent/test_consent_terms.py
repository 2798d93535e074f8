"""Consent that could not take effect is refused, and nothing is given that was not chosen.

A purpose or category the employer's data sharing agreement does not name: 422 naming the field,
with wording that says why; no consent row and no ledger entry is written. A give with no
category chosen is refused too (400, like every body that fails validation): pre-ticked or
implied consent is not consent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from ledger.tables import LedgerEntry
from portal.consent.tables import ConsentEvent
from portal.settings import Settings
from tests.support.auth import fields_named, in_app, serve
from tests.support.disclosure_scene import NOTICE, Scene, build_scene, consent

APPLICATION = "esp.application-progress"


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    return await build_scene(settings, ledger)


@pytest.fixture
async def client(settings: Settings, scene: Scene) -> AsyncIterator[AsyncTestClient[Any]]:
    async with serve(settings) as client:
        yield client


async def _counts(client: AsyncTestClient[Any]) -> tuple[int, int]:
    """Consent rows and consent ledger entries, read on the app's loop."""

    async def read() -> tuple[int, int]:
        rows = await ConsentEvent.count()
        entries = await LedgerEntry.count().where(LedgerEntry.kind.like("consent.%"))
        return rows, entries

    return await in_app(client, read)


async def test_consent_outside_the_agreement_is_refused_and_records_nothing(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await scene.as_volunteer(client, scene.staff_a[0])
    # Leave verification may use hours.detail, but Acme's agreement does not name it.
    detail = await consent(client, scene.employer_a, ["identity", "hours.detail"])
    assert detail.status_code == 422, detail.text
    assert fields_named(detail) == {"categories"}
    message = detail.json()["errors"][0]["message"]
    assert "does not include hours.detail" in message and "could not take effect" in message
    # A consent purpose the agreement does not name at all.
    application = await consent(client, scene.employer_a, ["identity"], purpose=APPLICATION)
    assert application.status_code == 422, application.text
    assert fields_named(application) == {"purpose"}
    assert "could not take effect" in application.json()["errors"][0]["message"]
    assert await _counts(client) == (0, 0)
    # What the agreement names is still accepted.
    assert (await consent(client, scene.employer_a, ["hours.summary"])).status_code == 201
    assert await _counts(client) == (1, 1)


async def test_a_give_without_chosen_categories_is_refused(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await scene.as_volunteer(client, scene.staff_a[0])
    empty = await consent(client, scene.employer_a, [])
    assert empty.status_code == 400, empty.text
    assert fields_named(empty) == {"categories"}
    missing = await client.post(
        "/api/volunteer/consents",
        json={
            "employer_id": scene.employer_a,
            "purpose": "esp.leave-verification",
            "notice_version": NOTICE,
        },
    )
    assert missing.status_code == 400, missing.text
    assert fields_named(missing) == {"categories"}
    assert await _counts(client) == (0, 0)
