"""Ledger: append-only triggers, the application group role's grants, and the head row.

Raw SQL, branching on the engine. The group role ``esp_portal_app`` is what the portal's login role
is made a member of by ``esp-portal migrate``; it may only SELECT and INSERT entries, nodes and
checkpoints, and SELECT and UPDATE the head row.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-11-23T19:04:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only triggers, grants and head row"

APPEND_ONLY = ("ledger_entry", "ledger_node", "ledger_checkpoint")
EMPTY_ROOT_HEX = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class _Raw(Table):
    """Only a handle for running raw statements on the migration engine."""


def _statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        sql = []
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                sql.append(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        sql.append(
            "INSERT INTO ledger_head (id, size, root_hash, updated_at) "
            f"VALUES (1, 0, X'{EMPTY_ROOT_HEX}', CURRENT_TIMESTAMP)"
        )
        return sql
    sql = [
        """
        CREATE OR REPLACE FUNCTION esp_reject_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """,
        """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'esp_portal_app') THEN
                CREATE ROLE esp_portal_app NOLOGIN;
            END IF;
        END $$
        """,
    ]
    for table in APPEND_ONLY:
        sql += [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION esp_reject_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION esp_reject_change()",
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"GRANT SELECT, INSERT ON {table} TO esp_portal_app",
        ]
    sql += [
        "REVOKE ALL ON ledger_head FROM PUBLIC",
        "GRANT SELECT, UPDATE ON ledger_head TO esp_portal_app",
        "INSERT INTO ledger_head (id, size, root_hash, updated_at) "
        f"VALUES (1, 0, '\\x{EMPTY_ROOT_HEX}'::bytea, now())",
    ]
    return sql


def _backwards_statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_{action}"
            for table in APPEND_ONLY
            for action in ("update", "delete")
        ]
    sql = []
    for table in APPEND_ONLY:
        sql += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"REVOKE ALL ON {table} FROM esp_portal_app",
        ]
    sql += ["REVOKE ALL ON ledger_head FROM esp_portal_app", "DELETE FROM ledger_head"]
    return sql


async def _run(statements: list[str]) -> None:
    for statement in statements:
        await _Raw.raw(statement)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)
    engine = engine_finder()
    assert engine is not None
    _Raw._meta.db = engine

    async def run_forwards() -> None:
        await _run(_statements(engine.engine_type))

    async def run_backwards() -> None:
        await _run(_backwards_statements(engine.engine_type))

    manager.add_raw(run_forwards)
    manager.add_raw_backwards(run_backwards)
    return manager
