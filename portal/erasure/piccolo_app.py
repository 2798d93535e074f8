"""Piccolo app for erasure records and the owner's erasure procedure; migrations:
``portal/erasure/piccolo_migrations``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.erasure.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="erasure",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=list(TABLES),
    # The procedure reaches into every app's tables, so it is created after all of them.
    migration_dependencies=[
        "portal.piccolo_app",
        "portal.hours.piccolo_app",
        "portal.messages.piccolo_app",
        "portal.recognition.piccolo_app",
        "portal.applications.piccolo_app",
        "portal.retention.piccolo_app",
    ],
    commands=[],
)
