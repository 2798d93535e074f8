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
node. Updates are in place (:meth:`SubjectMap.put`) and hashes are recomputed lazily, only
along the paths changed since the root was last asked for.

**Stored versions.** The map is stored in *tiles* of :data:`TILE_HEIGHT` levels: a row holds
the subtree from a node at a depth that is a multiple of the height down that many levels (leaves
inline, the branches at its bottom as references to their own tiles: hash and version), and its
*path* names where its top node sits (:func:`node_path`: the depth and the key bits above it).
:meth:`SubjectMap.commit` hands back the root and every tile changed since the last commit, so
the sequencer can store them under the tree size they describe (keyed version first: each
batch's rows are appended together). Fewer, larger rows than one per node: a batch writes about
a quarter as many, and a key's proof reads one per tile down its path (:mod:`ledger.maptiles`
reads rows, :mod:`ledger.mapstore` follows them), never the whole map. Each branch keeps how it
reads in its parent's tile, so a changed tile is written without re-encoding or re-hashing the
siblings that did not change.

**Two cores, one tree.** :data:`PYTHON_CORE` below is the reference: the nodes as Python objects
and the walks written out here. :data:`NATIVE_CORE` is the same nodes and walks in C
(``ledger/_mapcore.c``, built at install when a C compiler and OpenSSL's headers are there): the
per-entry ``put`` and per-batch ``commit`` are most of what the completeness commitment costs an
append. Both give the same roots, rows and proofs (the rows reference test,
``tests/ledger/test_subjectmap_rows_reference.py``, runs every history through each); a map keeps
the core it was made with, and a new one takes :func:`default_core` (native when built).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EMPTY_HASH",
    "EMPTY_TAG",
    "FORMAT",
    "KEY_SIZE",
    "NATIVE_CORE",
    "PYTHON_CORE",
    "REF_TAG",
    "TILE",
    "TILE_HEIGHT",
    "MapCore",
    "MapProof",
    "MapProofError",
    "SubjectMap",
    "branch_hash",
    "default_core",
    "key_bit",
    "key_path",
    "map_leaf_hash",
    "node_path",
    "set_default_core",
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
    __slots__ = ("blob", "hash", "left", "right")

    def __init__(self, left: _Node, right: _Node) -> None:
        self.left = left
        self.right = right
        self.hash: bytes | None = None
        #: How this branch reads in its parent's stored tile as of the last commit: its subtree
        #: there, or the reference to its own tile if it roots one. None: changed since (every
        #: :meth:`SubjectMap.put` clears it along its path), so its tile must be written again.
        self.blob: bytes | None = None


_Node = _Leaf | _Branch | None


def _node_hash(node: _Node) -> bytes:
    """The node's hash, computing (and caching) only what changed since it was last asked.

    Written out by hand (children's cached hashes read without a call, SHA-256 bound once)
    because the sequencer runs it for every batch: about log2(subjects) hashes per new entry.
    """
    if node is None:
        return EMPTY_HASH
    cached = node.hash
    if cached is not None:
        return cached
    if isinstance(node, _Leaf):
        digest = _sha256(_LEAF + node.key + node.value.to_bytes(8, "big")).digest()
    else:
        left, right = node.left, node.right
        left_hash = EMPTY_HASH if left is None else (left.hash or _node_hash(left))
        right_hash = EMPTY_HASH if right is None else (right.hash or _node_hash(right))
        digest = _sha256(_BRANCH + left_hash + right_hash).digest()
    node.hash = digest
    return digest


_sha256 = hashlib.sha256


def _split(old: _Leaf, new: _Leaf, depth: int) -> _Branch:
    """The smallest subtree at ``depth`` holding two leaves with different keys."""
    # The old leaf moves deeper: its hash is the same wherever it sits, but its stored copy is
    # at its old path, so it is marked changed to be stored at the new one (see ``commit``).
    old.hash = None
    # Iterative: keys sharing a long prefix would otherwise recurse deeply.
    chain: list[int] = []
    while key_bit(old.key, depth) == key_bit(new.key, depth):
        chain.append(key_bit(old.key, depth))
        depth += 1
    node = _Branch(old, new) if key_bit(old.key, depth) == 0 else _Branch(new, old)
    for bit in reversed(chain):
        node = _Branch(None, node) if bit else _Branch(node, None)
    return node


def node_path(depth: int, prefix: int) -> bytes:
    """Where a node sits: ``uint16be(depth) ‖ the depth bits above it, packed, zero-padded``.

    Paths of one depth all have one length and differ from other depths' in their first two
    bytes, so ``path ‖ uint64be(version)`` sorts each path's versions together, oldest first.
    """
    width = (depth + 7) >> 3
    return depth.to_bytes(2, "big") + (prefix << (width * 8 - depth)).to_bytes(width, "big")


def key_path(key: bytes, depth: int) -> bytes:
    """The path of the node at ``depth`` on ``key``'s way down."""
    return node_path(depth, int.from_bytes(key, "big") >> (KEY_BITS - depth))


#: Levels of the map per stored row (a *tile*): a batch writes about a quarter of the rows it
#: would with one row per node, and a proof reads one row per tile on its path.
TILE_HEIGHT = 4
#: First byte of a tile row; a row of the first layout (one node per row) starts 0x02 or 0x03.
TILE = b"\x04"
#: In a tile: an empty subtree; a reference to the tile below (its hash and version).
EMPTY_TAG = b"\x00"
REF_TAG = b"\x01"


def _commit_tile(
    node: _Leaf | _Branch, depth: int, prefix: int, version: int, out: list[tuple[bytes, bytes]]
) -> bytes:
    """Store the tile rooted at ``node`` (at ``depth``, a multiple of the tile height) as of
    ``version``, the changed tiles below it first; returns its hash."""
    if isinstance(node, _Leaf):  # only the root: elsewhere a leaf sits in its parent's tile
        body = _LEAF + node.key + node.value.to_bytes(8, "big")
        digest = node.hash = _sha256(body).digest()
        out.append((node_path(depth, prefix), TILE + body))
        return digest
    parts = [TILE, _BRANCH]
    limit, deeper = depth + TILE_HEIGHT, depth + 1
    left = _encode(node.left, deeper, limit, prefix << 1, version, out, parts)
    right = _encode(node.right, deeper, limit, (prefix << 1) | 1, version, out, parts)
    digest = node.hash = _sha256(_BRANCH + left + right).digest()
    node.blob = REF_TAG + digest + version.to_bytes(8, "big")
    out.append((node_path(depth, prefix), b"".join(parts)))
    return digest


def _encode(
    node: _Node,
    depth: int,
    limit: int,
    prefix: int,
    version: int,
    out: list[tuple[bytes, bytes]],
    parts: list[bytes],
) -> bytes:
    """Append ``node``'s subtree down to depth ``limit`` to ``parts`` in preorder: leaves
    inline wherever they sit, a branch at ``limit`` as a reference to its own tile (stored
    first if it changed). A branch unchanged since the last commit is appended as it was then
    (its ``blob``) with its cached hash: neither re-encoded nor re-hashed."""
    if node is None:
        parts.append(EMPTY_TAG)
        return EMPTY_HASH
    if isinstance(node, _Leaf):
        body = _LEAF + node.key + node.value.to_bytes(8, "big")
        parts.append(body)
        cached = node.hash
        if cached is None:
            cached = node.hash = _sha256(body).digest()
        return cached
    blob = node.blob
    if blob is not None and node.hash is not None:
        parts.append(blob)
        return node.hash
    if depth == limit:
        digest = _commit_tile(node, depth, prefix, version, out)
        parts.append(node.blob)  # type: ignore[arg-type]  # set by _commit_tile
        return digest
    mine = [_BRANCH]
    deeper = depth + 1
    left = _encode(node.left, deeper, limit, prefix << 1, version, out, mine)
    right = _encode(node.right, deeper, limit, (prefix << 1) | 1, version, out, mine)
    digest = node.hash = _sha256(_BRANCH + left + right).digest()
    node.blob = blob = b"".join(mine)
    parts.append(blob)
    return digest


def _build(core: MapCore, items: list[tuple[bytes, int]], lo: int, hi: int, depth: int) -> Any:
    """The subtree at ``depth`` of the sorted, distinct keys ``items[lo:hi]``, in ``core``'s
    nodes."""
    if lo == hi:
        return None
    if hi - lo == 1:
        return core.leaf(*items[lo])
    middle = lo
    while middle < hi and not key_bit(items[middle][0], depth):
        middle += 1
    return core.branch(
        _build(core, items, lo, middle, depth + 1), _build(core, items, middle, hi, depth + 1)
    )


def _put(root: _Node, key: bytes, value: int) -> tuple[_Leaf | _Branch, int | None]:
    """Set ``key -> value`` under ``root`` in place: the new root and the key's previous value.

    One descent: the branches passed lose their cached hash and encoding, so the next commit
    rehashes and re-encodes only the paths changed since the last one.
    """
    if len(key) != KEY_SIZE or not 0 <= value <= _MAX_VALUE:
        raise ValueError("a map key is 32 bytes and a value a uint64")
    bits = f"{int.from_bytes(key, 'big'):0256b}"  # one character per level, read by index
    parent: _Branch | None = None
    right = False
    node = root
    depth = 0
    while isinstance(node, _Branch):
        node.hash = None
        node.blob = None
        parent = node
        right = bits[depth] == "1"
        node = node.right if right else node.left
        depth += 1
    if node is None:
        replacement: _Leaf | _Branch = _Leaf(key, value)
    elif node.key == key:
        previous = node.value
        node.value = value
        node.hash = None
        return root, previous  # type: ignore[return-value]  # root is a node: node was found
    else:
        replacement = _split(node, _Leaf(key, value), depth)
    if parent is None:
        return replacement, None
    if right:
        parent.right = replacement
    else:
        parent.left = replacement
    return root, None  # type: ignore[return-value]  # a branch was passed: root is one


def _put_subject(root: _Node, subject: str, value: int) -> tuple[_Leaf | _Branch, int | None]:
    """:func:`_put` of :func:`subject_key` of ``subject``."""
    return _put(root, subject_key(subject), value)


def _commit(root: _Node, version: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The root hash, and ``(path, row)`` of every tile changed since the last commit."""
    changed: list[tuple[bytes, bytes]] = []
    if root is None:
        return EMPTY_HASH, changed
    root.hash = None
    return _commit_tile(root, 0, 0, version, changed), changed


@dataclass(frozen=True, slots=True)
class MapCore:
    """Who holds a map's nodes and walks them: the node types and the three walks a batch runs
    (``put``, ``commit``, ``node_hash``). Everything else (proofs, loading stored rows, building)
    is written once, over either core's nodes, which read and write the same attributes."""

    name: str
    leaf: Callable[[bytes, int], Any]
    branch: Callable[[Any, Any], Any]
    put: Callable[[Any, bytes, int], tuple[Any, int | None]]
    put_subject: Callable[[Any, str, int], tuple[Any, int | None]]
    commit: Callable[[Any, int], tuple[bytes, list[tuple[bytes, bytes]]]]
    node_hash: Callable[[Any], bytes]

    def is_branch(self, node: object) -> bool:
        return isinstance(node, self.branch)  # type: ignore[arg-type]  # a node type

    def is_leaf(self, node: object) -> bool:
        return isinstance(node, self.leaf)  # type: ignore[arg-type]  # a node type


#: The reference: nodes and walks in Python (this module).
PYTHON_CORE = MapCore("python", _Leaf, _Branch, _put, _put_subject, _commit, _node_hash)


def _native_core() -> MapCore | None:
    try:
        from . import _mapcore  # type: ignore[attr-defined]  # built by setuptools, optional
    except ImportError:
        return None
    return MapCore(
        "native",
        _mapcore.Leaf,
        _mapcore.Branch,
        _mapcore.put,
        _mapcore.put_subject,
        _mapcore.commit,
        _mapcore.node_hash,
    )


#: The same nodes and walks in C (``ledger/_mapcore.c``); None where it was not built.
NATIVE_CORE = _native_core()
_default = [NATIVE_CORE or PYTHON_CORE]


def default_core() -> MapCore:
    """The core a new map takes: native when built, unless :func:`set_default_core` said."""
    return _default[0]


def set_default_core(core: MapCore) -> MapCore:
    """Make new maps take ``core`` (to compare the two in one process); returns the previous."""
    previous, _default[0] = _default[0], core
    return previous


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
    """A compressed sparse Merkle tree of ``key -> latest index``, updated in place.

    Not shared between tasks: the sequencer owns its map and drops it when a batch fails (see
    :mod:`ledger.chains`); a proof builds its own. Its nodes are ``core``'s.
    """

    __slots__ = ("_root", "core")

    def __init__(self, root: Any = None, *, core: MapCore | None = None) -> None:
        self._root = root
        self.core = core or default_core()

    @classmethod
    def build(
        cls, items: Iterable[tuple[bytes, int]], *, core: MapCore | None = None
    ) -> SubjectMap:
        """A map of ``(key, value)`` pairs in one pass (a later pair of a key wins)."""
        latest = dict(items)
        ordered = sorted(latest.items())
        chosen = core or default_core()
        return cls(_build(chosen, ordered, 0, len(ordered), 0), core=chosen)

    def get(self, key: bytes) -> int | None:
        node = self._root
        depth = 0
        is_branch = self.core.is_branch
        while is_branch(node):
            node = node.right if key_bit(key, depth) else node.left
            depth += 1
        if node is not None and node.key == key:
            return int(node.value)
        return None

    def put(self, key: bytes, value: int) -> int | None:
        """Set ``key -> value`` in place and return the key's previous value (None: new key).

        One descent: the branches passed lose their cached hash, so the next :meth:`root`
        rehashes only the paths changed since the last one.
        """
        self._root, previous = self.core.put(self._root, key, value)
        return previous

    def put_subject(self, subject: str, value: int) -> int | None:
        """:meth:`put` of ``subject_key(subject)``: the sequencer's call, once per entry (the C
        core hashes the pseudonym itself and makes a key object only for a new subject)."""
        self._root, previous = self.core.put_subject(self._root, subject, value)
        return previous

    def root(self) -> bytes:
        """The root hash. Caches every hash, so it also marks the map as stored (see commit)."""
        return self.core.node_hash(self._root)

    def commit(self, version: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """The root, and ``(path, row)`` of every tile changed since the last commit, stored
        as of ``version``; the root tile every time, so each version has its own entry point.

        A tile holds the map from a node at a depth that is a multiple of :data:`TILE_HEIGHT`
        down :data:`TILE_HEIGHT` levels, in preorder (read by :mod:`ledger.maptiles`): leaves
        inline, a branch at the tile's bottom as its hash and the version its own tile is stored
        under; a reader follows those down from the root tile of a version. A map built in one
        pass is all changed (stored whole). An empty map stores nothing.
        """
        return self.core.commit(self._root, version)

    def attach(self, root: Any) -> None:
        """Take ``root`` (this map's core's node, or None) as the whole map: a tree read back
        from stored rows, every hash and version set (see :mod:`ledger.mapstore`)."""
        self._root = root

    def prove(self, key: bytes) -> MapProof:
        """The path of ``key``: proves its value, or that it is absent."""
        siblings: list[bytes] = []
        node = self._root
        depth = 0
        is_branch, node_hash = self.core.is_branch, self.core.node_hash
        while is_branch(node):
            if key_bit(key, depth):
                siblings.append(node_hash(node.left))
                node = node.right
            else:
                siblings.append(node_hash(node.right))
                node = node.left
            depth += 1
        leaf = (node.key, node.value) if node is not None else None
        return MapProof(key, tuple(siblings), leaf)
