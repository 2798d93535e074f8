"""Ledger: witness cosignatures are append-only; the application role may SELECT and INSERT.

Same raw-SQL style as the entries' triggers: on both engines UPDATE and DELETE are refused for
every role (and TRUNCATE on PostgreSQL), and the PostgreSQL group role ``esp_portal_app`` gets
SELECT and INSERT only (and the id sequence, which INSERT needs).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-06T15:16:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "witness cosignatures append-only and grants"

TABLE = "ledger_cosignature"


class _Raw(Table):
    """Only a handle for running raw statements on the migration engine."""


def _statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"
            for action in ("UPDATE", "DELETE")
        ]
    return [
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION esp_reject_change()",
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION esp_reject_change()",
        f"REVOKE ALL ON {TABLE} FROM PUBLIC",
        f"GRANT SELECT, INSERT ON {TABLE} TO esp_portal_app",
        f"GRANT USAGE ON SEQUENCE {TABLE}_id_seq TO esp_portal_app",
    ]


def _backwards_statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {TABLE}_no_{action}" for action in ("update", "delete")]
    return [
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    ]


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
