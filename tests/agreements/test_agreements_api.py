"""Agreements (coordinator): versioned, ledgered, never edited; clear errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.settings import Settings
from tests.support.auth import fields_named
from tests.support.disclosure_scene import (
    LV,
    PM,
    Scene,
    build_scene,
    consent,
    refusals,
)

AGREEMENTS = "/api/coordinator/agreements"
TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    return await build_scene(settings, ledger, staff=2)


def _agreement(employer_id: str, version: int, **extra: Any) -> dict[str, Any]:
    body = {
        "employer_id": employer_id,
        "version": version,
        "purposes": {PM: ["identity", "status"]},
        "starts_on": str(TODAY - dt.timedelta(days=1)),
        "ends_on": str(TODAY + dt.timedelta(days=10)),
        "signed_by": "J. Smith (HR Director) and C. Constable (ESP lead)",
    }
    body.update(extra)
    return body


async def test_agreements_are_versioned_ledgered_and_never_edited(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await scene.as_user(client, scene.coordinator)
    first = await client.post(AGREEMENTS, json=_agreement(scene.employer_a, 2))
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["agreement"]["state"] == "in_force"
    assert created["agreement"]["supersedes"] == scene.agreement_a
    assert scene.check_receipt(created["receipt"])

    conflict = await client.post(AGREEMENTS, json=_agreement(scene.employer_a, 2))
    assert conflict.status_code == 409 and fields_named(conflict) == {"version"}
    bad = await client.post(
        AGREEMENTS,
        json=_agreement(
            scene.employer_a,
            3,
            purposes={PM: ["hours.detail"], "dpo.audit": ["identity"], "nope": ["identity"]},
        ),
    )
    assert bad.status_code == 422
    assert fields_named(bad) == {f"purposes.{PM}", "purposes.dpo.audit", "purposes.nope"}
    backwards = await client.post(
        AGREEMENTS, json=_agreement(scene.employer_a, 3, ends_on=str(TODAY - dt.timedelta(days=5)))
    )
    assert fields_named(backwards) == {"ends_on"}
    unknown = await client.post(AGREEMENTS, json=_agreement(str(uuid.uuid4()), 1))
    assert fields_named(unknown) == {"employer_id"}

    versions = (await client.get(f"{AGREEMENTS}/{created['agreement']['id']}/versions")).json()
    assert [(v["version"], v["state"]) for v in versions] == [(2, "in_force"), (1, "superseded")]
    listed = (await client.get(AGREEMENTS)).json()
    assert listed["total"] == 2
    assert {(a["employer_name"], a["version"]) for a in listed["items"]} == {
        ("Acme Logistics", 2),
        ("Brightwater Council", 1),
    }

    # Version 2 names only programme management: leave verification stops at once.
    alex = scene.staff_a[0]
    await scene.as_volunteer(client, alex)
    await consent(client, scene.employer_a, ["identity"])
    await scene.as_user(client, scene.hr_a)
    assert (
        await client.get(f"/api/employer/staff/{alex.id}", params={"purpose": LV})
    ).status_code == 404
    assert (
        await client.get(f"/api/employer/staff/{alex.id}", params={"purpose": PM})
    ).status_code == 200
    assert [r["reason"] for r in await refusals(client)] == ["purpose_not_in_agreement"]

    # Employers and volunteers cannot see agreements; the DPO can.
    assert (await client.get(AGREEMENTS)).status_code == 403
    await scene.as_user(client, scene.dpo)
    assert (await client.get(AGREEMENTS)).status_code == 200
    ending = (await client.get("/api/dpo/agreements/ending")).json()
    assert [(e["agreement"]["employer_name"], e["days_left"]) for e in ending] == [
        ("Acme Logistics", 10)
    ]
    assert (await client.get("/api/dpo/agreements/ending", params={"within_days": 5})).json() == []
