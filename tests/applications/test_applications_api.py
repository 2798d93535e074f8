"""Applications: the coordinator records milestones, the applicant follows their own, and an
employer receives them only through the gate, without the result of vetting or a medical."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.settings import Settings
from tests.support import disclosure_world as world
from tests.support.auth import fields_named
from tests.support.disclosure_scene import Scene, build_scene, consent, disclosure_entries

PROGRESS = "esp.application-progress"
STAFF = "/api/employer/staff"


def milestones_path(volunteer_id: str) -> str:
    return f"/api/coordinator/volunteers/{volunteer_id}/application/milestones"


def application_path(volunteer_id: str) -> str:
    return f"/api/coordinator/volunteers/{volunteer_id}/application"


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    built = await build_scene(settings, ledger, staff=2)
    await world.agreement(
        ledger,
        built.employer_a,
        {PROGRESS: ["identity", "application", "training"]},
        version=2,
    )
    return built


async def _record(
    client: AsyncTestClient[Any], volunteer_id: str, *steps: tuple[str, str, str]
) -> None:
    for stage, outcome, on in steps:
        answer = await client.post(
            milestones_path(volunteer_id),
            json={"stage": stage, "outcome": outcome, "occurred_on": on},
        )
        assert answer.status_code == 201, answer.text


async def test_the_employer_sees_steps_but_never_a_vetting_or_medical_result(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex, sam = scene.staff_a
    await scene.as_user(client, scene.coordinator)
    await _record(
        client,
        alex.id,
        ("received", "passed", "2026-01-05"),
        ("vetting", "in_progress", "2026-02-01"),
        ("vetting", "passed", "2026-03-10"),
        ("medical", "not_passed", "2026-03-12"),
        ("medical", "passed", "2026-04-02"),
        ("training_booked", "in_progress", "2026-04-20"),
    )
    own = (await client.get(application_path(alex.id))).json()
    assert [(m["stage"], m["outcome"]) for m in own["current"]] == [
        ("received", "passed"),
        ("vetting", "passed"),
        ("medical", "passed"),
        ("training_booked", "in_progress"),
    ]
    assert len(own["history"]) == 6 and own["history"][0]["stage"] == "training_booked"
    for person in (alex, sam):
        await scene.as_volunteer(client, person)
        given = await consent(
            client, scene.employer_a, ["identity", "application", "training"], PROGRESS
        )
        assert given.status_code == 201, given.text

    await scene.as_user(client, scene.hr_a)
    page = await client.get(STAFF, params={"purpose": PROGRESS})

    assert page.status_code == 200, page.text
    by_id = {item["volunteer_id"]: item for item in page.json()["items"]}
    data = by_id[alex.id]["data"]
    assert data["application_milestones"] == [
        {"stage": "received", "state": "passed", "on": "2026-01-05"},
        {"stage": "vetting", "state": "complete", "on": "2026-03-10"},
        {"stage": "medical", "state": "complete", "on": "2026-04-02"},
        {"stage": "training_booked", "state": "in_progress", "on": "2026-04-20"},
    ]
    assert data["training_milestones"] == [
        {"stage": "training_booked", "state": "in_progress", "on": "2026-04-20"}
    ]
    assert "passed" not in str(
        [m for m in data["application_milestones"] if m["stage"] in ("vetting", "medical")]
    )
    # Nothing recorded for Sam: the category still releases the stage the status implies.
    assert by_id[sam.id]["data"]["application_milestones"] is None
    entries = {e["subject"]: e for e in await disclosure_entries(client)}
    assert {"application", "training"} <= set(entries[alex.subject]["categories"])
    assert scene.check_receipt(by_id[alex.id]["receipt"])

    # The applicant sees their own results in full.
    await scene.as_volunteer(client, alex)
    mine = (await client.get("/api/volunteer/application")).json()
    assert ("medical", "passed") in [(m["stage"], m["outcome"]) for m in mine["current"]]
    await scene.as_volunteer(client, sam)
    assert (await client.get("/api/volunteer/application")).json()["current"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "interview", "outcome": "passed", "occurred_on": "2026-01-01"}, "stage"),
        ({"stage": "vetting", "outcome": "failed", "occurred_on": "2026-01-01"}, "outcome"),
        ({"stage": "vetting", "outcome": "passed", "occurred_on": "1999-12-31"}, "occurred_on"),
        ({"stage": "vetting", "outcome": "passed"}, "occurred_on"),
        # No finding is ever held: a body carrying one is refused whole.
        (
            {
                "stage": "medical",
                "outcome": "not_passed",
                "occurred_on": "2026-01-01",
                "finding": "x",
            },
            "finding",
        ),
    ],
)
async def test_a_bad_milestone_is_refused_naming_the_field_and_nothing_is_recorded(
    client: AsyncTestClient[Any], scene: Scene, body: dict[str, Any], field: str
) -> None:
    alex = scene.staff_a[0]
    await scene.as_user(client, scene.coordinator)
    answer = await client.post(milestones_path(alex.id), json=body)
    assert answer.status_code in (400, 422), answer.text
    assert field in fields_named(answer), answer.json()
    assert (await client.get(application_path(alex.id))).json()["history"] == []


async def test_a_future_milestone_or_one_for_nobody_is_refused(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await scene.as_user(client, scene.coordinator)
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    future = await client.post(
        milestones_path(scene.staff_a[0].id),
        json={"stage": "received", "outcome": "passed", "occurred_on": later},
    )
    assert future.status_code == 422 and fields_named(future) == {"occurred_on"}
    body = {"stage": "received", "outcome": "passed", "occurred_on": "2026-01-01"}
    for nobody in (str(uuid.uuid4()), "not-an-id"):
        assert (await client.post(milestones_path(nobody), json=body)).status_code == 404
        assert (await client.get(application_path(nobody))).status_code == 404
