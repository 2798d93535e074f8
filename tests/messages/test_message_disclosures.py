"""Each message to a volunteer is a disclosure: gated and ledgered when it is sent, on both
databases, with a real SMTP server (aiosmtpd), the real worker, the real gate and real receipts."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import Ledger
from ledger.tables import LedgerEntry
from portal.disclosure.contact import provider_id
from portal.disclosure.tables import DisclosureRefusal
from portal.hours import leave
from portal.messages.disclosing import GatedTransport, gated_transport
from portal.messages.outbox import enqueue
from portal.messages.tables import OutboxMessage
from portal.messages.transports import SmtpTransport, provider_name
from portal.messages.worker import run_once
from portal.organisations.tables import Organisation, Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings
from tests.messages import messages_world as mw
from tests.support.smtp_server import SmtpServer, running_smtp_server

NOTIFICATION = "communication.notification"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    folder = tmp_path / "smtp"
    folder.mkdir()
    yield from running_smtp_server(folder)


async def _notifications() -> list[dict[str, Any]]:
    return list(
        await LedgerEntry.select(
            LedgerEntry.idx,
            LedgerEntry.subject,
            LedgerEntry.recipient_org,
            LedgerEntry.purpose,
            LedgerEntry.body,
        )
        .where(LedgerEntry.purpose == NOTIFICATION)
        .order_by(LedgerEntry.idx)
    )


async def test_leave_messages_reach_a_real_smtp_server_and_the_address_is_ledgered_first(
    engine: Any, database: TestDatabase, tmp_path: Path, smtp: SmtpServer, ledger: Ledger
) -> None:
    settings = make_settings(database, tmp_path / "data", **smtp.settings())
    world = await mw.build(settings, ledger)
    request_id = await mw.ask_for_leave(world)

    # Leave requested: the employer's contacts (its HR account: the leave desk's recorded
    # address is only a fallback for an employer with no account), by email.
    asked = await OutboxMessage.select(
        OutboxMessage.recipient, OutboxMessage.volunteer, OutboxMessage.channel
    ).where(OutboxMessage.template == "leave_requested")
    assert [r["recipient"] for r in asked] == [world.hr.email]
    assert {(r["volunteer"], r["channel"]) for r in asked} == {("", "email")}

    await leave.approve_request(
        world.gate, world.hr_recipient(), request_id, "enjoy", "req-approve", settings
    )
    decided = {
        r["channel"]: r
        for r in await OutboxMessage.select().where(OutboxMessage.template == "leave_decided")
    }
    # By each channel the volunteer chose; their address is not in the outbox.
    assert set(decided) == {"email", "sms", "phone"}
    assert {r["volunteer"] for r in decided.values()} == {world.person.id}
    assert {r["recipient"] for r in decided.values()} == {""}
    assert decided["phone"]["status"] == "to_call"

    transport = gated_transport(settings, world.gate)
    assert isinstance(transport, GatedTransport) and isinstance(transport.inner, SmtpTransport)
    before = await ledger.size()
    assert await run_once(settings, transport) == 3  # one to the employer, email and text
    statuses = {
        (r["template"], r["channel"]): r["status"]
        for r in await OutboxMessage.select(
            OutboxMessage.template, OutboxMessage.channel, OutboxMessage.status
        )
    }
    assert statuses == {
        ("leave_requested", "email"): "sent",
        ("leave_decided", "email"): "sent",
        # SMTP carries no texts: refused before the gate, so nothing was disclosed for it
        ("leave_decided", "sms"): "failed",
        ("leave_decided", "phone"): "to_call",
    }

    received = {
        tuple(env[1]): mail
        for env, mail in zip(smtp.mailbox.envelopes, smtp.mailbox.messages, strict=True)
    }
    assert set(received) == {(world.hr.email,), (world.email,)}
    mail = received[(world.hr.email,)]
    assert mail["Subject"] == "A new ESP leave request is waiting for you"
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert mw.NAME not in body and world.email not in body and mw.PHONE not in body
        assert "From ESP Portal" in body and "change how we contact you" in body
        assert "/employer/leave" in body
    mine = received[(world.email,)]
    assert mine["Subject"] == "Your ESP leave request has been approved"
    assert "/volunteer/contact" in mine.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]

    # One disclosure: the volunteer's email address, to the relay, ledgered before sending.
    [entry] = await _notifications()
    relay = provider_name(settings)
    assert relay == "Email relay 127.0.0.1"
    assert entry["subject"] == world.person.subject
    assert entry["recipient_org"] == provider_id(relay)
    body = bytes(entry["body"]).decode()
    assert '"categories":["contact.email"]' in body and '"lawful_basis":"public_task"' in body
    assert '"fields":["email_address"]' in body and world.email not in body
    assert entry["idx"] >= before
    [org] = await Organisation.select(Organisation.name, Organisation.kind).where(
        Organisation.id == entry["recipient_org"]
    )
    assert org == {"name": relay, "kind": "provider"}
    sent = decided["email"]["id"]
    row = (
        await OutboxMessage.select(OutboxMessage.ledger_index, OutboxMessage.provider)
        .where(OutboxMessage.id == sent)
        .first()
    )
    assert row == {"ledger_index": entry["idx"], "provider": provider_id(relay)}


async def test_a_channel_the_volunteer_did_not_choose_is_refused_recorded_and_not_sent(
    engine: Any, settings: Settings, ledger: Ledger
) -> None:
    world = await mw.build(settings, ledger, email=True, sms=True, phone=False)
    request_id = await mw.ask_for_leave(world)
    await leave.decline_request(
        world.gate, world.hr_recipient(), request_id, "busy week", "req-decline", settings
    )
    # The volunteer changes their mind before the worker runs: no more texts.
    await Volunteer.update({Volunteer.contact_by_sms: False}).where(Volunteer.id == world.person.id)
    transport = gated_transport(settings, world.gate)
    await run_once(settings, transport)
    rows = {
        r["channel"]: r
        for r in await OutboxMessage.select().where(OutboxMessage.template == "leave_decided")
    }
    assert set(rows) == {"email", "sms"}  # phone was not chosen: no call on the list
    assert rows["email"]["status"] == "sent"
    assert (rows["sms"]["status"], rows["sms"]["ledger_index"]) == ("refused", None)
    assert rows["sms"]["last_error"] == "refused: channel_not_chosen"
    refusals = await DisclosureRefusal.select(
        DisclosureRefusal.reason, DisclosureRefusal.subject, DisclosureRefusal.categories
    ).where(DisclosureRefusal.purpose == NOTIFICATION)
    assert [(r["reason"], r["subject"]) for r in refusals] == [
        ("channel_not_chosen", world.person.subject)
    ]
    [entry] = await _notifications()  # only the email's address left the server
    assert '"categories":["contact.email"]' in bytes(entry["body"]).decode()
    files = list(settings.outbox_files_dir.glob("*"))
    assert [f.suffix for f in files if f.name.endswith(".sms.txt")] == []
    assert sum(1 for f in files if f.suffix == ".eml") == 2  # HR, the volunteer


async def test_account_security_email_is_sent_whatever_the_preferences_and_still_ledgered(
    engine: Any, settings: Settings, ledger: Ledger
) -> None:
    world = await mw.build(settings, ledger, email=False, sms=False, phone=False)
    from portal.accounts.recovery import PasswordRecovery

    await PasswordRecovery(settings).request_reset(world.volunteer_user.email)
    # a leave decision by email, which the volunteer did not choose, is not even written
    request_id = await mw.ask_for_leave(world)
    await leave.approve_request(world.gate, world.hr_recipient(), request_id, "", "r", settings)
    assert await OutboxMessage.count().where(OutboxMessage.template == "leave_decided") == 0

    await run_once(settings, gated_transport(settings, world.gate))
    [reset] = await OutboxMessage.select().where(OutboxMessage.template == "password_reset")
    assert reset["status"] == "sent" and reset["security"] is True
    # the link does not stay in the outbox once it is sent (it is in the delivered email)
    assert (reset["body_text"], reset["body_html"]) == ("", "")
    assert reset["purged_at"] is not None
    [entry] = await _notifications()
    assert entry["idx"] == reset["ledger_index"] and entry["subject"] == world.person.subject
    [eml] = [
        f
        for f in settings.outbox_files_dir.glob("*.eml")
        if world.volunteer_user.email in f.read_text()
    ]
    parsed = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert "/activate?token=" in parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_message_to_a_volunteer_is_never_sent_without_the_gate(
    engine: Any, settings: Settings, ledger: Ledger
) -> None:
    world = await mw.build(settings, ledger)
    async with engine.transaction():
        await enqueue(
            settings,
            kind="leave_decided",
            channel="email",
            volunteer_id=world.person.id,
            idempotency_key="no-gate",
            context={"decision": "approved", "link": "x"},
        )
    from portal.messages.transports import transport_for

    await run_once(settings, transport_for(settings))  # a bare transport: not sent
    row = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.last_error).first()
    assert row == {
        "status": "pending",
        "last_error": "a message to a volunteer is sent only through the gate",
    }
    assert await _notifications() == []
    assert not list(settings.outbox_files_dir.glob("*"))


async def test_nothing_is_sent_when_the_disclosure_cannot_be_ledgered(
    engine: Any, settings: Settings, ledger: Ledger, database: TestDatabase, owner_sql: Any
) -> None:
    world = await mw.build(settings, ledger, email=True, sms=False, phone=False)
    request_id = await mw.ask_for_leave(world)
    await leave.decline_request(world.gate, world.hr_recipient(), request_id, "", "r", settings)
    if database.kind == "sqlite":
        await owner_sql(
            "CREATE TRIGGER broken BEFORE INSERT ON ledger_entry "
            "BEGIN SELECT RAISE(ABORT, 'x'); END"
        )
    else:
        await owner_sql("REVOKE INSERT ON ledger_entry FROM esp_portal_app")
    await run_once(settings, gated_transport(settings, world.gate))
    [row] = await OutboxMessage.select().where(OutboxMessage.template == "leave_decided")
    assert (row["status"], row["ledger_index"], row["provider"]) == ("pending", None, "")
    assert row["last_error"].startswith("disclosure not recorded")
    volunteer_files = [
        f for f in settings.outbox_files_dir.glob("*.eml") if world.email in f.read_text()
    ]
    assert volunteer_files == []  # the employer's emails went; the volunteer's address did not

    if database.kind == "sqlite":
        await owner_sql("DROP TRIGGER broken")
    else:
        await owner_sql("GRANT INSERT ON ledger_entry TO esp_portal_app")
    await OutboxMessage.update({OutboxMessage.next_attempt_at: OutboxMessage.created_at}).where(
        OutboxMessage.id == row["id"]
    )
    await run_once(settings, gated_transport(settings, world.gate))
    [row] = await OutboxMessage.select().where(OutboxMessage.template == "leave_decided")
    assert row["status"] == "sent" and row["ledger_index"] is not None
