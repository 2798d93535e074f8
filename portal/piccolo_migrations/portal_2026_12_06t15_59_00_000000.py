"""Portal: one page-view counter row per day, route template and role; grants.

The unique index is what ``INSERT ... ON CONFLICT DO UPDATE`` increments through. The counter is
not history (it is updated in place), so the application role may SELECT, INSERT and UPDATE it,
never DELETE or TRUNCATE.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-06T15:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "page view counter: unique key and grants"

INDEX = "CREATE UNIQUE INDEX page_view_count_key ON page_view_count (day, route, role)"


class _Raw(Table):
    """Only a handle for running raw statements on the migration engine."""


def _statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [INDEX]
    return [
        INDEX,
        "REVOKE ALL ON page_view_count FROM PUBLIC",
        "GRANT SELECT, INSERT, UPDATE ON page_view_count TO esp_portal_app",
        "GRANT USAGE, SELECT ON SEQUENCE page_view_count_id_seq TO esp_portal_app",
    ]


def _backwards_statements(engine_type: str) -> list[str]:
    sql = ["DROP INDEX IF EXISTS page_view_count_key"]
    if engine_type != "sqlite":
        sql.append("REVOKE ALL ON page_view_count FROM esp_portal_app")
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
