"""The subject map: a sparse Merkle tree from a hashed subject pseudonym to its latest entry.

Pure arithmetic (standard library only), like :mod:`ledger.merkle`, so a verifier can copy it.
The format is specified in ``docs/VERIFY.md`` (§5, ``esp-portal-subject-map/1``); in short:

- the **key** of a subject is ``SHA-256(pseudonym as UTF-8)`` (32 bytes): the map never holds the
  pseudonym itself, let alone a name;
- the **value** is the index of the latest entry about that subject, a big-endian ``uint64``;
- the tree is binary and 256 levels deep, bit ``d`` of the key (most significant bit of byte 0
  first) choosing the right child at depth ``d``; it is kept *compressed*: a subtree holding no
  key hashes to 32 zero bytes, a subtree holding exactly one key hashes to that key's leaf hash
  ``SHA-256(0x02 ‖ key ‖ value)`` wherever it sits, and any other subtree hashes to
  ``SHA-256(0x03 ‖ left ‖ right)``. So a path is as long as the key's shortest unique prefix
  (about log2 of the number of subjects), not 256;
- a **proof** for a key is the sibling hashes from the root down to where the key's path ends,
  and what it ends at: the key's own leaf (the value), another key's leaf, or an empty subtree
  (the key is absent).

Prefixes 0x02 and 0x03 differ from RFC 9162's 0x00 and 0x01, so no map node can pass for a log
node. The map is immutable: :meth:`SubjectMap.set` copies the path it changes and shares the
rest, so the sequencer can build a batch's map without touching the committed one, and hashes are
computed once per node, when the root is first asked for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "EMPTY_HASH",
    "FORMAT",
    "KEY_SIZE",
    "MapProof",
    "MapProofError",
    "SubjectMap",
    "branch_hash",
    "key_bit",
    "map_leaf_hash",
    "subject_key",
    "verify_map_proof",
]

FORMAT = "esp-portal-subject-map/1"
KEY_SIZE = 32
KEY_BITS = KEY_SIZE * 8
EMPTY_HASH = bytes(32)
_LEAF = b"\x02"
_BRANCH = b"\x03"
_MAX_VALUE = 2**64 - 1


def subject_key(subject: str) -> bytes:
    """The map key of a subject pseudonym: SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(subject.encode("utf-8")).digest()


def map_leaf_hash(key: bytes, value: int) -> bytes:
    """``SHA-256(0x02 ‖ key ‖ uint64be(value))``."""
    return hashlib.sha256(_LEAF + key + value.to_bytes(8, "big")).digest()


def branch_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x03 ‖ left ‖ right)``."""
    return hashlib.sha256(_BRANCH + left + right).digest()


def key_bit(key: bytes, depth: int) -> int:
    """Bit ``depth`` of ``key``, most significant bit of the first byte first."""
    return (key[depth >> 3] >> (7 - (depth & 7))) & 1


class MapProofError(ValueError):
    """A map proof is malformed or does not lead to the stated root."""


class _Leaf:
    __slots__ = ("hash", "key", "value")

    def __init__(self, key: bytes, value: int) -> None:
        self.key = key
        self.value = value
        self.hash: bytes | None = None


class _Branch:
    __slots__ = ("hash", "left", "right")

    def __init__(self, left: _Node, right: _Node) -> None:
        self.left = left
        self.right = right
        self.hash: bytes | None = None


_Node = _Leaf | _Branch | None


def _node_hash(node: _Node) -> bytes:
    if node is None:
        return EMPTY_HASH
    if node.hash is None:
        if isinstance(node, _Leaf):
            node.hash = map_leaf_hash(node.key, node.value)
        else:
            node.hash = branch_hash(_node_hash(node.left), _node_hash(node.right))
    return node.hash


def _split(old: _Leaf, new: _Leaf, depth: int) -> _Branch:
    """The smallest subtree at ``depth`` holding two leaves with different keys."""
    # Iterative: keys sharing a long prefix would otherwise recurse deeply.
    chain: list[int] = []
    while key_bit(old.key, depth) == key_bit(new.key, depth):
        chain.append(key_bit(old.key, depth))
        depth += 1
    node = _Branch(old, new) if key_bit(old.key, depth) == 0 else _Branch(new, old)
    for bit in reversed(chain):
        node = _Branch(None, node) if bit else _Branch(node, None)
    return node


def _set(node: _Node, key: bytes, value: int, depth: int) -> _Leaf | _Branch:
    if node is None:
        return _Leaf(key, value)
    if isinstance(node, _Leaf):
        if node.key == key:
            return _Leaf(key, value)
        return _split(node, _Leaf(key, value), depth)
    if key_bit(key, depth):
        return _Branch(node.left, _set(node.right, key, value, depth + 1))
    return _Branch(_set(node.left, key, value, depth + 1), node.right)


def _build(items: list[tuple[bytes, int]], lo: int, hi: int, depth: int) -> _Node:
    """The subtree at ``depth`` of the sorted, distinct keys ``items[lo:hi]``."""
    if lo == hi:
        return None
    if hi - lo == 1:
        return _Leaf(*items[lo])
    middle = lo
    while middle < hi and not key_bit(items[middle][0], depth):
        middle += 1
    return _Branch(_build(items, lo, middle, depth + 1), _build(items, middle, hi, depth + 1))


@dataclass(frozen=True, slots=True)
class MapProof:
    """The path of ``key`` from the root: sibling hashes top-down and what the path ends at.

    ``leaf`` is the ``(key, value)`` of the leaf the path ends at, or None for an empty subtree.
    """

    key: bytes
    siblings: tuple[bytes, ...]
    leaf: tuple[bytes, int] | None

    def root(self) -> bytes:
        """The root this proof leads to (checked for shape; :func:`verify_map_proof` compares)."""
        if len(self.key) != KEY_SIZE:
            raise MapProofError(f"a map key is {KEY_SIZE} bytes, not {len(self.key)}")
        if len(self.siblings) > KEY_BITS:
            raise MapProofError(f"a map path has at most {KEY_BITS} siblings")
        if any(len(sibling) != 32 for sibling in self.siblings):
            raise MapProofError("every sibling hash is 32 bytes")
        node = EMPTY_HASH
        if self.leaf is not None:
            other, value = self.leaf
            if len(other) != KEY_SIZE or not 0 <= value <= _MAX_VALUE:
                raise MapProofError("the leaf's key must be 32 bytes and its value a uint64")
            depth = len(self.siblings)
            if any(key_bit(other, d) != key_bit(self.key, d) for d in range(depth)):
                raise MapProofError("the leaf the path ends at is not on the key's path")
            node = map_leaf_hash(other, value)
        for depth in range(len(self.siblings) - 1, -1, -1):
            sibling = self.siblings[depth]
            if key_bit(self.key, depth):
                node = branch_hash(sibling, node)
            else:
                node = branch_hash(node, sibling)
        return node

    def value(self) -> int | None:
        """The key's value when the path ends at its own leaf; None when it is absent."""
        if self.leaf is not None and self.leaf[0] == self.key:
            return self.leaf[1]
        return None


def verify_map_proof(proof: MapProof, root: bytes) -> int | None:
    """The value ``proof`` proves for its key under ``root`` (None: absent); raises if it fails."""
    computed = proof.root()
    if computed != root:
        raise MapProofError(
            f"the map path leads to root {computed.hex()}, the commitment says {root.hex()}"
        )
    return proof.value()


class SubjectMap:
    """An immutable compressed sparse Merkle tree of ``key -> latest index``."""

    __slots__ = ("_root",)

    def __init__(self, root: _Node = None) -> None:
        self._root = root

    @classmethod
    def build(cls, items: Iterable[tuple[bytes, int]]) -> SubjectMap:
        """A map of ``(key, value)`` pairs in one pass (a later pair of a key wins)."""
        latest = dict(items)
        ordered = sorted(latest.items())
        return cls(_build(ordered, 0, len(ordered), 0))

    def get(self, key: bytes) -> int | None:
        node = self._root
        depth = 0
        while isinstance(node, _Branch):
            node = node.right if key_bit(key, depth) else node.left
            depth += 1
        if node is not None and node.key == key:
            return node.value
        return None

    def set(self, key: bytes, value: int) -> SubjectMap:
        """A new map with ``key -> value``; this one is unchanged (the path is copied)."""
        if len(key) != KEY_SIZE or not 0 <= value <= _MAX_VALUE:
            raise ValueError("a map key is 32 bytes and a value a uint64")
        return SubjectMap(_set(self._root, key, value, 0))

    def root(self) -> bytes:
        return _node_hash(self._root)

    def prove(self, key: bytes) -> MapProof:
        """The path of ``key``: proves its value, or that it is absent."""
        siblings: list[bytes] = []
        node = self._root
        depth = 0
        while isinstance(node, _Branch):
            if key_bit(key, depth):
                siblings.append(_node_hash(node.left))
                node = node.right
            else:
                siblings.append(_node_hash(node.right))
                node = node.left
            depth += 1
        leaf = (node.key, node.value) if node is not None else None
        return MapProof(key, tuple(siblings), leaf)
