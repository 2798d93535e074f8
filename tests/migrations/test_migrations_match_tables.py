"""Migrations that don't drift: every app's migrations describe exactly its tables.

Piccolo's auto-detection (what ``piccolo migrations new APP --auto`` runs) compares the schema the
migration files build with the table classes in the code. A difference means a column was changed
in code and never migrated (a refusal reason once was), so the next generated migration would
carry an unrelated change. The check runs against each freshly migrated test database, which also
has to have run every migration file of every app.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig, Finder

import piccolo_conf
from portal.db import build_engine, close_engine, open_engine
from tests.conftest import ROOT, TestDatabase

#: Each Piccolo app and its migrations folder, next to the app (Piccolo's convention).
FOLDERS = {
    "ledger": "ledger/piccolo_migrations",
    "portal": "portal/piccolo_migrations",
    "hours": "portal/hours/piccolo_migrations",
    "messages": "portal/messages/piccolo_migrations",
    "recognition": "portal/recognition/piccolo_migrations",
    "applications": "portal/applications/piccolo_migrations",
    "retention": "portal/retention/piccolo_migrations",
    "erasure": "portal/erasure/piccolo_migrations",
}
APPS = tuple(FOLDERS)
#: What a migration may import: Piccolo, the standard library and the one raw-migration helper.
ALLOWED_ROOTS = {"piccolo", "migrations"} | set(sys.stdlib_module_names)


def _app(name: str) -> AppConfig:
    return Finder().get_app_config(name)


def _migration_files(name: str) -> list[Path]:
    folder = Path(_app(name).resolved_migrations_folder_path)
    return sorted(p for p in folder.glob("*.py") if p.name != "__init__.py")


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_every_app_is_checked_and_keeps_its_migrations_next_to_it() -> None:
    assert set(Finder().get_app_registry().app_configs) == set(FOLDERS)
    for name, folder in FOLDERS.items():
        assert Path(_app(name).resolved_migrations_folder_path).resolve() == ROOT / folder
        assert _migration_files(name), f"{name} has no migrations"


@pytest.mark.parametrize("name", APPS)
def test_migrations_import_no_application_code(name: str) -> None:
    allowed = ALLOWED_ROOTS - {"migrations"} if name == "ledger" else ALLOWED_ROOTS
    for path in _migration_files(name):
        assert _imported_roots(path) <= allowed, (path.name, _imported_roots(path) - allowed)


def test_the_top_level_migrations_package_holds_no_app_migrations() -> None:
    left = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "migrations").rglob("*.py"))
    assert left == ["migrations/__init__.py", "migrations/raw.py"]


async def test_auto_detection_finds_no_change_on_a_freshly_migrated_database(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = build_engine(database.owner_url)
    monkeypatch.setattr(piccolo_conf, "DB", engine)
    monkeypatch.setattr(Migration._meta, "db", engine)
    await open_engine(engine)
    try:
        ran = await Migration.select(Migration.app_name, Migration.name).run()
        for name in APPS:
            # Piccolo records each migration it ran by its ID; every file has run.
            ids = {_migration_id(path) for path in _migration_files(name)}
            assert {r["name"] for r in ran if r["app_name"] == name} == ids, name
            changes = await AutoMigrationManager().get_alter_statements(app_config=_app(name))
            statements = [s for change in changes for s in change.statements]
            assert statements == [], f"{name}: the tables differ from the migrations"
    finally:
        await close_engine(engine)


def _migration_id(path: Path) -> Any:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "ID"
            and isinstance(node.value, ast.Constant)
        ):
            return node.value.value
    raise AssertionError(f"{path.name} has no ID")
