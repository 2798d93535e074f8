"""Portal: objections and the DPO's decisions are append-only; grants.

Raw SQL, branching on the engine, as for consent history. UPDATE and DELETE (and TRUNCATE on
PostgreSQL) are rejected by triggers, and the application group role ``esp_portal_app`` may only
SELECT and INSERT. On SQLite, ``INSERT OR REPLACE`` would delete the existing row without firing
a DELETE trigger (recursive triggers are off), so an INSERT that would replace a row (same id, or
a second decision for one objection) is rejected too.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-06T15:28:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only objections and objection decisions; grants"

#: Table -> the unique columns an ``INSERT OR REPLACE`` could replace a row through.
APPEND_ONLY = {"objection": ("id",), "objection_decision": ("id", "objection")}


class _Raw(Table):
    """Only a handle for running raw statements on the migration engine."""


def _statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        sql = []
        for table, keys in APPEND_ONLY.items():
            for action in ("UPDATE", "DELETE"):
                sql.append(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
            clash = " OR ".join(f"{key} = NEW.{key}" for key in keys)
            sql.append(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash}) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        return sql
    sql = []
    for table in APPEND_ONLY:
        sql += [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION esp_portal_reject_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION esp_portal_reject_change()",
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"GRANT SELECT, INSERT ON {table} TO esp_portal_app",
        ]
    return sql


def _backwards_statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_{action}"
            for table in APPEND_ONLY
            for action in ("update", "delete", "replace")
        ]
    sql = []
    for table in APPEND_ONLY:
        sql += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"REVOKE ALL ON {table} FROM esp_portal_app",
        ]
    return sql


async def _run(statements: list[str]) -> None:
    for statement in statements:
        await _Raw.raw(statement)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)
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
