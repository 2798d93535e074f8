"""Plan RFC 9162 proofs over *stored* Merkle nodes, so a store needs O(log n) reads per proof.

Why: the ledger must serve inclusion and consistency proofs without rehashing the whole log.
A database store therefore keeps, besides the leaf hashes, every *complete* (perfect) subtree
hash, written once when it becomes complete and never changed again (append-only). This module
is the pure arithmetic for that: which nodes an append completes, which stored nodes a proof
needs, and how to assemble the exact RFC 9162 proof from them. It does no I/O.

Addressing: ``NodeID(level, index)`` is the perfect subtree covering leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes themselves.

In a tree of size ``n`` every node of the RFC 9162 tree is either such a perfect subtree (stored)
or lies on the right edge, covering ``[begin, n)`` with ``n - begin`` not a power of two. Those
*ephemeral* nodes change with every append and are never stored; a plan lists the perfect
subtrees of their binary decomposition and ``assemble`` folds them right to left, exactly as the
RFC's recursive definition would hash them. A proof holds at most one ephemeral node, so a plan
has at most ``2 * ceil(log2 n)`` node ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .merkle import EMPTY_ROOT, node_hash

__all__ = [
    "NodeID",
    "ProofPlan",
    "consistency_plan",
    "inclusion_plan",
    "nodes_completed_by_append",
    "root_from_subtrees",
    "root_node_ids",
]


class NodeID(NamedTuple):
    """A stored perfect subtree: covers leaves ``[index * 2**level, (index + 1) * 2**level)``.

    A named tuple rather than a dataclass: ids are dictionary keys on every append and proof,
    and a tuple hashes and compares in C (ordered by level, then index).
    """

    level: int
    index: int  # type: ignore[assignment]  # shadows tuple.index(), which nothing here calls

    @property
    def begin(self) -> int:
        """First leaf covered."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf covered."""
        return (self.index + 1) << self.level

    def children(self) -> tuple[NodeID, NodeID]:
        """The two nodes this one hashes (``level >= 1``): ``node_hash(left, right)``."""
        if self.level < 1:
            raise ValueError(f"{self} is a leaf and has no children")
        return NodeID(self.level - 1, 2 * self.index), NodeID(self.level - 1, 2 * self.index + 1)


def _check_size(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def nodes_completed_by_append(size_before: int) -> list[NodeID]:
    """Interior nodes (level >= 1) completed by appending leaf number ``size_before``.

    Bottom-up, so a writer can compute each one from its two children, the first child pair
    being the new leaf and its left neighbour. After the append the tree has ``size_before + 1``
    leaves; node ``(L, i)`` completes exactly when ``(i + 1) * 2**L`` equals that size.
    """
    _check_size("size_before", size_before)
    size_after = size_before + 1
    completed: list[NodeID] = []
    level = 1
    while size_after % (1 << level) == 0:
        completed.append(NodeID(level, (size_after >> level) - 1))
        level += 1
    return completed


def _decompose(begin: int, end: int) -> list[NodeID]:
    """The perfect subtrees covering ``[begin, end)``, left to right, largest first.

    Requires ``begin`` to be a multiple of the largest power of two not above ``end - begin``
    (true for the root and for every right-edge node), so each piece is aligned.
    """
    ids: list[NodeID] = []
    remaining = end - begin
    while remaining:
        level = remaining.bit_length() - 1
        ids.append(NodeID(level, begin >> level))
        begin += 1 << level
        remaining -= 1 << level
    return ids


def root_node_ids(size: int) -> list[NodeID]:
    """The perfect subtrees making up a tree of ``size`` leaves (binary decomposition)."""
    _check_size("size", size)
    return _decompose(0, size)


def root_from_subtrees(hashes: Sequence[bytes]) -> bytes:
    """Fold subtree hashes (left to right, as from ``root_node_ids``) into an RFC 9162 root.

    The fold runs right to left because RFC 9162 trees are left-balanced: the rightmost, smaller
    subtrees are joined first. No hashes gives the empty-tree root ``SHA-256()``.
    """
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def _range_ids(begin: int, end: int) -> tuple[NodeID, ...]:
    """Stored nodes whose fold is ``MTH(D[begin:end])`` for a node of the RFC tree."""
    return tuple(_decompose(begin, end))


@dataclass(frozen=True)
class ProofPlan:
    """Which stored nodes a proof needs, and how to turn them into the RFC 9162 proof.

    ``elements`` has one entry per proof hash, in proof order; each entry lists the stored
    perfect subtrees (left to right) whose right-to-left fold is that hash: one id for a stored
    node, several for an ephemeral right-edge node.
    """

    elements: tuple[tuple[NodeID, ...], ...]

    @property
    def node_ids(self) -> tuple[NodeID, ...]:
        """Every stored node needed, deduplicated, in first-use order: fetch them in one query."""
        return tuple(dict.fromkeys(i for element in self.elements for i in element))

    def assemble(
        self,
        lookup: Mapping[NodeID, bytes],
        folds: dict[tuple[NodeID, ...], bytes] | None = None,
    ) -> list[bytes]:
        """Build the proof from fetched node hashes; ``KeyError`` names a missing node.

        ``folds`` memoises ephemeral nodes across plans over the same lookup: every receipt of
        one batch shares the few right-edge nodes of the new tree, so the writer folds each once.
        """
        proof: list[bytes] = []
        for element in self.elements:
            if folds is not None and element in folds:
                proof.append(folds[element])
                continue
            hashes: list[bytes] = []
            for node in element:
                if node not in lookup:
                    raise KeyError(f"stored node {node} is missing")
                hashes.append(lookup[node])
            folded = root_from_subtrees(hashes)  # one stored node: its own hash
            if folds is not None and len(element) > 1:
                folds[element] = folded
            proof.append(folded)
        return proof


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """Plan the inclusion proof (RFC 9162 §2.1.3.1 PATH) of leaf ``index`` in a tree of ``size``.

    Bottom-up, without recursion (the writer plans one per new entry under the head lock): below
    level ``inner``, the highest bit where ``index`` and ``size - 1`` differ, the path holds the
    sibling at every level, and only the topmost of those can reach past the tree's end (an
    ephemeral right-edge node); from ``inner`` up, ``index`` lies on the right edge and the path
    holds the left sibling wherever ``index`` is a right child. Raises ``ValueError`` unless
    ``0 <= index < size``.
    """
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise ValueError(f"leaf index {index} out of range for a tree of size {size}")
    elements: list[tuple[NodeID, ...]] = []  # bottom-up, as the proof lists them
    inner = (index ^ (size - 1)).bit_length()
    for level in range(inner):
        sibling = (index >> level) ^ 1
        begin = sibling << level
        if begin + (1 << level) <= size:
            elements.append((NodeID(level, sibling),))
        else:
            elements.append(_range_ids(begin, size))
    for level in range(inner, size.bit_length()):
        if (index >> level) & 1:
            elements.append((NodeID(level, (index >> level) ^ 1),))
    return ProofPlan(tuple(elements))


def consistency_plan(old_size: int, new_size: int) -> ProofPlan:
    """Plan the consistency proof (RFC 9162 §2.1.4.1 PROOF) from ``old_size`` to ``new_size``.

    Follows ``SUBPROOF``; the proof is empty when ``old_size`` is 0 or equals ``new_size``.
    Raises ``ValueError`` unless ``0 <= old_size <= new_size``.
    """
    _check_size("old_size", old_size)
    _check_size("new_size", new_size)
    if old_size > new_size:
        raise ValueError(f"old size {old_size} is larger than new size {new_size}")
    if old_size in (0, new_size):
        return ProofPlan(())
    elements: list[tuple[NodeID, ...]] = []  # top-down
    m, begin, end, complete = old_size, 0, new_size, True
    while True:
        if m == end - begin:
            if not complete:
                elements.append(_range_ids(begin, end))
            break
        k = 1 << ((end - begin - 1).bit_length() - 1)
        if m <= k:
            elements.append(_range_ids(begin + k, end))
            end = begin + k
        else:
            elements.append(_range_ids(begin, begin + k))
            m -= k
            begin += k
            complete = False
    return ProofPlan(tuple(reversed(elements)))
