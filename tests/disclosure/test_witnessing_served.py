"""The served portal submits its checkpoints to two real witnesses, stores their cosignatures
append-only, serves them with the checkpoint, and shows them on the DPO's integrity page."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.note import NoteSigner, load_or_create_signing_key
from ledger.service import Ledger
from portal.accounts.tables import Role
from portal.settings import Settings
from tests.conftest import make_settings
from tests.ledger.conftest import make_draft
from tests.support.auth import create_user, serve, sign_in_as
from tests.support.spec_cosig import spec_verify
from tests.support.witnesses import ServedWitness, served_witnesses


@pytest.fixture
def signer(settings: Settings) -> NoteSigner:
    return load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)


@pytest.fixture
def witnesses(tmp_path: Path, signer: NoteSigner) -> Iterator[list[ServedWitness]]:
    with served_witnesses(tmp_path / "witnesses", signer.verifier_key()) as served:
        yield served


async def _until(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError("timed out waiting for the witnesses")


async def test_served_portal_gets_checkpoints_cosigned(
    database: Any,
    settings: Settings,
    ledger: Ledger,
    witnesses: list[ServedWitness],
) -> None:
    configured = make_settings(
        database,
        settings.data_dir,
        witnesses=[{"url": w.url, "key": w.vkey} for w in witnesses],
        witness_interval_seconds=0.2,
    )
    dpo = await create_user(configured, "dpo@force.example", Role.DPO)
    await ledger.append([make_draft(i) for i in range(3)])
    async with serve(configured) as client:

        async def both_cosigned() -> str | None:
            note = (await client.get("/ledger/checkpoint")).text
            ok = all(spec_verify(w.vkey, note) is not None for w in witnesses)
            return note if ok and note.startswith(f"{ledger.origin}\n3\n") else None

        note = await _until(both_cosigned)
        assert note.count("\u2014 ") == 3  # the log's signature and two cosignatures
        witnessed = await client.get("/ledger/checkpoint/witnessed")
        assert witnessed.status_code == 200 and witnessed.text == note

        # One witness goes down: appends go on, the other still cosigns, the page tells which.
        witnesses[1].process.terminate()
        witnesses[1].process.wait(timeout=10)
        await ledger.append([make_draft(7)])

        async def newest_cosigned() -> bool:
            note = (await client.get("/ledger/checkpoint")).text
            return note.startswith(f"{ledger.origin}\n4\n") and (
                spec_verify(witnesses[0].vkey, note) is not None
            )

        await _until(newest_cosigned)
        note = (await client.get("/ledger/checkpoint")).text
        assert spec_verify(witnesses[1].vkey, note) is None

        await sign_in_as(client, dpo)
        page = await client.get("/dpo/integrity")
        assert page.status_code == 200
        html = page.text
        table = html[html.index('id="witnesses"') :]
        rows = table.split("<tr")[2:4]
        assert "witness0.test/w" in rows[0] and ">4<" in rows[0]
        assert "just now" in rows[0] or "seconds ago" in rows[0]
        assert "witness1.test/w" in rows[1] and ">3<" in rows[1]
