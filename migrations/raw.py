"""The one helper for hand-written migrations: raw SQL for each engine, with its undo.

Triggers, grants, partial indexes and seed rows are not something Piccolo's auto migrations can
describe, so they are written by hand. Every such migration has the same shape: statements for
SQLite, statements for PostgreSQL, and the statements that undo them. Spelling that shape once
means a new migration cannot forget an engine (both keys are required, an empty list saying
"nothing to do here") or its undo.

Migrations that have run must behave the same for ever, so this module imports only Piccolo and
its behaviour never changes: a new need is a new function, not an edit. The ledger's own
migrations do not use it: ``ledger`` imports nothing outside itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

#: The engines every raw migration must give SQL for (Piccolo's ``engine_type`` values).
ENGINES = ("sqlite", "postgres")

#: Statements keyed by engine, run in order.
PerEngine = Mapping[str, Sequence[str]]


class _Raw(Table):
    """Only a handle for running raw statements on the migration engine."""


def _checked(migration_id: str, direction: str, sql: PerEngine) -> PerEngine:
    missing = [engine for engine in ENGINES if engine not in sql]
    unknown = sorted(set(sql) - set(ENGINES))
    if missing or unknown:
        raise ValueError(
            f"migration {migration_id}: {direction} needs SQL for exactly {', '.join(ENGINES)} "
            f"(an empty list when there is nothing to do); missing {missing}, unknown {unknown}"
        )
    return sql


async def _run(sql: PerEngine) -> None:
    engine = engine_finder()
    if engine is None:
        raise RuntimeError("no Piccolo engine: piccolo_conf.DB is not set")
    _Raw._meta.db = engine
    for statement in sql[engine.engine_type]:
        await _Raw.raw(statement)


def raw_migration(
    *,
    migration_id: str,
    app_name: str,
    description: str,
    forwards: PerEngine,
    backwards: PerEngine,
) -> MigrationManager:
    """A migration manager that runs ``forwards[engine]`` and undoes with ``backwards[engine]``.

    Use it from a migration module's ``forwards()``::

        async def forwards() -> MigrationManager:
            return raw_migration(migration_id=ID, app_name="portal", description=DESCRIPTION,
                                 forwards={"sqlite": [...], "postgres": [...]},
                                 backwards={"sqlite": [...], "postgres": [...]})
    """
    forwards = _checked(migration_id, "forwards", forwards)
    backwards = _checked(migration_id, "backwards", backwards)
    manager = MigrationManager(
        migration_id=migration_id, app_name=app_name, description=description
    )

    async def run_forwards() -> None:
        await _run(forwards)

    async def run_backwards() -> None:
        await _run(backwards)

    manager.add_raw(run_forwards)
    manager.add_raw_backwards(run_backwards)
    return manager
