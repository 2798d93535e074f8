"""Append-only is enforced by the database itself, not by the application's good manners.

Two independent defences, tested apart: triggers reject UPDATE, DELETE (and on PostgreSQL
TRUNCATE) even for the owner, and the PostgreSQL application role is never granted those
privileges in the first place (so the check fails before any trigger runs).
"""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest

from ledger.cosignature import CosignatureSigner
from ledger.witnessing import CosignatureStore

TABLES = {
    "ledger_entry": ("body = X'00'", "idx = 0"),
    "ledger_node": ("hash = X'00'", "level = 1"),
    "ledger_checkpoint": ("note = 'forged'", "size = 2"),
    "ledger_cosignature": ("line = 'forged'", "tree_size = 2"),
    "ledger_subject_node": ("body = X'00'", "length(key) > 0"),
}
PG_SET = {
    "ledger_entry": "body = '\\x00'::bytea",
    "ledger_node": "hash = '\\x00'::bytea",
    "ledger_checkpoint": "note = 'forged'",
    "ledger_cosignature": "line = 'forged'",
    "ledger_subject_node": "body = '\\x00'::bytea",
}


@pytest.fixture
async def filled(ledger, draft):
    await ledger.append([draft(0), draft(1)])
    body = (await ledger.latest_checkpoint()).split("\n\n")[0] + "\n"
    witness = CosignatureSigner.generate("witness.example/w")
    line = witness.line(body, 1_700_000_000)
    found = witness.verifier().check_line(body, line)
    assert found is not None
    await CosignatureStore(ledger.engine).add(2, found, line)
    return ledger


async def test_triggers_reject_update_and_delete_even_for_the_owner(database, filled, owner_sql):
    for table, (assignment, condition) in TABLES.items():
        if database.kind == "postgres":
            assignment = PG_SET[table]
        for statement in (
            f"UPDATE {table} SET {assignment} WHERE {condition}",
            f"DELETE FROM {table} WHERE {condition}",
        ):
            error = sqlite3.IntegrityError if database.kind == "sqlite" else asyncpg.PostgresError
            with pytest.raises(error, match="append-only"):
                await owner_sql(statement)
    assert (await filled.verify()).ok


async def test_postgres_truncate_trigger_fires_for_the_owner(database, filled, owner_sql):
    if database.kind != "postgres":
        pytest.skip("SQLite has no TRUNCATE")
    for table in TABLES:
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await owner_sql(f"TRUNCATE {table} CASCADE")
    assert (await filled.verify()).ok


async def test_postgres_app_role_lacks_the_privileges(database, filled, owner_sql):
    if database.kind != "postgres":
        pytest.skip("SQLite has no roles")
    for table, (_, condition) in TABLES.items():
        [rows] = await owner_sql(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            f"WHERE grantee = 'esp_portal_app' AND table_name = '{table}'"
        )
        assert {row["privilege_type"] for row in rows} == {"SELECT", "INSERT"}, table
        for statement in (
            f"UPDATE {table} SET {PG_SET[table]} WHERE {condition}",
            f"DELETE FROM {table} WHERE {condition}",
            f"TRUNCATE {table}",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await owner_sql(statement, app_role=True)
    assert (await filled.verify()).ok


async def test_postgres_app_role_may_only_read_and_update_the_head(database, filled, owner_sql):
    if database.kind != "postgres":
        pytest.skip("SQLite has no roles")
    for statement in ("DELETE FROM ledger_head", "TRUNCATE ledger_head"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await owner_sql(statement, app_role=True)


async def test_the_head_only_moves_forward_even_for_the_owner(database, filled, owner_sql):
    """Rolling the head back, re-rooting it, or deleting it is rejected by triggers."""
    root = "X'00'" if database.kind == "sqlite" else "'\\x00'::bytea"
    error = sqlite3.IntegrityError if database.kind == "sqlite" else asyncpg.PostgresError
    for statement in (
        "UPDATE ledger_head SET size = 1 WHERE id = 1",
        f"UPDATE ledger_head SET root_hash = {root} WHERE id = 1",
        "UPDATE ledger_head SET id = 2 WHERE id = 1",
        "DELETE FROM ledger_head",
    ):
        with pytest.raises(error, match="ledger_head"):
            await owner_sql(statement)
    if database.kind == "postgres":
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await owner_sql("TRUNCATE ledger_head")
    assert (await filled.verify()).ok
    await filled.append([])  # a no-op append leaves it alone
    assert (await filled.verify()).size == 2
