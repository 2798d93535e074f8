"""The DPO's ledger search, export, Art. 15 report and refusals."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.settings import Settings
from tests.support.disclosure_scene import (
    LV,
    PM,
    Scene,
    build_scene,
    consent,
    disclosure_entries,
)

AGREEMENTS = "/api/coordinator/agreements"
TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    return await build_scene(settings, ledger, staff=2)


async def test_dpo_search_export_report_and_refusals(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex, sam = scene.staff_a
    await scene.as_volunteer(client, alex)
    await consent(client, scene.employer_a, ["identity", "status"])
    await scene.as_user(client, scene.hr_a)
    for _ in range(3):
        assert (
            await client.get(f"/api/employer/staff/{alex.id}", params={"purpose": LV})
        ).status_code == 200
    assert (
        await client.get(f"/api/employer/staff/{sam.id}", params={"purpose": LV})
    ).status_code == 404
    await scene.as_user(client, scene.hr_b)
    assert (
        await client.get(f"/api/employer/staff/{alex.id}", params={"purpose": PM})
    ).status_code == 404

    await scene.as_user(client, scene.dpo)
    everything = (await client.get("/api/dpo/ledger", params={"limit": 1000})).json()
    kinds = [e["kind"] for e in everything["items"]]
    assert kinds.count("agreement.recorded") == 2 and kinds.count("consent.given") == 1
    assert kinds.count("disclosure") == 3
    indexes = [e["index"] for e in everything["items"]]
    assert indexes == sorted(indexes, reverse=True)

    mine = (
        await client.get("/api/dpo/ledger", params={"subject": alex.subject, "kind": "disclosure"})
    ).json()
    assert len(mine["items"]) == 3
    assert all(e["entry"]["recipient_user"] == scene.hr_a.id for e in mine["items"])
    typo = await client.get("/api/dpo/ledger", params={"kind": "disclosures"})
    assert typo.status_code == 400 and "kind" in typo.text
    assert typo.headers["content-type"].startswith("application/problem+json")
    by_recipient = (await client.get("/api/dpo/ledger", params={"recipient": scene.hr_a.id})).json()
    assert len(by_recipient["items"]) == 3
    page1 = (await client.get("/api/dpo/ledger", params={"limit": 2})).json()
    page2 = (
        await client.get("/api/dpo/ledger", params={"limit": 2, "before": page1["next_cursor"]})
    ).json()
    assert [e["index"] for e in page1["items"] + page2["items"]] == indexes[:4]
    # Plain dates, as the CLI takes them: since a day's start, until the end of that day.
    today = dt.datetime.now(dt.UTC).date()
    for params in ({"since": today.isoformat()}, {"until": today.isoformat()}):
        dated = await client.get("/api/dpo/ledger", params={**params, "limit": 1000})
        assert dated.status_code == 200, dated.text
        assert [e["index"] for e in dated.json()["items"]] == indexes
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert (await client.get("/api/dpo/ledger", params={"since": tomorrow})).json()["items"] == []
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert (await client.get("/api/dpo/ledger", params={"until": yesterday})).json()["items"] == []
    for bad in ("2026-13-45", "yesterday", "2026-12-06T25:00:00Z"):
        refused = await client.get("/api/dpo/ledger", params={"since": bad})
        assert refused.status_code == 400, (bad, refused.text)
        assert {e["field"] for e in refused.json()["errors"]} == {"since"}, bad
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert (await client.get("/api/dpo/ledger", params={"since": future})).json()["items"] == []
    assert (
        len(
            (await client.get("/api/dpo/ledger", params={"until": future, "purpose": LV})).json()[
                "items"
            ]
        )
        == 4
    )

    exported = await client.get("/api/dpo/ledger/export", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [int(r["index"]) for r in rows] == sorted(indexes)
    assert all(int(r["checkpoint_size"]) > int(r["index"]) for r in rows)
    jsonl = await client.get(
        "/api/dpo/ledger/export", params={"format": "jsonl", "kind": "disclosure"}
    )
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    assert len(lines) == 3 and all(line["entry"]["subject"] == alex.subject for line in lines)

    report = await client.get(f"/api/dpo/subjects/{alex.id}/report")
    assert report.status_code == 200, report.text
    body = report.json()
    held = {c["code"]: c["items"] for c in body["categories"]}
    assert held["identity"][0]["display_name"] == alex.display_name
    assert held["status"] == [{"status": "active"}]
    assert len([d for d in body["disclosures"] if d["purpose"] == LV]) == 3
    assert len(held["consents"]) == 2
    assert [r["reason"] for r in body["refusals"]] == ["outside_organisation"]
    assert scene.check_receipt(body["audit_receipt"])
    audits = [e for e in await disclosure_entries(client) if e["purpose"] == "dpo.audit"]
    assert len(audits) == 1
    assert audits[0]["subject"] == alex.subject and audits[0]["recipient_org"] == "force"
    assert audits[0]["recipient_user"] == scene.dpo.id
    assert audits[0]["lawful_basis"] == "legal_obligation"

    as_csv = await client.get(f"/api/dpo/subjects/{alex.id}/report.csv")
    assert as_csv.status_code == 200
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    sections = [r["section"] for r in rows]
    assert sections.count("disclosure") == 5  # 3 + 2 audits
    assert {
        r["record_id"] for r in rows if r["section"] == "held" and r["category"] == "consents"
    } == {c["id"] for c in held["consents"]}
    assert sections.count("refusal") == 1
    assert len([e for e in await disclosure_entries(client) if e["purpose"] == "dpo.audit"]) == 2

    missing = await client.get(f"/api/dpo/subjects/{uuid.uuid4()}/report")
    assert missing.status_code == 404

    # The subject id a refusal record shows finds the same person, on the API and the page.
    by_subject = await client.get(f"/api/dpo/subjects/{alex.subject}/report")
    assert by_subject.status_code == 200, by_subject.text
    assert by_subject.json()["categories"][0] == body["categories"][0]
    page = await client.get("/dpo/subjects", params={"volunteer": alex.subject})
    assert page.status_code == 200 and alex.display_name in page.text
    unknown = await client.get(f"/api/dpo/subjects/sub_{uuid.uuid4().hex}/report")
    assert unknown.status_code == 404
    audits = [e for e in await disclosure_entries(client) if e["purpose"] == "dpo.audit"]
    assert len(audits) == 4 and {a["subject"] for a in audits} == {alex.subject}

    refused = (await client.get("/api/dpo/refusals")).json()
    assert {r["reason"] for r in refused["items"]} == {"no_consent", "outside_organisation"}
    assert refused["total"] == 4  # Sam (no consent), B on Alex, the DPO's two unknown ids
    by_b = (await client.get("/api/dpo/refusals", params={"recipient": scene.employer_b})).json()
    assert by_b["total"] == 1 and by_b["items"][0]["subject"] == alex.subject

    await scene.as_user(client, scene.hr_a)
    for path in ("/api/dpo/ledger", "/api/dpo/refusals", f"/api/dpo/subjects/{alex.id}/report"):
        assert (await client.get(path)).status_code == 403
