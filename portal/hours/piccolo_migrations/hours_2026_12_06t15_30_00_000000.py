"""Append-only tables refuse an insert that would replace a row (SQLite ``INSERT OR REPLACE``).

SQLite carries out ``INSERT OR REPLACE`` (and ``REPLACE``, and an ``ON CONFLICT REPLACE`` clause)
by deleting the row that holds the key and inserting the new one, without firing the delete
triggers that keep these tables append-only. So a ``BEFORE INSERT`` trigger on each refuses any
insert whose primary key or unique key is already taken. A plain insert with a taken key fails as
it always did (the message still says UNIQUE, which callers that retry on a duplicate key read).

It lives in the hours app because that app migrates last, after the ledger and portal tables it
also covers. The keys are read from the schema (primary key and unique indexes), so the trigger
checks exactly the keys a REPLACE could collide on. PostgreSQL needs nothing: ``INSERT ... ON
CONFLICT DO UPDATE`` fires the UPDATE triggers that refuse it (and the application role has no
UPDATE privilege on these tables at all).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-06T15:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only tables refuse INSERT OR REPLACE (SQLite)"

#: Every table whose rows are never changed or removed once written (or, for ledger_head and
#: leave_request, only changed in one guarded way and never removed).
GUARDED = (
    "ledger_entry",
    "ledger_node",
    "ledger_checkpoint",
    "ledger_head",
    "data_sharing_agreement",
    "consent_event",
    "withdrawal_notice",
    "withdrawal_notice_ack",
    "disclosure_refusal",
    "duty_record",
    "leave_request",
    "leave_request_event",
    "esp_leave_policy",
    "hours_report_release",
)


class _Raw(Table):
    """Only a handle for running raw statements on the migration engine."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _keys(table: str) -> list[list[str]]:
    """The column lists a REPLACE could collide on: the primary key and each unique index."""
    keys: list[list[str]] = []
    info = await _Raw.raw("SELECT name, pk FROM pragma_table_info({}) WHERE pk > 0", table)
    if info:
        keys.append([row["name"] for row in sorted(info, key=lambda row: row["pk"])])
    indexes = await _Raw.raw('SELECT name FROM pragma_index_list({}) WHERE "unique" = 1', table)
    for index in indexes:
        columns = await _Raw.raw(
            "SELECT name FROM pragma_index_info({}) ORDER BY seqno", index["name"]
        )
        names = [row["name"] for row in columns]
        if names and None not in names and names not in keys:
            keys.append(names)
    return keys


async def _create(table: str) -> str:
    quoted = _quote(table)
    taken = " OR ".join(
        f"EXISTS (SELECT 1 FROM {quoted} WHERE "
        + " AND ".join(f"{_quote(c)} = NEW.{_quote(c)}" for c in key)
        + ")"
        for key in await _keys(table)
    )
    return (
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {quoted} WHEN {taken} "
        f"BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: {table} is append-only, a row "
        "is never replaced'); END"
    )


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="hours", description=DESCRIPTION)
    engine = engine_finder()
    assert engine is not None
    _Raw._meta.db = engine

    async def run_forwards() -> None:
        if engine.engine_type != "sqlite":
            return
        for table in GUARDED:
            await _Raw.raw(await _create(table))

    async def run_backwards() -> None:
        if engine.engine_type != "sqlite":
            return
        for table in GUARDED:
            await _Raw.raw(f"DROP TRIGGER IF EXISTS {table}_no_replace")

    manager.add_raw(run_forwards)
    manager.add_raw_backwards(run_backwards)
    return manager
