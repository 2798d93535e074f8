"""The Art. 15 subject access report, section by section, with real data on both databases.

One person goes through what the portal records about people: consent given and partly
withdrawn, duties imported (one corrected), a leave request decided by the employer, an objection
upheld by the DPO, contact preferences changed, a password reset email (a message in the outbox),
disclosures to their employer and a refused attempt by another employer. The report (JSON, CSV
and page) must hold every one of them, with purposes, lawful bases, retention and sources from
the data files, and receipts that verify against the signed checkpoint.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from portal.accounts.recovery import PasswordRecovery
from portal.consent.objections import ObjectionService
from portal.dpo.report_csv import REPORT_CSV_COLUMNS
from portal.erasure.requests import one_month_after
from portal.settings import Settings
from portal.vocabulary import LawfulBasis, vocabulary
from portal.vocabulary.records import records_held
from tests.support.auth import in_app
from tests.support.disclosure_scene import (
    LV,
    NOTICE,
    PM,
    Scene,
    build_scene,
    consent,
    entry_bytes,
)

TODAY = dt.datetime.now(dt.UTC).date()
LEAVE_DATA = ["identity", "status", "hours.summary", "hours.detail"]


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    return await build_scene(settings, ledger, staff=1)


def _duties_csv(volunteer_id: str) -> bytes:
    start = dt.datetime.combine(TODAY - dt.timedelta(days=20), dt.time(9), tzinfo=dt.UTC)
    lines = ["volunteer_id,start,end,duty_type,esp_leave"]
    for n, kind in enumerate(("patrol", "training", "event")):
        begin = start + dt.timedelta(days=3 * n)
        end = begin + dt.timedelta(hours=4 + n)
        esp = "yes" if n == 0 else "no"
        lines.append(f"{volunteer_id},{begin.isoformat()},{end.isoformat()},{kind},{esp}")
    return ("\n".join(lines) + "\n").encode()


async def _live_a_little(client: AsyncTestClient[Any], scene: Scene) -> dict[str, Any]:
    """Everything the report must then show, made through the real routes and services."""
    (alex,) = scene.staff_a
    await scene.as_user(client, scene.coordinator)
    policy = await client.post(
        "/api/coordinator/leave-policies",
        json={
            "employer_id": scene.employer_a,
            "unit": "hours_per_month",
            "amount": 8,
            "paid": True,
            "rollover_months": 0,
            "starts_on": (TODAY - dt.timedelta(days=90)).isoformat(),
        },
    )
    assert policy.status_code == 201, policy.text
    imported = await client.post(
        "/api/coordinator/duties/import",
        files={"file": ("duties.csv", _duties_csv(alex.id), "text/csv")},
    )
    assert imported.status_code == 201, imported.text
    duties = (await client.get("/api/coordinator/duties", params={"volunteer_id": alex.id})).json()
    first = duties["items"][0]
    later = dt.datetime.fromisoformat(first["ends_at"]) + dt.timedelta(minutes=30)
    corrected = await client.post(
        f"/api/coordinator/duties/{first['duty_id']}/corrections",
        json={"reason": "ended half an hour later", "ends_at": later.isoformat()},
    )
    assert corrected.status_code == 201, corrected.text
    # Version 2 of Acme's agreement also names duty records (a leave decision reads them).
    agreement = await client.post(
        "/api/coordinator/agreements",
        json={
            "employer_id": scene.employer_a,
            "version": 2,
            "purposes": {LV: LEAVE_DATA, PM: ["identity", "status"]},
            "starts_on": (TODAY - dt.timedelta(days=1)).isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=300)).isoformat(),
            "signed_by": "A. Signatory",
        },
    )
    assert agreement.status_code == 201, agreement.text
    award = await client.post(
        f"/api/coordinator/volunteers/{alex.id}/awards",
        json={"kind": "long_service", "title": "Five years' service", "awarded_on": "2025-06-01"},
    )
    assert award.status_code == 201, award.text
    for stage in ("vetting", "attested"):
        milestone = await client.post(
            f"/api/coordinator/volunteers/{alex.id}/application/milestones",
            json={"stage": stage, "outcome": "passed", "occurred_on": "2025-01-10"},
        )
        assert milestone.status_code == 201, milestone.text
    prefs = await client.patch(
        f"/api/coordinator/volunteers/{alex.id}", json={"contact_by_sms": True}
    )
    assert prefs.status_code == 200, prefs.text

    await scene.as_volunteer(client, alex)
    given = await consent(client, scene.employer_a, LEAVE_DATA)
    assert given.status_code == 201, given.text
    withdrawn = await client.post(
        "/api/volunteer/consents/withdraw",
        json={"employer_id": scene.employer_a, "purpose": LV, "categories": ["hours.summary"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    start = dt.datetime.combine(TODAY + dt.timedelta(days=5), dt.time(9))
    asked = await client.post(
        "/api/volunteer/leave-requests",
        json={
            "employer_id": scene.employer_a,
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=4)).isoformat(),
        },
    )
    assert asked.status_code == 201, asked.text

    await scene.as_user(client, scene.hr_a)
    for _ in range(2):
        read = await client.get(f"/api/employer/staff/{alex.id}", params={"purpose": LV})
        assert read.status_code == 200, read.text
    declined = await client.post(
        f"/api/employer/leave-requests/{asked.json()['id']}/decline",
        json={"reason": "busy week"},
    )
    assert declined.status_code == 200, declined.text
    await scene.as_user(client, scene.hr_b)
    probe = await client.get(f"/api/employer/staff/{alex.id}", params={"purpose": LV})
    assert probe.status_code == 404

    ledger = client.app.state.ledger
    objections = ObjectionService(ledger, scene.settings)
    raised = await in_app(
        client,
        lambda: objections.raise_objection(
            alex.id,
            scene.volunteer_users[alex.id].id,
            PM,
            "I would rather my employer did not hear about my status from the force.",
            request_id="test",
        ),
    )
    await in_app(
        client,
        lambda: objections.decide(
            raised.id,
            "upheld",
            "The volunteer's reasons outweigh the scheme's need here.",
            scene.dpo.id,
            request_id="test",
        ),
    )
    await in_app(client, lambda: PasswordRecovery(scene.settings).request_reset(alex.email))
    return {"duties": duties["items"]}


def _verifies(scene: Scene, report: dict[str, Any], receipt: dict[str, Any], body: bytes) -> bool:
    cp = open_checkpoint(report["checkpoint"], scene.verifier(), scene.settings.ledger_origin)
    leaf = base64.b64decode(receipt["leaf_hash"])
    return (
        cp.size == report["tree_size"] == receipt["tree_size"]
        and merkle.leaf_hash(body) == leaf
        and merkle.verify_inclusion(
            leaf,
            receipt["index"],
            receipt["tree_size"],
            [base64.b64decode(h) for h in receipt["inclusion_path"]],
            cp.root_hash,
        )
    )


async def test_report_holds_every_category_with_purposes_retention_source_and_receipts(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    (alex,) = scene.staff_a
    made = await _live_a_little(client, scene)
    await scene.as_user(client, scene.dpo)
    response = await client.get(f"/api/dpo/subjects/{alex.subject}/report")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["volunteer_id"], report["subject"]) == (alex.id, alex.subject)
    by_code = {c["code"]: c for c in report["categories"]}
    assert list(by_code) == [r.code for r in records_held().records]

    # Why, how long, from where: as records.json and the purpose vocabulary say.
    for record in records_held().records:
        category = by_code[record.code]
        assert [p["code"] for p in category["purposes"]] == list(record.purposes)
        for p in category["purposes"]:
            purpose = vocabulary().purpose(p["code"])
            assert purpose is not None and p["lawful_basis"] == purpose.lawful_basis.value
            assert p["article"] == LawfulBasis(p["lawful_basis"]).article
        assert category["retention"]["period"] == record.retention.period
        assert category["retention"]["reason"] == record.retention.reason
        assert category["retention"]["in_words"]
        assert category["source"] == record.source
    assert by_code["duties"]["retention"]["in_words"].startswith("6 years after")
    assert by_code["consents"]["retention"]["period"] is None

    # The copy, category by category.
    items = {code: c["items"] for code, c in by_code.items()}
    assert items["identity"][0]["display_name"] == alex.display_name
    assert items["identity"][0]["subject"] == alex.subject
    (contact,) = items["contact"]
    assert contact["email"] == alex.email and contact["contact_by_sms"] is True
    assert items["status"] == [{"status": "active"}]
    (application,) = items["application"]
    assert application["application_stage"] == "complete"
    assert "vetting passed on 2025-01-10" in application["milestones"]
    assert "attested passed on 2025-01-10" in application["milestones"]
    assert [e["employer"] for e in items["employment"]] == ["Acme Logistics"]
    assert len([d for d in items["duties"] if d["current"]]) == 3
    assert len(items["duties"]) == 4  # three duties, one corrected once
    (correction,) = [d for d in items["duties"] if d["version"] == 2]
    assert correction["reason"] == "ended half an hour later"
    assert correction["duty_id"] == made["duties"][0]["duty_id"]
    assert {d["duty_type"] for d in items["duties"]} == {"patrol", "training", "event"}
    (leave,) = items["leave"]
    assert leave["status"] == "declined" and leave["employer"] == "Acme Logistics"
    assert "declined" in leave["history"] and "busy week" in leave["history"]
    states = sorted((c["category"], c["state"]) for c in items["consents"])
    assert states == [
        ("hours.detail", "given"),
        ("hours.summary", "given"),
        ("hours.summary", "withdrawn"),
        ("identity", "given"),
        ("status", "given"),
    ]
    assert {c["employer"] for c in items["consents"]} == {"Acme Logistics"}
    # Each consent names the privacy notice it was given under: the one in force today.
    assert {c["notice_version"] for c in items["consents"]} == {NOTICE}
    (objection,) = items["objections"]
    assert (objection["purpose"], objection["outcome"]) == (PM, "upheld")
    assert "rather my employer" in objection["reasons"]
    (account,) = items["accounts"]
    assert account["email"] == alex.email and account["role"] == "volunteer"
    assert account["sign_ins"] >= 1 and account["active"] is True
    assert not {"password_hash", "totp_secret", "token_hash"} & set(account)
    sent = {(m["kind"], m["to"]) for m in items["messages"]}
    assert ("password_reset", alex.email) in sent and {to for _kind, to in sent} == {alex.email}
    assert "body_text" not in items["messages"][0]
    (award,) = items["recognition"]
    assert (award["kind"], award["title"]) == ("long_service", "Five years' service")
    assert items["disclosures"][0]["disclosures"] == len(report["disclosures"])

    # Every recipient, with dates and categories; every disclosure with a receipt that verifies.
    recipients = {r["recipient_org"]: r for r in report["recipients"]}
    assert set(recipients) == {scene.employer_a, "force"}
    acme = recipients[scene.employer_a]
    assert acme["name"] == "Acme Logistics" and acme["purposes"] == [LV]
    assert acme["disclosures"] >= 3  # two staff reads and the leave decision's read
    assert acme["first_at"] <= acme["last_at"]
    assert set(acme["categories"]) >= {"identity", "status"}
    assert "hours.summary" not in {
        c for d in report["disclosures"][:2] for c in d["categories"] if d["purpose"] == LV
    }
    for d in report["disclosures"]:
        body = await entry_bytes(client, d["index"])
        assert _verifies(scene, report, d["receipt"], body), d["index"]
    assert scene.check_receipt(report["audit_receipt"])

    # The refused attempt, and the report's own read recorded as dpo.audit with what it showed.
    assert [(r["reason"], r["recipient_org"]) for r in report["refusals"]] == [
        ("outside_organisation", scene.employer_b)
    ]
    audit = report["disclosures"][0]
    assert audit["index"] == report["audit_receipt"]["index"]
    assert (audit["purpose"], audit["recipient_org"]) == ("dpo.audit", "force")
    assert audit["lawful_basis"] == "legal_obligation"
    # Every category the DPO's oversight purpose covers (awards too); contact details are
    # categories only for a messaging provider (communication.notification), not for dpo.audit.
    oversight = vocabulary().purpose("dpo.audit")
    assert oversight is not None
    assert set(audit["categories"]) == set(oversight.categories)


async def test_csv_columns_line_up_under_one_header(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    (alex,) = scene.staff_a
    await _live_a_little(client, scene)
    await scene.as_user(client, scene.dpo)
    response = await client.get(f"/api/dpo/subjects/{alex.id}/report.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(header) == REPORT_CSV_COLUMNS
    assert rows and all(len(row) == len(header) for row in rows)
    named = [dict(zip(header, row, strict=True)) for row in rows]
    sections = {r["section"] for r in named}
    assert sections == {"report", "category", "held", "recipient", "disclosure", "refusal"}

    codes = {p.code for p in vocabulary().purposes}
    bases = {b.value for b in LawfulBasis}
    for r in named:
        if r["purpose"] and r["section"] in {"category", "disclosure"}:
            assert r["purpose"] in codes, r
            assert r["lawful_basis"] in bases, r
        if r["section"] != "held":
            # The person's name is a value held, never a basis, purpose or recipient.
            assert alex.display_name not in "".join(r.values()), r
    name_rows = [r for r in named if alex.display_name in r["value"]]
    assert [(r["section"], r["category"], r["field"]) for r in name_rows] == [
        ("held", "identity", "display_name")
    ]
    for r in (r for r in named if r["section"] == "category"):
        assert r["retention"] and r["retention_reason"] and r["source"], r
    disclosures = [r for r in named if r["section"] == "disclosure"]
    checkpoint = next(r["value"] for r in named if r["field"] == "checkpoint")
    assert checkpoint.startswith(scene.settings.ledger_origin)
    cp = open_checkpoint(checkpoint, scene.verifier(), scene.settings.ledger_origin)
    for r in disclosures:
        assert r["recipient_org"] in {scene.employer_a, "force"}
        assert r["recipient_name"] in {"Acme Logistics", "The force"}
        assert r["when"].startswith(str(TODAY.year)) or r["when"][:4].isdigit()
        leaf = base64.b64decode(r["leaf_hash"].lstrip("'"))
        path = [base64.b64decode(h.lstrip("'")) for h in r["inclusion_path"].split(";") if h]
        assert int(r["tree_size"]) == cp.size
        assert merkle.verify_inclusion(leaf, int(r["ledger_index"]), cp.size, path, cp.root_hash)
        body = await entry_bytes(client, int(r["ledger_index"]))
        assert merkle.leaf_hash(body) == leaf
    (refusal,) = [r for r in named if r["section"] == "refusal"]
    assert (refusal["value"], refusal["recipient_org"]) == (
        "outside_organisation",
        scene.employer_b,
    )
    held = {(r["category"], r["field"]) for r in named if r["section"] == "held"}
    assert {("contact", "contact_by_sms"), ("leave", "status"), ("objections", "outcome")} <= held
    assert {("accounts", "email"), ("messages", "kind"), ("duties", "hours")} <= held


async def test_page_shows_the_same_report(client: AsyncTestClient[Any], scene: Scene) -> None:
    (alex,) = scene.staff_a
    await _live_a_little(client, scene)
    await scene.as_user(client, scene.dpo)
    page = await client.get("/dpo/subjects", params={"volunteer": alex.subject})
    assert page.status_code == 200, page.text
    text = page.text
    for record in records_held().records:
        assert f'id="category-{record.code}"' in text
    for words in (
        alex.display_name,
        alex.email,
        "Acme Logistics",
        "busy week",
        "Legal obligation (UK GDPR Art. 6(1)(c))",
        "6 years after the person leaves",
        "duty management system (file imports and its integration)",
        "Outside the organisation",
        "Five years&#39; service",
    ):
        assert words in text, words
    assert "/static/dist/portal.css" in text


async def test_the_persons_erasure_requests_are_in_every_form_of_the_report_and_no_one_elses(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    """An erasure request is data about the person who made it (records.json
    ``erasure-requests``): the report lists theirs (received, due, status, the decision's ground)
    in JSON, CSV and on the page, and never another person's, nor which staff decided."""
    (alex,) = scene.staff_a
    bo = scene.staff_b[0]
    await scene.as_volunteer(client, alex)
    own = await client.post(
        "/api/volunteer/erasure-requests", json={"statement": "Please erase what you hold on me."}
    )
    assert own.status_code == 201, own.text
    await scene.as_user(client, scene.dpo)
    refused = await client.post(
        f"/api/dpo/erasure-requests/{own.json()['id']}/decide",
        json={
            "outcome": "refuse",
            "ground": "legal_claims",
            "explanation": "Your duty records back leave your employer gave, under a claim.",
        },
    )
    assert refused.status_code == 200, refused.text
    letter = await client.post(
        "/api/dpo/erasure-requests",
        json={"volunteer_id": alex.id, "statement": "Letter received at headquarters."},
    )
    assert letter.status_code == 201, letter.text
    other = await client.post(
        "/api/dpo/erasure-requests",
        json={"volunteer_id": bo.id, "statement": "Bo's own letter about a neighbour."},
    )
    assert other.status_code == 201, other.text

    report = (await client.get(f"/api/dpo/subjects/{alex.subject}/report")).json()
    (category,) = [c for c in report["categories"] if c["code"] == "erasure-requests"]
    assert category["retention"]["in_words"] == "2 years after the request is decided"
    assert "Information Commissioner" in category["retention"]["reason"]
    assert [p["code"] for p in category["purposes"]] == ["dpo.audit"]
    first, second = category["items"]
    assert first["id"] == own.json()["id"] and second["id"] == letter.json()["id"]
    assert (first["status"], first["ground"], first["made_by"]) == (
        "refused",
        "legal_claims",
        "volunteer",
    )
    assert first["ground_label"].endswith("(Article 17(3)(e))")
    assert first["received_on"] == TODAY.isoformat() and first["decided_at"]
    assert first["due_on"] == second["due_on"] == one_month_after(TODAY).isoformat()
    assert (second["status"], second["made_by"], second["decided_at"]) == ("pending", "dpo", None)
    assert second["statement"] == "Letter received at headquarters."
    for item in category["items"]:
        assert not {"volunteer", "recorded_by", "decided_by", "volunteer_id"} & set(item)
        assert scene.dpo.id not in item.values() and "Bo's" not in str(item.values())

    csv_text = (await client.get(f"/api/dpo/subjects/{alex.id}/report.csv")).text
    header, *rows = list(csv.reader(io.StringIO(csv_text)))
    named = [dict(zip(header, row, strict=True)) for row in rows]
    held = {
        (r["record_id"], r["field"]): r["value"]
        for r in named
        if (r["section"], r["category"]) == ("held", "erasure-requests")
    }
    assert held[(own.json()["id"], "status")] == "refused"
    assert held[(own.json()["id"], "ground")] == "legal_claims"
    assert held[(letter.json()["id"], "due_on")] == second["due_on"]
    assert {record for record, _ in held} == {own.json()["id"], letter.json()["id"]}
    (rule,) = [
        r for r in named if r["section"] == "category" and r["category"] == "erasure-requests"
    ]
    assert rule["retention"] == "2 years after the request is decided"
    assert other.json()["id"] not in csv_text and "neighbour" not in csv_text

    page = (await client.get("/dpo/subjects", params={"volunteer": alex.subject})).text
    assert 'id="category-erasure-requests"' in page
    for words in (
        "Erasure requests",
        own.json()["id"],
        letter.json()["id"],
        "legal_claims",
        "2 years after the request is decided",
    ):
        assert words in page, words
    assert other.json()["id"] not in page and "neighbour" not in page
