"""``verify`` hashes off the event loop, so a DPO's "verify now" does not stall the process.

Evidence is where the hashing ran and what the loop did meanwhile, never a wall-clock figure:
every leaf hash, every rebuilt tree node and every stored map row of a verify is hashed on a
thread other than the loop's, and a ticker task on the same loop goes round many times *while a
page of entries is being checked* (hashing a page on the loop would make that count exactly 0:
the ticker cannot run in the middle of synchronous code on its own loop). Both databases.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Callable
from typing import Any

import pytest

from ledger import Ledger, compact, mapstore, merkle
from ledger.verify import PAGE_SIZE
from tests.ledger.conftest import make_draft
from tests.ledger.test_ledger_tamper import blob, drop_triggers

#: More than two pages of :data:`ledger.verify.PAGE_SIZE`, so paging and the tail both run.
ENTRIES = 2_600
BATCH = 250


async def _fill(ledger: Ledger, entries: int = ENTRIES) -> None:
    for start in range(0, entries, BATCH):
        stop = min(entries, start + BATCH)
        # 300 subjects recurring: chains and a stored map with rows below its root tile.
        await ledger.append(
            [make_draft(i, subject=f"sub_{i % 300:032x}") for i in range(start, stop)]
        )


def _recording(threads: set[int], inner: Callable[..., bytes]) -> Callable[..., bytes]:
    def recorded(*args: Any) -> bytes:
        threads.add(threading.get_ident())
        return inner(*args)

    return recorded


async def test_every_hash_of_a_verify_runs_off_the_event_loop(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _fill(ledger)
    leaves: set[int] = set()
    nodes: set[int] = set()
    map_rows: set[int] = set()
    monkeypatch.setattr(merkle, "leaf_hash", _recording(leaves, merkle.leaf_hash))
    monkeypatch.setattr(compact, "node_hash", _recording(nodes, compact.node_hash))
    monkeypatch.setattr(mapstore, "node_hash", _recording(map_rows, mapstore.node_hash))

    result = await ledger.verify()

    assert result.ok, result.problem
    assert result.entries == ENTRIES and result.map_rows > 1
    loop_thread = threading.get_ident()
    for what, threads in (("leaf", leaves), ("tree node", nodes), ("map row", map_rows)):
        assert threads, f"no {what} was hashed"
        assert loop_thread not in threads, f"a {what} was hashed on the event loop's thread"


async def test_the_loop_keeps_running_while_a_page_is_hashed(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _fill(ledger)
    ticks = 0
    #: Ticks counted between two consecutive leaf hashes of the same page: the loop ran in
    #: the middle of a page's hashing, not merely while the next page was being read.
    ticks_in_page = 0
    calls = 0
    last_seen = 0
    leaf_hash = merkle.leaf_hash

    def watched(body: bytes) -> bytes:
        nonlocal calls, last_seen, ticks_in_page
        now = ticks
        if calls % PAGE_SIZE:  # entry ``calls`` is not the first of its page
            ticks_in_page += now - last_seen
        last_seen = now
        calls += 1
        return leaf_hash(body)

    monkeypatch.setattr(merkle, "leaf_hash", watched)
    stop = False

    async def ticker() -> None:
        nonlocal ticks
        while not stop:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        result = await ledger.verify()
    finally:
        stop = True
        await task

    assert result.ok, result.problem
    assert calls == ENTRIES  # one leaf hash per entry, in index order
    # Hashed on the loop, a page leaves the ticker no turn at all until it is done (0).
    assert ticks_in_page >= 100, (ticks_in_page, ticks)


async def test_a_changed_entry_past_the_first_page_is_still_named_with_its_evidence(
    database: Any, ledger: Ledger, owner_sql: Any
) -> None:
    """A problem found on the hashing thread comes back as before: first bad index, evidence."""
    await _fill(ledger, 1_300)
    changed = (await ledger.get_entry(1_111)).body.replace(b"req-1111", b"req-XXXX")
    stored_leaf = (await ledger.get_entry(1_111)).leaf_hash
    await owner_sql(
        *drop_triggers(database.kind),
        f"UPDATE ledger_entry SET body = {blob(database.kind, changed)} WHERE idx = 1111",
    )
    result = await ledger.verify()
    assert result.problem is not None
    assert (result.problem.index, result.problem.what) == (1_111, "leaf-hash")
    assert result.problem.expected == base64.b64encode(merkle.leaf_hash(changed)).decode()
    assert result.problem.found == base64.b64encode(stored_leaf).decode()
    assert result.entries == 1_111
