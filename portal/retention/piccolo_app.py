"""Piccolo app for retention runs; migrations: ``portal/retention/piccolo_migrations``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.retention.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="retention",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["portal.piccolo_app", "portal.messages.piccolo_app"],
    commands=[],
)
