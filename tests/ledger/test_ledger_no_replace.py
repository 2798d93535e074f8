"""An insert that would replace a row of an append-only table is refused (both databases).

SQLite's ``INSERT OR REPLACE`` deletes the row holding the key without firing delete triggers;
PostgreSQL's ``INSERT ... ON CONFLICT DO UPDATE`` updates it. Either would let someone rewrite a
ledger entry's search columns (hiding it from a volunteer's disclosure list, the DPO's search and
the subject access report) or turn a withdrawn consent back into a given one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import run_cli
from tests.support.cli import cli_env

COLUMNS = "idx, leaf_hash, body, logged_at, kind, purpose, subject, recipient_org, "
COLUMNS += "recipient_user, channel"
MOVED = COLUMNS.replace("subject", "'sub_someone_else'")

#: Every append-only table (and the two that are only ever changed in one guarded way).
GUARDED = (
    "ledger_entry",
    "ledger_node",
    "ledger_checkpoint",
    "ledger_subject_node",
    "ledger_head",
    "data_sharing_agreement",
    "consent_event",
    "withdrawal_notice",
    "withdrawal_notice_ack",
    "disclosure_refusal",
    "duty_record",
    "leave_request",
    "leave_request_event",
    "esp_leave_policy",
    "hours_report_release",
)


async def test_a_ledger_entry_cannot_be_replaced(database, ledger, draft, owner_sql) -> None:
    await ledger.append([draft(0), draft(1), draft(2)])
    before = await ledger.get_entry(1)
    if database.kind == "sqlite":
        replace = f"INSERT OR REPLACE INTO ledger_entry ({COLUMNS}) "
        replace += f"SELECT {MOVED} FROM ledger_entry WHERE idx = 1"
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await owner_sql(replace)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await owner_sql(replace.replace("INSERT OR REPLACE", "REPLACE"))
    else:
        upsert = f"INSERT INTO ledger_entry ({COLUMNS}) SELECT {MOVED} FROM ledger_entry "
        upsert += "WHERE idx = 1 ON CONFLICT (idx) DO UPDATE SET subject = EXCLUDED.subject"
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await owner_sql(upsert)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await owner_sql(upsert, app_role=True)
    after = await ledger.get_entry(1)
    assert (after.subject, after.body) == (before.subject, before.body)
    assert (await ledger.verify()).ok


async def test_no_append_only_row_can_be_replaced(
    database: Any, settings: Any, tmp_path: Path, owner_sql: Any
) -> None:
    if database.kind != "sqlite":
        pytest.skip("PostgreSQL refuses ON CONFLICT DO UPDATE with its UPDATE triggers")
    loaded = run_cli("demo", env=cli_env(database, tmp_path / "demo"))
    assert loaded.returncode == 0, loaded.stderr
    connection = sqlite3.connect(database.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        filled = []
        for table in GUARDED:
            rows = connection.execute(f"SELECT * FROM {table}").fetchall()
            if not rows:
                continue
            filled.append(table)
            for statement in (
                f"INSERT OR REPLACE INTO {table} SELECT * FROM {table} LIMIT 1",
                f"REPLACE INTO {table} SELECT * FROM {table} LIMIT 1",
            ):
                with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                    connection.execute(statement)
            assert connection.execute(f"SELECT * FROM {table}").fetchall() == rows, table
    finally:
        connection.close()
    # The demo data fills most of them; the rest are guarded by the same generated trigger.
    assert len(filled) >= 10, filled
