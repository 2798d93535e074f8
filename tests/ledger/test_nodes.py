"""ledger.nodes: proofs assembled from stored perfect subtrees equal ledger.merkle's proofs.

A store is simulated with a dict: each append writes the leaf hash and the nodes that
``nodes_completed_by_append`` says became complete, each computed from its two children. At
every size, every plan must only use nodes already stored and assemble the exact proof.
"""

from __future__ import annotations

import hashlib
import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.nodes import (
    NodeID,
    ProofPlan,
    consistency_plan,
    inclusion_plan,
    nodes_completed_by_append,
    root_from_subtrees,
    root_node_ids,
)

MAX_SIZE = 130
LEAVES = [leaf_hash(f"entry-{i}".encode()) for i in range(MAX_SIZE)]


def plan_bound(n: int) -> int:
    return 2 * math.ceil(math.log2(n)) + 2 if n > 1 else 2


def complete_nodes(size: int) -> set[NodeID]:
    """Brute force: every perfect subtree (level >= 1) lying inside the first ``size`` leaves."""
    out: set[NodeID] = set()
    level = 1
    while (1 << level) <= size:
        out.update(NodeID(level, i) for i in range(size >> level))
        level += 1
    return out


def simulate_store() -> list[tuple[int, dict[NodeID, bytes]]]:
    """Append all leaves; return a snapshot of the store after every append."""
    store: dict[NodeID, bytes] = {}
    snapshots = []
    for size_before, leaf in enumerate(LEAVES):
        store[NodeID(0, size_before)] = leaf
        for node in nodes_completed_by_append(size_before):
            left, right = node.children()
            store[node] = node_hash(store[left], store[right])  # children already written
        snapshots.append((size_before + 1, dict(store)))
    return snapshots


SNAPSHOTS = simulate_store()


def test_nodes_completed_by_append_matches_brute_force() -> None:
    for size_before in range(300):
        got = nodes_completed_by_append(size_before)
        expected = complete_nodes(size_before + 1) - complete_nodes(size_before)
        assert set(got) == expected
        assert [n.level for n in got] == list(range(1, len(got) + 1))  # bottom-up
        assert all(n.end == size_before + 1 for n in got)


def test_nodes_completed_by_append_examples() -> None:
    assert nodes_completed_by_append(0) == []
    assert nodes_completed_by_append(1) == [NodeID(1, 0)]
    assert nodes_completed_by_append(2) == []
    assert nodes_completed_by_append(7) == [NodeID(1, 3), NodeID(2, 1), NodeID(3, 0)]
    with pytest.raises(ValueError):
        nodes_completed_by_append(-1)


def test_stored_nodes_are_subtree_roots() -> None:
    _, store = SNAPSHOTS[-1]
    assert set(store) == complete_nodes(MAX_SIZE) | {NodeID(0, i) for i in range(MAX_SIZE)}
    for node, h in store.items():
        assert h == root_hash(LEAVES[node.begin : node.end])


def test_root_node_ids_and_root_from_subtrees() -> None:
    assert root_node_ids(0) == []
    assert root_from_subtrees([]) == EMPTY_ROOT
    assert root_node_ids(13) == [NodeID(3, 0), NodeID(2, 2), NodeID(0, 12)]
    for size, store in SNAPSHOTS:
        ids = root_node_ids(size)
        assert sum(1 << n.level for n in ids) == size
        assert ids[0].begin == 0 and ids[-1].end == size
        assert all(a.end == b.begin for a, b in itertools.pairwise(ids))
        assert root_from_subtrees([store[i] for i in ids]) == root_hash(LEAVES[:size])


def check_plan(plan: ProofPlan, size: int, store: dict[NodeID, bytes]) -> list[bytes]:
    ids = plan.node_ids
    assert len(ids) == len(set(ids))
    assert len(ids) <= plan_bound(size), (size, len(ids))
    assert all(n.end <= size for n in ids)  # only nodes complete at this size
    # a store fetches exactly these ids in one query and assembles from the result
    return plan.assemble({i: store[i] for i in ids})


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_plans_assemble_merkle_proofs(size: int) -> None:
    _, store = SNAPSHOTS[size - 1]
    leaves = LEAVES[:size]
    root = root_hash(leaves)
    for index in range(size):
        proof = check_plan(inclusion_plan(index, size), size, store)
        assert proof == inclusion_proof(leaves, index), (size, index)
        assert verify_inclusion(leaves[index], index, size, proof, root)
    for old_size in range(size + 1):
        proof = check_plan(consistency_plan(old_size, size), size, store)
        assert proof == consistency_proof(leaves, old_size), (size, old_size)
        old_root = root_hash(leaves[:old_size])
        assert verify_consistency(old_size, size, proof, old_root, root)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=2**62), st.data())
def test_plan_size_is_logarithmic_for_huge_trees(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    old = data.draw(st.integers(min_value=0, max_value=size))
    for plan in (inclusion_plan(index, size), consistency_plan(old, size)):
        ids = plan.node_ids
        assert len(ids) <= plan_bound(size)
        assert all(n.end <= size and n.level >= 0 and n.index >= 0 for n in ids)


def test_one_batch_of_receipts_shares_folded_right_edge_nodes() -> None:
    """The writer assembles every receipt of a batch with one memo of ephemeral folds."""
    size, store = SNAPSHOTS[100 - 1]
    folds: dict[tuple[NodeID, ...], bytes] = {}
    for index in range(size):
        plan = inclusion_plan(index, size)
        assert plan.assemble(store, folds) == inclusion_proof(LEAVES[:size], index), index
    assert folds and all(len(element) > 1 for element in folds)
    # A memo filled for another tree would give wrong proofs: it is keyed by the nodes folded.
    assert all(root_from_subtrees([store[n] for n in ids]) == h for ids, h in folds.items())
    with pytest.raises(KeyError, match="missing"):
        inclusion_plan(99, 100).assemble({}, {})


def test_assemble_reports_missing_node() -> None:
    plan = inclusion_plan(0, 5)
    with pytest.raises(KeyError, match="missing"):
        plan.assemble({})


def test_plans_reject_bad_arguments() -> None:
    with pytest.raises(ValueError):
        inclusion_plan(5, 5)
    with pytest.raises(ValueError):
        inclusion_plan(-1, 5)
    with pytest.raises(ValueError):
        consistency_plan(6, 5)
    with pytest.raises(ValueError):
        root_node_ids(-1)
    with pytest.raises(TypeError):
        inclusion_plan(True, 5)
    assert consistency_plan(0, 5).elements == ()
    assert consistency_plan(5, 5).elements == ()
    assert consistency_plan(0, 0).node_ids == ()


def test_node_id_helpers() -> None:
    node = NodeID(3, 2)
    assert (node.begin, node.end) == (16, 24)
    assert node.children() == (NodeID(2, 4), NodeID(2, 5))
    with pytest.raises(ValueError):
        NodeID(0, 1).children()
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
