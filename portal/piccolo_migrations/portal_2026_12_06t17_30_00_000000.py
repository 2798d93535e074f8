"""Volume alerts: one alert per employer, purpose and day; acknowledgements are append-only;
grants; and the partial index the daily-volume count reads (disclosures by time)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw import raw_migration

ID = "2026-12-06T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "volume alerts: unique day, append-only acknowledgements, grants, volume index"

INDEXES = (
    "CREATE UNIQUE INDEX volume_alert_day ON volume_alert (employer, purpose, day)",
    "CREATE INDEX ledger_entry_disclosure_volume "
    "ON ledger_entry (logged_at, recipient_org, purpose) WHERE kind = 'disclosure'",
)
DROP_INDEXES = [
    "DROP INDEX IF EXISTS volume_alert_day",
    "DROP INDEX IF EXISTS ledger_entry_disclosure_volume",
]
ACK = "volume_alert_ack"


async def forwards() -> MigrationManager:
    return raw_migration(
        migration_id=ID,
        app_name="portal",
        description=DESCRIPTION,
        forwards={
            "sqlite": [
                *INDEXES,
                *(
                    f"CREATE TRIGGER {ACK}_no_{action.lower()} BEFORE {action} ON {ACK} "
                    f"BEGIN SELECT RAISE(ABORT, '{ACK} is append-only'); END"
                    for action in ("UPDATE", "DELETE")
                ),
            ],
            "postgres": [
                *INDEXES,
                "REVOKE ALL ON volume_alert FROM PUBLIC",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON volume_alert TO esp_portal_app",
                f"CREATE TRIGGER {ACK}_append_only BEFORE UPDATE OR DELETE ON {ACK} "
                "FOR EACH ROW EXECUTE FUNCTION esp_portal_reject_change()",
                f"CREATE TRIGGER {ACK}_no_truncate BEFORE TRUNCATE ON {ACK} "
                "FOR EACH STATEMENT EXECUTE FUNCTION esp_portal_reject_change()",
                f"REVOKE ALL ON {ACK} FROM PUBLIC",
                f"GRANT SELECT, INSERT ON {ACK} TO esp_portal_app",
            ],
        },
        backwards={
            "sqlite": [
                *DROP_INDEXES,
                f"DROP TRIGGER IF EXISTS {ACK}_no_update",
                f"DROP TRIGGER IF EXISTS {ACK}_no_delete",
            ],
            "postgres": [
                *DROP_INDEXES,
                f"DROP TRIGGER IF EXISTS {ACK}_append_only ON {ACK}",
                f"DROP TRIGGER IF EXISTS {ACK}_no_truncate ON {ACK}",
                "REVOKE ALL ON volume_alert FROM esp_portal_app",
                f"REVOKE ALL ON {ACK} FROM esp_portal_app",
            ],
        },
    )
