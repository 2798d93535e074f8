"""Proofs built from stored nodes, and the receipt handed to whoever caused an entry.

A proof is planned by :mod:`ledger.nodes` (pure arithmetic), fetched in one query (at most about
``2 log2 n`` node ids) and assembled; nothing is rehashed beyond folding the at most one
right-edge node that is not stored. Parameters are checked against the head *before* planning so
that a client learns which parameter is wrong, not that a node is missing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from . import merkle
from .checkpoint import open_checkpoint
from .completeness import CompletenessProof
from .entries import SUBJECT_MAP
from .errors import LedgerCorruptError, LedgerNotFoundError, LedgerRangeError
from .mapstore import StoredMapError, caught_up_map, read_map_path
from .nodes import (
    NodeID,
    ProofPlan,
    _decompose,
    consistency_plan,
    inclusion_plan,
    root_from_subtrees,
)
from .note import NoteError, NoteVerifier
from .store import LedgerStore
from .subjectmap import MapProof, MapProofError, SubjectMap, subject_key
from .tables import NODE_LEVEL_SHIFT

T = TypeVar("T")

__all__ = [
    "ConsistencyProof",
    "InclusionProof",
    "Receipt",
    "b64",
    "build_completeness_proof",
    "build_consistency_proof",
    "build_inclusion_paths",
    "build_inclusion_proof",
    "build_inclusion_proofs",
    "check_consistency_params",
    "check_inclusion_params",
    "recomputed_map_proof",
    "stored_map_proof",
]


def b64(data: bytes) -> str:
    """Standard base64 with padding, as SPEC.md's JSON carries every hash."""
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True, slots=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    inclusion_path: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": b64(self.leaf_hash),
            "inclusion_path": [b64(h) for h in self.inclusion_path],
        }


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    tree_size_1: int
    tree_size_2: int
    consistency_path: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "tree_size_1": self.tree_size_1,
            "tree_size_2": self.tree_size_2,
            "consistency_path": [b64(h) for h in self.consistency_path],
        }


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof that an entry is in the log: its inclusion path against a signed checkpoint.

    ``checkpoint`` is the signed note for ``tree_size``; anyone with the log's verifier key can
    check the receipt offline with :meth:`verify` (or ``merkle.verify_inclusion`` and a signed-note
    implementation of their own).
    """

    index: int
    leaf_hash: bytes
    tree_size: int
    inclusion_path: tuple[bytes, ...]
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        """The SPEC.md receipt object (a JSON-ready dict, hashes in standard base64)."""
        return {
            "index": self.index,
            "leaf_hash": b64(self.leaf_hash),
            "tree_size": self.tree_size,
            "inclusion_path": [b64(h) for h in self.inclusion_path],
            "checkpoint": self.checkpoint,
        }

    def verify(self, verifier: NoteVerifier, origin: str, entry_bytes: bytes | None = None) -> bool:
        """Whether the checkpoint is signed for ``origin``, of ``tree_size``, and proves the leaf.

        With ``entry_bytes`` it also checks that those bytes are the entry the leaf hash names.
        """
        try:
            cp = open_checkpoint(self.checkpoint, verifier, origin)
        except (NoteError, ValueError):
            return False
        if cp.size != self.tree_size:
            return False
        if entry_bytes is not None and merkle.leaf_hash(entry_bytes) != self.leaf_hash:
            return False
        return merkle.verify_inclusion(
            self.leaf_hash, self.index, self.tree_size, list(self.inclusion_path), cp.root_hash
        )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_inclusion_params(index: int, tree_size: int, size: int) -> None:
    """Raise :class:`LedgerRangeError` naming the first parameter a log of ``size`` cannot meet."""
    if not _is_count(index) or index < 0:
        raise LedgerRangeError("index", f"index must be a non-negative integer, got {index!r}")
    if not _is_count(tree_size) or tree_size < 1:
        raise LedgerRangeError("tree_size", f"tree_size must be at least 1, got {tree_size!r}")
    if tree_size > size:
        raise LedgerRangeError(
            "tree_size", f"tree_size {tree_size} is larger than the log ({size} entries)"
        )
    if index >= tree_size:
        raise LedgerRangeError(
            "index", f"index {index} is not in a tree of size {tree_size} (indexes start at 0)"
        )


def check_consistency_params(first: int, second: int, size: int) -> None:
    if not _is_count(first) or first < 0:
        raise LedgerRangeError("first", f"first must be a non-negative integer, got {first!r}")
    if not _is_count(second) or second < 0:
        raise LedgerRangeError("second", f"second must be a non-negative integer, got {second!r}")
    if first > second:
        raise LedgerRangeError(
            "first", f"first ({first}) must not be larger than second ({second})"
        )
    if second > size:
        raise LedgerRangeError("second", f"second {second} is larger than the log ({size} entries)")


def _assemble(
    plan_ids: tuple[NodeID, ...], fetched: dict[NodeID, bytes], plan: ProofPlan
) -> list[bytes]:
    try:
        proof = plan.assemble(fetched)
    except KeyError as exc:
        missing = next((n for n in plan_ids if n not in fetched), None)
        raise LedgerCorruptError(
            f"stored node {missing} needed for a proof is missing; run 'esp-portal ledger verify'"
        ) from exc
    return proof


async def build_inclusion_proof(store: LedgerStore, index: int, tree_size: int) -> InclusionProof:
    """The RFC 9162 inclusion proof, in one query. Parameters must already be checked."""
    plan = inclusion_plan(index, tree_size)
    leaf = NodeID(0, index)
    ids = (*plan.node_ids, leaf)
    fetched = await store.node_hashes(ids)
    if leaf not in fetched:
        raise LedgerCorruptError(f"entry {index} is missing; run 'esp-portal ledger verify'")
    path = _assemble(ids, fetched, plan)
    return InclusionProof(index, tree_size, fetched[leaf], tuple(path))


async def build_inclusion_proofs(
    store: LedgerStore, indexes: Sequence[int], tree_size: int
) -> list[InclusionProof]:
    """Several inclusion proofs in one tree with one query (their node ids mostly overlap)."""
    plans = [inclusion_plan(index, tree_size) for index in indexes]
    leaves = [NodeID(0, index) for index in indexes]
    ids = [*(node for plan in plans for node in plan.node_ids), *leaves]
    fetched = await store.node_hashes(ids)
    proofs = []
    for index, plan, leaf in zip(indexes, plans, leaves, strict=True):
        if leaf not in fetched:
            raise LedgerCorruptError(f"entry {index} is missing; run 'esp-portal ledger verify'")
        path = _assemble(plan.node_ids, fetched, plan)
        proofs.append(InclusionProof(index, tree_size, fetched[leaf], tuple(path)))
    return proofs


def _same(value: bytes) -> bytes:
    return value


def _path_keys(index: int, size: int, edges: dict[int, tuple[int, ...]]) -> list[int]:
    """The inclusion path of ``index`` as packed node keys, bottom-up (``inclusion_plan`` in
    integers): a right-edge node beginning at ``b`` is ``-1 - b``, its stored pieces in
    ``edges[b]``. Integers rather than ``NodeID`` tuples: a report plans ten thousand paths."""
    keys: list[int] = []
    inner = (index ^ (size - 1)).bit_length()
    for level in range(inner):
        sibling = (index >> level) ^ 1
        begin = sibling << level
        if begin + (1 << level) <= size:
            keys.append((level << NODE_LEVEL_SHIFT) | sibling)
        else:
            if begin not in edges:
                edges[begin] = tuple(
                    (n.level << NODE_LEVEL_SHIFT) | n.index for n in _decompose(begin, size)
                )
            keys.append(-1 - begin)
    for level in range(inner, size.bit_length()):
        if (index >> level) & 1:
            keys.append((level << NODE_LEVEL_SHIFT) | ((index >> level) ^ 1))
    return keys


async def build_inclusion_paths(
    store: LedgerStore,
    indexes: Sequence[int],
    tree_size: int,
    encode: Callable[[bytes], T] = _same,  # type: ignore[assignment]
) -> list[list[T]]:
    """The RFC 9162 inclusion paths of many leaves of one tree, in two queries whatever their
    number (every distinct node is read once; right-edge nodes are folded once). Parameters must
    already be checked. Equal to ``build_inclusion_proofs`` (tested), at a fraction of the cost
    when there are thousands of leaves. ``encode`` (e.g. base64) is applied once per distinct
    hash, not once per use: neighbouring paths share most of their nodes."""
    edges: dict[int, tuple[int, ...]] = {}
    paths = [_path_keys(index, tree_size, edges) for index in indexes]
    wanted = {k for path in paths for k in path if k >= 0}
    wanted.update(k for pieces in edges.values() for k in pieces)
    hashes = await store.hashes_by_key(wanted)
    missing = wanted - hashes.keys()
    if missing:
        first = _node(min(missing))
        raise LedgerCorruptError(
            f"stored node {first} needed for a proof is missing; run 'esp-portal ledger verify'"
        )
    for begin, pieces in edges.items():
        hashes[-1 - begin] = root_from_subtrees([hashes[k] for k in pieces])
    used = {k for path in paths for k in path}
    encoded = {k: encode(hashes[k]) for k in used}
    return [[encoded[k] for k in path] for path in paths]


def _node(key: int) -> NodeID:
    return NodeID(key >> NODE_LEVEL_SHIFT, key & ((1 << NODE_LEVEL_SHIFT) - 1))


async def build_consistency_proof(store: LedgerStore, first: int, second: int) -> ConsistencyProof:
    """The RFC 9162 consistency proof, in one query. Parameters must already be checked."""
    plan = consistency_plan(first, second)
    fetched = await store.node_hashes(plan.node_ids) if plan.node_ids else {}
    path = _assemble(plan.node_ids, fetched, plan)
    return ConsistencyProof(first, second, tuple(path))


async def stored_map_proof(store: LedgerStore, key: bytes, tree_size: int) -> MapProof | None:
    """The map path of ``key`` read from the stored map of ``tree_size``: its root row, then one
    primary-key read per tile down the key's path (:func:`ledger.mapstore.read_map_path`).

    None when the stored rows do not make a path; whether it leads to the committed root is the
    caller's to check.
    """
    return await read_map_path(store, key, tree_size)


async def caught_up_map_proof(
    store: LedgerStore, key: bytes, tree_size: int, stated_root: object
) -> MapProof | None:
    """The map path of ``key`` at a size whose map was not stored (the log stores it with one
    batch in several): from the latest stored version below it, only the rows on the paths of
    ``key`` and of the keys the entries since touched, caught up and checked against the root
    the tree's last entry committed to (:func:`ledger.mapstore.caught_up_map`). None when that
    cannot be done (the caller rebuilds the map from the entries)."""
    if not isinstance(stated_root, str):
        return None
    try:
        caught_up = await caught_up_map(store, tree_size, base64.b64decode(stated_root), keys=[key])
    except (StoredMapError, ValueError):
        return None
    return None if caught_up is None else caught_up[0].prove(key)


async def recomputed_map_proof(
    store: LedgerStore, key: bytes, tree_size: int, stated_root: object
) -> MapProof:
    """The map path of ``key`` from the map rebuilt from the entries below ``tree_size`` (one
    grouped scan of them); it must hash to the root the tree's last entry committed to."""
    pairs = await store.subject_heads(tree_size)
    subject_map = SubjectMap.build((subject_key(name), index) for name, index in pairs)
    if b64(subject_map.root()) != stated_root:
        raise LedgerCorruptError(
            f"the subject map of the stored entries below {tree_size} does not hash to the root "
            f"entry {tree_size - 1} committed to; run 'esp-portal ledger verify'"
        )
    return subject_map.prove(key)


def _leads_to(proof: MapProof | None, stated_root: object) -> bool:
    if proof is None:
        return False
    try:
        return b64(proof.root()) == stated_root
    except MapProofError:
        return False


async def build_completeness_proof(
    store: LedgerStore, subject: str, tree_size: int
) -> CompletenessProof:
    """The subject map path of ``subject`` in the tree of ``tree_size`` and its commitment.

    The path is read from the stored map of ``tree_size`` (one row per level, see
    :func:`stored_map_proof`) and must lead to the root the tree's last entry committed to. When
    it does not (a size from before the map was stored, or a stored node that was tampered with)
    the map is rebuilt from the entries instead, which must hash to that root; a mismatch then
    means the stored entries contradict what was signed. Parameters must already be checked
    (``0 < tree_size <= size``).
    """
    last = await store.entry(tree_size - 1)
    if last is None:
        raise LedgerCorruptError(
            f"entry {tree_size - 1} is missing; run 'esp-portal ledger verify'"
        )
    stated = json.loads(last.body).get(SUBJECT_MAP)
    if not isinstance(stated, dict):
        raise LedgerNotFoundError(
            f"the tree of size {tree_size} was signed before subject maps were committed; "
            "completeness can be proven against a later checkpoint"
        )
    key = subject_key(subject)
    map_proof = await stored_map_proof(store, key, tree_size)
    if map_proof is None or not _leads_to(map_proof, stated.get("root")):
        map_proof = await caught_up_map_proof(store, key, tree_size, stated.get("root"))
    if map_proof is None:
        map_proof = await recomputed_map_proof(store, key, tree_size, stated.get("root"))
    inclusion = await build_inclusion_proof(store, tree_size - 1, tree_size)
    return CompletenessProof(
        tree_size=tree_size,
        commitment_entry=last.body,
        commitment_path=inclusion.inclusion_path,
        map_proof=map_proof,
    )
