"""Withdrawal notices reach another police force as they reach an employer, tenant-isolated.

A volunteer consents to ``force.multi-force-application`` for Northshire Police, Northshire reads
their data under it, then the volunteer withdraws. Northshire is told exactly as an employer is
(UK GDPR Art. 19): a notice in its own API (``/api/police-force/notices``) and page
(``/police-force/notices``), an email to its users linking to that page, and the person named
(through the gate, ledgered) until the notice is acknowledged. Southshire Police, the partner and
an employer see none of it: an acknowledgement of Northshire's notice is a recorded refusal and a
404 for each of them. The real app is served on each database.
"""

from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient

from ledger.tables import LedgerEntry
from portal.messages.tables import OutboxMessage
from tests.recipients.test_recipient_api import FORCE_PEOPLE, MULTI, Kinds, scene
from tests.support.auth import in_app
from tests.support.disclosure_scene import NOTICE, problem, refusals

__all__ = ["scene"]  # the fixture, shared with the other recipient tests

FORCE_NOTICES = "/api/police-force/notices"


async def _consent_read_withdraw(client: AsyncTestClient[Any], scene: Kinds) -> dict[str, Any]:
    """The mover consents for force A, force A reads under it, the mover withdraws."""
    s = scene.scene
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
    await s.as_user(client, scene.force_a_user)
    read = await client.get(f"{FORCE_PEOPLE}/{scene.mover.id}", params={"purpose": MULTI})
    assert read.status_code == 200, read.text
    await s.as_user(client, scene.mover_user)
    withdrawn = await client.post(
        "/api/volunteer/consents/withdraw", json={"employer_id": scene.force_a, "purpose": MULTI}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    out = withdrawn.json()
    assert [n["employer_id"] for n in out["notices"]] == [scene.force_a]
    assert s.check_receipt(out["notices"][0]["receipt"])
    return out


async def _mail(client: AsyncTestClient[Any]) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        return await OutboxMessage.select(
            OutboxMessage.recipient, OutboxMessage.body_text, OutboxMessage.volunteer
        ).where(OutboxMessage.template == "withdrawal_notice")

    return await in_app(client, read)


async def _name_disclosures(client: AsyncTestClient[Any]) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        rows = await LedgerEntry.select(LedgerEntry.body).where(LedgerEntry.kind == "disclosure")
        bodies = [json.loads(bytes(r["body"])) for r in rows]
        return [b for b in bodies if b["lawful_basis"] == "legal_obligation"]

    return await in_app(client, read)


async def test_a_force_is_told_of_a_withdrawal_and_only_that_force(
    client: AsyncTestClient[Any], scene: Kinds
) -> None:
    s = scene.scene
    await _consent_read_withdraw(client, scene)

    mail = await _mail(client)
    assert [m["recipient"] for m in mail] == ["liaison@northshire.example"]
    assert "/police-force/notices" in mail[0]["body_text"]
    assert "/employer/notices" not in mail[0]["body_text"]
    assert scene.mover.display_name not in mail[0]["body_text"] and mail[0]["volunteer"] == ""

    await s.as_user(client, scene.force_a_user)
    pending = await client.get(FORCE_NOTICES, params={"pending": True})
    assert pending.status_code == 200, pending.text
    assert pending.json()["total"] == 1
    notice = pending.json()["items"][0]
    assert notice["volunteer_id"] == scene.mover.id and notice["purpose"] == MULTI
    assert notice["categories"] == ["application", "identity"]
    for other in ("/api/employer/notices", "/api/partner/notices"):  # not a force's routes
        problem(await client.get(other), 403)

    # Every other organisation, of every kind: nothing listed, acknowledging is a 404.
    ack_path = f"/notices/{notice['id']}/acknowledge"
    for user, api in (
        (scene.force_b_user, "/api/police-force"),
        (scene.partner_user, "/api/partner"),
        (s.hr_a, "/api/employer"),
    ):
        await s.as_user(client, user)
        listed = await client.get(f"{api}/notices")
        assert listed.status_code == 200 and listed.json()["total"] == 0, listed.text
        missing = await client.post(f"{api}{ack_path}")
        problem(missing, 404)
        assert scene.mover.display_name not in missing.text
    outside = [
        (r["recipient_org"], r["reason"])
        for r in await refusals(client)
        if r["reason"] == "outside_organisation"
    ]
    assert outside == [
        (scene.force_b, "outside_organisation"),
        (scene.partner, "outside_organisation"),
        (s.employer_a, "outside_organisation"),
    ]

    await s.as_user(client, scene.force_a_user)
    ack = await client.post(f"/api/police-force{ack_path}")
    assert ack.status_code == 200, ack.text
    assert ack.json()["notice"]["acknowledged_by"] == scene.force_a_user.id
    assert s.check_receipt(ack.json()["receipt"])
    problem(await client.post(f"/api/police-force{ack_path}"), 409)
    after = await client.get(FORCE_NOTICES, params={"pending": True})
    assert after.json()["total"] == 0

    # The volunteer sees on their sharing page that the force acknowledged it.
    await s.as_user(client, scene.mover_user)
    page = await client.get("/volunteer/sharing")
    assert page.status_code == 200, page.text
    assert "Notices to Northshire Police to stop using your data" in page.text
    assert "<strong>acknowledged " in page.text and "not acknowledged yet" not in page.text


async def test_the_force_notices_page_names_the_person_only_for_that_force(
    client: AsyncTestClient[Any], scene: Kinds
) -> None:
    s = scene.scene
    await _consent_read_withdraw(client, scene)

    await s.as_user(client, scene.force_b_user)
    other = await client.get("/police-force/notices")
    assert other.status_code == 200, other.text
    assert "There are no withdrawal notices." in other.text
    assert scene.mover.display_name not in other.text
    assert await _name_disclosures(client) == []

    await s.as_user(client, scene.force_a_user)
    page = await client.get("/police-force/notices")
    assert page.status_code == 200, page.text
    assert f"{scene.mover.display_name} withdrew consent" in page.text
    assert "a Special Constable or applicant the force shared with you" in page.text
    assert 'action="/police-force/notices/' in page.text
    assert 'href="/police-force/notices"' in page.text  # in the force user's navigation
    named = await _name_disclosures(client)
    assert [(e["recipient_org"], e["subject"], e["categories"]) for e in named] == [
        (scene.force_a, scene.mover.subject, ["identity"])
    ]

    await s.as_user(client, scene.partner_user)
    partner = await client.get("/partner/notices")
    assert partner.status_code == 200 and "There are no withdrawal notices." in partner.text
    assert scene.mover.display_name not in partner.text
    assert (await client.get("/police-force/notices")).status_code == 403
