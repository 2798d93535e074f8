"""The stored subject map read back: one key's path (a proof), or the whole map of a version.

The whole map is what ``ledger verify`` audits (every row reachable from a checkpoint's root row
must hash to what its parent, or for the root the log's commitment, says) and what a process
seeds its in-memory map from instead of rebuilding it from every entry. Both are one walk:
:func:`load_stored_map`, a query per level of tiles, checking every row as it goes.

The log stores its map with one batch in several (:mod:`ledger.sequencer`), so the map of a
size may have no rows of its own: :func:`caught_up_map` reads the latest version stored at or
below it and puts the subjects of the entries since, then checks the root against the log's
commitment. For a proof it reads only the rows on the paths of the keys it needs (the asked key's
and those the entries since touched); the subtrees off those paths stay as their hashes.
"""

from __future__ import annotations

import base64
import json
from bisect import bisect_left
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import Any

from .entries import SUBJECT_MAP
from .errors import LedgerCorruptError
from .maptiles import Leaf, Node, Ref, RowError, node_hash, parse_row, walk
from .offload import off_loop
from .store import LedgerStore
from .subjectmap import (
    EMPTY_HASH,
    KEY_BITS,
    REF_TAG,
    MapCore,
    MapProof,
    SubjectMap,
    node_path,
    subject_key,
)

__all__ = [
    "StoredMapError",
    "caught_up_map",
    "load_stored_map",
    "read_map_path",
    "stated_map_root",
]

_VERSION_BYTES = 8

#: Rows checked per hand-off to a verification's thread (the loop has a turn between two).
_ROWS_PER_HANDOFF = 200

#: A row to read: the branch to attach it under (None: the root), on its right side?, the
#: reference naming it, and the key of the row holding that reference (None: the log's root).
#: (The branch is the map's core's node: see :class:`ledger.subjectmap.MapCore`.)
_Pending = tuple[Any, bool, Ref, bytes | None]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def row_key(version: int, path: bytes) -> bytes:
    return version.to_bytes(_VERSION_BYTES, "big") + path


class StoredMapError(LedgerCorruptError):
    """A stored map row is missing, malformed, or does not hash to what refers to it.

    ``key`` is the row's primary key (hex), ``expected`` the hash its parent (or the log's
    commitment) states and ``found`` what the row hashes to (base64; None when absent).
    """

    def __init__(
        self,
        what: str,
        key: bytes,
        expected: bytes,
        found: bytes | None,
        detail: str,
        referrer: bytes | None,
    ) -> None:
        self.what = what
        self.key = key.hex()
        #: The row whose reference named this one (None: the root row, named by the log).
        self.referrer = None if referrer is None else referrer.hex()
        self.expected = _b64(expected)
        self.found = None if found is None else _b64(found)
        named_by = "the log's commitment" if referrer is None else f"row {self.referrer}"
        super().__init__(
            f"stored subject map row {self.key} (named by {named_by}) {detail} "
            f"(expected hash {self.expected}, found {self.found})"
        )


async def read_map_path(store: LedgerStore, key: bytes, size: int) -> MapProof | None:
    """``key``'s path in the stored map of ``size``: the root row of that version, then the
    rows the references on the way name (one primary-key read per tile).

    None when the rows do not make a path (a row missing where one points, or unreadable). No
    root row reads as the empty map: right for a log with no subject yet, and for a size from
    before the map was stored the caller finds the path does not lead to the committed root.
    """
    body = await store.subject_node(size, node_path(0, 0))
    siblings: list[bytes] = []
    node: Node = None
    depth = 0
    try:
        if body is not None:
            node = parse_row(body, 0, 0)
        while True:
            passed, node, depth = walk(node, key, depth)
            siblings += passed
            if not isinstance(node, Ref):
                break
            if depth > KEY_BITS:
                return None
            body = await store.subject_node(node.version, node.path)
            if body is None:
                return None
            node = parse_row(body, node.depth, node.prefix)
    except RowError:
        return None
    leaf = (node.key, node.value) if isinstance(node, Leaf) else None
    return MapProof(key, tuple(siblings), leaf)


class _Loader:
    """Builds the in-memory map of one version from its rows, checking each row's hash."""

    def __init__(self, core: MapCore, wanted: list[int] | None = None) -> None:
        self.core = core
        #: Keys (as integers, sorted) whose paths are read; None: every row.
        self.wanted = wanted
        self.rows = 0
        self.leaves = 0
        #: Children stored in their own rows: (parent branch, right side?, reference, the row
        #: holding the reference).
        self.pending: list[_Pending] = []
        self.row: bytes | None = None

    def follows(self, ref: Ref) -> bool:
        """Whether the row ``ref`` names is read: always, or when a wanted key lies below it."""
        if self.wanted is None:
            return True
        low = ref.prefix << (KEY_BITS - ref.depth)
        at = bisect_left(self.wanted, low)
        return at < len(self.wanted) and self.wanted[at] < low + (1 << (KEY_BITS - ref.depth))

    def convert(self, node: Node) -> Any:
        """The in-memory nodes of a parsed row, hashes set; references queued for the next
        level. Which version each row is stored under lives in the references (a branch
        rooting a row keeps it in its ``blob``), so the next commit stores only changes. A
        reference not followed becomes a branch known only by its hash (and its row's key)."""
        if node is None:
            return None
        if isinstance(node, Ref):
            return None if self.follows(node) else self._known_by_hash(node)
        if isinstance(node, Leaf):
            self.leaves += 1
            leaf = self.core.leaf(node.key, node.value)
            leaf.hash = node_hash(node)
            return leaf
        branch = self.core.branch(self.convert(node.left), self.convert(node.right))
        for right, child in ((False, node.left), (True, node.right)):
            if isinstance(child, Ref) and self.follows(child):
                self.pending.append((branch, right, child, self.row))
        branch.hash = node_hash(node)
        return branch

    def _known_by_hash(self, ref: Ref) -> Any:
        branch = self.core.branch(None, None)
        branch.hash = ref.hash
        branch.blob = REF_TAG + ref.hash + ref.version.to_bytes(_VERSION_BYTES, "big")
        return branch

    def take_level(
        self,
        subject_map: SubjectMap,
        level: list[_Pending],
        keys: list[bytes],
        bodies: dict[bytes, bytes],
    ) -> None:
        """Check and attach the rows read for ``level``'s references (pure CPU: a level, or a
        slice of one); the references they hold are queued in :attr:`pending` for the next."""
        for (parent, right, ref, referrer), key in zip(level, keys, strict=True):
            body = bodies.get(key)
            if body is None:
                raise StoredMapError("missing", key, ref.hash, None, "is missing", referrer)
            if ref.depth > KEY_BITS:
                raise StoredMapError(
                    "malformed", key, ref.hash, None, "lies below the map", referrer
                )
            try:
                parsed = parse_row(body, ref.depth, ref.prefix)
            except RowError as exc:
                raise StoredMapError(
                    "malformed", key, ref.hash, None, f"is malformed: {exc}", referrer
                ) from None
            found = node_hash(parsed)
            if found != ref.hash or parsed is None:
                raise StoredMapError(
                    "hash", key, ref.hash, found, "does not hash to what names it", referrer
                )
            self.rows += 1
            self.row = key
            node = self.convert(parsed)
            if self.core.is_branch(node):  # how its parent's tile refers to it, unchanged
                node.blob = REF_TAG + ref.hash + ref.version.to_bytes(_VERSION_BYTES, "big")
            if parent is None:
                subject_map.attach(node)
            elif right:
                parent.right = node
            else:
                parent.left = node


async def load_stored_map(
    store: LedgerStore,
    size: int,
    root: bytes,
    *,
    hashing: Executor | None = None,
    wanted: list[int] | None = None,
) -> tuple[SubjectMap, int, int]:
    """The map of ``size`` read from its stored rows, how many rows were read, and how many
    subjects (leaves) it holds.

    Every row reachable from the root row of ``size`` is read (one query per level of tiles)
    and hashed: the root row must hash to ``root`` (the map root the log committed to at
    ``size``) and each other row to the hash its parent row states. Raises
    :class:`StoredMapError` naming the first row that is missing, malformed or does not hash
    to what refers to it. The map's nodes keep the versions they were read from, so the next
    commit stores only what changes.

    With ``hashing`` (the verifier's thread), each level's rows are parsed and hashed there
    while the reads stay on the event loop; without it, inline. With ``wanted`` (keys as sorted
    integers) only the rows on their paths are read, the rest kept as hashes: enough to put and
    prove those keys, not a map to store from.
    """
    subject_map = SubjectMap()
    loader = _Loader(subject_map.core, wanted)
    if root == EMPTY_HASH and await store.subject_node(size, node_path(0, 0)) is None:
        return subject_map, 0, 0  # an empty map stores no row
    level: list[_Pending] = [(None, False, Ref(root, size, 0, 0), None)]
    while level:
        keys = [row_key(ref.version, ref.path) for _, _, ref, _ in level]
        bodies = await store.subject_nodes(keys)
        loader.pending = []
        for at in range(0, len(level), _ROWS_PER_HANDOFF):
            end = at + _ROWS_PER_HANDOFF
            await off_loop(
                hashing, loader.take_level, subject_map, level[at:end], keys[at:end], bodies
            )
        level = loader.pending
    return subject_map, loader.rows, loader.leaves


async def stated_map_root(store: LedgerStore, size: int) -> bytes | None:
    """The subject map root entry ``size - 1`` commits to (None: it commits to none)."""
    last = await store.entry(size - 1)
    stated = json.loads(last.body).get(SUBJECT_MAP) if last is not None else None
    if not isinstance(stated, dict) or not isinstance(stated.get("root"), str):
        return None
    return base64.b64decode(stated["root"])


async def caught_up_map(
    store: LedgerStore, size: int, root: bytes, *, keys: Iterable[bytes] | None = None
) -> tuple[SubjectMap, int] | None:
    """The map of ``size`` (and the subjects read): the latest version stored at or below it,
    read and checked row by row, then the subjects of the entries since put in order; its root
    must be ``root``, what entry ``size - 1`` commits to.

    With ``keys``, only the rows on the paths of those keys and of the keys the entries since
    touched are read: enough to prove ``keys``, not a map to append to. None when no stored
    version is within reach or the caught-up root is not ``root`` (the caller rebuilds from the
    entries); a stored row that does not hash right raises :class:`StoredMapError`.
    """
    versions = await store.latest_map_versions(size)
    if not versions:
        return None
    version = versions[0]
    stated = root if version == size else await stated_map_root(store, version)
    if stated is None:
        return None
    since = await store.subjects_between(version, size)
    wanted = None
    if keys is not None:
        touched = {subject_key(subject) for _, subject in since}
        wanted = sorted(int.from_bytes(key, "big") for key in touched.union(keys))
    subject_map, _, subjects = await load_stored_map(store, version, stated, wanted=wanted)
    for index, subject in since:
        subject_map.put_subject(subject, index)
    if subject_map.root() != root:
        return None
    return subject_map, subjects
