"""Ledger: the head row only moves forward.

The application role must update the head (each append records the new size and root), so it
cannot be append-only like the entries; but a head moved back, re-rooted at the same size, or
deleted would make the served checkpoint disagree with the log and the next append collide.
Triggers reject exactly those changes, for every role, on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-02T15:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger head only grows"


class _Raw(Table):
    """Only a handle for running raw statements on the migration engine."""


def _statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            "CREATE TRIGGER ledger_head_only_grows BEFORE UPDATE ON ledger_head "
            "WHEN NEW.id != OLD.id OR NEW.size < OLD.size "
            "OR (NEW.size = OLD.size AND NEW.root_hash != OLD.root_hash) "
            "BEGIN SELECT RAISE(ABORT, 'ledger_head only grows'); END",
            "CREATE TRIGGER ledger_head_no_delete BEFORE DELETE ON ledger_head "
            "BEGIN SELECT RAISE(ABORT, 'ledger_head cannot be deleted'); END",
        ]
    return [
        """
        CREATE OR REPLACE FUNCTION esp_head_only_grows() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.id <> OLD.id OR NEW.size < OLD.size
               OR (NEW.size = OLD.size AND NEW.root_hash <> OLD.root_hash) THEN
                RAISE EXCEPTION 'ledger_head only grows: size % -> % rejected', OLD.size, NEW.size
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        "CREATE TRIGGER ledger_head_only_grows BEFORE UPDATE ON ledger_head "
        "FOR EACH ROW EXECUTE FUNCTION esp_head_only_grows()",
        "CREATE TRIGGER ledger_head_no_delete BEFORE DELETE ON ledger_head "
        "FOR EACH ROW EXECUTE FUNCTION esp_reject_change()",
        "CREATE TRIGGER ledger_head_no_truncate BEFORE TRUNCATE ON ledger_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION esp_reject_change()",
    ]


def _backwards_statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return [
            "DROP TRIGGER IF EXISTS ledger_head_only_grows",
            "DROP TRIGGER IF EXISTS ledger_head_no_delete",
        ]
    return [
        "DROP TRIGGER IF EXISTS ledger_head_only_grows ON ledger_head",
        "DROP TRIGGER IF EXISTS ledger_head_no_delete ON ledger_head",
        "DROP TRIGGER IF EXISTS ledger_head_no_truncate ON ledger_head",
        "DROP FUNCTION IF EXISTS esp_head_only_grows()",
    ]


async def _run(statements: list[str]) -> None:
    for statement in statements:
        await _Raw.raw(statement)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)
    engine = engine_finder()
    assert engine is not None
    _Raw._meta.db = engine

    async def run_forwards() -> None:
        await _run(_statements(engine.engine_type))

    async def run_backwards() -> None:
        await _run(_backwards_statements(engine.engine_type))

    manager.add_raw(run_forwards)
    manager.add_raw_backwards(run_backwards)
    return manager
