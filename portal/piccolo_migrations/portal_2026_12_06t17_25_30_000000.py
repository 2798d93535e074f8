"""Portal: status history and account actions are append-only; grants; the name key backfilled.

``volunteer_status_change`` and ``account_action`` are history: UPDATE and DELETE (and TRUNCATE
on PostgreSQL) are rejected by triggers, and the application role may only SELECT and INSERT.
Existing volunteers get their ``name_key`` (the search fold of ``display_name``, a frozen copy of
``portal.organisations.names.name_key``), so search finds everyone recorded before it.
"""

import re
import unicodedata

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

from migrations.raw import raw_migration

ID = "2026-12-06T17:25:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only status history and account actions; grants; name key backfill"

APPEND_ONLY = ("volunteer_status_change", "account_action")
INDEX = (
    "CREATE INDEX volunteer_status_change_history "
    "ON volunteer_status_change (volunteer, effective_on, recorded_at)"
)

_HYPHENS = re.compile(r"[-\u2010-\u2015]")
_PUNCTUATION = re.compile(r"[^\w\s]")


def _name_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_PUNCTUATION.sub("", _HYPHENS.sub(" ", bare)).split())[:200]


def _statements(engine_type: str) -> list[str]:
    sql = [INDEX]
    if engine_type == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                sql.append(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        return sql
    for table in APPEND_ONLY:
        sql += [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION esp_portal_reject_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION esp_portal_reject_change()",
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"GRANT SELECT, INSERT ON {table} TO esp_portal_app",
        ]
    return sql


def _backwards_statements(engine_type: str) -> list[str]:
    sql = ["DROP INDEX IF EXISTS volunteer_status_change_history"]
    if engine_type == "sqlite":
        return sql + [
            f"DROP TRIGGER IF EXISTS {table}_no_{action}"
            for table in APPEND_ONLY
            for action in ("update", "delete")
        ]
    for table in APPEND_ONLY:
        sql += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"REVOKE ALL ON {table} FROM esp_portal_app",
        ]
    return sql


class _Raw(Table):
    """Only a handle for running the backfill on the migration engine."""


async def _backfill_name_keys() -> None:
    engine = engine_finder()
    assert engine is not None
    _Raw._meta.db = engine
    rows = await _Raw.raw("SELECT id, display_name FROM volunteer WHERE name_key = ''")
    for row in rows:
        await _Raw.raw(
            "UPDATE volunteer SET name_key = {} WHERE id = {}",
            _name_key(row["display_name"]),
            row["id"],
        )


async def forwards() -> MigrationManager:
    manager = raw_migration(
        migration_id=ID,
        app_name="portal",
        description=DESCRIPTION,
        forwards={"sqlite": _statements("sqlite"), "postgres": _statements("postgres")},
        backwards={
            "sqlite": _backwards_statements("sqlite"),
            "postgres": _backwards_statements("postgres"),
        },
    )
    manager.add_raw(_backfill_name_keys)
    return manager
