"""One write transaction with its driver connection, for set-based work on both engines.

Piccolo's SQLite engine opens a connection per query outside a transaction, and neither engine
exposes bulk inserts through the query builder; the import therefore runs every statement on the
one connection of one Piccolo transaction (so Piccolo queries inside it join it too), with
``executemany`` on SQLite and ``COPY`` on PostgreSQL for the bulk rows.

Every duty write (imports, integration batches, corrections) takes the same lock, so the overlap
check and the insert that follows it cannot interleave with another writer's: SQLite's write lock
from ``BEGIN IMMEDIATE``, a transaction-scoped advisory lock on PostgreSQL.

SQL is written with ``?`` placeholders and rewritten to ``$n`` for PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

#: Arbitrary, fixed keys of the advisory locks that serialise writers on PostgreSQL: duty
#: records, leave requests and policies, and report releases (SQLite has one write lock).
DUTY_WRITE_LOCK = 6_006_001
LEAVE_WRITE_LOCK = 6_006_002
RELEASE_WRITE_LOCK = 6_006_003
#: SQLite page cache for a bulk import's connection, in KiB.
BULK_CACHE_KIB = 16 * 1024
_PLACEHOLDER = re.compile(r"\?")


class RawConnection:
    """The driver connection of the current transaction, with one calling convention."""

    def __init__(self, connection: Any, postgres: bool) -> None:
        self.connection = connection
        self.postgres = postgres

    def sql(self, text: str) -> str:
        if not self.postgres:
            return text
        counter = iter(range(1, 10_000))
        return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", text)

    async def execute(self, text: str, *args: Any) -> None:
        if self.postgres:
            await self.connection.execute(self.sql(text), *args)
        else:
            await self.connection.execute(text, args)

    async def fetch(self, text: str, *args: Any) -> list[dict[str, Any]]:
        if self.postgres:
            return [dict(r) for r in await self.connection.fetch(self.sql(text), *args)]
        cursor = await self.connection.execute(text, args)
        rows = await cursor.fetchall()
        await cursor.close()
        return [dict(r) for r in rows]

    async def fetchval(self, text: str, *args: Any) -> Any:
        rows = await self.fetch(text, *args)
        if not rows:
            return None
        return next(iter(rows[0].values()))

    async def bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Many rows at once: ``COPY`` on PostgreSQL, ``executemany`` on SQLite."""
        if self.postgres:
            await self.connection.copy_records_to_table(
                table, records=list(rows), columns=list(columns)
            )
            return
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        await self.connection.executemany(statement, rows)


@asynccontextmanager
async def duty_write_transaction(
    table: type[Table], bulk: bool = False, lock: int = DUTY_WRITE_LOCK
) -> AsyncIterator[RawConnection]:
    """A transaction holding a write lock (default: duty writes); yields its connection."""
    engine: Any = table._meta.db
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(
            transaction_type=TransactionType.immediate, allow_nested=False
        ) as transaction:
            if bulk:
                # This connection only: staging tables in memory, and a page cache big enough
                # for the indexes a bulk insert touches (bounded, whatever the file's size).
                await transaction.connection.execute("PRAGMA temp_store = MEMORY")
                await transaction.connection.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            yield RawConnection(transaction.connection, postgres=False)
        return
    async with engine.transaction(allow_nested=False) as transaction:
        raw = RawConnection(transaction.connection, postgres=True)
        await raw.execute("SELECT pg_advisory_xact_lock(?)", lock)
        yield raw
