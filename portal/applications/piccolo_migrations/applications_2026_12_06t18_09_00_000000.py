"""Application milestones: the application role may read and append them, never change or remove
one (a milestone is history; a correction is a new milestone); the per-person read has its index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T18:09:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "milestone grants and index"

INDEX = (
    "CREATE INDEX application_milestone_by_person "
    "ON application_milestone (volunteer, occurred_on, recorded_at)"
)


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="applications",
        description=DESCRIPTION,
        forwards={
            "sqlite": [INDEX],
            "postgres": [
                INDEX,
                "REVOKE ALL ON application_milestone FROM PUBLIC",
                "GRANT SELECT, INSERT ON application_milestone TO esp_portal_app",
            ],
        },
        backwards={
            "sqlite": ["DROP INDEX application_milestone_by_person"],
            "postgres": [
                "DROP INDEX application_milestone_by_person",
                "REVOKE ALL ON application_milestone FROM esp_portal_app",
            ],
        },
    )
