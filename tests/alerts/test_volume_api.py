"""Volume alerts through the served app on both databases: the DPO's API and pages, the
acknowledgement recorded in the ledger with the API or web channel, clear errors for bad input,
and an agreement's expectation entered with the agreement."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.alerts.services import VolumeService
from portal.clock import local_date, utcnow
from portal.settings import Settings
from tests.support.auth import in_app
from tests.support.disclosure_scene import LV, PM, Scene, build_scene, problem
from tests.support.volume_history import daily, disclosures_at

AGREEMENTS = "/api/coordinator/agreements"


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    built = await build_scene(settings, ledger, staff=2)
    today = local_date(utcnow())
    history = {today - dt.timedelta(days=n): 3 for n in range(1, 29)}
    await daily(built.employer_b, LV, history)
    await disclosures_at(built.employer_b, LV, [utcnow() - dt.timedelta(minutes=1)] * 45)
    return built


def _csrf(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def test_the_dpo_sees_volumes_and_acknowledges_an_alert_through_the_api(
    client: AsyncTestClient[Any], scene: Scene, settings: Settings
) -> None:
    # real disclosures through the gate count too
    await scene.as_user(client, scene.hr_a)
    assert (await client.get("/api/employer/staff", params={"purpose": PM})).status_code == 200
    assert await in_app(client, lambda: VolumeService(settings).check()) == 1

    await scene.as_user(client, scene.dpo)
    overview = await client.get("/api/dpo/volume")
    assert overview.status_code == 200, overview.text
    rows = {(r["employer_id"], r["purpose"]): r for r in overview.json()["items"]}
    assert rows[(scene.employer_b, LV)]["today"] == 45
    assert rows[(scene.employer_b, LV)]["usual"] == 3.0
    assert rows[(scene.employer_b, LV)]["open_alerts"] == 1
    assert rows[(scene.employer_a, PM)]["today"] >= 1  # the employer's own staff list just now

    series = await client.get(f"/api/dpo/volume/{scene.employer_b}/{LV}")
    assert series.status_code == 200
    first = series.json()["days"][0]
    assert (first["disclosures"], first["alert"]) == (45, True)
    problem(await client.get(f"/api/dpo/volume/{uuid.uuid4()}/{LV}"), 404)
    problem(await client.get(f"/api/dpo/volume/{scene.employer_b}/no.such-purpose"), 404)
    bad = problem(await client.get("/api/dpo/alerts", params={"show": "closed"}), 400)
    assert "show" in str(bad)

    listed = await client.get("/api/dpo/alerts")
    [alert] = listed.json()["items"]
    assert alert["employer_name"] == "Brightwater Council" and alert["disclosures"] == 45
    done = await client.post(f"/api/dpo/alerts/{alert['id']}/acknowledge")
    assert done.status_code == 201, done.text
    receipt = done.json()["receipt"]
    entry = (await client.get(f"/ledger/entries/{receipt['index']}")).json()["entry"]
    assert (entry["kind"], entry["channel"], entry["recipient_org"]) == (
        "alert.acknowledged",
        "api",
        scene.employer_b,
    )
    assert entry["recipient_user"] == scene.dpo.id and entry["details"]["alert_id"] == alert["id"]
    problem(await client.post(f"/api/dpo/alerts/{alert['id']}/acknowledge"), 409)
    problem(await client.post(f"/api/dpo/alerts/{uuid.uuid4()}/acknowledge"), 404)
    assert (await client.get("/api/dpo/alerts")).json()["total"] == 0
    assert (await client.get("/api/dpo/alerts", params={"show": "all"})).json()["total"] == 1


async def test_the_dpo_pages_show_the_alert_and_acknowledge_it(
    client: AsyncTestClient[Any], scene: Scene, settings: Settings
) -> None:
    assert await in_app(client, lambda: VolumeService(settings).check()) == 1
    await scene.as_user(client, scene.dpo)
    home = await client.get("/dpo")
    assert home.status_code == 200
    assert "Volume alerts to acknowledge" in home.text and "Brightwater Council" in home.text
    assert "45 disclosures" in home.text

    volume = await client.get("/dpo/volume")
    assert volume.status_code == 200 and "Brightwater Council" in volume.text
    series = await client.get(f"/dpo/volume/{scene.employer_b}/{LV}")
    assert series.status_code == 200 and "Alert" in series.text
    assert (await client.get(f"/dpo/volume/{uuid.uuid4()}/{LV}")).status_code == 404

    page = await client.get("/dpo/alerts")
    found = re.search(r'action="/dpo/alerts/([0-9a-f-]+)/acknowledge"', page.text)
    assert found
    done = await client.post(
        f"/dpo/alerts/{found.group(1)}/acknowledge",
        data={"csrf_token": _csrf(page)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = await client.get(done.headers["location"])
    assert "Alert acknowledged. Recorded in the ledger as entry" in after.text
    assert "No volume alert is waiting." in after.text
    index = int(re.search(r"ledger as entry (\d+)", after.text).group(1))  # type: ignore[union-attr]
    entry = (await client.get(f"/ledger/entries/{index}")).json()["entry"]
    assert (entry["kind"], entry["channel"]) == ("alert.acknowledged", "web")
    home = await client.get("/dpo")
    assert "Review and acknowledge" not in home.text


async def test_an_agreement_states_its_expectation_and_bad_ones_are_named(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await scene.as_user(client, scene.coordinator)
    body = {
        "employer_id": scene.employer_a,
        "version": 2,
        "purposes": {LV: ["identity"]},
        "starts_on": local_date(utcnow()).isoformat(),
        "ends_on": (local_date(utcnow()) + dt.timedelta(days=365)).isoformat(),
        "signed_by": "A. Signatory",
    }
    outside = await client.post(
        AGREEMENTS, json={**body, "expected": {PM: {"count": 5, "per": "day"}}}
    )
    assert problem(outside, 422)["errors"] == [
        {"field": f"expected.{PM}", "message": "not a purpose of this agreement"}
    ]
    weekly = await client.post(
        AGREEMENTS, json={**body, "expected": {LV: {"count": 5, "per": "week"}}}
    )
    assert "per" in str(problem(weekly, 400))
    negative = await client.post(
        AGREEMENTS, json={**body, "expected": {LV: {"count": -1, "per": "day"}}}
    )
    assert "count" in str(problem(negative, 400))
    made = await client.post(
        AGREEMENTS, json={**body, "expected": {LV: {"count": 60, "per": "month"}}}
    )
    assert made.status_code == 201, made.text
    assert made.json()["agreement"]["expected"] == {LV: {"count": 60, "per": "month"}}


async def test_the_coordinator_enters_the_expectation_with_the_agreement_on_the_web(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await scene.as_user(client, scene.coordinator)
    path = f"/coordinator/employers/{scene.employer_b}"
    page = await client.get(path)
    assert "Checking ESP leave: disclosures expected a month (optional)" in page.text
    starts = local_date(utcnow())
    form = {
        "csrf_token": _csrf(page),
        "version": "2",
        f"purpose:{LV}": "identity",
        "starts_on-day": str(starts.day),
        "starts_on-month": str(starts.month),
        "starts_on-year": str(starts.year),
        "ends_on-day": str(starts.day),
        "ends_on-month": str(starts.month),
        "ends_on-year": str(starts.year + 1),
        "signed_by": "A. Signatory",
        f"expected:{LV}": "lots",
    }
    refused = await client.post(f"{path}/agreements", data=form, follow_redirects=False)
    assert refused.status_code == 400
    assert "Enter the disclosures expected a month as a whole number, like 300" in refused.text
    assert 'value="lots"' in refused.text  # the answer kept as typed
    form[f"expected:{LV}"] = "300"
    form[f"expected:{PM}"] = "50"  # PM not chosen this time: not part of the agreement
    done = await client.post(f"{path}/agreements", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    listed = await client.get(AGREEMENTS, params={"employer_id": scene.employer_b})
    [current] = listed.json()["items"]
    assert current["version"] == 2
    assert current["expected"] == {LV: {"count": 300, "per": "month"}}
