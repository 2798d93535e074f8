"""Periodic jobs: one ``job_run`` row per job and period (the unique index is the lease that
lets one worker of many run a job in a period); the application role may read and write it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "job_run: unique job and period, grants"

INDEX = "CREATE UNIQUE INDEX job_run_period ON job_run (job, period)"


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="messages",
        description=DESCRIPTION,
        forwards={
            "sqlite": [INDEX],
            "postgres": [
                INDEX,
                "REVOKE ALL ON job_run FROM PUBLIC",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON job_run TO esp_portal_app",
            ],
        },
        backwards={
            "sqlite": ["DROP INDEX job_run_period"],
            "postgres": ["DROP INDEX job_run_period", "REVOKE ALL ON job_run FROM esp_portal_app"],
        },
    )
