"""Reading the stored subject map: a row's nodes, their hashes, and a key's way through them.

Pure (standard library and :mod:`ledger.subjectmap`), so the proof builder, the audit in
``ledger verify`` and the loader that seeds a process's map all read rows one way. A row is
stored by :meth:`SubjectMap.commit` under ``u64(version) ‖ node_path(depth, prefix)``; its body
is either

- a **tile** (``0x04`` then the subtree from the row's node down :data:`TILE_HEIGHT` levels, in
  preorder: ``0x00`` an empty subtree, ``0x02 ‖ key ‖ u64(value)`` a leaf, ``0x03`` a branch
  followed by its left and right subtrees, and, only at the tile's bottom depth, ``0x01 ‖
  hash ‖ u64(version)`` a reference to the tile stored there under that version); or
- a node of the first layout (one node per row): a leaf ``0x02 ‖ key ‖ u64(value)``, or a branch
  ``0x03 ‖ left ‖ right ‖ u64(left version) ‖ u64(right version)`` whose non-empty children are
  rows one level down. Rows stored before tiles keep proving.

Nothing here trusts a row: a reader hashes what it read and compares the root it reaches with
the root the log committed to (a proof) or each row's hash with what its parent says (an audit).
"""

from __future__ import annotations

from dataclasses import dataclass

from .subjectmap import (
    EMPTY_HASH,
    EMPTY_TAG,
    KEY_BITS,
    REF_TAG,
    TILE,
    TILE_HEIGHT,
    branch_hash,
    key_bit,
    map_leaf_hash,
    node_path,
)

__all__ = [
    "Branch",
    "Leaf",
    "Node",
    "Ref",
    "RowError",
    "node_hash",
    "parse_row",
    "walk",
]

_LEAF_TAG = 2
_BRANCH_TAG = 3
_OLD_BRANCH_ROW = 1 + 32 + 32 + 8 + 8
_LEAF_BODY = 1 + 32 + 8


class RowError(ValueError):
    """A stored row is not a node of either layout (truncated, an unknown tag, trailing bytes)."""


@dataclass(frozen=True, slots=True)
class Leaf:
    key: bytes
    value: int


@dataclass(frozen=True, slots=True)
class Ref:
    """A node stored in its own row: the hash its parent expects, where and as of which
    version it is stored."""

    hash: bytes
    version: int
    depth: int
    prefix: int

    @property
    def path(self) -> bytes:
        return node_path(self.depth, self.prefix)


@dataclass(frozen=True, slots=True)
class Branch:
    left: Node
    right: Node


Node = Leaf | Branch | Ref | None


def parse_row(body: bytes, depth: int, prefix: int) -> Node:
    """The nodes of the row stored at ``node_path(depth, prefix)``; :class:`RowError` if the
    bytes are not a row of either layout."""
    if body[:1] == TILE:
        node, end = _parse(body, 1, depth, depth + TILE_HEIGHT, prefix)
        if end != len(body):
            raise RowError(f"{len(body) - end} bytes after the tile's last node")
        return node
    if len(body) == _LEAF_BODY and body[0] == _LEAF_TAG:
        return Leaf(body[1:33], int.from_bytes(body[33:41], "big"))
    if len(body) == _OLD_BRANCH_ROW and body[0] == _BRANCH_TAG:
        deeper = depth + 1
        sides = []
        for side, (start, version_at) in enumerate(((1, 65), (33, 73))):
            digest = body[start : start + 32]
            version = int.from_bytes(body[version_at : version_at + 8], "big")
            child = (
                None if digest == EMPTY_HASH else Ref(digest, version, deeper, prefix << 1 | side)
            )
            sides.append(child)
        return Branch(sides[0], sides[1])
    raise RowError("neither a tile nor a node row")


def _parse(body: bytes, at: int, depth: int, limit: int, prefix: int) -> tuple[Node, int]:
    if at >= len(body):
        raise RowError("the tile ends inside a node")
    tag = body[at]
    if tag == EMPTY_TAG[0]:
        return None, at + 1
    if tag == _LEAF_TAG:
        if at + _LEAF_BODY > len(body):
            raise RowError("a leaf is cut short")
        return Leaf(body[at + 1 : at + 33], int.from_bytes(body[at + 33 : at + 41], "big")), (
            at + _LEAF_BODY
        )
    if tag == REF_TAG[0] and depth == limit:
        if at + 41 > len(body):
            raise RowError("a reference is cut short")
        version = int.from_bytes(body[at + 33 : at + 41], "big")
        return Ref(body[at + 1 : at + 33], version, depth, prefix), at + 41
    if tag == _BRANCH_TAG and depth < limit and depth < KEY_BITS:
        left, at = _parse(body, at + 1, depth + 1, limit, prefix << 1)
        right, at = _parse(body, at, depth + 1, limit, prefix << 1 | 1)
        return Branch(left, right), at
    raise RowError(f"tag {tag} is not allowed at depth {depth} of a tile ending at {limit}")


def node_hash(node: Node) -> bytes:
    """The hash of a parsed subtree (a reference counts as the hash its parent states)."""
    if node is None:
        return EMPTY_HASH
    if isinstance(node, Ref):
        return node.hash
    if isinstance(node, Leaf):
        return map_leaf_hash(node.key, node.value)
    return branch_hash(node_hash(node.left), node_hash(node.right))


def walk(node: Node, key: bytes, depth: int) -> tuple[list[bytes], Node, int]:
    """Follow ``key`` down a parsed row from ``depth``: the siblings passed, where the way ends
    (a leaf, an empty subtree, or a reference to the row below) and at which depth."""
    siblings: list[bytes] = []
    while isinstance(node, Branch):
        if key_bit(key, depth):
            siblings.append(node_hash(node.left))
            node = node.right
        else:
            siblings.append(node_hash(node.right))
            node = node.left
        depth += 1
    return siblings, node, depth
