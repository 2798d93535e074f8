"""A withdrawal notice names its person, in words, and naming them is a recorded disclosure.

The employer page of notices shows the name of the person a notice is about only when the
employer received that name under the withdrawn consent, records it in the ledger (category
``identity``, lawful basis legal obligation, relying on the withdrawn consent records) before
the page leaves, and stops showing it once the notice is acknowledged. The categories and the
purpose are in words, never codes or ids. The reports page says plainly why there is no report.
Both databases, the real app.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role
from portal.settings import Settings
from tests.support import disclosure_world as world
from tests.support.auth import create_user, in_app
from tests.support.disclosure_scene import LV, Scene, build_scene, consent, disclosure_entries

STAFF = "/api/employer/staff"


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    return await build_scene(settings, ledger, staff=2)


async def _withdraw(client: AsyncTestClient[Any], employer_id: str, categories: list[str]) -> Any:
    out = await client.post(
        "/api/volunteer/consents/withdraw",
        json={"employer_id": employer_id, "purpose": LV, "categories": categories},
    )
    assert out.status_code == 200, out.text
    assert len(out.json()["notices"]) == 1  # the employer had received data under it
    return out.json()


async def test_a_notice_names_the_person_and_records_it(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_volunteer(client, alex)
    given = await consent(client, scene.employer_a, ["identity", "status"])
    assert given.status_code == 201, given.text
    await scene.as_user(client, scene.hr_a)
    assert (await client.get(f"{STAFF}/{alex.id}", params={"purpose": LV})).status_code == 200
    await scene.as_volunteer(client, alex)
    withdrawn = await _withdraw(client, scene.employer_a, ["status"])

    await scene.as_user(client, scene.hr_a)
    before = len(await disclosure_entries(client))
    page = await client.get("/employer/notices")
    assert page.status_code == 200, page.text
    text = page.text
    assert f"{alex.display_name} withdrew consent" in text
    assert "Special Constable status" in text and "Checking ESP leave" in text
    # Words, not codes or ids.
    assert alex.id not in text and LV not in text and "Staff reference" not in text
    entries = await disclosure_entries(client)
    assert len(entries) == before + 1
    named = entries[-1]
    assert named["subject"] == alex.subject and named["recipient_org"] == scene.employer_a
    assert named["recipient_user"] == scene.hr_a.id
    assert named["categories"] == ["identity"] and named["details"] == {"fields": ["display_name"]}
    assert named["lawful_basis"] == "legal_obligation" and named["purpose"] == LV
    assert named["consent_ids"] == withdrawn["withdrawn_consent_ids"]
    assert named["channel"] == "web"

    # Acknowledged: the notice has done its job, the name is no longer shown or disclosed.
    notices = (await client.get("/api/employer/notices")).json()["items"]
    ack = await client.post(f"/api/employer/notices/{notices[0]['id']}/acknowledge")
    assert ack.status_code == 200, ack.text
    after = await client.get("/employer/notices")
    assert alex.display_name not in after.text
    assert "Not shown: the notice is acknowledged" in after.text
    assert len(await disclosure_entries(client)) == before + 1


async def test_a_name_the_employer_never_received_is_not_shown(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    bea = scene.staff_a[1]
    await scene.as_volunteer(client, bea)
    given = await consent(client, scene.employer_a, ["status"])
    assert given.status_code == 201, given.text
    await scene.as_user(client, scene.hr_a)
    read = await client.get(f"{STAFF}/{bea.id}", params={"purpose": LV})
    assert read.status_code == 200 and read.json()["data"] == {"status": "active"}
    await scene.as_volunteer(client, bea)
    await _withdraw(client, scene.employer_a, ["status"])

    await scene.as_user(client, scene.hr_a)
    before = len(await disclosure_entries(client))
    page = await client.get("/employer/notices")
    assert page.status_code == 200
    assert bea.display_name not in page.text and bea.id not in page.text
    assert "A member of staff withdrew consent" in page.text
    assert "Not shown: you did not receive their name" in page.text
    assert len(await disclosure_entries(client)) == before


async def test_a_name_shown_to_one_employer_is_never_shown_to_another(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_volunteer(client, alex)
    assert (await consent(client, scene.employer_a, ["identity"])).status_code == 201
    await scene.as_user(client, scene.hr_a)
    assert (await client.get(f"{STAFF}/{alex.id}", params={"purpose": LV})).status_code == 200
    await scene.as_volunteer(client, alex)
    await _withdraw(client, scene.employer_a, ["identity"])
    await scene.as_user(client, scene.hr_b)
    before = len(await disclosure_entries(client))
    page = await client.get("/employer/notices")
    assert alex.display_name not in page.text and "There are no withdrawal notices" in page.text
    assert len(await disclosure_entries(client)) == before


async def test_the_reports_page_says_why_there_is_no_report(
    client: AsyncTestClient[Any], scene: Scene, settings: Settings
) -> None:
    # An agreement without hours: say what it does give, and that hours are not in it.
    await scene.as_user(client, scene.hr_b)
    page = await client.get("/employer/reports")
    assert page.status_code == 200
    assert "does not include totals of duty hours" in page.text
    assert "Checking ESP leave: name and Special Constable status" in page.text

    # No agreement in force: say so, and do not talk about what an agreement includes.
    async def lonely_hr() -> Any:
        organisation = await world.employer("Nowhere Ltd")
        return await create_user(
            settings, "hr@nowhere.example", Role.EMPLOYER, organisation_id=organisation
        )

    await scene.as_user(client, await in_app(client, lonely_hr))
    page = await client.get("/employer/reports")
    assert page.status_code == 200
    assert "no data sharing agreement in force" in page.text
    assert "does not include" not in page.text
