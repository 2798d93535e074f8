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
from ledger.subjectmap import SubjectMap, _Branch
from tests.ledger.conftest import make_draft

SUBJECTS = 40


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
        if isinstance(node, _Branch):
            stack.extend((node.left, node.right))
    return count


async def _state(ledger: Ledger, engine: Any, freeze_from: int) -> SubjectMap:
    store = LedgerStore(engine)
    return (await load_subject_state(store, await store.head(), None, freeze_from=freeze_from)).map


@pytest.mark.usefixtures("thawed")
async def test_a_big_rebuilt_map_is_not_scanned_by_the_collector(
    ledger: Ledger, engine: Any
) -> None:
    await ledger.append([make_draft(i) for i in range(SUBJECTS)])
    frozen_before = gc.get_freeze_count()
    subject_map = await _state(ledger, engine, freeze_from=SUBJECTS)
    assert gc.get_freeze_count() > frozen_before
    assert _tracked_map_nodes(subject_map) == 0


@pytest.mark.usefixtures("thawed")
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
