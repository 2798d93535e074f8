"""Piccolo app for service hours and ESP leave; its migrations live in ``migrations/hours``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

import migrations
from portal.hours.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="hours",
    migrations_folder_path=str(Path(migrations.__file__).parent / "hours"),
    table_classes=list(TABLES),
    migration_dependencies=["portal.piccolo_app"],
    commands=[],
)
