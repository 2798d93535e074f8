"""Appending: receipts that verify offline, group commit, atomic requests, in-transaction use."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from piccolo.engine.sqlite import TransactionType

from ledger import (
    Ledger,
    LedgerClosedError,
    LedgerNotFoundError,
    LedgerRangeError,
    LedgerUsageError,
    Receipt,
    merkle,
)
from ledger.checkpoint import open_checkpoint
from ledger.note import NoteVerifier

ORIGIN = "esp-portal.local/ledger"


def assert_receipt_verifies(receipt: Receipt, verifier: NoteVerifier, body: bytes) -> None:
    """What an outsider does with a receipt: open the note, check the path to its root."""
    checkpoint = open_checkpoint(receipt.checkpoint, verifier, ORIGIN)
    assert checkpoint.size == receipt.tree_size
    assert merkle.leaf_hash(body) == receipt.leaf_hash
    assert merkle.verify_inclusion(
        receipt.leaf_hash,
        receipt.index,
        receipt.tree_size,
        list(receipt.inclusion_path),
        checkpoint.root_hash,
    )
    assert receipt.verify(verifier, ORIGIN, body)


async def test_append_returns_receipts_that_verify(ledger, draft, signer):
    receipts = await ledger.append([draft(0), draft(1), draft(2)])
    assert [r.index for r in receipts] == [0, 1, 2]
    assert {r.tree_size for r in receipts} == {3}
    verifier = NoteVerifier.from_key(ledger.verifier_key())
    for receipt in receipts:
        stored = await ledger.get_entry(receipt.index)
        assert stored.leaf_hash == receipt.leaf_hash
        assert_receipt_verifies(receipt, verifier, stored.body)
    assert await ledger.size() == 3
    assert await ledger.latest_checkpoint() == receipts[0].checkpoint
    assert await ledger.checkpoint_at(3) == receipts[0].checkpoint


async def test_entry_bytes_are_canonical_json_with_index_and_time(ledger, draft):
    await ledger.append([draft(n) for n in range(7)])
    [receipt] = await ledger.append([draft(7, categories=["training", "identity", "training"])])
    stored = await ledger.get_entry(receipt.index)
    document = json.loads(stored.body)
    assert document["index"] == receipt.index
    assert document["categories"] == ["identity", "training"]
    assert document["timestamp"].endswith("Z")
    assert document["checkpoint_size"] == receipt.tree_size == 8
    assert stored.body == json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert stored.entry().subject == draft(7).subject
    assert stored.document() == document


async def test_receipt_json_has_the_spec_shape(ledger, draft):
    [first] = await ledger.append([draft(0)])
    [receipt] = await ledger.append([draft(1)])
    data = receipt.to_json()
    assert set(data) == {"index", "leaf_hash", "tree_size", "inclusion_path", "checkpoint"}
    assert base64.b64decode(data["leaf_hash"]) == receipt.leaf_hash
    assert [base64.b64decode(h) for h in data["inclusion_path"]] == [first.leaf_hash]
    assert data["checkpoint"].startswith(f"{ORIGIN}\n2\n")


async def test_group_commit_batches_concurrent_callers(ledger, draft, signer):
    count = 64
    results = await asyncio.gather(*(ledger.append([draft(i)]) for i in range(count)))
    indexes = sorted(r.index for receipts in results for r in receipts)
    assert indexes == list(range(count))
    checkpoints = {r.tree_size for receipts in results for r in receipts}
    assert len(checkpoints) < count, "concurrent appends should share transactions"
    verifier = signer.verifier()
    for receipts in results:
        for receipt in receipts:
            stored = await ledger.get_entry(receipt.index)
            assert_receipt_verifies(receipt, verifier, stored.body)
    result = await ledger.verify()
    assert result.ok, result.problem
    assert result.checkpoints == len(checkpoints)


async def test_a_request_is_atomic_and_contiguous_under_concurrency(ledger, draft):
    async def request(n: int):
        return await ledger.append([draft(n * 10 + k) for k in range(5)])

    results = await asyncio.gather(*(request(n) for n in range(8)))
    for receipts in results:
        indexes = [r.index for r in receipts]
        assert indexes == list(range(indexes[0], indexes[0] + 5))
        assert len({r.tree_size for r in receipts}) == 1


async def test_batches_never_exceed_the_maximum_except_for_one_large_request(engine, signer, draft):
    ledger = Ledger(engine, signer, ORIGIN, batch_max=4)
    await ledger.start()
    try:
        big = ledger.append([draft(i) for i in range(10)])
        small = [ledger.append([draft(100 + i)]) for i in range(12)]
        results = await asyncio.gather(big, *small)
        sizes = sorted({r.tree_size for receipts in results for r in receipts})
        previous = 0
        for size in sizes:
            assert size - previous <= 10
            previous = size
        assert len(sizes) >= 4
        assert (await ledger.verify()).ok
    finally:
        await ledger.close()


async def test_append_in_transaction_commits_with_the_caller(engine, ledger, draft, signer):
    kwargs = (
        {"transaction_type": TransactionType.immediate} if engine.engine_type == "sqlite" else {}
    )
    async with engine.transaction(**kwargs):
        receipts = await ledger.append_in_transaction([draft(0), draft(1)])
    assert [r.index for r in receipts] == [0, 1]
    for receipt in receipts:
        stored = await ledger.get_entry(receipt.index)
        assert_receipt_verifies(receipt, signer.verifier(), stored.body)

    class CallerFailed(Exception):
        pass

    with pytest.raises(CallerFailed):
        async with engine.transaction(**kwargs):
            await ledger.append_in_transaction([draft(2)])
            raise CallerFailed
    assert await ledger.size() == 2
    [after] = await ledger.append([draft(3)])
    assert after.index == 2
    assert (await ledger.verify()).ok


async def test_append_in_transaction_refuses_unsafe_use(engine, ledger, draft):
    with pytest.raises(LedgerUsageError, match="inside"):
        await ledger.append_in_transaction([draft(0)])
    if engine.engine_type == "sqlite":
        async with engine.transaction():
            with pytest.raises(LedgerUsageError, match="immediate"):
                await ledger.append_in_transaction([draft(0)])
    assert await ledger.size() == 0


async def test_reads_reject_bad_parameters_with_the_field_named(ledger, draft):
    await ledger.append([draft(i) for i in range(3)])
    cases = [
        (ledger.inclusion_proof(3, 3), "index"),
        (ledger.inclusion_proof(0, 4), "tree_size"),
        (ledger.inclusion_proof(-1, 3), "index"),
        (ledger.inclusion_proof(0, 0), "tree_size"),
        (ledger.consistency_proof(2, 1), "first"),
        (ledger.consistency_proof(1, 4), "second"),
        (ledger.get_entry(3), "index"),
        (ledger.checkpoint_at(4), "size"),
    ]
    for call, field in cases:
        with pytest.raises(LedgerRangeError) as caught:
            await call
        assert caught.value.field == field
    await ledger.append([draft(3)])
    with pytest.raises(LedgerNotFoundError):
        await ledger.checkpoint_at(2)  # the first batch was committed at size 3


async def test_empty_log_has_a_signed_checkpoint_and_verifies(ledger, signer):
    note = await ledger.latest_checkpoint()
    checkpoint = open_checkpoint(note, signer.verifier(), ORIGIN)
    assert (checkpoint.size, checkpoint.root_hash) == (0, merkle.EMPTY_ROOT)
    assert await ledger.checkpoint_at(0) == note
    result = await ledger.verify()
    assert result.ok and result.size == 0


async def test_closed_ledger_refuses_appends(engine, signer, draft):
    ledger = Ledger(engine, signer, ORIGIN)
    await ledger.start()
    await ledger.append([draft(0)])
    await ledger.close()
    with pytest.raises(LedgerClosedError):
        await ledger.append([draft(1)])
    assert await ledger.size() == 1
