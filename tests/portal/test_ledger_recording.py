"""``portal.ledgering.recording``: a service's rows and its ledger entries commit together.

The one construct behind consent, withdrawal acknowledgements and agreements: entries appended
and rows written in the block are both there after it, or neither is; a failure is 503 (or the
caller's conflict for a unique violation), and the block's own portal errors pass unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ledger import DisclosureDraft, Ledger
from portal.errors import Conflict, InvalidInput, ServiceUnavailable
from portal.ledgering import build_ledger, recording
from portal.organisations.tables import Organisation, OrganisationKind
from tests.conftest import TestDatabase, make_settings


def _draft(n: int) -> DisclosureDraft:
    return DisclosureDraft(
        purpose="esp.programme-management",
        lawful_basis="consent",
        subject=f"sub_{n:032x}",
        recipient_org="org-1",
        recipient_user="user-1",
        categories=["status"],
        request_id=f"req-{n}",
        channel="api",
        details={"fields": ["status"]},
    )


def _organisation(key: str, name: str) -> Organisation:
    return Organisation(id=key, name=name, kind=OrganisationKind.EMPLOYER.value)


@pytest.fixture
async def ledger(database: TestDatabase, tmp_path: Path, engine: Any) -> AsyncIterator[Ledger]:
    instance = build_ledger(make_settings(database, tmp_path / "data"), engine)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.close()


async def _present(key: str) -> bool:
    return await Organisation.exists().where(Organisation.id == key)


async def test_entries_and_rows_commit_together(ledger: Ledger) -> None:
    key = str(uuid.uuid4())
    async with recording(ledger, "test.failed", organisation_id=key) as tx:
        (receipt,) = await tx.append([_draft(1)])
        await Organisation.insert(_organisation(key, "Recorded Ltd"))
    assert receipt.index == 0
    assert await ledger.size() == 1
    assert await _present(key)
    assert (await ledger.verify()).ok


async def test_a_failure_after_the_append_keeps_neither_and_is_503(ledger: Ledger) -> None:
    key = str(uuid.uuid4())
    with pytest.raises(ServiceUnavailable):
        async with recording(ledger, "test.failed", organisation_id=key) as tx:
            await tx.append([_draft(2)])
            await Organisation.insert(_organisation(key, "Rolled Back Ltd"))
            raise RuntimeError("the storage broke")
    assert await ledger.size() == 0
    assert not await _present(key)
    async with recording(ledger, "test.failed") as tx:  # the head was not left locked
        (receipt,) = await tx.append([_draft(3)])
    assert receipt.index == 0


async def test_a_unique_violation_is_the_callers_conflict(ledger: Ledger) -> None:
    await Organisation.insert(_organisation(str(uuid.uuid4()), "Taken Ltd"))
    with pytest.raises(Conflict, match="already there"):
        async with recording(
            ledger, "test.failed", on_duplicate=lambda: Conflict("already there")
        ) as tx:
            await tx.append([_draft(4)])
            await Organisation.insert(_organisation(str(uuid.uuid4()), "Taken Ltd"))
    assert await ledger.size() == 0


async def test_the_blocks_own_portal_error_passes_unchanged(ledger: Ledger) -> None:
    with pytest.raises(InvalidInput, match="starts_on"):
        async with recording(ledger, "test.failed") as tx:
            await tx.append([_draft(5)])
            raise InvalidInput("starts_on: too early")
    assert await ledger.size() == 0
