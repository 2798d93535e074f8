"""The C core of the subject map (ledger/_mapcore.c) at its edges: bad input is refused with the
Python core's errors, node attributes read and write as the Python nodes' do (ledger.mapstore
sets them), and a map dropped frees its memory. Its trees, roots and rows are held to the Python
reference by the map tests run on both cores (test_subjectmap*.py)."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import pytest
from structlog.testing import capture_logs

from ledger import Ledger
from ledger.note import NoteSigner
from ledger.subjectmap import (
    NATIVE_CORE,
    PYTHON_CORE,
    MapCore,
    SubjectMap,
    default_core,
    subject_key,
)
from tests.ledger.conftest import ORIGIN
from tests.support.map_cores import CORES

native_only = pytest.mark.skipif(NATIVE_CORE is None, reason="ledger._mapcore was not built")
KEY = subject_key("sub_1")


def _native() -> MapCore:
    assert NATIVE_CORE is not None
    return NATIVE_CORE


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize(
    ("key", "value"),
    [(KEY[:31], 1), (KEY + b"\x00", 1), (KEY, -1), (KEY, 2**64)],
    ids=["short-key", "long-key", "negative", "over-uint64"],
)
def test_a_bad_key_or_value_is_refused_alike(core: MapCore, key: bytes, value: int) -> None:
    subject_map = SubjectMap(core=core)
    subject_map.put(subject_key("sub_0"), 0)
    with pytest.raises(ValueError, match="a map key is 32 bytes and a value a uint64"):
        subject_map.put(key, value)
    assert subject_map.get(subject_key("sub_0")) == 0  # nothing lost


@native_only
def test_the_largest_value_round_trips() -> None:
    native, python = SubjectMap(core=_native()), SubjectMap(core=PYTHON_CORE)
    for subject_map in (native, python):
        subject_map.put(KEY, 2**64 - 1)
        assert subject_map.put(KEY, 5) == 2**64 - 1
    assert native.commit(7) == python.commit(7)


@native_only
def test_nodes_refuse_what_is_not_a_node() -> None:
    core = _native()
    leaf = core.leaf(KEY, 3)
    with pytest.raises(TypeError, match="Leaf, a Branch or None, not str"):
        core.branch("left", None)
    branch = core.branch(leaf, None)
    with pytest.raises(TypeError, match="not int"):
        branch.right = 7
    with pytest.raises(ValueError, match="32 bytes or None"):
        branch.hash = b"short"
    with pytest.raises(ValueError, match="only its tile's reference"):
        branch.blob = b"\x03" + bytes(40)
    with pytest.raises(ValueError, match="32 bytes and a value a uint64"):
        core.leaf(KEY[:5], 1)
    with pytest.raises(TypeError, match="Leaf, a Branch or None"):
        core.node_hash(object())
    with pytest.raises(ValueError, match="uint64"):
        core.commit(branch, -1)


@native_only
def test_attributes_read_and_write_as_the_python_nodes_do() -> None:
    core = _native()
    leaf = core.leaf(KEY, 3)
    assert (leaf.key, leaf.value, leaf.hash) == (KEY, 3, None)
    digest = core.node_hash(leaf)
    assert leaf.hash == digest == PYTHON_CORE.node_hash(PYTHON_CORE.leaf(KEY, 3))
    leaf.value = 4
    leaf.hash = None
    assert core.node_hash(leaf) == PYTHON_CORE.node_hash(PYTHON_CORE.leaf(KEY, 4))
    branch = core.branch(None, leaf)
    assert (branch.left, branch.right, branch.hash, branch.blob) == (None, leaf, None, None)
    # What ledger.mapstore sets on a tile's top branch read back from its row: its reference.
    reference = b"\x01" + bytes(32) + (7).to_bytes(8, "big")
    branch.blob = reference
    assert (branch.hash, branch.blob) == (bytes(32), reference)
    with pytest.raises(ValueError, match="another hash"):
        branch.blob = b"\x01" + b"\xff" * 32 + (7).to_bytes(8, "big")
    branch.left, branch.blob = leaf, None
    assert branch.left is leaf and branch.blob is None and branch.hash == bytes(32)


def _build_and_drop() -> int:
    """Bytes held by a committed 5,000-subject map while it lives."""
    start = tracemalloc.get_traced_memory()[0]
    subject_map = SubjectMap(core=_native())
    for n in range(5_000):
        subject_map.put(subject_key(f"sub_{n}"), n)
    subject_map.commit(5_000)
    return tracemalloc.get_traced_memory()[0] - start


@native_only
def test_a_dropped_map_frees_its_nodes() -> None:
    """Built and dropped three times, the traced memory does not grow: what the first round
    leaves behind is the interpreter's free lists (the Python core leaves the same), not nodes."""
    gc.collect()
    tracemalloc.start()
    try:
        held = _build_and_drop()
        after_one = tracemalloc.get_traced_memory()[0]
        _build_and_drop()
        _build_and_drop()
        after_three = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held > 5_000 * 100  # the map was really there (nodes, keys, kept encodings)
    assert after_three - after_one < held / 100  # and went with its last reference, twice


async def test_the_started_log_line_names_the_map_core(engine: Any, signer: NoteSigner) -> None:
    """An operator can tell a build without the C core (slower appends) from its log."""
    ledger = Ledger(engine, signer, ORIGIN)
    with capture_logs() as logs:
        await ledger.start()
    try:
        started = [line for line in logs if line["event"] == "ledger.started"]
        assert [line["map_core"] for line in started] == [default_core().name]
        assert default_core() is (NATIVE_CORE or PYTHON_CORE)
    finally:
        await ledger.close()


@pytest.mark.parametrize("core", CORES)
def test_put_subject_is_put_of_the_subject_key(core: MapCore) -> None:
    """The sequencer's per-entry call hashes the pseudonym as ``subject_key`` does, non-ASCII
    included, and makes the same tree and rows as ``put`` of that key."""
    subjects = ["sub_1", "sub_2", "sub_1", "Zoë", "sub_\u20ac\U0001f46e", "Zoë", "sub_3"]
    by_subject, by_key = SubjectMap(core=core), SubjectMap(core=core)
    for index, subject in enumerate(subjects):
        assert by_subject.put_subject(subject, index) == by_key.put(subject_key(subject), index)
    assert by_subject.commit(len(subjects)) == by_key.commit(len(subjects))
    assert by_subject.get(subject_key("Zoë")) == 5
    with pytest.raises(UnicodeEncodeError):
        by_subject.put_subject("sub_\ud800", 9)  # a lone surrogate is no UTF-8
