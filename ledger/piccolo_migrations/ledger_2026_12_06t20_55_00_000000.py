"""Ledger: the stored subject map (one row per version of each map node).

Empty when created: no backfill here, since a migration may import no ledger code. The first
append after it stores the whole map as of its batch (see ``ledger.chains``), and proofs for
earlier sizes keep rebuilding the map from the entries.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Bytea
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T20:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "stored subject map nodes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)
    manager.add_table(
        class_name="LedgerSubjectNode", tablename="ledger_subject_node", schema=None, columns=None
    )
    for name, primary_key in (("key", True), ("body", False)):
        manager.add_column(
            table_class_name="LedgerSubjectNode",
            tablename="ledger_subject_node",
            column_name=name,
            db_column_name=name,
            column_class_name="Bytea",
            column_class=Bytea,
            params={
                "default": b"",
                "null": False,
                "primary_key": primary_key,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
