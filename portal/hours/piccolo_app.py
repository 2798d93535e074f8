"""Piccolo app for service hours and ESP leave; migrations: ``portal/hours/piccolo_migrations``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.hours.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="hours",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["portal.piccolo_app"],
    commands=[],
)
