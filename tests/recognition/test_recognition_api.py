"""Awards: the coordinator records them, the volunteer sees their own, and an employer receives
them only through the gate as the ``recognition`` category, ledgered like any disclosure.

Before awards existed, ``recognition`` was a category with no source: a volunteer could consent to
sharing it and nothing was ever there.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.disclosure.contact import CHANNEL_CATEGORY
from portal.disclosure.sources import VOLUNTEER_FIELDS
from portal.gates import category_sources
from portal.settings import Settings
from portal.vocabulary import vocabulary
from tests.support import disclosure_world as world
from tests.support.auth import fields_named
from tests.support.disclosure_scene import Scene, build_scene, consent, disclosure_entries

RECOGNITION = "esp.recognition"
STAFF = "/api/employer/staff"


def awards_path(volunteer_id: str) -> str:
    return f"/api/coordinator/volunteers/{volunteer_id}/awards"


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    built = await build_scene(settings, ledger, staff=2)
    await world.agreement(
        ledger, built.employer_a, {RECOGNITION: ["identity", "recognition"]}, version=2
    )
    return built


def test_every_category_names_data_that_has_a_source(settings: Settings) -> None:
    # Contact details are released only by the gate's message path (``disclose_contact``).
    contact_fields = frozenset(field for _category, field in CHANNEL_CATEGORY.values())
    provided = (
        category_sources(settings).provided_fields | frozenset(VOLUNTEER_FIELDS) | contact_fields
    )
    for category in vocabulary().categories:
        missing = set(category.fields) - provided
        assert not missing, f"category {category.code} names fields nothing fills: {missing}"


async def test_an_award_reaches_the_employer_only_through_the_gate(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex, sam = scene.staff_a
    await scene.as_user(client, scene.coordinator)
    older = await client.post(
        awards_path(alex.id),
        json={"kind": "certificate", "title": "First aid", "awarded_on": "2024-03-01"},
    )
    newer = await client.post(
        awards_path(alex.id),
        json={
            "kind": "long_service",
            "title": " Five years'   service ",
            "awarded_on": "2025-06-30",
        },
    )
    assert older.status_code == newer.status_code == 201, older.text
    assert newer.json()["title"] == "Five years' service"
    listed = await client.get(awards_path(alex.id))
    assert [a["title"] for a in listed.json()["items"]] == ["Five years' service", "First aid"]
    for person in (alex, sam):
        await scene.as_volunteer(client, person)
        given = await consent(client, scene.employer_a, ["identity", "recognition"], RECOGNITION)
        assert given.status_code == 201, given.text

    await scene.as_user(client, scene.hr_a)
    page = await client.get(STAFF, params={"purpose": RECOGNITION})

    assert page.status_code == 200, page.text
    by_id = {item["volunteer_id"]: item for item in page.json()["items"]}
    assert by_id[alex.id]["categories"] == ["identity", "recognition"]
    assert by_id[alex.id]["data"]["recognition"] == [
        {"kind": "long_service", "title": "Five years' service", "awarded_on": "2025-06-30"},
        {"kind": "certificate", "title": "First aid", "awarded_on": "2024-03-01"},
    ]
    # Sam consented but has no award: nothing to give, so the category is not released or ledgered.
    assert by_id[sam.id]["categories"] == ["identity"]
    assert "recognition" not in by_id[sam.id]["data"]
    entries = {e["subject"]: e for e in await disclosure_entries(client)}
    assert entries[alex.subject]["categories"] == ["identity", "recognition"]
    assert entries[alex.subject]["purpose"] == RECOGNITION
    assert entries[sam.subject]["categories"] == ["identity"]
    assert scene.check_receipt(by_id[alex.id]["receipt"])

    # Withdrawing the category stops it at the very next read.
    await scene.as_volunteer(client, alex)
    withdrawn = await client.post(
        "/api/volunteer/consents/withdraw",
        json={
            "employer_id": scene.employer_a,
            "purpose": RECOGNITION,
            "categories": ["recognition"],
        },
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await scene.as_user(client, scene.hr_a)
    again = await client.get(f"{STAFF}/{alex.id}", params={"purpose": RECOGNITION})
    assert again.status_code == 200
    assert again.json()["categories"] == ["identity"] and "recognition" not in again.json()["data"]


async def test_a_volunteer_sees_their_own_awards_and_no_one_elses(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex, sam = scene.staff_a
    await scene.as_user(client, scene.coordinator)
    made = await client.post(
        awards_path(alex.id),
        json={
            "kind": "commendation",
            "title": "Chief Constable's commendation",
            "awarded_on": "2026-01-15",
        },
    )
    assert made.status_code == 201
    await scene.as_volunteer(client, alex)
    own = await client.get("/api/volunteer/awards")
    assert [a["id"] for a in own.json()["items"]] == [made.json()["id"]]
    await scene.as_volunteer(client, sam)
    assert (await client.get("/api/volunteer/awards")).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "medal", "title": "x", "awarded_on": "2025-01-01"}, "kind"),
        ({"kind": "other", "title": "   ", "awarded_on": "2025-01-01"}, "title"),
        ({"kind": "other", "title": "x" * 121, "awarded_on": "2025-01-01"}, "title"),
        ({"kind": "other", "title": "x", "awarded_on": "1700-01-01"}, "awarded_on"),
        ({"kind": "other", "title": "x", "awarded_on": "not a date"}, "awarded_on"),
        ({"kind": "other", "title": "x"}, "awarded_on"),
        ({"kind": "other", "title": "x", "awarded_on": "2025-01-01", "extra": 1}, "extra"),
    ],
)
async def test_a_bad_award_is_refused_naming_the_field_and_nothing_is_recorded(
    client: AsyncTestClient[Any], scene: Scene, body: dict[str, Any], field: str
) -> None:
    alex = scene.staff_a[0]
    await scene.as_user(client, scene.coordinator)
    answer = await client.post(awards_path(alex.id), json=body)
    assert answer.status_code in (400, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in fields_named(answer), answer.json()
    assert (await client.get(awards_path(alex.id))).json()["items"] == []


async def test_an_award_dated_in_the_future_or_for_nobody_is_refused(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_user(client, scene.coordinator)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    future = await client.post(
        awards_path(alex.id), json={"kind": "other", "title": "x", "awarded_on": tomorrow}
    )
    assert future.status_code == 422 and fields_named(future) == {"awarded_on"}
    body = {"kind": "other", "title": "x", "awarded_on": "2025-01-01"}
    for nobody in (str(uuid.uuid4()), "not-an-id"):
        missing = await client.post(awards_path(nobody), json=body)
        assert missing.status_code == 404, missing.text
        assert (await client.get(awards_path(nobody))).status_code == 404
