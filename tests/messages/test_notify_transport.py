"""GOV.UK Notify: the real client library against a local stand-in that checks the request shape
Notify documents (the real service cannot be reached from here), on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import Ledger
from ledger.tables import LedgerEntry
from portal.disclosure.contact import provider_id
from portal.hours import leave
from portal.messages.disclosing import gated_transport
from portal.messages.notify import NotifyTransport
from portal.messages.tables import OutboxMessage
from portal.messages.transports import Outgoing, TransportError
from portal.messages.worker import run_once
from portal.settings import SettingsError, load_settings
from tests.conftest import TestDatabase, make_settings
from tests.messages import messages_world as mw
from tests.support.notify_standin import API_KEY, NotifyLog, running_notify

EMAIL_TEMPLATE = str(uuid.uuid4())
SMS_TEMPLATE = str(uuid.uuid4())


@pytest.fixture
def notify() -> Iterator[tuple[str, NotifyLog]]:
    yield from running_notify()


def _settings(database: TestDatabase, tmp_path: Path, base: str, **more: Any) -> Any:
    return make_settings(
        database,
        tmp_path / "data",
        messages_transport="notify",
        notify_api_key=API_KEY,
        notify_base_url=base,
        notify_email_template_id=EMAIL_TEMPLATE,
        notify_sms_template_id=SMS_TEMPLATE,
        **more,
    )


async def test_leave_decision_by_email_and_text_through_notify_each_a_ledgered_disclosure(
    engine: Any,
    database: TestDatabase,
    tmp_path: Path,
    notify: tuple[str, NotifyLog],
    ledger: Ledger,
) -> None:
    base, log = notify
    settings = _settings(database, tmp_path, base)
    world = await mw.build(settings, ledger, email=True, sms=True, phone=False)
    request_id = await mw.ask_for_leave(world)
    await leave.approve_request(world.gate, world.hr_recipient(), request_id, "", "r", settings)
    await run_once(settings, gated_transport(settings, world.gate))

    assert log.rejected == []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for answer in log.received:
        by_kind.setdefault(answer["kind"], []).append(answer["body"])
    [text] = by_kind["sms"]
    assert text["phone_number"] == mw.PHONE and text["template_id"] == SMS_TEMPLATE
    assert set(text["personalisation"]) == {"body"}
    assert "approved" in text["personalisation"]["body"]
    assert len(text["personalisation"]["body"]) <= 160
    emails = {b["email_address"]: b for b in by_kind["email"]}
    assert set(emails) == {world.hr.email, world.email}  # the desk address: only a fallback
    mine = emails[world.email]
    assert mine["template_id"] == EMAIL_TEMPLATE
    assert mine["personalisation"]["subject"] == "Your ESP leave request has been approved"
    assert "From ESP Portal" in mine["personalisation"]["body"]
    references = [b["reference"] for b in [*by_kind["email"], text]]
    assert len(set(references)) == 3 and all(len(r) == 40 for r in references)

    rows = await OutboxMessage.select(
        OutboxMessage.channel,
        OutboxMessage.status,
        OutboxMessage.provider_ref,
        OutboxMessage.ledger_index,
    ).where(OutboxMessage.template == "leave_decided")
    assert {r["status"] for r in rows} == {"sent"} and all(r["provider_ref"] for r in rows)
    entries = await LedgerEntry.select(
        LedgerEntry.idx, LedgerEntry.recipient_org, LedgerEntry.body
    ).where(LedgerEntry.purpose == "communication.notification")
    assert {e["recipient_org"] for e in entries} == {provider_id("GOV.UK Notify")}
    assert {e["idx"] for e in entries} == {r["ledger_index"] for r in rows}
    categories = sorted(
        "contact.phone" if "contact.phone" in bytes(e["body"]).decode() else "contact.email"
        for e in entries
    )
    assert categories == ["contact.email", "contact.phone"]


async def test_notify_answers_decide_retry_or_give_up(
    tmp_path: Path, notify: tuple[str, NotifyLog], database: TestDatabase
) -> None:
    base, log = notify
    settings = _settings(database, tmp_path, base)
    transport = NotifyTransport(settings)
    message = Outgoing("k1", "email", "someone@example.org", "Subject", "Body", "")
    log.fail_next.append(500)
    with pytest.raises(TransportError) as busy:
        await transport.send(message)
    assert not busy.value.permanent and str(busy.value) == "Notify 500"
    log.fail_next.append(429)
    with pytest.raises(TransportError) as limited:
        await transport.send(message)
    assert not limited.value.permanent
    assert await transport.send(message)  # the notification id
    bad = NotifyTransport(
        settings.model_copy(update={"notify_email_template_id": "not-a-template"})
    )
    with pytest.raises(TransportError) as refused:
        await bad.send(message)
    assert refused.value.permanent and str(refused.value) == "Notify 400"
    wrong_key = NotifyTransport(
        settings.model_copy(update={"notify_api_key": f"x-{uuid.uuid4()}-{uuid.uuid4()}"})
    )
    with pytest.raises(TransportError) as forbidden:
        await wrong_key.send(message)
    assert not forbidden.value.permanent  # a key the operator can fix: the message waits
    assert "Invalid token" in log.rejected[-1]
    unreachable = NotifyTransport(
        settings.model_copy(update={"notify_base_url": "http://127.0.0.1:9"})
    )
    with pytest.raises(TransportError) as down:
        await unreachable.send(message)
    assert not down.value.permanent


def test_notify_settings_are_checked_when_read(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as missing:
        load_settings(data_dir=tmp_path, messages_transport="notify", notify_api_key="k")
    assert "ESP_NOTIFY_EMAIL_TEMPLATE_ID" in str(missing.value)
    assert "ESP_NOTIFY_SMS_TEMPLATE_ID" in str(missing.value)
