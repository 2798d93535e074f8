"""Each commit's rows against a straightforward reference written from docs/VERIFY.md §5.

The in-place map caches hashes and encodings and rewrites only what changed; the reference keeps
nothing but the values, the keys put since the last commit and the version each tile was last
stored under, and encodes every tile from scratch. For any history of puts (new keys, keys
sharing long prefixes, values rewritten, roots and proofs asked for in between, a restart that
rebuilds the map) the root and the rows — which tiles, their bytes, their order — are the
reference's, so a faster commit cannot change what the log commits to or what it stores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.subjectmap import (
    EMPTY_HASH,
    EMPTY_TAG,
    REF_TAG,
    TILE,
    TILE_HEIGHT,
    MapCore,
    SubjectMap,
    node_path,
    subject_key,
)
from tests.support.map_cores import CORES, each_core
from tests.support.spec_completeness import spec_map_root


@pytest.fixture(scope="module", params=CORES, autouse=True)
def map_core(request: pytest.FixtureRequest) -> Iterator[MapCore]:
    """Every test here runs on each core: the Python reference and the C one."""
    yield from each_core(request)


def _bit(key: bytes, depth: int) -> int:
    return (key[depth // 8] >> (7 - depth % 8)) & 1


def _leaf_body(key: bytes, value: int) -> bytes:
    return b"\x02" + key + value.to_bytes(8, "big")


class ReferenceRows:
    """The rows a commit must store, computed from the values alone (no cache, no tree)."""

    def __init__(self) -> None:
        self.values: dict[bytes, int] = {}
        self.touched: set[bytes] = set()
        self.versions: dict[bytes, int] = {}

    def put(self, key: bytes, value: int) -> None:
        self.values[key] = value
        self.touched.add(key)

    def rebuilt(self) -> None:
        """A map built in one pass: every tile is new, so the next commit stores them all."""
        self.touched = set(self.values)

    def commit(self, version: int) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        rows: list[tuple[bytes, bytes]] = []
        keys = sorted(self.values)
        if not keys:
            root = EMPTY_HASH
        elif len(keys) == 1:
            rows.append((node_path(0, 0), TILE + _leaf_body(keys[0], self.values[keys[0]])))
            root = spec_map_root(self.values)
        else:
            self._tile(keys, 0, 0, version, rows)
            root = spec_map_root(self.values)
        self.touched.clear()
        return root, rows

    def _tile(
        self,
        keys: list[bytes],
        depth: int,
        prefix: int,
        version: int,
        rows: list[tuple[bytes, bytes]],
    ) -> None:
        body = TILE + self._encode(keys, depth, depth + TILE_HEIGHT, prefix, version, rows)
        rows.append((node_path(depth, prefix), body))
        self.versions[node_path(depth, prefix)] = version

    def _encode(
        self,
        keys: list[bytes],
        depth: int,
        limit: int,
        prefix: int,
        version: int,
        rows: list[tuple[bytes, bytes]],
    ) -> bytes:
        if not keys:
            return EMPTY_TAG
        if len(keys) == 1:
            return _leaf_body(keys[0], self.values[keys[0]])
        if depth == limit:  # a branch at the tile's bottom roots a tile of its own
            if self.touched.intersection(keys):
                self._tile(keys, depth, prefix, version, rows)
            stored = self.versions[node_path(depth, prefix)]
            subtree = {key: self.values[key] for key in keys}
            return REF_TAG + spec_map_root(subtree, depth) + stored.to_bytes(8, "big")
        left = [key for key in keys if not _bit(key, depth)]
        right = [key for key in keys if _bit(key, depth)]
        return (
            b"\x03"
            + self._encode(left, depth + 1, limit, prefix << 1, version, rows)
            + self._encode(right, depth + 1, limit, prefix << 1 | 1, version, rows)
        )


def _near_keys(flips: list[int]) -> list[bytes]:
    base = int.from_bytes(hashlib.sha256(b"near").digest(), "big")
    return [(base ^ (1 << (255 - f))).to_bytes(32, "big") for f in flips]


@settings(max_examples=150, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(0, 60), st.integers(0, 2**64 - 1)), max_size=12),
        min_size=1,
        max_size=16,
    ),
    flips=st.lists(st.integers(0, 255), min_size=2, max_size=6, unique=True),
    rebuild_at=st.integers(0, 17),
    asked=st.integers(0, 12),
)
def test_every_commit_stores_exactly_the_reference_rows(
    batches: list[list[tuple[int, int]]], flips: list[int], rebuild_at: int, asked: int
) -> None:
    keys = [subject_key(f"sub_{n}") for n in range(50)] + _near_keys(flips)
    live = SubjectMap()
    reference = ReferenceRows()
    for version, batch in enumerate(batches, start=1):
        if version == rebuild_at:  # a restart: the map rebuilt in one pass from the values
            live = SubjectMap.build(reference.values.items())
            reference.rebuilt()
        for count, (pick, value) in enumerate(batch):
            key = keys[pick % len(keys)]
            assert live.put(key, value) == reference.values.get(key)
            reference.put(key, value)
            if count == asked:  # a root and a proof asked for mid-batch cache hashes
                assert live.root() == spec_map_root(reference.values)
                live.prove(keys[asked % len(keys)])
        assert live.commit(version) == reference.commit(version)


def test_a_busy_map_commits_the_reference_rows_batch_after_batch() -> None:
    """The sequencer's shape: a few hundred subjects, batches of 32 entries, most about
    subjects already in the map, a few new ones."""
    live = SubjectMap()
    reference = ReferenceRows()
    for version in range(1, 41):
        for n in range(32):
            subject = f"sub_{(version * 37 + n * 11) % (300 + version)}"
            key = subject_key(subject)
            index = version * 32 + n
            assert live.put(key, index) == reference.values.get(key)
            reference.put(key, index)
        assert live.commit(version * 32) == reference.commit(version * 32)


def test_maps_made_here_take_the_core_under_test(map_core: MapCore) -> None:
    """The parametrisation reaches the maps: new, built and grown maps hold this core's nodes."""
    assert SubjectMap().core is map_core
    built = SubjectMap.build([(bytes(32), 1), (b"\xff" * 32, 2)])
    assert built.core is map_core
    grown = SubjectMap()
    grown.put(bytes(32), 1)
    grown.put(b"\xff" * 32, 2)
    for subject_map in (built, grown):
        assert map_core.is_branch(subject_map._root)
        assert map_core.is_leaf(subject_map._root.left)
