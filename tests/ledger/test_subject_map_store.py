"""The stored subject map on both databases: proofs read from it are the rebuilt map's proofs.

Every append stores the map nodes its batch changed (``ledger_subject_node``, one version per
batch), so a completeness proof reads its path, one row per level, instead of rebuilding the
map from every entry. These tests compare the two for every checkpoint and subject of logs
grown by two writers (with rolled-back appends between), show that the fast path is the one
taken, that a log written before the map was stored is backfilled by its next append and keeps
proving at its old sizes, and that a tampered stored node never makes a wrong proof.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest

import ledger.proofs
from ledger import AgreementRecordedDraft, EntryDraft, Ledger
from ledger.chains import load_subject_state
from ledger.mapstore import load_stored_map
from ledger.maptiles import Leaf, Ref, RowError, parse_row, walk
from ledger.note import NoteSigner
from ledger.proofs import recomputed_map_proof, stored_map_proof
from ledger.store import LedgerStore
from ledger.subjectmap import TILE_HEIGHT, SubjectMap, key_path, node_path, subject_key
from tests.ledger.completeness_support import (
    all_entries,
    make_bundle,
    mutations,
    product_accepts,
    spec_accepts,
    with_entries,
)
from tests.ledger.conftest import ORIGIN, make_draft


@pytest.fixture
def map_store_every() -> int:
    """These tests are about the map stored at every version: every batch stores it (a log
    storing one batch's in several is tests/ledger/test_subject_map_sparse_store.py)."""
    return 1


SUBJECTS = [f"sub_{n:02d}" for n in range(10)]
TABLE = "ledger_subject_node"


def _draft(n: int, subject: str) -> EntryDraft:
    """A disclosure about ``subject``, or for "" an agreement record (about no one)."""
    if subject:
        return make_draft(n, subject=subject)
    return AgreementRecordedDraft(
        recipient_org="org-1",
        categories=("status",),
        agreement_ids=(f"dsa-{n}",),
        channel="api",
        details={
            "version": 1,
            "starts_on": "2026-01-01",
            "ends_on": "2027-01-01",
            "supersedes": None,
            "purposes": ["esp.programme-management"],
            "grants": ["esp.programme-management:status"],
            "recorded_by": "user-1",
        },
    )


async def _stated_root(store: LedgerStore, size: int) -> str:
    entry = await store.entry(size - 1)
    assert entry is not None
    return str(json.loads(entry.body)["subject_map"]["root"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _no_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make rebuilding the map fail, so a proof that succeeds was read from the stored map."""

    async def refuse(*args: Any) -> Any:
        raise AssertionError("the map was rebuilt from the entries")

    monkeypatch.setattr(ledger.proofs, "recomputed_map_proof", refuse)


async def _rows(owner_sql: Any) -> int:
    [rows] = await owner_sql(f"SELECT count(*) AS n FROM {TABLE}")
    return int(rows[0][0])


async def _grow(writers: list[Ledger], batches: int, rng: random.Random) -> list[int]:
    """Random batches (0 to 6 entries, some about no one) from alternating writers, some in the
    caller's transaction, some rolled back; returns the committed checkpoint sizes."""
    ends: list[int] = []
    n = 0
    for _ in range(batches):
        writer = rng.choice(writers)
        drafts = []
        for _ in range(rng.randint(1, 6)):
            subject = rng.choice([*SUBJECTS, ""])
            drafts.append(_draft(n, subject))
            n += 1
        roll = rng.random()
        if roll < 0.15:
            with pytest.raises(RuntimeError):
                async with writer.appending() as transaction:
                    await transaction.append(drafts)
                    raise RuntimeError("the caller's own write failed")
            continue
        if roll < 0.35:
            async with writer.appending() as transaction:
                receipts = await transaction.append(drafts)
        else:
            receipts = await writer.append(drafts)
        ends.append(receipts[-1].tree_size)
    return ends


async def test_stored_proofs_equal_rebuilt_ones_for_every_size_and_subject(
    engine: Any, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Ledger(engine, signer, ORIGIN, map_store_every=1)
    second = Ledger(engine, signer, ORIGIN, map_store_every=1)
    await first.start()
    await second.start()
    try:
        ends = await _grow([first, second], 45, random.Random(2020))
        store = LedgerStore(engine)
        compared = 0
        for size in ends:
            stated = await _stated_root(store, size)
            for subject in [*SUBJECTS, "sub_nobody"]:
                key = subject_key(subject)
                stored = await stored_map_proof(store, key, size)
                rebuilt = await recomputed_map_proof(store, key, size, stated)
                assert stored == rebuilt, (size, subject)
                compared += 1
        assert compared == len(ends) * (len(SUBJECTS) + 1) and len(ends) > 30
        # The ledger's own proofs come from the stored map: rebuilding is not even possible now.
        _no_rebuild(monkeypatch)
        size = ends[-1]
        pool = await all_entries(first, size)
        for subject in SUBJECTS:
            bundle = await make_bundle(second, subject, size, pool)
            assert product_accepts(bundle) and spec_accepts(bundle), subject
        assert (await first.verify()).ok
    finally:
        await first.close()
        await second.close()


async def test_a_proof_reads_one_row_per_tile_of_its_path(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(40):
        await ledger.append([_draft(n, SUBJECTS[n % len(SUBJECTS)] if n % 7 else "")])
    store = LedgerStore(ledger.engine)
    asked: list[bytes | None] = []
    original = LedgerStore.subject_node

    async def counting(self: LedgerStore, version: int, path: bytes) -> Any:
        found = await original(self, version, path)
        asked.append(found)
        return found

    monkeypatch.setattr(LedgerStore, "subject_node", counting)
    for size in (await ledger.size(), 14, 28):  # some batches named no one: root row anyway
        for subject in (SUBJECTS[3], "sub_nobody"):
            asked.clear()
            proof = await stored_map_proof(store, subject_key(subject), size)
            assert proof is not None
            # One primary-key read per tile on the path, root down to its end; each found (a
            # leaf at a tile's bottom depth sits in the tile above).
            depth = len(proof.siblings)
            assert len(asked) == (1 if depth == 0 else (depth - 1) // TILE_HEIGHT + 1)
            assert all(row is not None for row in asked)


async def test_a_log_written_before_the_map_was_stored_is_backfilled_by_its_next_append(
    engine: Any, signer: NoteSigner, owner_sql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries and commitments as the previous release wrote them (no stored map rows): proofs
    at those sizes rebuild the map; the first append by this release stores the whole map once,
    later ones only their changes, and proofs from then on read it."""
    original = LedgerStore.write_batch

    async def previous_release(self: LedgerStore, *args: Any) -> None:
        await original(self, *args[:4])  # entries, nodes, checkpoint, time: no map nodes

    monkeypatch.setattr(LedgerStore, "write_batch", previous_release)
    old = Ledger(engine, signer, ORIGIN, map_store_every=1)
    await old.start()
    try:
        old_ends = await _grow([old], 12, random.Random(7))
    finally:
        await old.close()
    monkeypatch.setattr(LedgerStore, "write_batch", original)
    assert await _rows(owner_sql) == 0
    new = Ledger(engine, signer, ORIGIN, map_store_every=1)
    await new.start()
    try:
        store = LedgerStore(engine)
        for size in old_ends:  # nothing stored: the path read is not the committed map's
            read = await stored_map_proof(store, subject_key(SUBJECTS[0]), size)
            assert read is None or _b64(read.root()) != await _stated_root(store, size)
        old_proof = await new.completeness_proof(SUBJECTS[0], old_ends[-1])  # rebuilt
        await new.append([make_draft(900, subject=SUBJECTS[1])])
        whole = await _rows(owner_sql)
        size = await new.size()
        # Every row of the map as of the new size was stored by that append (nothing before).
        _, reachable, _ = await load_stored_map(
            store, size, base64.b64decode(await _stated_root(store, size))
        )
        assert whole == reachable > 0
        await new.append([make_draft(901, subject=SUBJECTS[2])])
        added = await _rows(owner_sql) - whole
        depth = len(
            (await new.completeness_proof(SUBJECTS[2], await new.size())).map_proof.siblings
        )
        assert added == (1 if depth == 0 else (depth - 1) // TILE_HEIGHT + 1)  # the path's tiles
        size = await new.size()
        pool = await all_entries(new, size)
        with monkeypatch.context() as patch:
            _no_rebuild(patch)
            for subject in SUBJECTS:
                assert product_accepts(await make_bundle(new, subject, size, pool)), subject
        # Old sizes keep proving (by rebuilding), exactly as before the backfill.
        assert await new.completeness_proof(SUBJECTS[0], old_ends[-1]) == old_proof
        old_pool = await all_entries(new, old_ends[-1])
        bundle = await make_bundle(new, SUBJECTS[0], old_ends[-1], old_pool)
        assert product_accepts(bundle) and spec_accepts(bundle)
        assert (await new.verify()).ok
    finally:
        await new.close()


async def _path_rows(store: LedgerStore, key: bytes, size: int) -> list[tuple[bytes, bytes, int]]:
    """The stored rows (key, body, depth) on ``key``'s path at ``size``, root first, followed as
    the store follows them (the root row of the size, then each reference on the way)."""
    rows = []
    version, depth, prefix = size, 0, 0
    while True:
        path = node_path(depth, prefix)
        body = await store.subject_node(version, path)
        assert body is not None
        rows.append((version.to_bytes(8, "big") + path, body, depth))
        _, end, _ = walk(parse_row(body, depth, prefix), key, depth)
        if not isinstance(end, Ref):
            assert isinstance(end, Leaf) and end.key == key, "the subject is in the map"
            return rows
        version, depth, prefix = end.version, end.depth, end.prefix


def _forging(body: bytes, depth: int, key: bytes) -> int:
    """A byte of ``body`` whose flip still parses but changes what ``key``'s path reads in it
    (a sibling's hash or the leaf's value): the last such byte."""
    path = key_path(key, depth)
    prefix = int.from_bytes(path[2:], "big") >> (len(path[2:]) * 8 - depth) if depth else 0
    honest = walk(parse_row(body, depth, prefix), key, depth)
    for at in range(len(body) - 1, 0, -1):
        forged = body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :]
        try:
            read = walk(parse_row(forged, depth, prefix), key, depth)
        except RowError:
            continue
        if read[0] != honest[0] or read[1] != honest[1]:
            return at
    raise AssertionError("no byte of the row changes the path")


def _unguard(kind: str) -> list[str]:
    if kind == "sqlite":
        return [f"DROP TRIGGER {TABLE}_no_{action}" for action in ("update", "delete", "replace")]
    return [f"DROP TRIGGER {TABLE}_append_only ON {TABLE}"]


def _blob(kind: str, data: bytes) -> str:
    return f"X'{data.hex()}'" if kind == "sqlite" else f"'\\x{data.hex()}'::bytea"


async def test_a_tampered_stored_node_never_makes_a_wrong_proof(
    database: Any, ledger: Ledger, owner_sql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each node on a subject's stored path in turn is rewritten (the leaf's value, a branch's
    child): the stored path no longer leads to the committed root, so the proof is rebuilt from
    the entries, equals the honest one, and every changed bundle still fails."""
    for n in range(30):
        await ledger.append([make_draft(n, subject=SUBJECTS[n % 6])])
    size = await ledger.size()
    subject = SUBJECTS[2]
    key = subject_key(subject)
    honest = await ledger.completeness_proof(subject, size)
    pool = await all_entries(ledger, size)
    await owner_sql(*_unguard(database.kind))
    store = LedgerStore(ledger.engine)
    for row_key, body, depth in await _path_rows(store, key, size):
        # A sibling's hash or the leaf's value in this row, whatever the row's layout.
        at = _forging(body, depth, key)
        forged = body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :]
        where = f"key = {_blob(database.kind, row_key)}"
        await owner_sql(f"UPDATE {TABLE} SET body = {_blob(database.kind, forged)} WHERE {where}")
        try:
            stored = await stored_map_proof(store, key, size)
            assert stored != honest.map_proof  # the forged row is read...
            proof = await ledger.completeness_proof(subject, size)
            assert proof == honest  # ...and not believed
            with monkeypatch.context() as patch:
                _no_rebuild(patch)
                with pytest.raises(AssertionError, match="rebuilt"):
                    await ledger.completeness_proof(subject, size)
        finally:
            await owner_sql(f"UPDATE {TABLE} SET body = {_blob(database.kind, body)} WHERE {where}")
    bundle = await make_bundle(ledger, subject, size, pool)
    assert product_accepts(bundle) and spec_accepts(bundle)
    bundle["completeness"]["map_leaf"]["value"] ^= 1
    assert not product_accepts(bundle) and not spec_accepts(bundle)
    bundle = await make_bundle(ledger, subject, size, pool)
    for name, entries in mutations(bundle, pool):
        changed = with_entries(bundle, entries)
        assert not product_accepts(changed), name
        assert not spec_accepts(changed), name
    assert base64.b64decode(bundle["completeness"]["key"]) == key
    assert (await ledger.verify()).ok


async def test_a_new_process_seeds_its_map_from_the_stored_rows(
    engine: Any, signer: NoteSigner, owner_sql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process's first append reads the map from the stored rows of the head's version
    instead of scanning every entry: the seeded map is the rebuilt one (same root, same path
    for every subject, same root after the same update), and its next batch stores only the
    tiles on the changed path, not the whole map again."""
    first = Ledger(engine, signer, ORIGIN, map_store_every=1)
    await first.start()
    try:
        await _grow([first], 30, random.Random(11))
    finally:
        await first.close()
    store = LedgerStore(engine)
    head = await store.head()
    pairs = await store.subject_heads(head.size)
    rebuilt = SubjectMap.build((subject_key(s), i) for s, i in pairs)

    async def refuse(*args: Any) -> Any:
        raise AssertionError("the map was rebuilt from the entries")

    monkeypatch.setattr(LedgerStore, "subject_heads", refuse)
    seeded = (await load_subject_state(store, head, None)).map
    assert _b64(seeded.root()) == _b64(rebuilt.root()) == await _stated_root(store, head.size)
    for subject in [*SUBJECTS, "sub_nobody"]:
        assert seeded.prove(subject_key(subject)) == rebuilt.prove(subject_key(subject))
    for m in (seeded, rebuilt):
        m.put(subject_key("sub_new"), head.size)
        m.put(subject_key(SUBJECTS[0]), head.size + 1)
    assert seeded.root() == rebuilt.root()
    second = Ledger(engine, signer, ORIGIN, map_store_every=1)
    await second.start()
    try:
        rows = await _rows(owner_sql)
        await second.append([make_draft(950, subject=SUBJECTS[4])])
        size = await second.size()
        depth = len((await second.completeness_proof(SUBJECTS[4], size)).map_proof.siblings)
        assert await _rows(owner_sql) - rows == (
            1 if depth == 0 else (depth - 1) // TILE_HEIGHT + 1
        )
        pool = await all_entries(second, size)
        for subject in SUBJECTS:
            bundle = await make_bundle(second, subject, size, pool)
            assert product_accepts(bundle) and spec_accepts(bundle), subject
        assert (await second.verify()).ok
    finally:
        await second.close()
