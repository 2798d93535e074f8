"""Piccolo app for the ledger; its migrations live in ``migrations/ledger``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

import migrations
from ledger.tables import LedgerCheckpoint, LedgerEntry, LedgerHead, LedgerNode

APP_CONFIG = AppConfig(
    app_name="ledger",
    migrations_folder_path=str(Path(migrations.__file__).parent / "ledger"),
    table_classes=[LedgerHead, LedgerEntry, LedgerNode, LedgerCheckpoint],
    migration_dependencies=[],
    commands=[],
)
