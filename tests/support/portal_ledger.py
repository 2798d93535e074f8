"""Fixtures shared by the portal domain tests: a started ledger, owner SQL, the served app.

Each domain test folder's ``conftest.py`` imports them, so they are defined once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from ledger import Ledger
from ledger.note import load_or_create_signing_key
from portal.settings import Settings
from tests.support.auth import serve

OwnerSQL = Callable[..., Awaitable[list[Any]]]


@pytest.fixture
async def ledger(engine: Any, settings: Settings) -> AsyncIterator[Ledger]:
    """A ledger signing with the same key file the served app will load."""
    signer = load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    instance = Ledger(engine, signer, settings.ledger_origin)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.close()


@pytest.fixture
def owner_sql(database: Any) -> OwnerSQL:
    """Statements as the owner (SQLite: a plain connection; PostgreSQL: the superuser), or
    as the application role with ``app_role=True`` (PostgreSQL)."""

    async def run(*statements: str, app_role: bool = False) -> list[Any]:
        results: list[Any] = []
        if database.kind == "sqlite":
            connection = sqlite3.connect(
                str(Path(database.url.removeprefix("sqlite:///"))), isolation_level=None
            )
            try:
                for statement in statements:
                    results.append(connection.execute(statement).fetchall())
            finally:
                connection.close()
            return results
        url = database.url if app_role else database.owner_url
        connection = await asyncpg.connect(url)
        try:
            for statement in statements:
                results.append(await connection.fetch(statement))
        finally:
            await connection.close()
        return results

    return run


@pytest.fixture
async def client(settings: Settings, scene: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    """The real app served on the test database, after the test module's ``scene`` is built."""
    async with serve(settings) as served:
        yield served
