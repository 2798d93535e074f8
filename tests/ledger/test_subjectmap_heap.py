"""The in-memory subject map stays out of the garbage collector's scans once it is big.

At a million entries the map is ~2.5 million node objects; every full collection re-scanned them
(~3 s of CPU on 2 vCPUs), which made one Art. 15 report in three take 3.7 s instead of 0.8 s. A
rebuilt map at or above the threshold is moved to the permanent generation (``gc.freeze``); a
small one is left alone, so small logs never pay for the collection that precedes the freeze.
Both databases.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from ledger import Ledger
from ledger.chains import load_subject_state
from ledger.heap import settle_long_lived
from ledger.store import LedgerStore
from ledger.subjectmap import NATIVE_CORE, PYTHON_CORE, SubjectMap, set_default_core
from tests.ledger.conftest import make_draft

SUBJECTS = 40


@pytest.fixture
def python_nodes() -> Iterator[None]:
    """Maps made in the test hold Python nodes (the ones the collector would scan)."""
    previous = set_default_core(PYTHON_CORE)
    try:
        yield
    finally:
        set_default_core(previous)


@pytest.fixture
def thawed() -> Iterator[None]:
    """Whatever a test freezes goes back to the collector afterwards."""
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _tracked_map_nodes(subject_map: SubjectMap) -> int:
    """How many of this map's nodes the collector still tracks (and so scans)."""
    tracked = {id(o) for o in gc.get_objects()}
    count, stack = 0, [subject_map._root]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        count += id(node) in tracked
        if subject_map.core.is_branch(node):
            stack.extend((node.left, node.right))
    return count


def _map_nodes(subject_map: SubjectMap) -> int:
    count, stack = 0, [subject_map._root]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        count += 1
        if subject_map.core.is_branch(node):
            stack.extend((node.left, node.right))
    return count


async def _state(ledger: Ledger, engine: Any, freeze_from: int) -> SubjectMap:
    store = LedgerStore(engine)
    return (await load_subject_state(store, await store.head(), None, freeze_from=freeze_from)).map


@pytest.mark.usefixtures("thawed", "python_nodes")
async def test_a_big_rebuilt_map_is_not_scanned_by_the_collector(
    ledger: Ledger, engine: Any
) -> None:
    await ledger.append([make_draft(i) for i in range(SUBJECTS)])
    frozen_before = gc.get_freeze_count()
    subject_map = await _state(ledger, engine, freeze_from=SUBJECTS)
    assert gc.get_freeze_count() > frozen_before
    assert _tracked_map_nodes(subject_map) == 0


@pytest.mark.usefixtures("thawed", "python_nodes")
async def test_a_small_map_is_left_to_the_collector(ledger: Ledger, engine: Any) -> None:
    await ledger.append([make_draft(i) for i in range(SUBJECTS)])
    frozen_before = gc.get_freeze_count()
    subject_map = await _state(ledger, engine, freeze_from=SUBJECTS + 1)
    assert gc.get_freeze_count() == frozen_before
    assert _tracked_map_nodes(subject_map) >= SUBJECTS  # every leaf, at least


@pytest.mark.usefixtures("thawed")
def test_the_threshold_is_inclusive_and_nothing_unreachable_is_frozen() -> None:
    assert not settle_long_lived(9, freeze_from=10)

    class Cycle:
        other: Any = None

    garbage = Cycle()
    garbage.other = Cycle()
    garbage.other.other = garbage
    watch = weakref.ref(garbage)
    del garbage
    assert watch() is not None  # a cycle: only the collector frees it
    assert settle_long_lived(10, freeze_from=10)
    assert watch() is None  # collected before the freeze, not frozen with the rest


@pytest.mark.skipif(NATIVE_CORE is None, reason="ledger._mapcore was not built")
@pytest.mark.usefixtures("thawed")
async def test_native_nodes_are_never_scanned_whatever_the_map_size(
    ledger: Ledger, engine: Any
) -> None:
    """The C nodes are not tracked by the collector at all (a tree has no cycles to find), so
    even a map below the freezing threshold costs a full collection nothing."""
    assert NATIVE_CORE is not None
    await ledger.append([make_draft(i) for i in range(SUBJECTS)])
    previous = set_default_core(NATIVE_CORE)
    try:
        subject_map = await _state(ledger, engine, freeze_from=SUBJECTS + 1)
    finally:
        set_default_core(previous)
    assert subject_map.core is NATIVE_CORE
    assert _map_nodes(subject_map) >= SUBJECTS
    assert _tracked_map_nodes(subject_map) == 0
