"""``esp-portal demo --size N``: N volunteers and N/10 employers, linked, with agreements and
consents that each have their ledger entry; the ledger verifies; a second run adds nothing;
the default demo without a size is unchanged (both databases, a small size: fast)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.tables import LedgerEntry
from portal.consent.tables import ConsentEvent
from portal.demo.scale import FIRST_NUMBER
from portal.organisations.services import OrganisationService
from portal.organisations.tables import Employment, Organisation, Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.support.cli import cli_env, run_cli_in_process

SIZE = 250


async def _counts() -> dict[str, int]:
    return {
        "volunteers": await Volunteer.count(),
        "employers": await Organisation.count().where(Organisation.kind == "employer"),
        "employments": await Employment.count(),
        "consents": await ConsentEvent.count(),
        "ledger": await LedgerEntry.count(),
    }


@pytest.mark.slow
async def test_demo_at_a_given_size(
    database: TestDatabase, settings: Settings, tmp_path: Path, engine: Any
) -> None:
    env = cli_env(database, settings.data_dir)
    # The loads are real processes (they migrate, which Piccolo does once per process); the
    # refusal and the check go through the same entry point in this process.
    refused = run_cli_in_process("demo", "--size", "10", env=env)
    assert refused.returncode == 2 and "--size" in refused.stderr
    first = run_cli("demo", "--size", str(SIZE), env=env)
    assert first.returncode == 0, first.stderr
    counts = await _counts()
    assert counts["volunteers"] == SIZE and counts["employers"] == SIZE // 10
    # Every generated volunteer works for someone; the ledger holds every consent it recorded.
    generated = await Volunteer.select(Volunteer.id).where(Volunteer.email.like("%.%.%@%"))
    ids = [str(r["id"]) for r in generated]
    assert len(ids) == SIZE - 64
    linked = await Employment.select(Employment.volunteer).where(Employment.volunteer.is_in(ids))
    assert {str(r["volunteer"]) for r in linked} == set(ids)
    theirs = await ConsentEvent.select(ConsentEvent.id, ConsentEvent.ledger_index).where(
        ConsentEvent.volunteer.is_in(ids)
    )
    assert len(theirs) > (SIZE - 64)  # most consent, to several categories each
    entries = await LedgerEntry.select(LedgerEntry.idx, LedgerEntry.kind, LedgerEntry.body).where(
        LedgerEntry.idx.is_in(sorted({r["ledger_index"] for r in theirs}))
    )
    by_index = {r["idx"]: r for r in entries}
    for row in theirs:
        entry = by_index[row["ledger_index"]]
        assert entry["kind"] == "consent.given"
        assert str(row["id"]) in json.loads(bytes(entry["body"]))["consent_ids"]
    found = await OrganisationService().list_volunteers(5, 0, name="amelia")
    assert found.total >= 2  # generated names are searchable too

    verified = run_cli_in_process("ledger", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"size {counts['ledger']}" in verified.stdout

    again = run_cli("demo", "--size", str(SIZE), env=env)
    assert again.returncode == 0, again.stderr
    assert await _counts() == counts
    assert FIRST_NUMBER > 64
