"""Links made before links recorded their reasons: each keeps every purpose of its kind.

A migrated link to another police force or a partner let every purpose of that kind through;
the data migration writes those purposes down, so no existing read changes when the gate starts
to check a link's reasons, and a job with an employer stays without reasons.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from typing import Any

import pytest

import piccolo_conf
from portal.db import bind_engine, build_engine, close_engine, open_engine
from portal.organisations.tables import Employment, Organisation, Volunteer
from tests.conftest import TestDatabase

MIGRATION = "portal.piccolo_migrations.portal_2026_12_06t23_45_07_413902"


async def _link(kind: str) -> str:
    org = Organisation(name=f"Org {kind}", kind=kind)
    await org.save()
    person = Volunteer(display_name=f"Person {kind}", email=f"{kind}@example.org")
    await person.save()
    link = Employment(
        volunteer=person.id, employer=org.id, starts_on=dt.date(2026, 1, 5), reasons=[]
    )
    await link.save()
    return str(link.id)


async def _reasons(link_id: str) -> Any:
    row = await Employment.select(Employment.reasons).where(Employment.id == link_id).first()
    assert row is not None
    value = row["reasons"]
    return json.loads(value) if isinstance(value, str) else value


async def test_links_recorded_before_reasons_get_every_purpose_of_their_kind(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = build_engine(database.owner_url)
    monkeypatch.setattr(piccolo_conf, "DB", engine)
    bind_engine(engine)
    await open_engine(engine)
    try:
        links = {kind: await _link(kind) for kind in ("police_force", "partner", "employer")}
        migration = importlib.import_module(MIGRATION)
        await (await migration.forwards()).run()
        assert await _reasons(links["police_force"]) == [
            "force.multi-force-application",
            "force.service-transfer",
        ]
        assert await _reasons(links["partner"]) == ["partner.application-processing"]
        assert await _reasons(links["employer"]) == []
        await (await migration.forwards()).run(backwards=True)
        assert await _reasons(links["police_force"]) == []
    finally:
        await close_engine(engine)
