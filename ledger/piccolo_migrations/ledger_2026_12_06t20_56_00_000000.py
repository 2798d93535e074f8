"""Ledger: stored subject map nodes are append-only; the application role may SELECT and INSERT.

Same raw-SQL style as the entries' triggers: on both engines UPDATE and DELETE are refused for
every role (and TRUNCATE on PostgreSQL), SQLite also refuses an insert that would replace a row
(``INSERT OR REPLACE`` deletes without firing delete triggers), and the PostgreSQL group role
``esp_portal_app`` gets SELECT and INSERT only.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-06T20:56:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "subject map nodes append-only and grants"

TABLE = "ledger_subject_node"


class _Raw(Table):
    """Only a handle for running raw statements on the migration engine."""


def _statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            *(
                f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"
                for action in ("UPDATE", "DELETE")
            ),
            f"CREATE TRIGGER {TABLE}_no_replace BEFORE INSERT ON {TABLE} "
            f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE key = NEW.key) "
            f"BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: {TABLE} is append-only, a row "
            "is never replaced'); END",
        ]
    return [
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION esp_reject_change()",
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION esp_reject_change()",
        f"REVOKE ALL ON {TABLE} FROM PUBLIC",
        f"GRANT SELECT, INSERT ON {TABLE} TO esp_portal_app",
    ]


def _backwards_statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {TABLE}_no_{action}"
            for action in ("update", "delete", "replace")
        ]
    return [
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
        f"REVOKE ALL ON {TABLE} FROM esp_portal_app",
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
