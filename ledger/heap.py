"""Keeping the subject map out of the cyclic garbage collector's way.

A process holds the subject map of the whole log in memory (:mod:`ledger.chains`): at a million
entries that is about 2.5 million small node objects. CPython's collector re-scans every tracked
object on each full (generation 2) collection, which a busy server triggers every few hundred
thousand allocations; measured on the Art. 15 benchmark (1M entries, 2 vCPUs) each such pass cost
~3 s of CPU, so one report in three took 3.7 s instead of 0.8 s and every request in flight
stalled with it (bench/results/art15.md, "quiet re-run"). The map's nodes form a tree (no
reference cycles), so reference counting alone frees them: the collector gains nothing by
scanning them. After a full build the process's surviving objects are moved to the collector's
permanent generation (``gc.freeze``), where they are no longer scanned but are still freed by
reference counting when replaced.

Only maps big enough to matter are frozen: a small log (tests, a demo) never pays for the
``gc.collect`` that precedes the freeze.
"""

from __future__ import annotations

import gc

__all__ = ["FREEZE_FROM_SUBJECTS", "settle_long_lived"]

# Below this many subjects a full collection over the map costs a few milliseconds at most.
FREEZE_FROM_SUBJECTS = 50_000


def settle_long_lived(subjects: int, *, freeze_from: int = FREEZE_FROM_SUBJECTS) -> bool:
    """Move everything alive now to the permanent generation when a map of ``subjects`` was
    just built and is at least ``freeze_from`` big; returns whether it did.

    The garbage already pending is collected first, so nothing unreachable is frozen with it.
    """
    if subjects < freeze_from:
        return False
    gc.collect()
    gc.freeze()
    return True
