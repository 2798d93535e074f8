"""On SQLite an append's statements cross to the transaction's aiosqlite thread once each.

Every hand-off to that thread and back costs thread switches and event-loop wake-ups that, on a
busy machine, outweigh a short statement. Piccolo's own engine hands a statement over four times
inside a transaction (``PRAGMA foreign_keys``, execute, fetch, close the cursor); the ledger
runs its statements on the transaction's connection whole, whatever the engine, so its cost does
not depend on the application's engine subclass. The head read and the durability check are one
statement. Counted here: every call handed to an aiosqlite thread (hops) against every statement
SQLite ran on the transaction's connection (its trace callback).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from piccolo.engine.sqlite import SQLiteEngine

from ledger import Ledger
from ledger.note import NoteSigner
from ledger.store import LedgerStore
from tests.ledger.conftest import ORIGIN, make_draft


@dataclass
class Phase:
    """The hand-offs and statements of one call of a store method."""

    hops: list[str] = field(default_factory=list)
    traced: list[str] = field(default_factory=list)

    @property
    def statements(self) -> list[str]:
        """The statements run. SQLite also traces the programs a statement starts: a trigger
        (the append-only tables', once per row) as the statement's own text again, a
        table-valued pragma as ``-- PRAGMA ...``; neither is a statement of its own."""
        texts = [text for text in self.traced if not text.startswith("-- ")]
        return [text for i, text in enumerate(texts) if i == 0 or texts[i - 1] != text]


def _record(
    monkeypatch: pytest.MonkeyPatch, engine: Any, hand_offs: list[str], name: str
) -> list[Phase]:
    """Record, for each call of ``LedgerStore.<name>``, its hops and the statements SQLite ran
    on the transaction's connection meanwhile."""
    phases: list[Phase] = []
    original: Callable[..., Awaitable[Any]] = getattr(LedgerStore, name)

    async def recorded(self: LedgerStore, *args: Any, **kwargs: Any) -> Any:
        connection = engine.current_transaction.get().connection
        phase = Phase()
        await connection.set_trace_callback(phase.traced.append)
        start = len(hand_offs)
        try:
            return await original(self, *args, **kwargs)
        finally:
            phase.hops = hand_offs[start:]
            await connection.set_trace_callback(None)
            phases.append(phase)

    monkeypatch.setattr(LedgerStore, name, recorded)
    return phases


@pytest.fixture(params=["piccolo", "portal"])
def sqlite_engine(request: pytest.FixtureRequest, database: Any, engine: Any) -> Any:
    """Piccolo's own SQLite engine and the application's (``portal.db``) on the test database."""
    if database.kind != "sqlite":
        pytest.skip("SQLite only: asyncpg runs on the event loop already")
    if request.param == "portal":
        return engine
    return SQLiteEngine(path=database.url.removeprefix("sqlite:///"))


async def _append_twice(engine: Any, signer: NoteSigner) -> None:
    """A first 32-entry append (it loads the subject map) and the measured second."""
    ledger = Ledger(engine, signer, ORIGIN, map_store_every=1)
    await ledger.start()
    try:
        await ledger.append([make_draft(i) for i in range(32)])
        await ledger.append([make_draft(i) for i in range(32, 64)])
    finally:
        await ledger.close()


async def test_a_batch_write_hands_each_statement_over_once(
    sqlite_engine: Any, signer: NoteSigner, hand_offs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = _record(monkeypatch, sqlite_engine, hand_offs, "write_batch")
    await _append_twice(sqlite_engine, signer)
    last = writes[-1]
    # Entries, tree nodes, subject-map tiles, head, checkpoint: nothing else, no pragma.
    assert [s.split()[0] for s in last.statements] == [
        "INSERT",
        "INSERT",
        "INSERT",
        "UPDATE",
        "INSERT",
    ]
    assert last.hops == ["_execute_fetchall"] * len(last.statements)


async def test_the_head_lock_is_one_statement_and_one_hand_off(
    sqlite_engine: Any, signer: NoteSigner, hand_offs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    locks = _record(monkeypatch, sqlite_engine, hand_offs, "lock_head")
    await _append_twice(sqlite_engine, signer)
    last = locks[-1]
    assert len(last.statements) == 1
    assert last.hops == ["_execute_fetchall"]


class _SyncEngine(SQLiteEngine):
    """Piccolo's SQLite engine whose connections commit at a chosen ``synchronous`` level."""

    def __init__(self, path: Path, synchronous: str) -> None:
        super().__init__(path=str(path))
        self.synchronous = synchronous

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute(f"PRAGMA synchronous = {self.synchronous}")
        return connection


@pytest.mark.parametrize(
    ("synchronous", "error", "message"),
    [("FULL", LookupError, "head row is missing"), ("NORMAL", RuntimeError, "synchronous=1")],
)
async def test_the_one_statement_head_lock_tells_a_missing_head_from_a_lax_connection(
    tmp_path: Path, synchronous: str, error: type[Exception], message: str
) -> None:
    """The durability check gets its row even when the head row is missing."""
    path = tmp_path / "headless.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as setup:
        setup.execute(
            "CREATE TABLE ledger_head (id INTEGER PRIMARY KEY, size INTEGER, root_hash BLOB)"
        )
    engine = _SyncEngine(path, synchronous)
    with pytest.raises(error, match=message):
        async with engine.transaction():
            await LedgerStore(engine).lock_head()
