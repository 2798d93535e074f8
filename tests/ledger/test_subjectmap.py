"""The subject map against its definition in docs/VERIFY.md §5 (computed by the test's own code).

Built incrementally (as the sequencer does, in place) or in one pass, the root is the spec's;
the path of every present key proves its value, of an absent key its absence; any change of a
sibling, the leaf or the value fails; and roots asked for between updates are right too. The
nodes each commit hands back, stored as versions, prove exactly what the map rebuilt at that
version proves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.maptiles import Leaf, Ref, RowError, parse_row, walk
from ledger.subjectmap import (
    TILE_HEIGHT,
    MapCore,
    MapProof,
    MapProofError,
    SubjectMap,
    key_path,
    subject_key,
    verify_map_proof,
)
from tests.support.map_cores import CORES, each_core
from tests.support.spec_completeness import spec_key, spec_map_root


@pytest.fixture(scope="module", params=CORES, autouse=True)
def map_core(request: pytest.FixtureRequest) -> Iterator[MapCore]:
    """Every test here runs on each core: the Python reference and the C one."""
    yield from each_core(request)


keys = st.binary(min_size=32, max_size=32)


@settings(max_examples=150, deadline=None)
@given(
    updates=st.lists(st.tuples(keys, st.integers(0, 2**64 - 1)), max_size=40),
    absent=keys,
)
def test_roots_and_paths_follow_the_definition(
    updates: list[tuple[bytes, int]], absent: bytes
) -> None:
    incremental = SubjectMap()
    for count, (key, value) in enumerate(updates):
        assert incremental.put(key, value) == dict(updates[:count]).get(key)
        if count % 7 == 0:  # roots asked for now and then: only changed paths are rehashed
            assert incremental.root() == spec_map_root(dict(updates[: count + 1]))
    expected = dict(updates)
    root = spec_map_root(expected)
    assert incremental.root() == root
    assert SubjectMap.build(updates).root() == root
    for key, value in expected.items():
        assert incremental.get(key) == value
        assert verify_map_proof(incremental.prove(key), root) == value
    if absent not in expected:
        assert incremental.get(absent) is None
        assert verify_map_proof(incremental.prove(absent), root) is None


@settings(max_examples=80, deadline=None)
@given(
    subjects=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30, unique=True),
    pick=st.integers(0, 29),
    flip=st.integers(0, 255),
)
def test_any_change_to_a_path_fails(subjects: list[str], pick: int, flip: int) -> None:
    subject_map = SubjectMap.build((subject_key(s), i) for i, s in enumerate(subjects))
    root = subject_map.root()
    subject = subjects[pick % len(subjects)]
    assert subject_key(subject) == spec_key(subject)
    proof = subject_map.prove(subject_key(subject))
    assert proof.leaf is not None
    forged_value = MapProof(proof.key, proof.siblings, (proof.leaf[0], proof.leaf[1] + 1))
    with pytest.raises(MapProofError):
        verify_map_proof(forged_value, root)
    absent = MapProof(proof.key, proof.siblings, None)
    with pytest.raises(MapProofError):
        verify_map_proof(absent, root)
    if proof.siblings:
        at = flip % len(proof.siblings)
        sibling = bytearray(proof.siblings[at])
        sibling[flip % 32] ^= 1
        siblings = (*proof.siblings[:at], bytes(sibling), *proof.siblings[at + 1 :])
        with pytest.raises(MapProofError):
            verify_map_proof(MapProof(proof.key, siblings, proof.leaf), root)
        shorter = MapProof(proof.key, proof.siblings[1:], proof.leaf)
        with pytest.raises(MapProofError):
            verify_map_proof(shorter, root)


def test_keys_sharing_a_long_prefix() -> None:
    base = hashlib.sha256(b"x").digest()
    near = base[:31] + bytes([base[31] ^ 1])  # differs in the very last bit
    subject_map = SubjectMap()
    subject_map.put(base, 1)
    subject_map.put(near, 2)
    assert subject_map.root() == spec_map_root({base: 1, near: 2})
    assert len(subject_map.prove(base).siblings) == 256
    assert verify_map_proof(subject_map.prove(near), subject_map.root()) == 2


def _near_keys(flips: list[int]) -> list[bytes]:
    """Keys that share long prefixes: one base key with bit ``f`` flipped for each ``f``, so
    paths run as deep as 256 levels (a stored path then takes several reads)."""
    base = int.from_bytes(hashlib.sha256(b"near").digest(), "big")
    return [(base ^ (1 << (255 - f))).to_bytes(32, "big") for f in flips]


class _VersionedTable:
    """The stored map as the database holds it: rows keyed (version, path), read like the store
    reads them: the root row of a version, then down the rows each reference names."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, bytes], bytes] = {}

    def store(self, version: int, changed: list[tuple[bytes, bytes]]) -> None:
        paths = [path for path, _ in changed]
        assert len(set(paths)) == len(paths), "one row per path and version"
        for path, body in changed:
            assert (version, path) not in self.rows
            self.rows[(version, path)] = body

    def proof(self, key: bytes, version: int) -> tuple[MapProof, int]:
        """The key's path read from the rows, and how many rows it read."""
        body = self.rows.get((version, key_path(key, 0)))
        node = None if body is None else parse_row(body, 0, 0)
        reads, depth, siblings = 1, 0, []
        while True:
            passed, node, depth = walk(node, key, depth)
            siblings += passed
            if not isinstance(node, Ref):
                break
            assert depth % TILE_HEIGHT == 0 and node.path == key_path(key, depth)
            node = parse_row(self.rows[(node.version, node.path)], depth, node.prefix)
            reads += 1  # a reference always resolves
        leaf = (node.key, node.value) if isinstance(node, Leaf) else None
        return MapProof(key, tuple(siblings), leaf), reads


def _tiles_on_path(depth: int) -> int:
    """Rows a path ending at ``depth`` crosses: a leaf at a tile's bottom sits in the tile above."""
    return 1 if depth == 0 else (depth - 1) // TILE_HEIGHT + 1


@settings(max_examples=120, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(0, 24), st.integers(0, 2**64 - 1)), max_size=6),
        min_size=1,
        max_size=20,
    ),
    flips=st.lists(st.integers(0, 255), min_size=2, max_size=6, unique=True),
    rebuild_at=st.integers(0, 25),
)
def test_stored_versions_prove_exactly_what_the_rebuilt_map_proves(
    batches: list[list[tuple[int, int]]], flips: list[int], rebuild_at: int
) -> None:
    """Each commit's changes, stored as one version, make the map of every version: the path
    read from the stored rows is the proof of the map rebuilt from scratch at that version, for
    present and absent keys alike, including after a process rebuilt its map (as a restart
    does) and went on committing from there."""
    keys = [subject_key(f"sub_{n}") for n in range(20)] + _near_keys(flips)
    absent = [subject_key("sub_absent"), *_near_keys([7, 200])]
    live = SubjectMap()
    table = _VersionedTable()
    model: dict[bytes, int] = {}
    snapshots = []
    for version, batch in enumerate(batches, start=1):
        if version == rebuild_at:
            live = SubjectMap.build(model.items())  # a restart: stored whole by its next commit
        for pick, value in batch:
            key = keys[pick % len(keys)]
            live.put(key, value)
            model[key] = value
        root, changed = live.commit(version)
        assert root == spec_map_root(model)
        assert not model or key_path(keys[0], 0) in {path for path, _ in changed}  # the root
        table.store(version, changed)
        snapshots.append((version, dict(model), root))
    for version, state, root in snapshots:
        rebuilt = SubjectMap.build(state.items())
        for key in [*keys, *absent]:
            stored, reads = table.proof(key, version)
            assert stored == rebuilt.prove(key)
            assert reads == _tiles_on_path(len(stored.siblings))
            assert verify_map_proof(stored, root) == state.get(key)


def _leaves(body: bytes, depth: int, prefix: int) -> list[bytes]:
    """The keys of the leaves a row holds inline."""
    found: list[bytes] = []
    pending = [parse_row(body, depth, prefix)]
    while pending:
        node = pending.pop()
        if isinstance(node, Leaf):
            found.append(node.key)
        elif node is not None and not isinstance(node, Ref):
            pending += [node.left, node.right]
    return found


def test_a_rebuilt_map_is_stored_whole_then_only_its_changes() -> None:
    """The backfill: a map rebuilt from the entries is stored whole by its first commit (each
    leaf in exactly one row), and proves from the stored rows alone; a commit with nothing
    changed stores only its root row; one changed key stores only the tiles on its path."""
    items = [(subject_key(f"sub_{n}"), n) for n in range(50)]
    subject_map = SubjectMap.build(items)
    root, changed = subject_map.commit(1)
    assert root == spec_map_root(dict(items))
    held = [
        key
        for path, body in changed
        for key in _leaves(body, int.from_bytes(path[:2], "big"), _prefix(path))
    ]
    assert sorted(held) == sorted(key for key, _ in items)
    table = _VersionedTable()
    table.store(1, changed)
    again, only_root = subject_map.commit(2)
    assert again == root and [path for path, _ in only_root] == [key_path(items[0][0], 0)]
    table.store(2, only_root)
    subject_map.put(items[7][0], 99)
    _, path_only = subject_map.commit(3)
    depth = len(subject_map.prove(items[7][0]).siblings)
    assert len(path_only) == _tiles_on_path(depth)
    assert sorted(path for path, _ in path_only) == sorted(
        key_path(items[7][0], d) for d in range(0, depth, TILE_HEIGHT)
    )
    table.store(3, path_only)
    for version, changed_value in ((1, 7), (2, 7), (3, 99)):
        for key, value in items:
            proof, _ = table.proof(key, version)
            expected = changed_value if key == items[7][0] else value
            assert proof.value() == expected


def _prefix(path: bytes) -> int:
    depth = int.from_bytes(path[:2], "big")
    return int.from_bytes(path[2:], "big") >> (len(path[2:]) * 8 - depth) if depth else 0


def test_malformed_rows_are_refused() -> None:
    """Rows cut short, with bytes after the tile, an unknown tag or a reference above a tile's
    bottom are not rows; each honest row parses and hashes to what its parent says."""
    items = [(subject_key(f"sub_{n}"), n) for n in range(40)]
    subject_map = SubjectMap.build(items)
    _, changed = subject_map.commit(1)
    for path, body in changed:
        depth, prefix = int.from_bytes(path[:2], "big"), _prefix(path)
        parse_row(body, depth, prefix)
        for cut in (1, 2, len(body) // 2, len(body) - 1):
            with pytest.raises(RowError):
                parse_row(body[:cut], depth, prefix)
        with pytest.raises(RowError):
            parse_row(body + b"\x00", depth, prefix)
        with pytest.raises(RowError):
            parse_row(body[:1] + b"\x09" + body[2:], depth, prefix)
    with pytest.raises(RowError):  # a reference at the tile's own depth
        parse_row(b"\x04\x01" + bytes(40), 0, 0)
    with pytest.raises(RowError):
        parse_row(b"", 0, 0)
