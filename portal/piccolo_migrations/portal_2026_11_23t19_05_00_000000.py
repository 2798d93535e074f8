"""Portal: grants for the application group role on the portal's own tables.

The portal's tables are ordinary (read and write); the append-only ones are added by later
migrations with only SELECT and INSERT. SQLite has no roles, so this is PostgreSQL only.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

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


CREATE_GROUP_ROLE = """
    DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'esp_portal_app') THEN
            CREATE ROLE esp_portal_app NOLOGIN;
        END IF;
    END $$
    """


async def forwards() -> MigrationManager:
    grants = [CREATE_GROUP_ROLE]
    for table in READ_WRITE:
        grants += [
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO esp_portal_app",
        ]
    return raw_migration(
        migration_id=ID,
        app_name="portal",
        description=DESCRIPTION,
        forwards={"sqlite": [], "postgres": grants},
        backwards={
            "sqlite": [],
            "postgres": [f"REVOKE ALL ON {table} FROM esp_portal_app" for table in READ_WRITE],
        },
    )
