"""Applications: the coordinator records milestones, the applicant follows their own, and an
employer receives them only through the gate, without the result of vetting or a medical."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.support.auth import fields_named
from tests.support.disclosure_scene import Scene, consent, disclosure_entries

PROGRESS = "esp.application-progress"
STAFF = "/api/employer/staff"


def milestones_path(volunteer_id: str) -> str:
    return f"/api/coordinator/volunteers/{volunteer_id}/application/milestones"


def application_path(volunteer_id: str) -> str:
    return f"/api/coordinator/volunteers/{volunteer_id}/application"


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


def _duty_day() -> dt.date:
    """Yesterday, or the first of January: the staff views show this London year so far."""
    today = dt.datetime.now(dt.UTC).date()
    return max(dt.date(today.year, 1, 1), today - dt.timedelta(days=1))


async def test_training_releases_the_training_steps_and_the_training_hours(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_user(client, scene.coordinator)
    await _record(
        client,
        alex.id,
        ("received", "passed", "2026-01-05"),
        ("vetting", "in_progress", "2026-02-01"),
        ("training_booked", "passed", "2026-04-20"),
        ("training_completed", "passed", "2026-05-30"),
    )
    day = _duty_day()
    duties = (
        "volunteer_id,start,end,duty_type,esp_leave\n"
        f"{alex.id},{day}T08:00Z,{day}T14:30Z,training,no\n"
        f"{alex.id},{day}T15:00Z,{day}T17:00Z,patrol,no\n"
    )
    imported = await client.post(
        "/api/coordinator/duties/import",
        files={"file": ("duties.csv", duties.encode(), "text/csv")},
    )
    assert imported.status_code == 201, imported.text
    # The applicant shares their training only (not how the application is going).
    await scene.as_volunteer(client, alex)
    given = await consent(client, scene.employer_a, ["training"], PROGRESS)
    assert given.status_code == 201, given.text

    await scene.as_user(client, scene.hr_a)
    page = await client.get(STAFF, params={"purpose": PROGRESS})
    assert page.status_code == 200, page.text
    [item] = [i for i in page.json()["items"] if i["volunteer_id"] == alex.id]
    data = item["data"]
    assert data["training"] == {"training_hours": 6.5}  # training duties only, not the patrol
    assert data["training_milestones"] == [
        {"stage": "training_booked", "state": "passed", "on": "2026-04-20"},
        {"stage": "training_completed", "state": "passed", "on": "2026-05-30"},
    ]
    assert data.get("application_milestones") is None
    assert data.get("application_stage") is None
    [entry] = [e for e in await disclosure_entries(client) if e["subject"] == alex.subject]
    assert entry["purpose"] == PROGRESS and entry["categories"] == ["training"]
    assert scene.check_receipt(item["receipt"])


async def test_without_consent_the_employer_gets_no_milestone(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_user(client, scene.coordinator)
    await _record(client, alex.id, ("vetting", "in_progress", "2026-02-01"))
    await scene.as_user(client, scene.hr_a)
    page = await client.get(STAFF, params={"purpose": PROGRESS})
    assert page.status_code == 200, page.text
    assert "vetting" not in page.text
    assert [e for e in await disclosure_entries(client) if e["subject"] == alex.subject] == []
    one = await client.get(f"{STAFF}/{alex.id}", params={"purpose": PROGRESS})
    assert one.status_code in (403, 404), one.text
    assert "vetting" not in one.text


@pytest.mark.parametrize("outcome", ["in_progress", "passed", "not_passed", "withdrawn"])
@pytest.mark.parametrize("stage", ["vetting", "medical"])
async def test_vetting_and_medical_reach_an_employer_only_as_in_progress_or_complete(
    client: AsyncTestClient[Any], scene: Scene, stage: str, outcome: str
) -> None:
    alex = scene.staff_a[0]
    await scene.as_user(client, scene.coordinator)
    await _record(client, alex.id, (stage, outcome, "2026-02-01"))
    await scene.as_volunteer(client, alex)
    given = await consent(client, scene.employer_a, ["application"], PROGRESS)
    assert given.status_code == 201, given.text
    await scene.as_user(client, scene.hr_a)
    page = await client.get(f"{STAFF}/{alex.id}", params={"purpose": PROGRESS})
    assert page.status_code == 200, page.text
    [step] = page.json()["data"]["application_milestones"]
    assert step == {
        "stage": stage,
        "state": "in_progress" if outcome == "in_progress" else "complete",
        "on": "2026-02-01",
    }
