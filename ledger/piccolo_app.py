"""Piccolo app for the ledger; its migrations live next to it in ``ledger/piccolo_migrations``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from ledger.tables import (
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    LedgerSubjectNode,
)

APP_CONFIG = AppConfig(
    app_name="ledger",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        LedgerHead,
        LedgerEntry,
        LedgerNode,
        LedgerCheckpoint,
        LedgerCosignature,
        LedgerSubjectNode,
    ],
    migration_dependencies=[],
    commands=[],
)
