"""Consent over HTTP: give, read, withdraw (whole or partial), notices, and clear errors.

The real app is served on each database; users sign in through /api/auth/login.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.settings import Settings
from tests.support.auth import fields_named
from tests.support.disclosure_scene import (
    LV,
    NOTICE,
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
    problem(again, 404)
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
    problem(await client.post(f"/api/employer/notices/{notice['id']}/acknowledge"), 409)
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
    assert f"replaced by {NOTICE}" in old.json()["errors"][0]["message"]
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
    problem(nothing, 409)
    overview = (await client.get("/api/volunteer/consents")).json()
    assert overview["history_total"] == 0 and overview["notice"]["version"] == NOTICE
    # Other roles cannot use the volunteer routes.
    await scene.as_user(client, scene.hr_a)
    problem(await client.get("/api/volunteer/consents"), 403)


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
