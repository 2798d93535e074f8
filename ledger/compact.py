"""A compact range: the right edge of the tree, enough to keep appending without reading it back.

Both the sequencer (which must write every node an append completes) and the verifier (which must
rebuild the whole tree in memory independent of its size) need the same thing: the hashes of the
perfect subtrees that make up ``[0, size)``, at most one per bit of ``size``. Appending a leaf
merges equal-sized neighbours, and each merge is exactly one node that became complete.
"""

from __future__ import annotations

from collections.abc import Sequence

from .merkle import HASH_SIZE, node_hash
from .nodes import NodeID, root_from_subtrees, root_node_ids

__all__ = ["CompactRange"]


class CompactRange:
    """The perfect-subtree hashes of a tree of ``size`` leaves, largest (leftmost) first."""

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a tree of {size} leaves has {size.bit_count()} perfect subtrees, "
                f"not {len(hashes)}"
            )
        if any(len(h) != HASH_SIZE for h in hashes):
            raise ValueError("every subtree hash must be 32 bytes")
        self._size = size
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def ids(self) -> list[NodeID]:
        """Where each hash lives in the store (level 0: a leaf hash)."""
        return root_node_ids(self._size)

    def copy(self) -> CompactRange:
        return CompactRange(self._size, self._hashes)

    def append(self, leaf_hash: bytes) -> list[tuple[NodeID, bytes]]:
        """Add a leaf; return the interior nodes it completed, bottom-up."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        self._hashes.append(leaf_hash)
        self._size += 1
        completed: list[tuple[NodeID, bytes]] = []
        count, level = self._size, 0
        while count & 1 == 0:
            right = self._hashes.pop()
            merged = node_hash(self._hashes[-1], right)
            self._hashes[-1] = merged
            count >>= 1
            level += 1
            completed.append((NodeID(level, count - 1), merged))
        return completed

    def root(self) -> bytes:
        """The RFC 9162 root of the tree so far (the empty-tree root for size 0)."""
        return root_from_subtrees(self._hashes)
