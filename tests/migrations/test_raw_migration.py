"""The raw-migration helper: each engine runs its own SQL, the undo reverses it, none forgotten."""

from __future__ import annotations

from typing import Any

import pytest
from piccolo.table import Table

import piccolo_conf
from migrations.raw import raw_migration
from portal.db import build_engine, close_engine, open_engine
from tests.conftest import TestDatabase


class _Probe(Table):
    """Reads what the probe migration wrote."""


def _probe_migration() -> Any:
    create = "CREATE TABLE raw_probe (engine VARCHAR(20))"
    return raw_migration(
        migration_id="2000-01-01T00:00:00:000000",
        app_name="probe",
        description="probe",
        forwards={
            "sqlite": [create, "INSERT INTO raw_probe VALUES ('sqlite')"],
            "postgres": [create, "INSERT INTO raw_probe VALUES ('postgres')"],
        },
        backwards={"sqlite": ["DROP TABLE raw_probe"], "postgres": ["DROP TABLE raw_probe"]},
    )


async def _tables(engine: Any, kind: str) -> set[str]:
    _Probe._meta.db = engine
    if kind == "sqlite":
        rows = await _Probe.raw("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r["name"] for r in rows}
    rows = await _Probe.raw("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
    return {r["name"] for r in rows}


async def test_forwards_runs_the_engines_sql_and_backwards_undoes_it(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = build_engine(database.owner_url)
    monkeypatch.setattr(piccolo_conf, "DB", engine)
    await open_engine(engine)
    try:
        await _probe_migration().run()
        assert "raw_probe" in await _tables(engine, database.kind)
        assert await _Probe.raw("SELECT engine FROM raw_probe") == [{"engine": database.kind}]
        await _probe_migration().run(backwards=True)
        assert "raw_probe" not in await _tables(engine, database.kind)
    finally:
        await close_engine(engine)


@pytest.mark.parametrize(
    ("forwards", "backwards", "named"),
    [
        ({"sqlite": ["SELECT 1"]}, {"sqlite": [], "postgres": []}, "missing ['postgres']"),
        ({"sqlite": [], "postgres": []}, {"postgres": []}, "missing ['sqlite']"),
        (
            {"sqlite": [], "postgres": [], "mysql": []},
            {"sqlite": [], "postgres": []},
            "unknown ['mysql']",
        ),
    ],
)
def test_sql_for_every_engine_and_its_undo_is_required(
    forwards: dict[str, list[str]], backwards: dict[str, list[str]], named: str
) -> None:
    with pytest.raises(ValueError, match=r"migration 2000-01-01.*" + named.replace("[", r"\[")):
        raw_migration(
            migration_id="2000-01-01T00:00:00:000000",
            app_name="probe",
            description="probe",
            forwards=forwards,
            backwards=backwards,
        )
