"""The outbox survives SIGKILL of its worker, against a real SMTP server (aiosmtpd), both engines.

An event (a volunteer's objection) commits with its messages to the DPO and coordinators. The
real ``esp-portal messages worker`` process claims them and sends them all at once; the test holds
the SMTP server's answer to every message and kills the worker with SIGKILL while it waits. A
server takes responsibility for a message only when it answers 250 after the data (RFC 5321), and
this one never did: the connections died first, so no message was accepted. A new worker,
started after the claim's lease has run out, delivers every message: each idempotency key (its
``Message-ID``) reaches the server exactly once, and nothing is lost.

The window the outbox cannot close is also shown, not hidden: a worker killed after the server
answered 250 and before it recorded ``sent`` sends the message again on restart. The copy carries
the same ``Message-ID``, which is what lets the receiving system drop it (docs/MESSAGES.md).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from portal.accounts.roles import Role
from portal.consent.objections import ObjectionService
from portal.messages.tables import OutboxMessage
from portal.settings import Settings
from tests.conftest import ROOT, TestDatabase, make_settings
from tests.support import disclosure_world as world
from tests.support.auth import create_user
from tests.support.cli import cli_env
from tests.support.portal_ledger import ledger
from tests.support.smtp_server import Mailbox, SmtpServer, running_smtp_server

__all__ = ["ledger"]

STAFF = 5
LEASE_SECONDS = 5
REASONS = "I do not want my employer to see my status any more."


class HoldingMailbox(Mailbox):
    """A mailbox that can hold its answer to every message (``hold``) until the client goes
    away, and can run ``after_accept`` once a message is stored, before the 250 goes back."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = False
        self.held = 0
        self.dropped = 0
        self.after_accept: Callable[[], Any] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold:
            self.held += 1
            try:
                while True:  # until the client goes away: connection_lost cancels this handler
                    await asyncio.sleep(0.02)
            except asyncio.CancelledError:
                self.dropped += 1  # never answered 250: the message was not accepted
                raise
        answer = await super().handle_DATA(server, session, envelope)
        if self.after_accept is not None:
            hook, self.after_accept = self.after_accept, None
            await hook()
        return answer


@pytest.fixture
def mailbox() -> HoldingMailbox:
    return HoldingMailbox()


@pytest.fixture
def smtp(tmp_path: Path, mailbox: HoldingMailbox) -> Iterator[SmtpServer]:
    folder = tmp_path / "smtp"
    folder.mkdir()
    yield from running_smtp_server(folder, mailbox)


def _worker(
    database: TestDatabase, settings: Settings, smtp: SmtpServer, concurrency: int = 8
) -> subprocess.Popen[str]:
    smtp_env = {f"ESP_{k.upper()}": str(v) for k, v in smtp.settings().items()}
    env = {
        "ESP_MESSAGES_CONCURRENCY": str(concurrency),
        **os.environ,
        **cli_env(database, settings.data_dir, **smtp_env),
        "ESP_MESSAGES_LEASE_SECONDS": str(LEASE_SECONDS),
        "ESP_MESSAGES_POLL_SECONDS": "0.2",
        "ESP_MESSAGES_RETRY_BASE_SECONDS": "0.5",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "portal.cli.main", "messages", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


async def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _until_all_sent(seconds: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while True:
        rows = await OutboxMessage.select()
        if rows and all(r["status"] == "sent" for r in rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"not all sent: {[(r['status'], r['attempts']) for r in rows]}")
        await asyncio.sleep(0.1)


async def _objection_with_its_messages(ledger: Any, settings: Settings) -> list[str]:
    """The event: an objection, committed with one message per DPO and coordinator account."""
    for n in range(STAFF):
        await create_user(
            settings, f"staff{n}@force.example", Role.DPO if n == 0 else Role.COORDINATOR
        )
    person = await world.volunteer("Crash Test Person")
    await ObjectionService(ledger, settings).raise_objection(
        person.id, "u-1", "esp.programme-management", REASONS, request_id="crash"
    )
    rows = await OutboxMessage.select(OutboxMessage.idempotency_key)
    assert len(rows) == STAFF
    return [r["idempotency_key"] for r in rows]


def _message_ids(mailbox: Mailbox) -> Counter[str]:
    return Counter(str(m["Message-ID"]) for m in mailbox.messages)


async def test_sigkill_mid_delivery_loses_nothing_and_sends_each_message_once(
    engine: Any,
    ledger: Any,
    database: TestDatabase,
    tmp_path: Path,
    smtp: SmtpServer,
    mailbox: HoldingMailbox,
) -> None:
    settings = make_settings(database, tmp_path / "data", **smtp.settings())
    keys = await _objection_with_its_messages(ledger, settings)
    mailbox.hold = True  # every message's data arrives; no answer goes back

    first = _worker(database, settings, smtp)
    try:
        await _wait(lambda: mailbox.held == STAFF, 60, "the worker to send every message")
        _kill(first)
    finally:
        if first.poll() is None:
            first.kill()
    await _wait(lambda: mailbox.dropped == STAFF, 10, "the server to see the connections die")
    mailbox.hold = False
    claimed = await OutboxMessage.select().where(OutboxMessage.status == "sending")
    assert len(claimed) == STAFF  # the dead worker's claims stand until their lease runs out
    assert mailbox.messages == []  # nothing was accepted

    second = _worker(database, settings, smtp)
    try:
        rows = await _until_all_sent(LEASE_SECONDS + 60)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert second.returncode == 0  # SIGTERM: the worker finishes cleanly

    ids = _message_ids(mailbox)
    assert len(mailbox.messages) == STAFF and set(ids.values()) == {1}  # each once
    assert {r["provider_ref"] for r in rows} == set(ids)
    assert sorted(r["idempotency_key"] for r in rows) == sorted(keys)
    assert all(r["attempts"] == 2 for r in rows)  # claimed by the dead worker, then the new one
    assert sorted(rcpt for _, [rcpt] in mailbox.envelopes) == sorted(
        f"staff{n}@force.example" for n in range(STAFF)
    )


async def test_the_window_after_acceptance_resends_with_the_same_message_id(
    engine: Any,
    ledger: Any,
    database: TestDatabase,
    tmp_path: Path,
    smtp: SmtpServer,
    mailbox: HoldingMailbox,
) -> None:
    settings = make_settings(
        database, tmp_path / "data", **smtp.settings(), messages_lease_seconds=LEASE_SECONDS
    )
    await _objection_with_its_messages(ledger, settings)
    locked = threading.Event()
    lock_ready: list[Any] = []

    async def lock_the_outbox() -> None:
        # After the server accepted the first message, before the worker hears 250: the
        # worker's "sent" update will wait on this lock, and the worker is killed meanwhile.
        if database.kind == "sqlite":
            path = database.url.removeprefix("sqlite:///")
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("BEGIN IMMEDIATE")
            lock_ready.append(connection)
        else:
            connection = await asyncpg.connect(database.owner_url)
            transaction = connection.transaction()
            await transaction.start()
            await connection.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")
            lock_ready.append((connection, transaction, asyncio.get_running_loop()))
        locked.set()

    mailbox.after_accept = lock_the_outbox
    # One message in flight, so exactly one sits in the window when the worker dies.
    first = _worker(database, settings, smtp, concurrency=1)
    try:
        await _wait(locked.is_set, 60, "the server to accept the first message")
        await asyncio.sleep(1.0)  # the worker now waits to record "sent"
        _kill(first)
    finally:
        if first.poll() is None:
            first.kill()
    held = lock_ready[0]
    if database.kind == "sqlite":
        held.execute("ROLLBACK")
        held.close()
    else:
        connection, transaction, loop = held  # asyncpg objects live on the server's loop

        async def unlock() -> None:
            await transaction.rollback()
            await connection.close()

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(unlock(), loop))
    assert len(mailbox.messages) == 1

    second = _worker(database, settings, smtp)
    try:
        rows = await _until_all_sent(LEASE_SECONDS + 60)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    ids = _message_ids(mailbox)
    assert len(ids) == STAFF  # nothing lost
    assert sorted(ids.values()) == [1] * (STAFF - 1) + [2]  # the one in the window went twice...
    assert {r["provider_ref"] for r in rows} == set(ids)  # ...with the same Message-ID
