"""Proofs built from stored nodes equal ``ledger.merkle``'s proofs over the same leaves.

The log is grown in batches of irregular sizes (so batch boundaries fall everywhere), then every
inclusion proof for every index of every tree size up to 40, and every consistency proof between
every pair of sizes, is compared with the pure module's; larger trees are sampled.
"""

from __future__ import annotations

import pytest

from ledger import merkle
from ledger.errors import LedgerRangeError
from ledger.nodes import NodeID
from ledger.proofs import build_consistency_proof, build_inclusion_proof
from ledger.store import LedgerStore
from ledger.tables import node_key

BATCHES_TO_40 = [1, 1, 2, 3, 1, 5, 8, 3, 1, 7, 4, 4]  # sums to 40


async def grow(ledger, draft, batches, start=0):
    n = start
    for size in batches:
        await ledger.append([draft(n + k) for k in range(size)])
        n += size
    return n


async def leaf_hashes(ledger, size):
    entries = await LedgerStore(ledger.engine).entries_between(0, size)
    assert [e.index for e in entries] == list(range(size))
    return [e.leaf_hash for e in entries]


async def test_every_small_proof_equals_the_reference(ledger, engine, draft):
    size = await grow(ledger, draft, BATCHES_TO_40)
    assert size == 40
    leaves = await leaf_hashes(ledger, size)
    store = LedgerStore(engine)
    async with engine.transaction():  # one connection for the ~1,700 queries (SQLite)
        await sweep(store, leaves)


async def sweep(store, leaves):
    size = len(leaves)
    for tree_size in range(1, size + 1):
        for index in range(tree_size):
            proof = await build_inclusion_proof(store, index, tree_size)
            assert list(proof.inclusion_path) == merkle.inclusion_proof(
                leaves[:tree_size], index
            ), (index, tree_size)
            assert proof.leaf_hash == leaves[index]
    for second in range(0, size + 1):
        for first in range(0, second + 1):
            proof = await build_consistency_proof(store, first, second)
            assert list(proof.consistency_path) == merkle.consistency_proof(
                leaves[:second], first
            ), (first, second)


async def test_public_proof_api_matches_and_verifies(ledger, draft):
    size = await grow(ledger, draft, [3, 6, 4])
    leaves = await leaf_hashes(ledger, size)
    for tree_size in (1, 5, 8, 13):
        root = merkle.root_hash(leaves[:tree_size])
        for index in range(tree_size):
            proof = await ledger.inclusion_proof(index, tree_size)
            assert proof.to_json()["leaf_index"] == index
            assert merkle.verify_inclusion(
                proof.leaf_hash, index, tree_size, list(proof.inclusion_path), root
            )
        for first in range(tree_size + 1):
            proof = await ledger.consistency_proof(first, tree_size)
            old_root = merkle.root_hash(leaves[:first])
            assert merkle.verify_consistency(
                first, tree_size, list(proof.consistency_path), old_root, root
            )


async def test_batch_of_inclusion_proofs_equals_single_ones(ledger, draft):
    size = await grow(ledger, draft, [4, 9, 2])
    indexes = [0, 3, 4, 9, 14, 3]
    batch = await ledger.inclusion_proofs(indexes, size)
    singles = [await ledger.inclusion_proof(i, size) for i in indexes]
    assert batch == singles
    assert await ledger.inclusion_proofs([], size) == []


async def test_many_inclusion_paths_equal_the_rfc_paths(ledger, draft):
    """The subject access report's batch: every path equals RFC 9162 PATH, for every leaf of
    every tree size, right-edge nodes included; ``encode`` maps each hash."""
    size = await grow(ledger, draft, [5, 9, 1, 6, 12])  # 33 entries
    leaves = await leaf_hashes(ledger, size)
    for tree_size in (1, 2, 3, 16, 17, 21, 32, 33):
        indexes = list(range(tree_size))[::-1]
        paths = await ledger.inclusion_paths(indexes, tree_size)
        assert paths == [merkle.inclusion_proof(leaves[:tree_size], i) for i in indexes]
    encoded = await ledger.inclusion_paths([7, 7, 30], size, encode=bytes.hex)
    assert encoded[0] == encoded[1] == [h.hex() for h in merkle.inclusion_proof(leaves, 7)]
    assert await ledger.inclusion_paths([], size) == []
    with pytest.raises(LedgerRangeError):
        await ledger.inclusion_paths([size], size)


@pytest.mark.slow
async def test_larger_trees_sampled(ledger, engine, draft):
    size = await grow(ledger, draft, [200, 57, 1, 42, 100, 111])
    assert size == 511
    leaves = await leaf_hashes(ledger, size)
    store = LedgerStore(engine)
    for tree_size in (256, 257, 300, 511):
        for index in sorted({0, 1, 127, 128, 255, tree_size // 2, tree_size - 2, tree_size - 1}):
            proof = await build_inclusion_proof(store, index, tree_size)
            assert list(proof.inclusion_path) == merkle.inclusion_proof(leaves[:tree_size], index)
        for first in (1, 2, 7, 128, 255, 256, tree_size - 1):
            proof = await build_consistency_proof(store, first, tree_size)
            assert list(proof.consistency_path) == merkle.consistency_proof(
                leaves[:tree_size], first
            )


async def test_stored_nodes_are_exactly_the_complete_subtrees(ledger, engine, draft):
    size = await grow(ledger, draft, [5, 9, 1, 6])  # 21 entries
    leaves = await leaf_hashes(ledger, size)
    expected: dict[NodeID, bytes] = {}
    level, hashes = 0, leaves
    while len(hashes) > 1:
        hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes) - 1, 2)]
        level += 1
        expected.update({NodeID(level, i): h for i, h in enumerate(hashes)})
    store = LedgerStore(engine)
    stored = await store.nodes_in_key_ranges([(node_key(1, 0), node_key(60, 0))])
    assert stored == expected
    assert (await store.head()).root_hash == merkle.root_hash(leaves)
