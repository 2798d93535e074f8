"""The outbox on both databases: written with its event, claimed once, delivered once, retried."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from portal.messages.outbox import enqueue
from portal.messages.tables import OutboxMessage
from portal.messages.transports import FileTransport, SmtpTransport, transport_for
from portal.messages.worker import backoff, claim_due, deliver, run_once
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings, run_cli
from tests.support.smtp_server import SmtpServer, running_smtp_server

ADDRESS = "volunteer.person@example.org"


class Rollback(Exception):
    """Raised inside a transaction to roll the event (and its message) back."""


async def _reset_message(settings: Settings, key: str, recipient: str = ADDRESS) -> str:
    return await enqueue(
        settings,
        kind="password_reset",
        channel="email",
        recipient=recipient,
        idempotency_key=key,
        context={"link": f"{settings.base_url}/reset/{key}", "minutes": 30},
    )


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    folder = tmp_path / "smtp"
    folder.mkdir()
    yield from running_smtp_server(folder)


async def test_a_message_commits_or_rolls_back_with_its_event(
    engine: Any, settings: Settings
) -> None:
    with pytest.raises(Rollback):
        async with engine.transaction():
            await _reset_message(settings, "event-1")
            raise Rollback
    assert await OutboxMessage.count() == 0

    async with engine.transaction():
        first = await _reset_message(settings, "event-1")
        again = await _reset_message(settings, "event-1")
    assert first == again
    rows = await OutboxMessage.select()
    assert len(rows) == 1
    row = rows[0]
    assert (row["status"], row["channel"], row["attempts"]) == ("pending", "email", 0)
    assert row["subject"] == "Reset your ESP Portal password"
    assert f"{settings.base_url}/reset/event-1" in row["body_text"]
    assert "ESP Portal" in row["body_text"] and f"{settings.base_url}/account" in row["body_text"]
    assert 'href="http://localhost:8000/reset/event-1"' in row["body_html"]


async def test_the_file_transport_writes_each_message_once(engine: Any, settings: Settings) -> None:
    async with engine.transaction():
        await _reset_message(settings, "file-1")
        await _reset_message(settings, "file-2", "other@example.org")
    transport = transport_for(settings)
    assert isinstance(transport, FileTransport)
    with capture_logs() as logs:
        assert await run_once(settings, transport) == 2
    assert await run_once(settings, transport) == 0  # nothing left due

    files = sorted(settings.outbox_files_dir.glob("*.eml"))
    assert len(files) == 2
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert {m["To"] for m in parsed} == {ADDRESS, "other@example.org"}
    assert all(m["From"] == settings.messages_sender for m in parsed)
    sent = await OutboxMessage.select().where(OutboxMessage.status == "sent")
    assert len(sent) == 2 and all(r["sent_at"] and r["attempts"] == 1 for r in sent)
    # logs name messages by id, never by address or body
    assert [e["event"] for e in logs] == ["message.delivery", "message.delivery"]
    flat = repr(logs)
    assert ADDRESS not in flat and "other@example.org" not in flat and "/reset/" not in flat


async def test_two_workers_never_claim_the_same_message(engine: Any, settings: Settings) -> None:
    async with engine.transaction():
        for n in range(30):
            await _reset_message(settings, f"claim-{n}")
    batches = await asyncio.gather(*(claim_due(settings, limit=10) for _ in range(4)))
    ids = [row["id"] for batch in batches for row in batch]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert await claim_due(settings) == []
    assert await OutboxMessage.count().where(OutboxMessage.status == "sending") == 30


async def test_a_worker_killed_mid_send_is_taken_over_and_the_file_still_written_once(
    engine: Any, settings: Settings
) -> None:
    async with engine.transaction():
        await _reset_message(settings, "crash-1")
    transport = FileTransport(settings.outbox_files_dir, settings.messages_sender)
    [row] = await claim_due(settings)
    await transport.send(_as_outgoing(row))  # sent, then the worker "dies" before recording
    assert await claim_due(settings) == []  # the lease still holds
    await OutboxMessage.update(
        {OutboxMessage.claimed_until: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(OutboxMessage.id == row["id"])
    [again] = await claim_due(settings)
    assert again["id"] == row["id"] and again["attempts"] == 2
    assert (await deliver(again, transport, settings)).status == "sent"
    assert len(list(settings.outbox_files_dir.glob("*.eml"))) == 1


def _as_outgoing(row: dict[str, Any]) -> Any:
    from portal.messages.transports import Outgoing

    return Outgoing(
        idempotency_key=row["idempotency_key"],
        channel=row["channel"],
        recipient=row["recipient"],
        subject=row["subject"],
        text=row["body_text"],
        html=row["body_html"],
    )


async def test_smtp_delivers_over_starttls_with_auth(
    engine: Any, database: TestDatabase, tmp_path: Path, smtp: SmtpServer
) -> None:
    settings = make_settings(database, tmp_path / "data", **smtp.settings())
    async with engine.transaction():
        await _reset_message(settings, "smtp-1")
    transport = transport_for(settings)
    assert isinstance(transport, SmtpTransport)
    assert await run_once(settings, transport) == 1
    [mail] = smtp.mailbox.messages
    assert smtp.mailbox.envelopes[0][1] == [ADDRESS]
    assert mail["Subject"] == "Reset your ESP Portal password"
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and "/reset/smtp-1" in text.get_content()
    assert html is not None and 'href="http://localhost:8000/reset/smtp-1"' in html.get_content()
    [row] = await OutboxMessage.select()
    assert row["status"] == "sent" and row["provider_ref"] == mail["Message-ID"]


async def test_smtp_refuses_wrong_credentials_and_the_message_waits_with_backoff(
    engine: Any, database: TestDatabase, tmp_path: Path, smtp: SmtpServer
) -> None:
    wrong = {**smtp.settings(), "smtp_password": "not-it", "messages_max_attempts": 2}
    settings = make_settings(database, tmp_path / "data", **wrong)
    async with engine.transaction():
        await _reset_message(settings, "smtp-auth")
    before = datetime.now(UTC)
    assert await run_once(settings, transport_for(settings)) == 1
    [row] = await OutboxMessage.select()
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"].startswith("SMTP 535")
    assert row["next_attempt_at"] >= before + backoff(settings, 1) - timedelta(seconds=1)
    assert await run_once(settings, transport_for(settings)) == 0  # not due yet
    assert smtp.mailbox.messages == []

    await OutboxMessage.update({OutboxMessage.next_attempt_at: before}).where(
        OutboxMessage.id == row["id"]
    )
    assert await run_once(settings, transport_for(settings)) == 1
    [row] = await OutboxMessage.select()
    assert (row["status"], row["attempts"]) == ("failed", 2)  # max attempts reached


async def test_smtp_unreachable_is_retried_and_a_refused_address_is_not(
    engine: Any, database: TestDatabase, tmp_path: Path, smtp: SmtpServer
) -> None:
    down = {**smtp.settings(), "smtp_port": 1}
    settings = make_settings(database, tmp_path / "data", **down)
    async with engine.transaction():
        await _reset_message(settings, "down-1")
    await run_once(settings, transport_for(settings))
    [row] = await OutboxMessage.select()
    assert row["status"] == "pending" and row["last_error"]

    settings = make_settings(database, tmp_path / "data", **smtp.settings())
    smtp.mailbox.refuse.add("nobody@example.org")
    async with engine.transaction():
        await _reset_message(settings, "refused-1", "nobody@example.org")
    assert await run_once(settings, transport_for(settings)) == 1
    refused = await OutboxMessage.select().where(OutboxMessage.idempotency_key == "refused-1")
    assert (refused[0]["status"], refused[0]["attempts"]) == ("failed", 1)


async def test_backoff_doubles_and_is_capped(settings: Settings) -> None:
    base = settings.messages_retry_base_seconds
    assert backoff(settings, 1) == timedelta(seconds=base)
    assert backoff(settings, 3) == timedelta(seconds=4 * base)
    assert backoff(settings, 40) == timedelta(hours=6)


async def test_the_worker_command_delivers_what_is_due(
    engine: Any, database: TestDatabase, settings: Settings, tmp_path: Path
) -> None:
    async with engine.transaction():
        await _reset_message(settings, "cli-1")
    env = {
        "ESP_DATABASE_URL": database.url,
        "ESP_DATA_DIR": str(settings.data_dir),
        "ESP_LOG_FORMAT": "json",
    }
    done = run_cli("messages", "worker", "--once", env=env)
    assert done.returncode == 0, done.stderr
    assert "Tried 1 message(s)." in done.stdout
    assert ADDRESS not in done.stdout + done.stderr
    assert len(list(settings.outbox_files_dir.glob("*.eml"))) == 1
    assert (await OutboxMessage.select(OutboxMessage.status))[0]["status"] == "sent"


def test_text_messages_fit_one_sms_and_longer_ones_are_refused() -> None:
    from portal.messages.render import SMS_LIMIT, MessageTooLong, render_sms

    body = render_sms("leave_decided", {"decision": "approved"})
    assert len(body) <= SMS_LIMIT and "approved" in body
    with pytest.raises(MessageTooLong):
        render_sms("leave_decided", {"decision": "x" * 100})


def test_a_template_with_a_missing_value_is_refused() -> None:
    from jinja2 import UndefinedError

    from portal.messages.render import render_email

    with pytest.raises(UndefinedError):
        render_email("password_reset", {"minutes": 30, "sender": "ESP", "preferences_url": "/"})
