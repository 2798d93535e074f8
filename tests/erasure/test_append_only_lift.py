"""SQLite's one way through an append-only trigger: a marker row in the reduction's own transaction.

Every protecting trigger of a table a sanctioned reduction (erasure, retention) reaches consults
``append_only_lift`` for its table and operation; no other trigger does. A marker lifts exactly
its table and operation, is invisible to other connections, and can never be committed.
"""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from portal.erasure.plan import GUARDED, STEPS, lifted_by_plan

LIFT = "append_only_lift"
REFUSALS_DELETE = (
    f"INSERT INTO {LIFT} (table_name, operation) VALUES ('disclosure_refusal', 'DELETE')"
)
MIGRATION = importlib.import_module(
    "portal.erasure.piccolo_migrations.erasure_2026_12_07t03_30_00_000000"
)


def _connect(database: Any) -> sqlite3.Connection:
    """A connection as the application opens them: foreign keys enforced."""
    connection = sqlite3.connect(
        str(Path(database.url.removeprefix("sqlite:///"))), isolation_level=None, timeout=5
    )
    connection.execute("PRAGMA foreign_keys = 1")
    return connection


@pytest.fixture
def sqlite_db(database: Any) -> Any:
    if database.kind != "sqlite":
        pytest.skip("PostgreSQL's reductions are owner functions; its triggers are unchanged")
    return database


def _seed(connection: sqlite3.Connection) -> None:
    """One refused attempt and one account action (append-only rows with no foreign keys to
    fill in beyond an account)."""
    connection.execute(
        "INSERT INTO disclosure_refusal (id, occurred_at, reason, purpose, subject, "
        "requested_id, recipient_org, recipient_user, categories, request_id, channel) VALUES "
        "('00000000-0000-4000-8000-000000000001', '2020-01-01 00:00:00+00:00', 'no_consent', "
        "'dpo.audit', 's', 'r', '', '', '[]', '', 'api')"
    )


def test_the_migration_lifts_exactly_the_tables_the_plan_changes() -> None:
    assert set(MIGRATION.APPEND_ONLY) | {"leave_request"} == GUARDED
    assert {table for table, _ in lifted_by_plan()} == GUARDED
    assert {s.operation for s in STEPS} == {"DELETE", "UPDATE"}


def test_only_the_reduced_tables_triggers_consult_the_marker(sqlite_db: Any) -> None:
    connection = _connect(sqlite_db)
    try:
        rows = connection.execute(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall()
    finally:
        connection.close()
    protecting = [
        (table, name, sql)
        for table, name, sql in rows
        if "RAISE(ABORT" in sql and (" BEFORE UPDATE " in sql or " BEFORE DELETE " in sql)
    ]
    consulting = {(table, name) for table, name, sql in protecting if LIFT in sql and table != LIFT}
    expected = {(t, f"{t}_no_{op}") for t in MIGRATION.APPEND_ONLY for op in ("update", "delete")}
    expected.add(("leave_request", "leave_request_no_delete"))
    assert consulting == expected
    # the ledger, erasure records, agreements…: no marker lifts them
    assert {"ledger_entry", "erasure_record", "data_sharing_agreement"} <= {
        table for table, _, _ in protecting if (table, _) not in consulting
    }
    for table, name, sql in protecting:
        if (table, name) in consulting:
            operation = "UPDATE" if name.endswith("_no_update") else "DELETE"
            assert f"table_name = '{table}' AND operation = '{operation}'" in sql, name


def test_a_marker_lifts_only_its_table_and_operation_and_only_in_its_transaction(
    sqlite_db: Any,
) -> None:
    connection, other = _connect(sqlite_db), _connect(sqlite_db)
    try:
        _seed(connection)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            f"INSERT INTO {LIFT} (table_name, operation) VALUES ('disclosure_refusal', 'UPDATE')"
        )
        # the other connection sees no marker
        assert other.execute(f"SELECT COUNT(*) FROM {LIFT}").fetchone() == (0,)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute("DELETE FROM disclosure_refusal")  # another operation
        connection.execute(
            f"INSERT INTO {LIFT} (table_name, operation) VALUES ('consent_event', 'DELETE')"
        )
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute("DELETE FROM disclosure_refusal")  # another table's marker
        connection.execute("UPDATE disclosure_refusal SET subject = ''")
        connection.execute(f"DELETE FROM {LIFT}")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute("UPDATE disclosure_refusal SET subject = 'x'")
        connection.execute("COMMIT")
        assert other.execute("SELECT subject FROM disclosure_refusal").fetchall() == [("",)]
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            other.execute("UPDATE disclosure_refusal SET subject = 'x'")
    finally:
        connection.close()
        other.close()


def test_a_marker_can_never_be_committed(sqlite_db: Any) -> None:
    connection = _connect(sqlite_db)
    try:
        _seed(connection)
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            connection.execute(REFUSALS_DELETE)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(REFUSALS_DELETE)
        connection.execute("DELETE FROM disclosure_refusal")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            connection.execute("COMMIT")
        connection.execute("ROLLBACK")
        assert connection.execute("SELECT COUNT(*) FROM disclosure_refusal").fetchone() == (1,)
        assert connection.execute(f"SELECT COUNT(*) FROM {LIFT}").fetchone() == (0,)
        # nor changed into another, nor the never-table filled to satisfy the key
        with pytest.raises(sqlite3.DatabaseError, match="never"):
            connection.execute("INSERT INTO append_only_lift_never (id) VALUES (0)")
    finally:
        connection.close()
