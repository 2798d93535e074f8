"""SQLite: one way for a sanctioned reduction through the append-only triggers, a marker row.

Until now two mechanisms let the sanctioned reductions through on SQLite. Erasure dropped the
``BEFORE UPDATE``/``BEFORE DELETE`` triggers of the tables its plan changes and re-created them
from their stored text before committing; retention's owner procedure (a trigger on
``retention_step``) deleted refused attempts while a step of an approved run was ``erasing``, the
refusal trigger looking at that step. Dropping triggers in a live database changes its schema on
every erasure (every other connection re-prepares its statements; a bug between the drop and the
re-create, or a re-create from the wrong text, leaves a table unprotected), so both now use the
one mechanism retention's approach already pointed at: a marker row.

``append_only_lift`` holds a row (table, operation) only inside the transaction of a sanctioned
reduction: the reduction inserts it, changes the rows, and deletes it before it commits. Each
protecting trigger of a table a reduction reaches lets a change through only while the marker
for that table and operation exists, so no other connection ever sees it (SQLite isolates
uncommitted rows, and one writer at a time holds the database) and a crash rolls it back with the
rest. A marker can never be committed by the application: every row carries a deferred foreign
key to ``append_only_lift_never``, which holds no row and refuses any, so a ``COMMIT`` with a
marker still present fails (the application's connections enforce foreign keys).

Tables no reduction reaches (the ledger, erasure records, agreements, leave policies, alert
acknowledgements) keep their unconditional triggers. PostgreSQL is unchanged: there the
reductions are owner functions (``SECURITY DEFINER``) and the triggers consult a
transaction-local setting only the owner can make count, the same idea with roles.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-07T03:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "SQLite append-only triggers lifted by a marker row, never dropped"

MARKER = "append_only_lift"
NEVER = "append_only_lift_never"

#: Tables a sanctioned reduction changes, each with its two triggers ``<table>_no_update`` and
#: ``<table>_no_delete`` (both raising "<table> is append-only").
APPEND_ONLY = (
    "objection_decision",
    "objection",
    "withdrawal_notice_ack",
    "withdrawal_notice",
    "consent_event",
    "leave_request_event",
    "duty_record",
    "hours_report_release",
    "volunteer_status_change",
    "account_action",
    "disclosure_refusal",
)

#: Retention's condition for deleting a refused attempt, as the retention migration wrote it.
_COVERED = (
    "EXISTS (SELECT 1 FROM retention_step s JOIN retention_run r ON r.id = s.run "
    "WHERE s.record_kind = 'refusals' AND s.state = 'erasing' "
    "AND r.approved_at IS NOT NULL AND OLD.occurred_at < s.cutoff)"
)


def _unlifted(table: str, operation: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM {MARKER} "
        f"WHERE table_name = '{table}' AND operation = '{operation}')"
    )


def _trigger(table: str, operation: str, message: str, *, lifted: bool) -> str:
    when = f"WHEN {_unlifted(table, operation)} " if lifted else ""
    return (
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
        f"{when}BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def _triggers(*, lifted: bool) -> list[str]:
    """Every protecting trigger a reduction reaches, with the marker clause or as before."""
    sql: list[str] = []
    for table in APPEND_ONLY:
        for operation in ("UPDATE", "DELETE"):
            sql.append(f"DROP TRIGGER IF EXISTS {table}_no_{operation.lower()}")
            if not lifted and (table, operation) == ("disclosure_refusal", "DELETE"):
                sql.append(
                    "CREATE TRIGGER disclosure_refusal_no_delete BEFORE DELETE ON "
                    f"disclosure_refusal WHEN NOT {_COVERED} "
                    "BEGIN SELECT RAISE(ABORT, 'disclosure_refusal is append-only'); END"
                )
            else:
                sql.append(_trigger(table, operation, f"{table} is append-only", lifted=lifted))
    sql += [
        "DROP TRIGGER IF EXISTS leave_request_no_delete",
        _trigger("leave_request", "DELETE", "leave_request rows cannot be deleted", lifted=lifted),
    ]
    return sql


def _erase_refusals(*, lifted: bool) -> str:
    """Retention's owner procedure for refused attempts (SQLite: a trigger on its step)."""
    lift, drop = (
        (
            f"INSERT INTO {MARKER} (table_name, operation) VALUES ('disclosure_refusal', 'DELETE'); ",
            f"DELETE FROM {MARKER} WHERE table_name = 'disclosure_refusal' "
            "AND operation = 'DELETE'; ",
        )
        if lifted
        else ("", "")
    )
    return (
        "CREATE TRIGGER retention_erase_refusals AFTER UPDATE OF state ON retention_step "
        "WHEN NEW.state = 'erasing' AND NEW.record_kind = 'refusals' BEGIN "
        "UPDATE retention_step SET erased = (SELECT COUNT(*) FROM disclosure_refusal "
        "WHERE occurred_at < NEW.cutoff) WHERE id = NEW.id; "
        f"{lift}"
        "DELETE FROM disclosure_refusal WHERE occurred_at < NEW.cutoff; "
        f"{drop}"
        "UPDATE retention_step SET state = 'erased' WHERE id = NEW.id; "
        "END"
    )


SQLITE_FORWARDS = [
    f"CREATE TABLE {NEVER} (id INTEGER PRIMARY KEY)",
    f"CREATE TRIGGER {NEVER}_empty BEFORE INSERT ON {NEVER} "
    f"BEGIN SELECT RAISE(ABORT, '{NEVER} never holds a row'); END",
    f"CREATE TABLE {MARKER} ("
    "table_name TEXT NOT NULL, "
    "operation TEXT NOT NULL CHECK (operation IN ('UPDATE', 'DELETE')), "
    f"held INTEGER NOT NULL DEFAULT 0 REFERENCES {NEVER} (id) DEFERRABLE INITIALLY DEFERRED, "
    "PRIMARY KEY (table_name, operation))",
    f"CREATE TRIGGER {MARKER}_no_update BEFORE UPDATE ON {MARKER} "
    f"BEGIN SELECT RAISE(ABORT, '{MARKER} rows are inserted and deleted, never changed'); END",
    *_triggers(lifted=True),
    "DROP TRIGGER IF EXISTS retention_erase_refusals",
    _erase_refusals(lifted=True),
]

SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS retention_erase_refusals",
    _erase_refusals(lifted=False),
    *_triggers(lifted=False),
    f"DROP TRIGGER IF EXISTS {MARKER}_no_update",
    f"DROP TABLE IF EXISTS {MARKER}",
    f"DROP TRIGGER IF EXISTS {NEVER}_empty",
    f"DROP TABLE IF EXISTS {NEVER}",
]


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="erasure",
        description=DESCRIPTION,
        forwards={"sqlite": SQLITE_FORWARDS, "postgres": []},
        backwards={"sqlite": SQLITE_BACKWARDS, "postgres": []},
    )
