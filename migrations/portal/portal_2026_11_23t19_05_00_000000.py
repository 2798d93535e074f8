"""Portal: grants for the application group role on the portal's own tables.

The portal's tables are ordinary (read and write); the append-only ones are added by later
migrations with only SELECT and INSERT. SQLite has no roles, so this is PostgreSQL only.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-11-23T19:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "application role grants"

READ_WRITE = (
    "organisation",
    "volunteer",
    "employment",
    "user_account",
    "invitation",
    "user_session",
    "login_attempt",
    "integration_token",
)


class _Raw(Table):
    """Only a handle for running raw statements on the migration engine."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)
    engine = engine_finder()
    assert engine is not None
    _Raw._meta.db = engine

    async def run_forwards() -> None:
        if engine.engine_type != "postgres":
            return
        await _Raw.raw(
            """
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'esp_portal_app') THEN
                    CREATE ROLE esp_portal_app NOLOGIN;
                END IF;
            END $$
            """
        )
        for table in READ_WRITE:
            await _Raw.raw(f"REVOKE ALL ON {table} FROM PUBLIC")
            await _Raw.raw(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO esp_portal_app")

    async def run_backwards() -> None:
        if engine.engine_type != "postgres":
            return
        for table in READ_WRITE:
            await _Raw.raw(f"REVOKE ALL ON {table} FROM esp_portal_app")

    manager.add_raw(run_forwards)
    manager.add_raw_backwards(run_backwards)
    return manager
