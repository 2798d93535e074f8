"""Database engines for SQLite (embedded default) and PostgreSQL (production).

The engine is built from a URL and bound to every Piccolo table by :func:`bind_engine`, so an app
(or a test) can serve its own database without touching module globals such as ``piccolo_conf``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

SQLITE_BUSY_TIMEOUT_S = 30.0


class DurableSQLiteEngine(SQLiteEngine):
    """SQLite with WAL, foreign keys, a busy timeout and fully synchronous commits.

    Piccolo opens a connection per query outside transactions; pragmas that are per connection are
    therefore applied on every connection this engine hands out for a transaction, and the busy
    timeout is passed to every connect (it is a connect argument).
    """

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = FULL")
        return connection


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


def all_tables() -> list[type[Table]]:
    """Every table of the product, from the Piccolo app registry."""
    from ledger.piccolo_app import APP_CONFIG as LEDGER_APP
    from portal.hours.piccolo_app import APP_CONFIG as HOURS_APP
    from portal.piccolo_app import APP_CONFIG as PORTAL_APP

    return [*PORTAL_APP.table_classes, *LEDGER_APP.table_classes, *HOURS_APP.table_classes]


def bind_engine(engine: Engine[Any], tables: Iterable[type[Table]] | None = None) -> None:
    """Point every table at ``engine``; the latest binding wins for the whole process."""
    for table in tables if tables is not None else all_tables():
        table._meta.db = engine


async def open_engine(engine: Engine[Any]) -> None:
    """Start what the engine needs for serving: a pool on PostgreSQL, WAL on SQLite."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=20)
    elif isinstance(engine, SQLiteEngine):
        await engine._run_in_new_connection("PRAGMA journal_mode = WAL")


async def close_engine(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


def is_postgres(engine: Engine[Any]) -> bool:
    return isinstance(engine, PostgresEngine)
