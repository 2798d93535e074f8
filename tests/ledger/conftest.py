"""Fixtures for the ledger's storage tests: a signer, a started ledger, drafts, owner SQL.

``owner_sql`` runs statements as the database owner, behind the application's back, which is how
the tests play the part of someone tampering with the log or breaking the storage.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ledger import DisclosureDraft, EntryDraft, Ledger
from ledger.note import NoteSigner, load_or_create_signing_key

ORIGIN = "esp-portal.local/ledger"

OwnerSQL = Callable[..., Awaitable[list[Any]]]


def make_draft(i: int = 0, **overrides: Any) -> EntryDraft:
    values: dict[str, Any] = {
        "purpose": "esp.programme-management",
        "lawful_basis": "consent",
        "subject": f"sub_{i:032x}",
        "recipient_org": "org-1",
        "recipient_user": "user-1",
        "categories": ["status", "identity"],
        "consent_ids": [f"consent-{i}"],
        "agreement_ids": ["dsa-1"],
        "request_id": f"req-{i}",
        "channel": "api",
        "details": {"fields": ["display_name", f"field_{i}"]},
    }
    values.update(overrides)
    return DisclosureDraft(**values)


@pytest.fixture
def draft() -> Callable[..., EntryDraft]:
    return make_draft


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def signer(data_dir: Path) -> NoteSigner:
    """The key the CLI will also load (same file, same name as the default origin)."""
    return load_or_create_signing_key(data_dir / "ledger-signing.key", ORIGIN)


@pytest.fixture
async def ledger(engine: Any, signer: NoteSigner) -> AsyncIterator[Ledger]:
    instance = Ledger(engine, signer, ORIGIN)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.close()


def sqlite_file(url: str) -> str:
    return url.removeprefix("sqlite:///")


@pytest.fixture
def owner_sql(database: Any) -> OwnerSQL:
    """Run statements as the owner (SQLite: a plain connection; PostgreSQL: the superuser)."""

    async def run(*statements: str, app_role: bool = False) -> list[Any]:
        results: list[Any] = []
        if database.kind == "sqlite":
            connection = sqlite3.connect(sqlite_file(database.url), isolation_level=None)
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
