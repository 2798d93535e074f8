"""Messages: the application role may read and write the outbox; the worker's claim query
(status, due time) has its own index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T15:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox grants and claim index"

INDEX = "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)"


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="messages",
        description=DESCRIPTION,
        forwards={
            "sqlite": [INDEX],
            "postgres": [
                INDEX,
                "REVOKE ALL ON outbox FROM PUBLIC",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON outbox TO esp_portal_app",
            ],
        },
        backwards={
            "sqlite": ["DROP INDEX outbox_due"],
            "postgres": ["DROP INDEX outbox_due", "REVOKE ALL ON outbox FROM esp_portal_app"],
        },
    )
