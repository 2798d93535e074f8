"""Portal: one folded name per volunteer: ``volunteer.name_key`` is dropped.

The coordinator's list filter read ``name_key`` (one fold of the name) and the DPO's person
search read ``search_key`` (another fold, with its trigram indexes); both now read
``search_key``, so ``name_key`` and its index go. The index first: SQLite refuses to drop an
indexed column (the raw statements run before Piccolo's column operations). Going back re-adds
the column (empty, without its index: nothing reads it any more).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T21:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one folded name per volunteer: drop volunteer.name_key (search_key serves both)"

DROP_INDEX = ["DROP INDEX IF EXISTS volunteer_name_key"]


async def forwards() -> MigrationManager:
    manager = raw_migration(
        migration_id=ID,
        app_name="portal",
        description=DESCRIPTION,
        forwards={"sqlite": DROP_INDEX, "postgres": DROP_INDEX},
        backwards={"sqlite": [], "postgres": []},
    )
    manager.drop_column(
        table_class_name="Volunteer",
        tablename="volunteer",
        column_name="name_key",
        db_column_name="name_key",
        schema=None,
    )
    return manager
