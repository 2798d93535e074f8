"""Small helpers shared by the consent, agreement and disclosure services."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from ledger.entries import Channel
from portal.auth.identity import Identity
from portal.auth.requests import AppRequest
from portal.errors import InvalidInput


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_id(value: object) -> str | None:
    """The canonical text of a UUID, or None when ``value`` is not one."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "message": message}])


def is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


@asynccontextmanager
async def write_transaction(table: type[Table]) -> AsyncIterator[None]:
    """A transaction for rows that commit atomically with their ledger entry.

    SQLite: ``BEGIN IMMEDIATE`` (the ledger's sequencer needs the write lock from the start).
    """
    engine: Any = table._meta.db
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with engine.transaction():
            yield


def request_id(request: AppRequest) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))[:64]


def channel_of(identity: Identity) -> Channel:
    return "api" if identity.via == "token" else "web"


#: Bounds for paging parameters, so no value can overflow a database integer.
MAX_OFFSET = 1_000_000
MAX_INDEX = 2**53 - 1
