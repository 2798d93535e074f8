"""The contact log's data on both databases: bodies kept only as long as the setting says (a
moved clock), the coordinator's call list, the DPO's counts, the daily digest, and the
withdrawal notice email to the employer's contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ledger import Ledger
from ledger.kinds import DisclosureDetails, DisclosureDraft
from portal.accounts.roles import Role
from portal.auth.identity import Identity
from portal.clock import local_date, utcnow
from portal.consent.schemas import ConsentGive, ConsentWithdraw
from portal.consent.services import ConsentService
from portal.contact.digest import enqueue_digests
from portal.contact.log import calls_to_make, dpo_summary, mark_called, volunteer_log
from portal.errors import Conflict, NotFound
from portal.hours import leave
from portal.messages.disclosing import gated_transport
from portal.messages.retention import purge_bodies
from portal.messages.tables import OutboxMessage
from portal.messages.worker import claim_due, run_once
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from portal.vocabulary import notices
from tests.messages import messages_world as mw


async def _decided(settings: Settings, ledger: Ledger, **prefs: bool) -> mw.World:
    world = await mw.build(settings, ledger, **prefs)
    request_id = await mw.ask_for_leave(world)
    await leave.approve_request(world.gate, world.hr_recipient(), request_id, "", "r", settings)
    return world


async def test_bodies_are_kept_as_long_as_the_setting_says(
    engine: Any, settings: Settings, ledger: Ledger
) -> None:
    world = await _decided(settings, ledger, email=True, sms=False, phone=False)
    await run_once(settings, gated_transport(settings, world.gate))
    assert settings.messages_body_retention_days == 30
    now = utcnow()
    assert await purge_bodies(settings, now) == 0
    assert await purge_bodies(settings, now + dt.timedelta(days=29)) == 0
    [mine] = await volunteer_log(world.person.id)
    assert "approved" in mine.body and mine.status == "sent"
    assert mine.provider == "ESP Portal message folder (demo file transport)"

    # the volunteer and the HR account (the desk's recorded address is only a fallback)
    assert await purge_bodies(settings, now + dt.timedelta(days=31)) == 2
    rows = await OutboxMessage.select(
        OutboxMessage.body_text,
        OutboxMessage.body_html,
        OutboxMessage.recipient,
        OutboxMessage.subject,
        OutboxMessage.status,
        OutboxMessage.purged_at,
    )
    assert {(r["body_text"], r["body_html"], r["recipient"]) for r in rows} == {("", "", "")}
    assert all(r["subject"] and r["status"] == "sent" and r["purged_at"] for r in rows)
    assert await purge_bodies(settings, now + dt.timedelta(days=32)) == 0  # once
    [mine] = await volunteer_log(world.person.id)
    assert mine.body == "" and mine.ledger_index is not None  # the record stays


async def test_a_pending_message_is_never_purged(
    engine: Any, settings: Settings, ledger: Ledger
) -> None:
    await _decided(settings, ledger, email=True, sms=False, phone=False)
    assert await purge_bodies(settings, utcnow() + dt.timedelta(days=400)) == 0


async def test_calls_wait_for_the_coordinator_and_are_never_sent(
    engine: Any, settings: Settings, ledger: Ledger
) -> None:
    world = await _decided(settings, ledger, email=False, sms=False, phone=True)
    assert [r["template"] for r in await claim_due(settings)] == ["leave_requested"]  # to HR
    [call] = await calls_to_make()
    assert (call.name, call.phone, call.volunteer_id) == (mw.NAME, mw.PHONE, world.person.id)
    assert call.why.startswith("Tell them their employer has approved their ESP leave request")
    await mark_called(call.id, "coordinator-1")
    assert await calls_to_make() == []
    with pytest.raises(Conflict):
        await mark_called(call.id, "coordinator-1")
    with pytest.raises(NotFound):
        await mark_called("not-an-id", "coordinator-1")
    [logged] = await volunteer_log(world.person.id)
    assert (logged.channel_label, logged.status_label) == ("Phone call", "Called")


async def test_the_dpo_sees_counts_and_failures_without_addresses(
    engine: Any, settings: Settings, ledger: Ledger
) -> None:
    world = await _decided(settings, ledger, email=True, sms=True, phone=False)
    await Volunteer.update({Volunteer.contact_by_sms: False}).where(Volunteer.id == world.person.id)
    await run_once(settings, gated_transport(settings, world.gate))
    summary = await dpo_summary(30)
    assert summary.total == 3
    assert ("leave_decided", "sms", "refused", 1) in summary.counts
    assert ("leave_requested", "email", "sent", 1) in summary.counts
    [failure] = summary.failures
    assert (failure.kind, failure.status, failure.error) == (
        "leave_decided",
        "refused",
        "refused: channel_not_chosen",
    )
    assert mw.PHONE not in repr(summary) and world.email not in repr(summary)


async def test_the_daily_digest_counts_disclosures_for_those_who_asked_once_a_day(
    engine: Any, settings: Settings, ledger: Ledger
) -> None:
    world = await mw.build(settings, ledger, email=True, sms=True, phone=True)
    quiet = await mw.build(settings, ledger)
    drafts = [
        DisclosureDraft(
            purpose="esp.leave-verification",
            lawful_basis="consent",
            subject=person.subject,
            recipient_org=world.employer,
            categories=("hours.summary",),
            channel="api",
            details=DisclosureDetails(fields=("hours_summary",)),
        )
        for person in (world.person, world.person, quiet.person)
    ]
    drafts.append(drafts[0].model_copy(update={"purpose": "communication.notification"}))
    await ledger.append(drafts)
    today = local_date(utcnow())
    assert await enqueue_digests(settings, today) == 0  # nobody asked
    await Volunteer.update({Volunteer.disclosure_digest: True}).where(
        Volunteer.id == world.person.id
    )
    assert await enqueue_digests(settings, today) == 2  # email and text, not phone
    assert await enqueue_digests(settings, today) == 2  # idempotent: still two rows
    rows = await OutboxMessage.select().where(OutboxMessage.template == "disclosure_digest")
    assert {r["channel"] for r in rows} == {"email", "sms"}
    assert {r["volunteer"] for r in rows} == {world.person.id}
    email = next(r for r in rows if r["channel"] == "email")
    assert "shared 2 times" in email["subject"]  # the message's own disclosure not counted
    assert "with 1 organisation" in email["body_text"] and mw.NAME not in email["body_text"]
    assert await enqueue_digests(settings, today - dt.timedelta(days=1)) == 0  # nothing then


async def test_a_withdrawal_notice_emails_the_employer_contacts_in_its_transaction(
    engine: Any, settings: Settings, ledger: Ledger
) -> None:
    world = await mw.build(settings, ledger, consent=False)
    identity = Identity(
        user_id=world.volunteer_user.id,
        role=Role.VOLUNTEER,
        via="session",
        volunteer_id=world.person.id,
    )
    service = ConsentService(ledger, settings=settings)
    await service.give(
        identity,
        ConsentGive.model_validate(
            {
                "employer_id": world.employer,
                "purpose": "esp.leave-verification",
                "categories": ["identity", "status"],
                "notice_version": notices().current().version,
            }
        ),
        request_id="give",
        channel="web",
    )
    # the employer received data under the consent, so the withdrawal issues a notice
    await world.gate.disclose_one(
        world.hr_recipient(), "esp.leave-verification", world.person.id, request_id="read"
    )
    done = await service.withdraw(
        identity,
        ConsentWithdraw.model_validate(
            {"employer_id": world.employer, "purpose": "esp.leave-verification"}
        ),
        request_id="withdraw",
        channel="web",
    )
    assert done.notices
    rows = await OutboxMessage.select(
        OutboxMessage.recipient,
        OutboxMessage.subject,
        OutboxMessage.body_text,
        OutboxMessage.volunteer,
    ).where(OutboxMessage.template == "withdrawal_notice")
    # the employer's active account; its recorded desk address is only a fallback
    assert [r["recipient"] for r in rows] == [world.hr.email]
    for row in rows:
        assert row["volunteer"] == ""
        assert row["subject"] == "A volunteer has withdrawn consent: please acknowledge"
        assert "/employer/notices" in row["body_text"] and mw.NAME not in row["body_text"]
