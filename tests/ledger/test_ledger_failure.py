"""A storage failure fails the whole batch with a typed error, leaves nothing, and passes.

The failure is injected as the owner at the last write of a batch (the checkpoint insert) or the
first (the entry insert), so a rollback that kept the earlier writes would show.
"""

from __future__ import annotations

import asyncio

import pytest

from ledger import LedgerWriteError
from ledger.store import LedgerStore


def break_sql(kind: str, table: str) -> tuple[str, str]:
    if kind == "sqlite":
        return (
            f"CREATE TRIGGER broken BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
            "DROP TRIGGER broken",
        )
    return (
        f"REVOKE INSERT ON {table} FROM esp_portal_app",
        f"GRANT INSERT ON {table} TO esp_portal_app",
    )


async def snapshot(engine):
    store = LedgerStore(engine)
    head = await store.head()
    entries = await store.entries_between(0, 10_000)
    latest = await store.latest_checkpoint()
    nodes = await store.nodes_in_key_ranges([(0, 2**63 - 1)])
    return head, len(entries), latest.size if latest else 0, len(nodes)


@pytest.mark.parametrize("table", ["ledger_checkpoint", "ledger_entry"])
async def test_failed_commit_fails_every_caller_and_leaves_nothing(
    database, engine, ledger, draft, owner_sql, table
):
    await ledger.append([draft(i) for i in range(3)])
    before = await snapshot(engine)
    breaking, repairing = break_sql(database.kind, table)
    await owner_sql(breaking)

    results = await asyncio.gather(
        *(ledger.append([draft(10 + i), draft(20 + i)]) for i in range(6)),
        return_exceptions=True,
    )
    assert all(isinstance(r, LedgerWriteError) for r in results), results
    assert await snapshot(engine) == before

    await owner_sql(repairing)
    receipts = await asyncio.gather(*(ledger.append([draft(30 + i)]) for i in range(4)))
    assert sorted(r[0].index for r in receipts) == [3, 4, 5, 6]
    result = await ledger.verify()
    assert result.ok, result.problem


async def test_failure_inside_the_callers_transaction_is_a_write_error(
    database, engine, ledger, draft, owner_sql
):
    from piccolo.engine.sqlite import TransactionType

    await ledger.append([draft(0)])
    breaking, repairing = break_sql(database.kind, "ledger_node")
    await owner_sql(breaking)
    kwargs = {"transaction_type": TransactionType.immediate} if database.kind == "sqlite" else {}
    with pytest.raises(LedgerWriteError):
        async with engine.transaction(**kwargs):
            await ledger.append_in_transaction([draft(1)])
    assert await ledger.size() == 1
    await owner_sql(repairing)
    async with engine.transaction(**kwargs):
        [receipt] = await ledger.append_in_transaction([draft(2)])
    assert receipt.index == 1
    assert (await ledger.verify()).ok


async def test_sqlite_connection_without_full_sync_is_refused(database, signer, draft):
    if database.kind != "sqlite":
        pytest.skip("SQLite durability pragma")
    from piccolo.engine.sqlite import SQLiteEngine

    from ledger import Ledger, LedgerUsageError

    class CarelessEngine(SQLiteEngine):
        async def get_connection(self):
            connection = await super().get_connection()
            await connection.execute("PRAGMA synchronous = NORMAL")
            return connection

    careless = Ledger(CarelessEngine(path=database.url.removeprefix("sqlite:///")), signer, "o/l")
    with pytest.raises(LedgerUsageError, match="synchronous"):
        await careless.start()
    with pytest.raises(LedgerWriteError, match="synchronous"):
        await careless.append([draft(0)])
    await careless.close()


async def test_check_writable_reports_what_an_append_would_meet(
    database, engine, ledger, draft, owner_sql
):
    assert await ledger.check_writable()
    if database.kind == "postgres":
        breaking, repairing = break_sql(database.kind, "ledger_node")
        await owner_sql(breaking)
        assert not await ledger.check_writable()
        await owner_sql(repairing)
        assert await ledger.check_writable()
    await ledger.close()
    assert not await ledger.check_writable()
