"""SQLite statements cross to an aiosqlite thread only where that pays (``portal.db``, issue 19).

The hot path's fixed reads (``FixedQuery``: the session, the gate's facts, one person's hours)
run on the event loop's own read-only connection, with no thread hop; a statement inside a
transaction is one hand-off to its connection's thread, not four. What must not change with it:
every read sees the latest commit (another process's too), the loop's connection can never
write, never waits on a lock while holding the loop, and foreign keys still hold inside
transactions.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid
from typing import Any

import pytest

from portal.db import is_postgres
from portal.dbutil import FixedQuery
from portal.organisations.tables import Employment, Organisation, OrganisationKind

_COUNT = FixedQuery("SELECT count(*) AS n FROM organisation WHERE name = {}", Organisation)


def _sqlite_only(engine: Any) -> None:
    if is_postgres(engine):
        pytest.skip("SQLite only: asyncpg runs on the loop already")


async def test_a_fixed_read_runs_on_the_loop_without_a_thread_hop(
    engine: Any, hand_offs: list[str]
) -> None:
    _sqlite_only(engine)
    assert await _COUNT.rows("nobody") == [{"n": 0}]
    assert hand_offs == []


async def test_a_long_fixed_read_goes_to_a_kept_connection(
    engine: Any, hand_offs: list[str]
) -> None:
    _sqlite_only(engine)
    assert await _COUNT.rows("nobody", long=True) == [{"n": 0}]
    assert hand_offs[-1] == "_execute_fetchall"  # after opening the kept connection


async def test_the_loop_reads_the_latest_commit_of_any_connection(engine: Any) -> None:
    _sqlite_only(engine)
    assert await _COUNT.rows("Fresh Ltd") == [{"n": 0}]
    async with Organisation._meta.db.transaction():
        await Organisation(name="Fresh Ltd", kind=OrganisationKind.EMPLOYER.value).save()
    assert await _COUNT.rows("Fresh Ltd") == [{"n": 1}]
    # Another process's commit (here: another connection, as another worker would write).
    other = sqlite3.connect(engine.connection_kwargs["database"], isolation_level=None)
    try:
        assert await _COUNT.rows("Other Ltd") == [{"n": 0}]
        other.execute(
            "INSERT INTO organisation (id, name, kind) VALUES (?, ?, ?)",
            (str(uuid.uuid4()), "Other Ltd", OrganisationKind.EMPLOYER.value),
        )
    finally:
        other.close()
    assert await _COUNT.rows("Other Ltd") == [{"n": 1}]
    assert not engine._reader.in_transaction  # no snapshot kept between reads


async def test_the_loop_connection_cannot_write(engine: Any) -> None:
    _sqlite_only(engine)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await engine.read("DELETE FROM organisation", [])
    assert not engine._reader.in_transaction


async def test_a_busy_database_is_waited_for_off_the_loop(engine: Any) -> None:
    """Another connection holds an exclusive lock: the read is not refused and the loop keeps
    running while it waits (the loop's connection has no busy timeout; a kept one does)."""
    _sqlite_only(engine)
    locker = sqlite3.connect(
        engine.connection_kwargs["database"], isolation_level=None, check_same_thread=False
    )
    locker.execute("PRAGMA locking_mode = EXCLUSIVE")
    locker.execute("BEGIN EXCLUSIVE")
    locker.execute("UPDATE organisation SET name = name WHERE 0")
    locker.execute("COMMIT")  # in exclusive locking mode the lock stays held after commit
    probe = sqlite3.connect(engine.connection_kwargs["database"], timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        probe.execute("SELECT count(*) FROM organisation").fetchall()  # readers are shut out
    probe.close()
    released = threading.Event()

    def release() -> None:
        locker.execute("PRAGMA locking_mode = NORMAL")
        locker.execute("SELECT 1 FROM organisation LIMIT 1").fetchall()  # drops the lock
        locker.close()
        released.set()

    ticks = 0
    read_done = False
    #: (ticks, whether the read had returned) when the lock was let go.
    at_release: list[tuple[int, bool]] = []

    async def ticker() -> None:
        nonlocal ticks
        while not released.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def release_once_the_loop_went_round() -> None:
        # The lock is let go once the loop has gone round ten times (not after a fixed 0.3 s:
        # on a loaded machine fewer than ten 10 ms sleeps fitted in it). A read holding the loop
        # would stop the ticker; the outer limit then releases it and the assertions fail.
        deadline = asyncio.get_running_loop().time() + 60
        while ticks < 10 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        at_release.append((ticks, read_done))
        await asyncio.to_thread(release)

    async def read() -> list[dict[str, Any]]:
        nonlocal read_done
        rows = await _COUNT.rows("nobody")
        read_done = True
        return rows

    ticking = asyncio.create_task(ticker())
    releasing = asyncio.create_task(release_once_the_loop_went_round())
    rows = await read()
    await releasing
    await ticking
    assert rows == [{"n": 0}]
    # The read was still waiting for the lock after the loop had run other work ten times.
    [(ticks_while_locked, returned_before_release)] = at_release
    assert ticks_while_locked >= 10 and not returned_before_release, at_release


async def test_a_statement_in_a_transaction_is_one_hand_off(
    engine: Any, hand_offs: list[str]
) -> None:
    _sqlite_only(engine)
    async with Organisation._meta.db.transaction():
        hand_offs.clear()
        await Organisation.raw("SELECT count(*) AS n FROM organisation")
        assert len(hand_offs) == 1


async def test_foreign_keys_hold_inside_a_transaction(engine: Any) -> None:
    """The per-statement ``PRAGMA foreign_keys`` is gone; the connection's own setting holds."""
    _sqlite_only(engine)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with Organisation._meta.db.transaction():
            await Employment.raw(
                "INSERT INTO employment (id, volunteer, employer, starts_on) "
                "VALUES ({}, {}, {}, '2026-01-01')",
                str(uuid.uuid4()),
                str(uuid.uuid4()),
                str(uuid.uuid4()),
            )
