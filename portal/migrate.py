"""Bring a database up to date: Piccolo migrations as the owner, then the application role.

On PostgreSQL the portal should not connect as the schema owner. When ``ESP_DATABASE_URL`` names a
different user than ``ESP_MIGRATION_DATABASE_URL``, that user is created (or updated) as a plain
login role and made a member of ``esp_portal_app``, the group role the migrations grant DML to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog
from piccolo.engine.base import Engine
from piccolo.table import Table

from portal.db import build_engine, is_postgres
from portal.settings import Settings

log = structlog.get_logger(__name__)

APP_GROUP_ROLE = "esp_portal_app"


class MigrationFailed(Exception):
    """Migrations did not complete; the message says which step failed."""


@dataclass(frozen=True)
class MigrationReport:
    engine: str
    app_role: str | None


class _Raw(Table):
    """A handle for raw statements against the migration engine."""


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _url_user(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return unquote(parts.username or ""), unquote(parts.password or "")


async def ensure_app_role(engine: Engine[Any], app_url: str, owner_url: str) -> str | None:
    """Create or update the restricted login role the portal connects as; None if same as owner."""
    app_user, app_password = _url_user(app_url)
    owner_user, _ = _url_user(owner_url)
    if not app_user or app_user == owner_user:
        log.warning("postgres.app_role.is_owner", detail="the portal connects as the schema owner")
        return None
    _Raw._meta.db = engine
    exists = await _Raw.raw("SELECT 1 FROM pg_roles WHERE rolname = {}", app_user)
    verb = "ALTER" if exists else "CREATE"
    options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    if app_password:
        options += f" PASSWORD {_quote_literal(app_password)}"
    await _Raw.raw(f"{verb} ROLE {_quote_ident(app_user)} {options}")
    await _Raw.raw(f"GRANT {APP_GROUP_ROLE} TO {_quote_ident(app_user)}")
    await _Raw.raw("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    log.info("postgres.app_role.ready", created=not exists)
    return app_user


async def migrate(settings: Settings) -> MigrationReport:
    """Run every pending migration, then set up the application role. Idempotent."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    import piccolo_conf

    engine = build_engine(settings.migration_database_url)
    # Piccolo's migration runner finds its engine through piccolo_conf; point it at the
    # owner URL of *these* settings (the same value piccolo_conf computed from the environment).
    piccolo_conf.DB = engine
    result = await run_forwards(app_name="all")
    if not result.success:
        raise MigrationFailed(result.message or "a migration failed")
    app_role = None
    if is_postgres(engine):
        app_role = await ensure_app_role(
            engine, settings.database_url, settings.migration_database_url
        )
    else:
        _Raw._meta.db = engine
        await _Raw.raw("PRAGMA journal_mode = WAL")
    log.info("migrate.done", engine=settings.engine_kind)
    return MigrationReport(engine=settings.engine_kind, app_role=app_role)
