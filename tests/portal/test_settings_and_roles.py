"""Start-up configuration errors and the PostgreSQL application role's limits."""

from __future__ import annotations

import asyncpg
import pytest

from tests.conftest import TestDatabase, run_cli


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ESP_SESSION_IDLE_MINUTES", "soon"),
        ("ESP_DATABASE_URL", "mysql://nope"),
        ("ESP_LOG_FORMAT", "xml"),
        ("ESP_BASE_URL", "not a url"),
        ("ESP_SUPPRESSION_THRESHOLD", "1"),
    ],
)
def test_bad_setting_stops_start_up_naming_the_variable(
    variable: str, value: str, tmp_path
) -> None:
    result = run_cli("migrate", env={variable: value, "ESP_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_app_role_cannot_run_ddl_or_rewrite_the_ledger(database: TestDatabase) -> None:
    conn = await asyncpg.connect(database.url)
    try:
        for statement in (
            "CREATE TABLE sneaky (id int)",
            "ALTER TABLE volunteer ADD COLUMN sneaky int",
            "DROP TABLE organisation",
            "UPDATE ledger_entry SET kind = 'x'",
            "DELETE FROM ledger_checkpoint",
            "TRUNCATE ledger_node",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        # ...while ordinary DML on the portal's own tables works.
        await conn.execute(
            "INSERT INTO organisation (id, name, kind, sector, size_band, contact_email, "
            "created_at) VALUES (gen_random_uuid(), 'Acme', 'employer', '', '', '', now())"
        )
        assert await conn.fetchval("SELECT count(*) FROM organisation") == 1
    finally:
        await conn.close()


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_every_table_is_granted_to_the_app_role(database: TestDatabase) -> None:
    """A table added without grants would make the app fail in production only."""
    from portal.db import all_tables

    conn = await asyncpg.connect(database.url)
    try:
        for table in all_tables():
            name = table._meta.tablename
            can_select = await conn.fetchval(
                "SELECT has_table_privilege(current_user, $1, 'SELECT')", name
            )
            assert can_select, f"app role cannot read {name}"
    finally:
        await conn.close()
