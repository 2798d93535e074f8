"""One full verification per process: a second one while the first runs is refused at once.

Each verification replays the whole log; a DPO pressing "verify now" twice would otherwise run
two replays side by side for the same answer. The first verification is held mid-page (its
hashing thread waits on an event) so that "while it runs" is a fact of the test, not a race.
Both databases; the page is the served app's, in the same process as the held verification.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ledger import Ledger, VerificationRunningError, merkle
from ledger.note import NoteSigner, load_or_create_signing_key
from portal.accounts.tables import Role
from portal.settings import Settings
from tests.ledger.conftest import ORIGIN, make_draft
from tests.support.auth import create_user, serve, sign_in_as


@pytest.fixture
def signer(settings: Settings) -> NoteSigner:
    """The served app's own key, so that its verification of the same log passes."""
    return load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)


class Held:
    """Makes a verification's leaf hashing wait until released (on its hashing thread)."""

    def __init__(self, inner: Callable[[bytes], bytes]) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, body: bytes) -> bytes:
        self.entered.set()
        self.release.wait(60)
        return self.inner(body)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    gate = Held(merkle.leaf_hash)
    monkeypatch.setattr(merkle, "leaf_hash", gate)
    try:
        yield gate
    finally:
        gate.release.set()


async def _press(client: Any) -> Any:
    """The "verify now" button, as the page's form sends it (with its CSRF token)."""
    page = await client.get("/dpo/integrity")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return await client.post(
        "/dpo/integrity/verify", data={"csrf_token": found.group(1)}, follow_redirects=False
    )


async def _running(ledger: Ledger, held: Held) -> asyncio.Task[Any]:
    first = asyncio.create_task(ledger.verify())
    assert await asyncio.to_thread(held.entered.wait, 60), "the first verification never started"
    return first


async def test_a_second_verification_is_refused_while_one_runs(
    engine: Any, ledger: Ledger, signer: NoteSigner, held: Held
) -> None:
    await ledger.append([make_draft(i) for i in range(5)])
    first = await _running(ledger, held)

    with pytest.raises(VerificationRunningError):
        await ledger.verify()
    other = Ledger(engine, signer, ORIGIN)  # another ledger object in the same process
    with pytest.raises(VerificationRunningError):
        await other.verify()
    assert not first.done()

    held.release.set()
    assert (await first).ok
    assert (await ledger.verify()).ok  # free again once the first finished


async def test_a_cancelled_verification_frees_the_next(ledger: Ledger, held: Held) -> None:
    await ledger.append([make_draft(i) for i in range(5)])
    first = await _running(ledger, held)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    held.release.set()
    assert (await ledger.verify()).ok


async def test_the_dpo_is_told_a_verification_is_already_running(
    settings: Settings, ledger: Ledger, held: Held
) -> None:
    dpo = await create_user(settings, "dpo@force.example", Role.DPO)
    await ledger.append([make_draft(i) for i in range(5)])
    async with serve(settings) as client:
        await sign_in_as(client, dpo)
        first = await _running(ledger, held)

        pressed = await _press(client)
        assert pressed.status_code == 303
        assert pressed.headers["location"] == "/dpo/integrity?running=1"
        page = await client.get(pressed.headers["location"])
        assert page.status_code == 200
        assert "already running" in page.text
        assert "Not since this server started" in page.text  # no result was recorded
        assert not first.done()

        held.release.set()
        assert (await first).ok
        pressed = await _press(client)
        assert pressed.headers["location"] == "/dpo/integrity"
        page = await client.get("/dpo/integrity")
        assert "already running" not in page.text and "Intact" in page.text
