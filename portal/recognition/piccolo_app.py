"""Piccolo app for awards; migrations: ``portal/recognition/piccolo_migrations``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.recognition.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="recognition",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["portal.piccolo_app"],
    commands=[],
)
