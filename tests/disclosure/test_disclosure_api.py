"""The gate over HTTP: fail-closed, tenant isolation, receipts and unknown purposes.

The real app is served on each database; users sign in through /api/auth/login.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import structlog
import structlog.testing
from litestar.testing import AsyncTestClient

from ledger.entries import Entry
from portal.settings import Settings
from tests.support.auth import fields_named
from tests.support.disclosure_scene import (
    LV,
    PM,
    Scene,
    build_scene,
    consent,
    disclosure_entries,
    entry_bytes,
    problem,
    refusals,
)

STAFF = "/api/employer/staff"


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    return await build_scene(settings, ledger, staff=6)


async def test_fail_closed_when_the_ledger_cannot_be_written(
    client: AsyncTestClient[Any], scene: Scene, database: Any, owner_sql: Any
) -> None:
    await scene.as_user(client, scene.hr_a)
    alex = scene.staff_a[0]
    if database.kind == "sqlite":
        await owner_sql(
            "CREATE TRIGGER broken BEFORE INSERT ON ledger_entry "
            "BEGIN SELECT RAISE(ABORT, 'x'); END"
        )
    else:
        await owner_sql("REVOKE INSERT ON ledger_entry FROM esp_portal_app")
    with structlog.testing.capture_logs() as events:
        one = await client.get(f"{STAFF}/{alex.id}", params={"purpose": PM})
        many = await client.get(STAFF, params={"purpose": PM})
    for response in (one, many):
        body = problem(response, 503)
        assert body["type"] == "/problems/service-unavailable"
        assert "ledger" in body["detail"]
        shown = str({k: v for k, v in body.items() if k != "instance"})
        for person in scene.staff_a:
            assert person.display_name not in response.text and person.id not in shown
        assert "data" not in body and "items" not in body
    assert await disclosure_entries(client) == []
    failures = [e for e in events if e["event"] == "disclosure.ledger_write_failed"]
    assert len(failures) == 2 and {f["log_level"] for f in failures} == {"critical"}
    assert {f["subjects"] for f in failures} == {1, len(scene.staff_a)}
    for person in scene.staff_a:  # rule 7: ids and counts in logs, never names
        assert person.display_name not in json.dumps(events, default=str)

    if database.kind == "sqlite":
        await owner_sql("DROP TRIGGER broken")
    else:
        await owner_sql("GRANT INSERT ON ledger_entry TO esp_portal_app")
    healed = await client.get(f"{STAFF}/{alex.id}", params={"purpose": PM})
    assert healed.status_code == 200 and healed.json()["data"]["display_name"] == alex.display_name
    assert len(await disclosure_entries(client)) == 1


async def test_tenant_isolation_every_id_bearing_route_answers_404_and_records_it(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    # A notice addressed to employer A: Alex consents, A reads, Alex withdraws.
    await scene.as_volunteer(client, alex)
    await consent(client, scene.employer_a, ["identity"])
    await scene.as_user(client, scene.hr_a)
    assert (await client.get(f"{STAFF}/{alex.id}", params={"purpose": LV})).status_code == 200
    await scene.as_volunteer(client, alex)
    withdrawal = await client.post(
        "/api/volunteer/consents/withdraw", json={"employer_id": scene.employer_a, "purpose": LV}
    )
    notice_id = withdrawal.json()["notices"][0]["notice_id"]
    before = len(await disclosure_entries(client))

    await scene.as_user(client, scene.hr_b)
    probes = []
    for purpose in (LV, PM):
        for target in (alex.id, scene.staff_a[1].id, str(uuid.uuid4()), "not-a-uuid"):
            probes.append(await client.get(f"{STAFF}/{target}", params={"purpose": purpose}))
    for target in (notice_id, str(uuid.uuid4())):
        probes.append(await client.post(f"/api/employer/notices/{target}/acknowledge"))
    bodies = [problem(p, 404) for p in probes]
    staff_bodies = {(b["title"], b["detail"]) for b in bodies[:8]}
    assert len(staff_bodies) == 1  # a colleague elsewhere and a made-up id look the same
    notice_bodies = {(b["title"], b["detail"]) for b in bodies[8:]}
    assert len(notice_bodies) == 1
    for probe in probes:
        assert alex.display_name not in probe.text

    listed = (await client.get(STAFF, params={"purpose": PM})).json()
    assert {m["volunteer_id"] for m in listed["items"]} == {p.id for p in scene.staff_b}
    assert {m["volunteer_id"] for m in listed["items"]}.isdisjoint({p.id for p in scene.staff_a})
    b_notices = (await client.get("/api/employer/notices")).json()
    assert b_notices["total"] == 0

    entries = await disclosure_entries(client)
    assert all(e["subject"] not in {p.subject for p in scene.staff_a} for e in entries[before:])
    refused = [r for r in await refusals(client) if r["recipient_org"] == scene.employer_b]
    assert len(refused) == len(probes)
    assert {r["reason"] for r in refused} == {"outside_organisation"}
    assert alex.subject in {r["subject"] for r in refused}
    assert {r["recipient_user"] for r in refused} == {scene.hr_b.id}


async def test_a_list_of_n_permitted_staff_is_n_disclosures_each_seen_and_verifiable(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    permitted, held_back = scene.staff_a[:4], scene.staff_a[4:]
    for person in permitted:
        await scene.as_volunteer(client, person)
        assert (
            await consent(client, scene.employer_a, ["identity", "hours.summary"])
        ).status_code == 201

    await scene.as_user(client, scene.hr_a)
    first = (await client.get(STAFF, params={"purpose": LV, "limit": 3})).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = (
        await client.get(STAFF, params={"purpose": LV, "limit": 3, "after": first["next_cursor"]})
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    items = first["items"] + second["items"]
    assert {m["volunteer_id"] for m in items} == {p.id for p in permitted}
    for member in items:
        assert set(member["data"]) == {"display_name", "hours_summary"}
        summary = member["data"]["hours_summary"]  # this year so far: no duties recorded
        assert summary["total_hours"] == 0.0 and summary["months_counted"] >= 1

    entries = await disclosure_entries(client)
    assert len(entries) == len(permitted)
    assert sorted(e["subject"] for e in entries) == sorted(p.subject for p in permitted)
    assert not {e["subject"] for e in entries} & {p.subject for p in held_back}
    for entry in entries:
        assert entry["categories"] == ["hours.summary", "identity"]
        assert entry["recipient_org"] == scene.employer_a
        assert entry["recipient_user"] == scene.hr_a.id
        assert entry["purpose"] == LV and entry["lawful_basis"] == "consent"
        # An API call records channel api, even with a browser session (pages record web).
        assert entry["channel"] == "api" and entry["request_id"]
        assert len(entry["consent_ids"]) == 2 and entry["agreement_ids"] == [scene.agreement_a]

    for person in permitted:
        await scene.as_volunteer(client, person)
        page = (await client.get("/api/volunteer/disclosures")).json()
        assert len(page["items"]) == 1
        seen = page["items"][0]
        assert seen["recipient_org"] == scene.employer_a
        assert seen["recipient_org_name"] == "Acme Logistics"
        assert seen["recipient_user_email"] == "hr@acme.example"
        assert seen["categories"] == ["hours.summary", "identity"]
        body = await entry_bytes(client, seen["index"])
        assert Entry.from_bytes(body).subject == person.subject
        assert scene.check_receipt(seen["receipt"], body)
    for person in held_back:
        await scene.as_volunteer(client, person)
        assert (await client.get("/api/volunteer/disclosures")).json()["items"] == []


async def test_disclosures_are_newest_first_and_paginated(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_user(client, scene.hr_a)
    for _ in range(5):
        assert (await client.get(f"{STAFF}/{alex.id}", params={"purpose": PM})).status_code == 200
    await scene.as_volunteer(client, alex)
    first = (await client.get("/api/volunteer/disclosures", params={"limit": 3})).json()
    rest = (
        await client.get(
            "/api/volunteer/disclosures", params={"limit": 3, "before": first["next_cursor"]}
        )
    ).json()
    indexes = [d["index"] for d in first["items"] + rest["items"]]
    assert len(indexes) == 5 and indexes == sorted(indexes, reverse=True)
    assert rest["next_cursor"] is None


async def test_unknown_purposes_and_categories_are_clear_errors(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await scene.as_user(client, scene.hr_a)
    alex = scene.staff_a[0]
    for purpose in ("esp.nothing", "dpo.audit"):
        response = await client.get(f"/api/employer/staff/{alex.id}", params={"purpose": purpose})
        assert response.status_code == 422 and fields_named(response) == {"purpose"}
    response = await client.get(
        "/api/employer/staff", params={"purpose": PM, "categories": "health"}
    )
    assert response.status_code == 422 and fields_named(response) == {"categories"}
    no_purpose = await client.get("/api/employer/staff")
    assert no_purpose.status_code == 400 and fields_named(no_purpose) == {"purpose"}
    assert "purpose" in no_purpose.json()["detail"]
    assert {r["reason"] for r in await refusals(client)} == {
        "unknown_purpose",
        "purpose_not_for_recipient",
    }
    assert await disclosure_entries(client) == []
