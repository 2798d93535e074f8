"""Waiting for the ledger is bounded: a head lock held elsewhere gives a prompt failure (both DBs).

Someone holds the append lock (PostgreSQL: the head row ``FOR UPDATE`` in an open transaction;
SQLite: an exclusive transaction on the file) and does not let go. An append then fails with
``LedgerWriteError`` once ``lock_timeout`` has passed, rather than waiting for the lock, and the
readiness check says the ledger is not writable. The generous outer limit only stops a hung test;
the assertions are on what is raised and answered.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ledger import EntryDraft, Ledger
from ledger.errors import LedgerWriteError
from ledger.note import NoteSigner
from portal.app import create_app
from tests.conftest import TestDatabase, make_settings
from tests.ledger.conftest import ORIGIN
from tests.support.served import serve_app

HANG_GUARD_S = 60


@asynccontextmanager
async def head_locked_elsewhere(database: TestDatabase) -> AsyncIterator[None]:
    if database.kind == "sqlite":
        connection = sqlite3.connect(database.url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    pg = await asyncpg.connect(database.owner_url)
    transaction = pg.transaction()
    await transaction.start()
    await pg.execute("SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE")
    try:
        yield
    finally:
        await transaction.rollback()
        await pg.close()


async def test_an_append_fails_promptly_while_the_head_is_locked(
    database: TestDatabase, engine: Any, signer: NoteSigner, draft: Callable[..., EntryDraft]
) -> None:
    ledger = Ledger(engine, signer, ORIGIN, lock_timeout=0.5)
    await ledger.start()
    try:
        await ledger.append([draft(0)])
        async with head_locked_elsewhere(database):
            with pytest.raises(LedgerWriteError):
                await asyncio.wait_for(ledger.append([draft(1)]), HANG_GUARD_S)
            assert not await asyncio.wait_for(ledger.check_writable(), HANG_GUARD_S)
        assert await ledger.check_writable()
        [receipt] = await ledger.append([draft(2)])
        assert receipt.index == 1
        assert (await ledger.verify()).ok
    finally:
        await ledger.close()


async def test_ready_says_the_ledger_is_not_writable_while_locked(
    database: TestDatabase, tmp_path: Path
) -> None:
    settings = make_settings(database, tmp_path / "data", ledger_lock_timeout_seconds=0.5)
    async with serve_app(create_app(settings)) as client:
        assert (await client.get("/ready")).status_code == 200
        async with head_locked_elsewhere(database):
            answer = await asyncio.wait_for(client.get("/ready"), HANG_GUARD_S)
        assert answer.status_code == 503, answer.text
        assert answer.json()["checks"]["ledger"] == "unavailable"
        assert (await client.get("/ready")).status_code == 200


async def test_a_probe_while_locked_leaves_no_connection_open(
    database: TestDatabase, engine: Any, signer: NoteSigner
) -> None:
    """The probe gives up by itself: on SQLite its own connection waits at most ``lock_timeout``
    and is closed, rather than being abandoned by an outer time limit mid-``BEGIN`` (a
    connection left open, its thread later answering a closed event loop)."""
    ledger = Ledger(engine, signer, ORIGIN, lock_timeout=0.5)
    await ledger.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            async with head_locked_elsewhere(database):
                assert not await asyncio.wait_for(ledger.check_writable(), HANG_GUARD_S)
            assert await ledger.check_writable()
            gc.collect()
        unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
        assert not unclosed, unclosed
    finally:
        await ledger.close()
