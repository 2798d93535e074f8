"""Hours: append-only triggers, the decided-leave guard, composite indexes and grants.

Raw SQL, branching on the engine. History that must never be edited (duty versions, leave
request events, leave policy versions, released report cohorts) rejects UPDATE and DELETE in both
engines (and TRUNCATE in PostgreSQL), and the group role ``esp_portal_app`` may only SELECT and
INSERT it. A leave request may change only while pending, and only by being decided; none may be
deleted. ``duty_batch`` is an ordinary table.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-11-23T19:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hours: append-only triggers, leave request guard, indexes and grants"

APPEND_ONLY = ("duty_record", "leave_request_event", "esp_leave_policy", "hours_report_release")
READ_WRITE = ("duty_batch",)

INDEXES = (
    "CREATE INDEX duty_record_volunteer_start ON duty_record (volunteer, start_s)",
    "CREATE UNIQUE INDEX duty_record_supersedes ON duty_record (supersedes) "
    "WHERE supersedes IS NOT NULL",
    "CREATE INDEX duty_record_external_ref ON duty_record (volunteer, external_ref) "
    "WHERE external_ref <> ''",
    "CREATE UNIQUE INDEX esp_leave_policy_employer_version ON esp_leave_policy (employer, version)",
    "CREATE UNIQUE INDEX hours_report_release_cohort "
    "ON hours_report_release (organisation, period, cohort_hash)",
    "CREATE INDEX leave_request_employer_status ON leave_request (employer, status)",
)
INDEX_NAMES = (
    "duty_record_volunteer_start",
    "duty_record_supersedes",
    "duty_record_external_ref",
    "esp_leave_policy_employer_version",
    "hours_report_release_cohort",
    "leave_request_employer_status",
)

#: Columns a pending request keeps when it is decided.
_FIXED = ("id", "volunteer", "employer", "duty_id", "starts_at", "ends_at", "unit", "amount", "paid",
          "created_at")


def _sqlite() -> list[str]:
    sql = list(INDEXES)
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            sql.append(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FIXED)
    sql += [
        "CREATE TRIGGER leave_request_decided_immutable BEFORE UPDATE ON leave_request "
        f"WHEN OLD.status <> 'pending' OR NEW.status = 'pending' OR {changed} "
        "BEGIN SELECT RAISE(ABORT, 'leave_request: a decided request cannot change, and a "
        "pending one can only be decided'); END",
        "CREATE TRIGGER leave_request_no_delete BEFORE DELETE ON leave_request "
        "BEGIN SELECT RAISE(ABORT, 'leave_request rows cannot be deleted'); END",
    ]
    return sql


def _postgres() -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FIXED)
    sql = list(INDEXES)
    sql += [
        """
        CREATE OR REPLACE FUNCTION hours_reject_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION hours_leave_request_guard() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE' THEN
                RAISE EXCEPTION 'leave_request rows cannot be deleted or truncated'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF OLD.status <> 'pending' OR NEW.status = 'pending' OR {changed} THEN
                RAISE EXCEPTION 'leave_request: a decided request cannot change'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'esp_portal_app') THEN
                CREATE ROLE esp_portal_app NOLOGIN;
            END IF;
        END $$
        """,
    ]
    for table in APPEND_ONLY:
        sql += [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hours_reject_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION hours_reject_change()",
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"GRANT SELECT, INSERT ON {table} TO esp_portal_app",
        ]
    sql += [
        "CREATE TRIGGER leave_request_guard BEFORE UPDATE OR DELETE ON leave_request "
        "FOR EACH ROW EXECUTE FUNCTION hours_leave_request_guard()",
        "CREATE TRIGGER leave_request_no_truncate BEFORE TRUNCATE ON leave_request "
        "FOR EACH STATEMENT EXECUTE FUNCTION hours_leave_request_guard()",
        "REVOKE ALL ON leave_request FROM PUBLIC",
        "GRANT SELECT, INSERT, UPDATE ON leave_request TO esp_portal_app",
    ]
    for table in READ_WRITE:
        sql += [
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO esp_portal_app",
        ]
    return sql


def _backwards(engine_type: str) -> list[str]:
    sql = [f"DROP INDEX IF EXISTS {name}" for name in INDEX_NAMES]
    if engine_type == "sqlite":
        sql += [
            f"DROP TRIGGER IF EXISTS {table}_no_{action}"
            for table in APPEND_ONLY
            for action in ("update", "delete")
        ]
        sql += [
            "DROP TRIGGER IF EXISTS leave_request_decided_immutable",
            "DROP TRIGGER IF EXISTS leave_request_no_delete",
        ]
        return sql
    for table in APPEND_ONLY:
        sql += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"REVOKE ALL ON {table} FROM esp_portal_app",
        ]
    sql += [
        "DROP TRIGGER IF EXISTS leave_request_guard ON leave_request",
        "DROP TRIGGER IF EXISTS leave_request_no_truncate ON leave_request",
        "REVOKE ALL ON leave_request FROM esp_portal_app",
        "DROP FUNCTION IF EXISTS hours_leave_request_guard()",
        "DROP FUNCTION IF EXISTS hours_reject_change()",
    ]
    sql += [f"REVOKE ALL ON {table} FROM esp_portal_app" for table in READ_WRITE]
    return sql


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="hours",
        description=DESCRIPTION,
        forwards={"sqlite": _sqlite(), "postgres": _postgres()},
        backwards={"sqlite": _backwards("sqlite"), "postgres": _backwards("postgres")},
    )
