"""Portal: consent, agreements, notices and refusals are append-only; grants; lookup indexes.

Raw SQL, branching on the engine. UPDATE and DELETE (and TRUNCATE on PostgreSQL) are rejected by
triggers on every append-only table, and the application group role ``esp_portal_app`` may only
SELECT and INSERT them. Also: one version number per employer's agreement, and the index the
disclosure gate's consent lookup uses.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-11-23T19:11:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only consent, agreements, notices and refusals; grants; indexes"

APPEND_ONLY = (
    "data_sharing_agreement",
    "consent_event",
    "withdrawal_notice",
    "withdrawal_notice_ack",
    "disclosure_refusal",
)

INDEXES = (
    "CREATE UNIQUE INDEX data_sharing_agreement_employer_version "
    "ON data_sharing_agreement (employer, version)",
    "CREATE INDEX consent_event_lookup "
    "ON consent_event (employer, purpose, volunteer, ledger_index)",
)
INDEX_NAMES = ("data_sharing_agreement_employer_version", "consent_event_lookup")


def _statements(engine_type: str) -> list[str]:
    sql = list(INDEXES)
    if engine_type == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                sql.append(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        return sql
    sql += [
        """
        CREATE OR REPLACE FUNCTION esp_portal_reject_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
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
            "FOR EACH ROW EXECUTE FUNCTION esp_portal_reject_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION esp_portal_reject_change()",
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"GRANT SELECT, INSERT ON {table} TO esp_portal_app",
        ]
    return sql


def _backwards_statements(engine_type: str) -> list[str]:
    sql = [f"DROP INDEX IF EXISTS {name}" for name in INDEX_NAMES]
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


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="portal",
        description=DESCRIPTION,
        forwards={"sqlite": _statements("sqlite"), "postgres": _statements("postgres")},
        backwards={"sqlite": _backwards_statements("sqlite"), "postgres": _backwards_statements("postgres")},
    )
