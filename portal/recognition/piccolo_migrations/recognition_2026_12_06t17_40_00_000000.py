"""Awards: the application role may read and add awards, never change or remove one (a wrong
award is a matter for the DPO, who has the owner's tools)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "award grants"


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="recognition",
        description=DESCRIPTION,
        forwards={
            "sqlite": [],
            "postgres": [
                "REVOKE ALL ON award FROM PUBLIC",
                "GRANT SELECT, INSERT ON award TO esp_portal_app",
            ],
        },
        backwards={
            "sqlite": [],
            "postgres": ["REVOKE ALL ON award FROM esp_portal_app"],
        },
    )
