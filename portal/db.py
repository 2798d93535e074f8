"""Database engines for SQLite (embedded default) and PostgreSQL (production).

The engine is built from a URL and bound to every Piccolo table by :func:`bind_engine`, so an app
(or a test) can serve its own database without touching module globals such as ``piccolo_conf``.
"""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, dict_factory
from piccolo.table import Table

SQLITE_BUSY_TIMEOUT_S = 30.0
#: Kept SQLite connections for statements outside a transaction, per engine. Each is one
#: aiosqlite thread; a few let a slow report run beside the quick lookups of other requests.
SQLITE_KEPT_CONNECTIONS = 4
#: PostgreSQL pool size per worker process.
PG_POOL_MAX = 20


class DurableSQLiteEngine(SQLiteEngine):
    """SQLite with WAL, foreign keys, a busy timeout and fully synchronous commits.

    Piccolo opens a connection (and an aiosqlite thread) per query outside a transaction, which
    costs more than most of the queries. Once :func:`open_engine` has run, such statements run
    instead on a few kept connections in autocommit mode, each used by one statement at a time;
    no transaction is ever left open on them, so in WAL mode every statement reads the latest
    committed state, exactly as a new connection would. Until then (migrations,
    one-off scripts) and after :func:`close_engine`, Piccolo's behaviour is unchanged. Pragmas
    that are per connection are applied to every connection this engine opens, and the busy
    timeout is passed to every connect (it is a connect argument).

    Every statement handed to an aiosqlite thread costs thread switches that, on a busy
    machine, cost more than a short statement itself (profiles in ``bench/results/http.md``, issue
    19). So the hot path's fixed reads run on the event loop's own read-only connection
    (:meth:`read`), and a statement inside a transaction is one hand-off, not four.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: asyncio.LifoQueue[aiosqlite.Connection] | None = None
        self._kept_all: list[aiosqlite.Connection] = []
        self._kept_slots = 0
        self._kept_loop: asyncio.AbstractEventLoop | None = None
        self._reader: sqlite3.Connection | None = None

    async def get_connection(self) -> Any:
        connection: Any = await super().get_connection()
        await connection.execute("PRAGMA synchronous = FULL")
        return connection

    def keep_connections(self) -> None:
        """From now on, statements outside a transaction share kept connections."""
        if sqlite3.sqlite_version_info < (3, 35):
            return  # Piccolo reads inserted keys back another way there: keep its own path
        self._kept = asyncio.LifoQueue()
        self._kept_loop = asyncio.get_running_loop()
        self._reader = self._open_reader()

    def _open_reader(self) -> sqlite3.Connection:
        """The loop's own read-only connection for short fixed reads (:meth:`read`): no busy
        timeout (it must never wait on the loop) and ``query_only`` (it can never write)."""
        reader: sqlite3.Connection = sqlite3.connect(
            **{
                **self.connection_kwargs,
                "isolation_level": None,
                "timeout": 0.0,
                "check_same_thread": False,
            }
        )
        reader.row_factory = dict_factory
        reader.execute("PRAGMA query_only = 1")
        return reader

    async def read(self, query: str, args: list[Any]) -> list[Any]:
        """A short fixed read outside a transaction (``FixedQuery``), run on the loop's thread.

        Handing a statement to an aiosqlite thread and back costs two thread switches (and,
        under load, waits for the scheduler and the GIL) that outweigh an indexed read of a few
        rows. In WAL mode a reader never waits for writers, so the read runs here at once, on
        a connection that can only read (``query_only``) and holds no snapshot between
        statements (autocommit; the cursor is drained and closed): it reads the latest commit,
        exactly as a kept connection would. SQLite can still answer busy in rare moments (it
        never waits here: no busy timeout); the read then goes to a kept connection, which
        waits off the loop. Only the hot path's few fixed statements come here, never a report.
        """
        reader = self._reader
        if reader is None or self._kept_loop is not asyncio.get_running_loop():
            return list(await self._run_in_new_connection(query, args))
        try:
            cursor = reader.execute(query, args)
            try:
                return cursor.fetchall()
            finally:
                cursor.close()
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
        return list(await self._run_in_new_connection(query, args))

    async def close_kept_connections(self) -> None:
        kept, self._kept, self._kept_loop = self._kept_all, None, None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._kept_all, self._kept_slots = [], 0
        for connection in kept:
            await connection.close()

    async def _open_kept(self) -> aiosqlite.Connection:
        """A connection in autocommit mode: each statement is its own transaction, so even a
        statement whose caller was cancelled (it still runs on the connection's thread) can
        never leave a transaction, and SQLite's write lock, open behind it."""
        connection = await aiosqlite.connect(**{**self.connection_kwargs, "isolation_level": None})
        try:
            connection.row_factory = dict_factory  # type: ignore[assignment]
            await connection.execute("PRAGMA foreign_keys = 1")
            await connection.execute("PRAGMA synchronous = FULL")
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _take(self, kept: asyncio.LifoQueue[aiosqlite.Connection]) -> aiosqlite.Connection:
        if kept.empty() and self._kept_slots < SQLITE_KEPT_CONNECTIONS:
            self._kept_slots += 1
            try:
                connection = await self._open_kept()
            except BaseException:
                self._kept_slots -= 1
                raise
            self._kept_all.append(connection)
            return connection
        return await kept.get()

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        """A statement inside a transaction: one hand-off to the connection's thread.

        Piccolo's own version makes four (``PRAGMA foreign_keys``, execute, fetch, close the
        cursor). The pragma is a no-op inside a transaction (SQLite ignores it there) and was
        already set when the connection was opened; execute and fetch go together.
        """
        if sqlite3.sqlite_version_info < (3, 35):
            return await super()._run_in_existing_connection(
                connection, query, args, query_type, table
            )
        return list(await connection.execute_fetchall(query, args or []))

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        kept = self._kept
        if kept is None or self._kept_loop is not asyncio.get_running_loop():
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await self._take(kept)
        try:
            # One hand-off to the connection's thread (execute and fetch together), not three
            # (execute, fetch, close the cursor).
            return list(await connection.execute_fetchall(query, args or []))
        finally:
            kept.put_nowait(connection)


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative.db`` and ``sqlite:////abs/path.db`` to a filesystem path."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError("an SQLite URL looks like sqlite:///relative.db or sqlite:////abs.db")
    return Path(unquote(url[len(prefix) :]))


def build_engine(url: str) -> Engine[Any]:
    """An engine for ``url`` (``sqlite:///...`` or ``postgresql://...``)."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        return DurableSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    return PostgresEngine(config={"dsn": url.replace("postgres://", "postgresql://", 1)})


#: Every Piccolo app of the product, in migration order. ``piccolo_conf`` registers exactly these
#: and :func:`all_tables` binds their tables, so a new app is named here once (an app missing
#: from the binding would silently query the default database).
APP_MODULES: tuple[str, ...] = (
    "ledger.piccolo_app",
    "portal.piccolo_app",
    "portal.hours.piccolo_app",
    "portal.messages.piccolo_app",
    "portal.recognition.piccolo_app",
    "portal.applications.piccolo_app",
    "portal.retention.piccolo_app",
    "portal.erasure.piccolo_app",
)


def all_tables() -> list[type[Table]]:
    """Every table of the product, from the apps in :data:`APP_MODULES`."""
    return [
        table
        for module in APP_MODULES
        for table in importlib.import_module(module).APP_CONFIG.table_classes
    ]


def bind_engine(engine: Engine[Any], tables: Iterable[type[Table]] | None = None) -> None:
    """Point every table at ``engine``; the latest binding wins for the whole process."""
    for table in tables if tables is not None else all_tables():
        table._meta.db = engine


async def rollback_if_in_transaction(connection: Any) -> None:
    """The pool's reset when a connection comes back: roll back a transaction left open.

    asyncpg's default reset sends ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` on every release, a second round trip for each query Piccolo runs outside a
    transaction. Nothing here leaves session state behind: advisory locks are taken with
    ``pg_advisory_xact_lock`` and settings with ``set_config(..., true)`` (both end with their
    transaction), and nothing LISTENs or declares cursors outside a transaction. Code that
    changes session state must not run on pooled connections.
    """
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def open_engine(engine: Engine[Any]) -> None:
    """Start what the engine needs for serving: a pool on PostgreSQL, WAL and kept connections
    on SQLite."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(
            min_size=1, max_size=PG_POOL_MAX, reset=rollback_if_in_transaction
        )
    elif isinstance(engine, SQLiteEngine):
        await engine._run_in_new_connection("PRAGMA journal_mode = WAL")
        if isinstance(engine, DurableSQLiteEngine):
            engine.keep_connections()


async def close_engine(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
    elif isinstance(engine, DurableSQLiteEngine):
        await engine.close_kept_connections()


def is_postgres(engine: Engine[Any]) -> bool:
    return isinstance(engine, PostgresEngine)
