"""Connections reused between statements (``portal.db``) never carry state from one to the next.

SQLite: once the engine is open, statements outside a transaction share a few kept connections
in autocommit mode. PostgreSQL: the pool's reset is a rollback of a transaction left open,
instead of asyncpg's four-statement reset on every release.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from portal.db import SQLITE_KEPT_CONNECTIONS, is_postgres
from portal.organisations.tables import Organisation, OrganisationKind


async def _count(name: str) -> int:
    return int(await Organisation.count().where(Organisation.name == name))


async def test_sqlite_statements_outside_a_transaction_share_a_kept_connection(
    engine: Any,
) -> None:
    if is_postgres(engine):
        pytest.skip("SQLite only: PostgreSQL has a pool")
    # A TEMP table lives on one connection only: the next statement sees it only if it runs on
    # the same connection (Piccolo alone would have opened a new one).
    await Organisation.raw("CREATE TEMP TABLE probe (x INTEGER)")
    await Organisation.raw("INSERT INTO temp.probe VALUES (1)")
    rows = await Organisation.raw("SELECT count(*) AS n FROM temp.probe")
    assert rows == [{"n": 1}]
    await asyncio.gather(*(_count("nobody") for _ in range(50)))
    assert len(engine._kept_all) <= SQLITE_KEPT_CONNECTIONS


async def test_sqlite_kept_connections_read_the_latest_commit_and_hold_no_lock(
    engine: Any,
) -> None:
    if is_postgres(engine):
        pytest.skip("SQLite only")
    assert await _count("Fresh Ltd") == 0  # a kept connection has read before the write
    async with Organisation._meta.db.transaction():
        await Organisation(name="Fresh Ltd", kind=OrganisationKind.EMPLOYER.value).save()
    assert await _count("Fresh Ltd") == 1
    # A write outside a transaction is committed at once: another connection (another worker)
    # sees it and can take the write lock straight away.
    await Organisation(name="Outside Ltd", kind=OrganisationKind.EMPLOYER.value).save()
    path = engine.connection_kwargs["database"]
    other = sqlite3.connect(path, timeout=0.1)
    try:
        assert other.execute(
            "SELECT count(*) FROM organisation WHERE name = 'Outside Ltd'"
        ).fetchone() == (1,)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert all(not c.in_transaction for c in engine._kept_all)


async def test_sqlite_a_failed_write_leaves_no_transaction_open(engine: Any) -> None:
    if is_postgres(engine):
        pytest.skip("SQLite only")
    with pytest.raises(sqlite3.IntegrityError):
        await Organisation.raw("INSERT INTO organisation (id, name) VALUES (NULL, NULL)")
    assert all(not c.in_transaction for c in engine._kept_all)
    await Organisation(name="After Ltd", kind=OrganisationKind.EMPLOYER.value).save()
    assert await _count("After Ltd") == 1


async def test_postgres_a_connection_released_in_a_transaction_is_rolled_back(
    engine: Any,
) -> None:
    if not is_postgres(engine):
        pytest.skip("PostgreSQL only")
    connection = await engine.pool.acquire()
    driver = connection._con  # the proxy refuses calls once released; the connection does not
    try:
        await connection.execute("BEGIN")
        await connection.execute(
            "INSERT INTO organisation (id, name, kind) "
            "VALUES (gen_random_uuid(), 'Left Open Ltd', 'employer')"
        )
    finally:
        await engine.pool.release(connection)
    assert not driver.is_in_transaction()
    assert await _count("Left Open Ltd") == 0
