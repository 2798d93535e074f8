"""Piccolo configuration: the engine comes from the one settings object.

Piccolo's own tooling (migrations) reads ``DB`` from here; it is the migration (owner) URL so that
DDL runs as the schema owner. The served app binds its own engine in ``create_app``.
"""

from piccolo.conf.apps import AppRegistry

from portal.db import APP_MODULES, build_engine
from portal.settings import get_settings

DB = build_engine(get_settings().migration_database_url)

APP_REGISTRY = AppRegistry(apps=list(APP_MODULES))
