"""Another police force's and a partner's users over HTTP: their routes, tenant isolation across
kinds, consent to a force's purpose, and the coordinator's records for each kind.

The real app is served on each database; users sign in through /api/auth/login.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role
from portal.organisations.tables import OrganisationKind
from portal.settings import Settings
from tests.support import disclosure_world as world
from tests.support.auth import TestUser, create_user, fields_named
from tests.support.disclosure_scene import (
    NOTICE,
    PM,
    Scene,
    build_scene,
    disclosure_entries,
    problem,
    refusals,
)

TRANSFER = "force.service-transfer"
MULTI = "force.multi-force-application"
PROCESSING = "partner.application-processing"
FORCE_PEOPLE = "/api/police-force/people"
APPLICANTS = "/api/partner/applicants"


@dataclass
class Kinds:
    scene: Scene
    force_a: str
    force_b: str
    partner: str
    mover: world.Person  # transferring to force A, and applied there (the link says both)
    applicant: world.Person  # application processed by the partner
    force_a_user: TestUser
    force_b_user: TestUser
    partner_user: TestUser
    mover_user: TestUser


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Kinds:
    base = await build_scene(settings, ledger)
    force_a = await world.organisation("Northshire Police", OrganisationKind.POLICE_FORCE)
    force_b = await world.organisation("Southshire Police", OrganisationKind.POLICE_FORCE)
    partner = await world.organisation("Assessment Centre Ltd", OrganisationKind.PARTNER)
    for force in (force_a, force_b):
        await world.agreement(
            ledger, force, {TRANSFER: ["identity", "status"], MULTI: ["identity", "application"]}
        )
    await world.agreement(ledger, partner, {PROCESSING: ["identity", "status", "application"]})
    mover = await world.volunteer("Morgan Mover")
    await world.employ(mover, force_a, reasons=(TRANSFER, MULTI))
    applicant = await world.volunteer("Ari Applicant", status="applicant")
    await world.employ(applicant, partner, reasons=(PROCESSING,))
    return Kinds(
        scene=base,
        force_a=force_a,
        force_b=force_b,
        partner=partner,
        mover=mover,
        applicant=applicant,
        force_a_user=await create_user(
            settings, "liaison@northshire.example", Role.POLICE_FORCE, organisation_id=force_a
        ),
        force_b_user=await create_user(
            settings, "liaison@southshire.example", Role.POLICE_FORCE, organisation_id=force_b
        ),
        partner_user=await create_user(
            settings, "assessor@centre.example", Role.PARTNER, organisation_id=partner
        ),
        mover_user=await create_user(settings, mover.email, Role.VOLUNTEER, volunteer_id=mover.id),
    )


async def test_a_force_user_reads_only_people_linked_to_their_force(
    client: AsyncTestClient[Any], scene: Kinds
) -> None:
    s = scene.scene
    await s.as_user(client, scene.force_a_user)
    listed = await client.get(FORCE_PEOPLE, params={"purpose": TRANSFER})
    assert listed.status_code == 200, listed.text
    assert [i["volunteer_id"] for i in listed.json()["items"]] == [scene.mover.id]
    one = await client.get(f"{FORCE_PEOPLE}/{scene.mover.id}", params={"purpose": TRANSFER})
    assert one.status_code == 200, one.text
    assert one.json()["data"] == {"display_name": "Morgan Mover", "status": "active"}
    assert s.check_receipt(one.json()["receipt"])
    # An employer's staff member, the partner's applicant: 404, recorded as outside.
    for other in (s.staff_a[0], scene.applicant):
        missing = await client.get(f"{FORCE_PEOPLE}/{other.id}", params={"purpose": TRANSFER})
        problem(missing, 404)
        assert other.display_name not in missing.text
    # An employer's purpose is not a force's: 422 naming the field, recorded.
    wrong = await client.get(FORCE_PEOPLE, params={"purpose": PM})
    assert wrong.status_code == 422 and fields_named(wrong) == {"purpose"}
    # Other kinds' routes are closed to a force user.
    for path in ("/api/employer/staff", APPLICANTS):
        problem(await client.get(path, params={"purpose": TRANSFER}), 403)

    await s.as_user(client, scene.force_b_user)  # another force sees nothing of force A's
    other_force = await client.get(FORCE_PEOPLE, params={"purpose": TRANSFER})
    assert other_force.status_code == 200 and other_force.json()["items"] == []
    problem(await client.get(f"{FORCE_PEOPLE}/{scene.mover.id}", params={"purpose": TRANSFER}), 404)

    reasons = [(r["recipient_org"], r["reason"]) for r in await refusals(client)]
    assert reasons == [
        (scene.force_a, "outside_organisation"),
        (scene.force_a, "outside_organisation"),
        (scene.force_a, "purpose_not_for_recipient"),
        (scene.force_b, "outside_organisation"),
    ]
    entries = await disclosure_entries(client)
    assert [(e["recipient_org"], e["purpose"], e["subject"]) for e in entries] == [
        (scene.force_a, TRANSFER, scene.mover.subject),
        (scene.force_a, TRANSFER, scene.mover.subject),
    ]


async def test_a_partner_user_reads_only_the_applicants_it_processes(
    client: AsyncTestClient[Any], scene: Kinds
) -> None:
    s = scene.scene
    await s.as_user(client, scene.partner_user)
    listed = await client.get(APPLICANTS, params={"purpose": PROCESSING})
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["volunteer_id"] for i in items] == [scene.applicant.id]
    assert items[0]["data"]["application_stage"] == "application_in_progress"
    assert items[0]["categories"] == ["application", "identity", "status"]
    for other in (scene.mover, s.staff_a[0], s.staff_b[0]):
        problem(await client.get(f"{APPLICANTS}/{other.id}", params={"purpose": PROCESSING}), 404)
    problem(await client.get(FORCE_PEOPLE, params={"purpose": TRANSFER}), 403)
    wrong = await client.get(APPLICANTS, params={"purpose": TRANSFER})
    assert wrong.status_code == 422 and fields_named(wrong) == {"purpose"}

    # An employer user reaches none of these routes, nor the partner's applicant.
    await s.as_user(client, s.hr_a)
    problem(await client.get(APPLICANTS, params={"purpose": PROCESSING}), 403)
    problem(await client.get(FORCE_PEOPLE, params={"purpose": TRANSFER}), 403)
    problem(
        await client.get(f"/api/employer/staff/{scene.applicant.id}", params={"purpose": PM}), 404
    )
    entries = await disclosure_entries(client)
    assert [(e["recipient_org"], e["subject"]) for e in entries] == [
        (scene.partner, scene.applicant.subject)
    ]
    assert entries[0]["lawful_basis"] == "public_task"


async def test_a_volunteer_consents_to_a_force_and_sees_the_disclosure_with_its_kind(
    client: AsyncTestClient[Any], scene: Kinds
) -> None:
    s = scene.scene
    await s.as_user(client, scene.force_a_user)
    before = await client.get(f"{FORCE_PEOPLE}/{scene.mover.id}", params={"purpose": MULTI})
    problem(before, 404)  # no consent yet
    await s.as_user(client, scene.mover_user)
    given = await client.post(
        "/api/volunteer/consents",
        json={
            "employer_id": scene.force_a,
            "purpose": MULTI,
            "categories": ["identity", "application"],
            "notice_version": NOTICE,
        },
    )
    assert given.status_code == 201, given.text
    elsewhere = await client.post(  # not linked to force B
        "/api/volunteer/consents",
        json={
            "employer_id": scene.force_b,
            "purpose": MULTI,
            "categories": ["identity"],
            "notice_version": NOTICE,
        },
    )
    assert elsewhere.status_code == 422 and fields_named(elsewhere) == {"employer_id"}
    await s.as_user(client, scene.force_a_user)
    after = await client.get(f"{FORCE_PEOPLE}/{scene.mover.id}", params={"purpose": MULTI})
    assert after.status_code == 200, after.text
    assert after.json()["categories"] == ["application", "identity"]
    assert [r["reason"] for r in await refusals(client)] == ["no_consent"]

    await s.as_user(client, scene.mover_user)
    mine = (await client.get("/api/volunteer/disclosures")).json()["items"]
    assert [(d["recipient_org_name"], d["recipient_kind"], d["purpose"]) for d in mine] == [
        ("Northshire Police", "police_force", MULTI)
    ]


async def test_the_coordinator_records_a_force_a_partner_their_agreements_links_and_users(
    client: AsyncTestClient[Any], scene: Kinds
) -> None:
    s = scene.scene
    await s.as_user(client, s.coordinator)
    made = await client.post(
        "/api/coordinator/employers", json={"name": "Eastshire Police", "kind": "police_force"}
    )
    assert made.status_code == 201, made.text
    force = made.json()
    assert force["kind"] == "police_force"
    bad_kind = await client.post(
        "/api/coordinator/employers", json={"name": "Relay Ltd", "kind": "provider"}
    )
    assert bad_kind.status_code in (400, 422) and fields_named(bad_kind) == {"kind"}
    listed = await client.get("/api/coordinator/employers", params={"kind": "police_force"})
    assert {o["name"] for o in listed.json()["items"]} == {
        "Eastshire Police",
        "Northshire Police",
        "Southshire Police",
    }
    employers = await client.get("/api/coordinator/employers")
    assert "Eastshire Police" not in {o["name"] for o in employers.json()["items"]}

    today = dt.date.today()
    body = {
        "employer_id": force["id"],
        "version": 1,
        "starts_on": str(today - dt.timedelta(days=1)),
        "ends_on": str(today + dt.timedelta(days=300)),
        "signed_by": "Chief Constable, Eastshire",
    }
    wrong = await client.post(
        "/api/coordinator/agreements", json={**body, "purposes": {PM: ["identity"]}}
    )
    assert wrong.status_code == 422 and fields_named(wrong) == {f"purposes.{PM}"}
    assert "police force" in wrong.json()["errors"][0]["message"]
    agreed = await client.post(
        "/api/coordinator/agreements", json={**body, "purposes": {TRANSFER: ["identity"]}}
    )
    assert agreed.status_code == 201, agreed.text
    agreement = agreed.json()["agreement"]
    assert agreement["agreement_kind"] == "information_sharing_agreement"
    assert agreement["organisation_kind"] == "police_force"
    assert s.check_receipt(agreed.json()["receipt"])

    link = {"volunteer_id": s.staff_b[1].id, "employer_id": force["id"], "starts_on": str(today)}
    # A link to a force records what it is for: a purpose of a force, named.
    for reasons, words in (
        (None, "say what the link is for"),
        ([], "say what the link is for"),
        ([PROCESSING], "not a purpose for a police force"),
        ([TRANSFER, PM], "not a purpose for a police force"),
    ):
        refused = await client.post(
            "/api/coordinator/employments",
            json=link if reasons is None else {**link, "reasons": reasons},
        )
        assert refused.status_code == 422 and fields_named(refused) == {"reasons"}, refused.text
        assert words in refused.json()["errors"][0]["message"]
    linked = await client.post(
        "/api/coordinator/employments", json={**link, "reasons": [TRANSFER, TRANSFER]}
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["reasons"] == [TRANSFER]
    job = await client.post(  # a job with an employer is its own reason
        "/api/coordinator/employments",
        json={**link, "employer_id": s.employer_b, "reasons": [PM]},
    )
    assert job.status_code == 422 and fields_named(job) == {"reasons"}

    user = await client.post(
        "/api/coordinator/users",
        json={
            "email": "liaison@eastshire.example",
            "role": "police_force",
            "employer_id": force["id"],
        },
    )
    assert user.status_code == 201, user.text
    assert user.json()["role"] == "police_force"
    mismatched = await client.post(
        "/api/coordinator/users",
        json={"email": "x@eastshire.example", "role": "partner", "employer_id": force["id"]},
    )
    assert mismatched.status_code == 422 and fields_named(mismatched) == {"employer_id"}
    assert "partner" in mismatched.json()["errors"][0]["message"]


async def test_the_dpo_searches_the_ledger_by_kind_of_recipient(
    client: AsyncTestClient[Any], scene: Kinds
) -> None:
    s = scene.scene
    await s.as_user(client, scene.force_a_user)
    assert (await client.get(FORCE_PEOPLE, params={"purpose": TRANSFER})).status_code == 200
    await s.as_user(client, scene.partner_user)
    assert (await client.get(APPLICANTS, params={"purpose": PROCESSING})).status_code == 200
    await s.as_user(client, s.hr_a)
    assert (await client.get("/api/employer/staff", params={"purpose": PM})).status_code == 200

    await s.as_user(client, s.dpo)

    async def recipients(kind: str) -> list[tuple[str, str]]:
        found = await client.get(
            "/api/dpo/ledger", params={"recipient_kind": kind, "kind": "disclosure"}
        )
        assert found.status_code == 200, found.text
        return [(e["recipient_org"], e["subject"]) for e in found.json()["items"]]

    assert await recipients("police_force") == [(scene.force_a, scene.mover.subject)]
    assert await recipients("partner") == [(scene.partner, scene.applicant.subject)]
    employer_entries = await recipients("employer")
    assert employer_entries and {org for org, _ in employer_entries} == {s.employer_a}
    assert await recipients("provider") == []
    exported = await client.get(
        "/api/dpo/ledger/export", params={"recipient_kind": "partner", "format": "jsonl"}
    )
    assert exported.status_code == 200
    lines = [line for line in exported.text.splitlines() if line]
    assert len(lines) == 2  # the processing contract recorded, then the disclosure
    assert {'"recipient_org":"' + scene.partner + '"' in line for line in lines} == {True}
    bad = await client.get("/api/dpo/ledger", params={"recipient_kind": "bank"})
    assert bad.status_code == 400 and "recipient_kind" in bad.text


async def test_the_dpo_ledger_page_filters_by_kind_of_recipient(
    client: AsyncTestClient[Any], scene: Kinds
) -> None:
    s = scene.scene
    await s.as_user(client, scene.partner_user)
    assert (await client.get(APPLICANTS, params={"purpose": PROCESSING})).status_code == 200
    await s.as_user(client, s.dpo)
    page = await client.get("/dpo/ledger", params={"recipient_kind": "partner"})
    assert page.status_code == 200, page.text
    assert page.text.count("Assessment Centre Ltd</td>") == 2  # the contract, the disclosure
    assert "Acme Logistics</td>" not in page.text and "Northshire Police</td>" not in page.text
    assert '<option value="police_force">Another police force</option>' in page.text
    wrong = await client.get("/dpo/ledger", params={"recipient_kind": "bank"})
    assert wrong.status_code == 400
    assert "Choose a kind of recipient from the list" in wrong.text


async def test_the_dpo_reports_one_persons_disclosures_by_kind_of_recipient(
    client: AsyncTestClient[Any], scene: Kinds
) -> None:
    s = scene.scene
    await s.as_user(client, scene.force_a_user)
    read = await client.get(f"{FORCE_PEOPLE}/{scene.mover.id}", params={"purpose": TRANSFER})
    assert read.status_code == 200, read.text
    await s.as_user(client, s.dpo)
    report_url = f"/api/dpo/subjects/{scene.mover.id}/report"

    everything = await client.get(report_url)
    assert everything.status_code == 200, everything.text
    kinds = {d["recipient_kind"] for d in everything.json()["disclosures"]}
    assert kinds == {"police_force", "force"}  # the force read, and the DPO's own looks

    forces = (await client.get(report_url, params={"recipient_kind": "police_force"})).json()
    assert forces["recipient_kind"] == "police_force"
    assert [(d["recipient_org"], d["purpose"]) for d in forces["disclosures"]] == [
        (scene.force_a, TRANSFER)
    ]
    assert [(r["recipient_org"], r["recipient_kind"]) for r in forces["recipients"]] == [
        (scene.force_a, "police_force")
    ]
    partners = (await client.get(report_url, params={"recipient_kind": "partner"})).json()
    assert partners["disclosures"] == [] and partners["recipients"] == []

    bad = await client.get(report_url, params={"recipient_kind": "neighbour"})
    assert bad.status_code == 400 and "recipient_kind" in bad.text

    as_csv = await client.get(f"{report_url}.csv", params={"recipient_kind": "police_force"})
    assert as_csv.status_code == 200
    lines = [line.split(",") for line in as_csv.text.splitlines()]
    at = lines[0].index("recipient_kind")
    shown = {line[at] for line in lines[1:] if line[0] in ("recipient", "disclosure")}
    assert shown == {"police_force"}
