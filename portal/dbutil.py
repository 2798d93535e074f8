"""Database helpers every domain shares: write transactions, unique violations, stored values.

SQLite and PostgreSQL hand values back differently: SQLite stores JSON, dates and timestamps as
text, PostgreSQL returns decoded values. Services read such columns through :func:`json_value`,
:func:`as_date` and :func:`as_moment`, so the difference is handled here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table


def is_unique_violation(exc: BaseException) -> bool:
    """True for a unique-constraint failure on either engine (a race lost to another writer)."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


@asynccontextmanager
async def write_transaction(table: type[Table]) -> AsyncIterator[None]:
    """A transaction on the table's engine that may write from its first statement.

    SQLite takes the write lock at ``BEGIN IMMEDIATE`` (check-then-write sequences serialise, and
    the ledger's sequencer can append inside it); PostgreSQL callers lock the rows they depend on.
    """
    engine: Any = table._meta.db
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with engine.transaction():
            yield


def json_value(value: Any) -> Any:
    """A JSON column's value: decoded from text (SQLite), as returned otherwise (PostgreSQL)."""
    if isinstance(value, str | bytes | bytearray):
        return json.loads(value)
    return value


def as_date(value: Any) -> dt.date:
    """A date column's value (ISO text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def as_moment(value: Any) -> dt.datetime:
    """A timestamp column's value, timezone-aware (ISO text on SQLite; naive means UTC)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
