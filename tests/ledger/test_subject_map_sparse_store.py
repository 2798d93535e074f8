"""The log stores its subject map's tiles with one batch in several; nothing else changes.

Every batch still commits the map's root. A process's first batch stores the map's changed tiles,
then one batch in ``map_store_every``; those in between store none. At a size without stored
tiles a completeness proof, a restarting process and ``ledger verify`` start
from the latest stored version and catch up from the entries since: the proofs are the rebuilt
map's own, the restart does not rebuild, the audit passes, and a changed row still fails it.
Both engines.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from ledger import Ledger, chains, proofs
from ledger.note import NoteSigner
from ledger.sequencer import stores_map
from ledger.store import LedgerStore
from ledger.subjectmap import SubjectMap, subject_key
from tests.ledger.conftest import ORIGIN, make_draft

TABLE = "ledger_subject_node"
SUBJECTS = [f"sub_{n:02d}" for n in range(40)]
EVERY = 3


def test_a_process_stores_its_first_batch_then_one_in_every() -> None:
    decisions, unstored = [], EVERY - 1  # as the sequencer starts
    for _ in range(7):
        decisions.append(stores_map(unstored, EVERY))
        unstored = 0 if decisions[-1] else unstored + 1
    assert decisions == [True, False, False, True, False, False, True]
    assert all(stores_map(unstored, 1) for unstored in range(5))


async def _busy(ledger: Ledger, rounds: int, callers: int = 4) -> None:
    """``rounds`` batches of ``callers`` one-entry requests each (submitted together)."""
    n = 0
    for _ in range(rounds):
        drafts = [
            make_draft(n + i, subject=SUBJECTS[(n * 7 + i * 5) % len(SUBJECTS)])
            for i in range(callers)
        ]
        n += callers
        await asyncio.gather(*(ledger.append([draft]) for draft in drafts))


async def _stored(store: LedgerStore, sizes: list[int]) -> dict[int, bool]:
    keys = {size: size.to_bytes(8, "big") + b"\x00\x00" for size in sizes}
    found = await store.subject_nodes(list(keys.values()))
    return {size: key in found for size, key in keys.items()}


async def _busy_log(engine: Any, signer: NoteSigner) -> tuple[Ledger, list[int], dict[int, bool]]:
    ledger = Ledger(engine, signer, ORIGIN, map_store_every=EVERY)
    await ledger.start()
    await ledger.append([make_draft(900 + i, subject=s) for i, s in enumerate(SUBJECTS)])
    await _busy(ledger, 10)
    store = LedgerStore(engine)
    sizes = [c.size for c in await store.checkpoints_between(0, await ledger.size(), 1000)]
    return ledger, sizes, await _stored(store, sizes)


def _refuse(name: str) -> Any:
    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} was used: the stored map should have been caught up")

    return refused


async def test_a_busy_log_proves_every_size_from_its_last_stored_map(
    engine: Any, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, sizes, stored = await _busy_log(engine, signer)
    try:
        assert stored[sizes[0]], "the quiet first batch stores its map"
        busy = sizes[1:]
        assert sum(stored[s] for s in busy) == len(busy) // EVERY, stored
        assert not stored[sizes[-1]], "the head's map is not stored: caught up below"
        store = LedgerStore(engine)
        # Only the catch-up may answer: the rebuild from every entry is refused.
        monkeypatch.setattr(proofs, "recomputed_map_proof", _refuse("the rebuild"))
        for size in sizes:
            rebuilt = SubjectMap.build(
                (subject_key(name), index) for name, index in await store.subject_heads(size)
            )
            for subject in (*SUBJECTS[:8], "nobody"):
                proof = await ledger.completeness_proof(subject, size)
                assert proof.map_proof == rebuilt.prove(subject_key(subject)), (size, subject)
                committed = proof.to_json()["commitment"]
                assert committed is not None
        assert (await ledger.verify()).ok
    finally:
        await ledger.close()


async def test_a_restart_seeds_from_the_last_stored_map_without_a_rebuild(
    engine: Any, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, sizes, stored = await _busy_log(engine, signer)
    await ledger.close()
    assert not stored[sizes[-1]]
    monkeypatch.setattr(chains, "_rebuilt", _refuse("the rebuild"))
    restarted = Ledger(engine, signer, ORIGIN, map_store_every=EVERY)
    await restarted.start()
    try:
        # One request: this batch stores the whole caught-up change, its rows checked by verify.
        await restarted.append([make_draft(5000, subject=SUBJECTS[3])])
        size = await restarted.size()
        assert (await _stored(LedgerStore(engine), [size]))[size]
        result = await restarted.verify()
        assert result.ok and result.map_rows > 1, result
        proof = await restarted.completeness_proof(SUBJECTS[3], size)
        assert proof.map_proof.value() == size - 1
    finally:
        await restarted.close()


async def test_verify_audits_the_last_stored_map_and_names_a_changed_row(
    database: Any, engine: Any, signer: NoteSigner, owner_sql: Any
) -> None:
    ledger, sizes, stored = await _busy_log(engine, signer)
    try:
        result = await ledger.verify()
        assert result.ok and result.map_rows > 1
        latest = max(size for size in sizes if stored[size])
        [rows] = await owner_sql(f"SELECT key, body FROM {TABLE} ORDER BY key")
        key, body = next(
            (bytes(k), bytes(b))
            for k, b in rows
            if int.from_bytes(bytes(k)[:8], "big") == latest and bytes(k)[8:10] != b"\x00\x00"
        )
        forged = body[:-1] + bytes([body[-1] ^ 0x01])
        if database.kind == "sqlite":
            unguard = [f"DROP TRIGGER {TABLE}_no_update"]
            literal = f"X'{forged.hex()}'", f"X'{key.hex()}'"
        else:
            unguard = [f"DROP TRIGGER {TABLE}_append_only ON {TABLE}"]
            literal = f"'\\x{forged.hex()}'::bytea", f"'\\x{key.hex()}'::bytea"
        await owner_sql(
            *unguard, f"UPDATE {TABLE} SET body = {literal[0]} WHERE key = {literal[1]}"
        )
        problem = (await ledger.verify()).problem
        assert problem is not None and problem.what.startswith("subject-map-"), problem
        assert problem.index == latest - 1 and key.hex() in problem.detail
        base64.b64decode(problem.expected or "", validate=True)
    finally:
        await ledger.close()
