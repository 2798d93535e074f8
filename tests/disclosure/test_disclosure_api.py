"""Consent, withdrawal, the gate over HTTP, fail-closed, tenant isolation and receipts.

The real app is served on each database; users sign in through /api/auth/login.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
import structlog.testing
from litestar.testing import AsyncTestClient

from ledger.entries import Entry
from portal.settings import Settings
from tests.disclosure.disclosure_scene import (
    LV,
    PM,
    Scene,
    build_scene,
    consent,
    disclosure_entries,
    entry_bytes,
    refusals,
)
from tests.support.auth import fields_named, serve

STAFF = "/api/employer/staff"


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    return await build_scene(settings, ledger, staff=6)


@pytest.fixture
async def client(settings: Settings, scene: Scene) -> AsyncIterator[AsyncTestClient[Any]]:
    async with serve(settings) as client:
        yield client


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


async def test_consent_read_withdraw_then_the_next_request_is_refused(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_volunteer(client, alex)
    given = await consent(client, scene.employer_a, ["identity", "status"])
    assert given.status_code == 201, given.text
    body = given.json()
    assert body["categories"] == ["identity", "status"] and len(body["consent_ids"]) == 2
    assert scene.check_receipt(body["receipt"], await entry_bytes(client, body["receipt"]["index"]))

    await scene.as_user(client, scene.hr_a)
    read = await client.get(f"{STAFF}/{alex.id}", params={"purpose": LV})
    assert read.status_code == 200, read.text
    member = read.json()
    assert member["data"] == {"display_name": alex.display_name, "status": "active"}
    assert member["categories"] == ["identity", "status"]
    assert scene.check_receipt(member["receipt"])
    before = await disclosure_entries(client)
    assert [e["subject"] for e in before] == [alex.subject]
    assert sorted(before[0]["consent_ids"]) == sorted(body["consent_ids"])
    assert before[0]["agreement_ids"] == [scene.agreement_a]

    await scene.as_volunteer(client, alex)
    withdrawn = await client.post(
        "/api/volunteer/consents/withdraw", json={"employer_id": scene.employer_a, "purpose": LV}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    out = withdrawn.json()
    assert out["categories"] == ["identity", "status"]
    assert sorted(out["withdrawn_consent_ids"]) == sorted(body["consent_ids"])
    assert scene.check_receipt(out["receipt"])
    assert [n["employer_id"] for n in out["notices"]] == [scene.employer_a]
    assert scene.check_receipt(out["notices"][0]["receipt"])

    overview = (await client.get("/api/volunteer/consents")).json()
    assert {c["state"] for c in overview["current"]} == {"withdrawn"}
    assert overview["history_total"] == 4
    assert [h["state"] for h in overview["history"]] == ["withdrawn"] * 2 + ["given"] * 2

    await scene.as_user(client, scene.hr_a)
    again = await client.get(f"{STAFF}/{alex.id}", params={"purpose": LV})
    _problem(again, 404)
    assert alex.display_name not in again.text
    assert len(await disclosure_entries(client)) == 1
    refused = await refusals(client)
    assert [(r["reason"], r["subject"], r["recipient_org"]) for r in refused] == [
        ("consent_withdrawn", alex.subject, scene.employer_a)
    ]
    # The list leaves Alex out too (no consent purpose data for anyone else either).
    staff = (await client.get(STAFF, params={"purpose": LV})).json()
    assert staff["items"] == []

    notices = (await client.get("/api/employer/notices", params={"pending": True})).json()
    assert notices["total"] == 1
    notice = notices["items"][0]
    assert notice["volunteer_id"] == alex.id and notice["categories"] == ["identity", "status"]
    ack = await client.post(f"/api/employer/notices/{notice['id']}/acknowledge")
    assert ack.status_code == 200, ack.text
    assert scene.check_receipt(ack.json()["receipt"])
    assert ack.json()["notice"]["acknowledged_by"] == scene.hr_a.id
    _problem(await client.post(f"/api/employer/notices/{notice['id']}/acknowledge"), 409)
    assert (await client.get("/api/employer/notices", params={"pending": True})).json()[
        "total"
    ] == 0


async def test_consent_errors_are_clear_and_change_nothing(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_volunteer(client, alex)
    old = await consent(client, scene.employer_a, ["identity"], notice_version="2025-04")
    assert fields_named(old) == {"notice_version"}
    assert "2026-11" in old.json()["errors"][0]["message"]
    assert fields_named(await consent(client, scene.employer_a, ["identity"], purpose=PM)) == {
        "purpose"
    }
    assert fields_named(await consent(client, scene.employer_a, ["recognition"])) == {"categories"}
    assert fields_named(await consent(client, scene.employer_b, ["identity"])) == {"employer_id"}
    past = await consent(client, scene.employer_a, ["identity"], expires_at="2020-01-01T00:00:00Z")
    assert fields_named(past) == {"expires_at"}
    nothing = await client.post(
        "/api/volunteer/consents/withdraw", json={"employer_id": scene.employer_a, "purpose": LV}
    )
    _problem(nothing, 409)
    overview = (await client.get("/api/volunteer/consents")).json()
    assert overview["history_total"] == 0 and overview["notice"]["version"] == "2026-11"
    # Other roles cannot use the volunteer routes.
    await scene.as_user(client, scene.hr_a)
    _problem(await client.get("/api/volunteer/consents"), 403)


async def test_partial_withdrawal_keeps_the_rest_and_notices_only_after_data_left(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_volunteer(client, alex)
    assert (await consent(client, scene.employer_a, ["identity", "status"])).status_code == 201
    partial = await client.post(
        "/api/volunteer/consents/withdraw",
        json={"employer_id": scene.employer_a, "purpose": LV, "categories": ["status"]},
    )
    assert partial.status_code == 200, partial.text
    assert partial.json()["categories"] == ["status"]
    assert partial.json()["notices"] == []  # nothing was ever disclosed under it
    await scene.as_user(client, scene.hr_a)
    member = (await client.get(f"{STAFF}/{alex.id}", params={"purpose": LV})).json()
    assert member["data"] == {"display_name": alex.display_name}


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
        body = _problem(response, 503)
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
    bodies = [_problem(p, 404) for p in probes]
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
        assert entry["channel"] == "web" and entry["request_id"]
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
