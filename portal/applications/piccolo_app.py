"""Piccolo app for applications; migrations: ``portal/applications/piccolo_migrations``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.applications.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="applications",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["portal.piccolo_app"],
    commands=[],
)
