"""Staff hours memo: what a remembered lookup costs, ``portal.memo`` against ``lru_cache``.

Run from the repository root::

    python bench/staff_memo_bench.py

One person's hours fields (``portal.hours.staff_fields._person_fields``: a year of duties, every
other day) are computed once, then looked up again and again, through the memo the module uses
(age limit, forgotten at erasure) and through ``functools.lru_cache`` around the same function
(what main had), alternated in one process, best of 7 rounds of 20 000 lookups each. Also the
cost of computing that person once (a miss), for scale. No database.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from portal.hours import staff_fields
from portal.hours.periods import Month


def _args() -> tuple[Any, ...]:
    window = staff_fields._Window(Month(2026, 1), Month(2026, 11), 8 * 60)
    start = int(dt.datetime(2026, 1, 2, 8, tzinfo=dt.UTC).timestamp())
    rows = [
        [start + d * 86400, start + d * 86400 + 4 * 3600, 240, "patrol", d % 3 == 0, False, 1]
        for d in range(0, 330, 2)
    ]
    return (json.dumps(rows), ((dt.date(2020, 1, 1), None),), None, (True, True, True), window)


def _per_call(call: Callable[[], object], n: int = 20_000) -> float:
    started = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    args = _args()
    compute = staff_fields._person_fields.__wrapped__  # type: ignore[attr-defined]
    lru = functools.lru_cache(maxsize=4096)(compute)
    memo = staff_fields._person_fields
    lru(*args)
    memo(*args)
    rounds: dict[str, list[float]] = {"lru_cache hit": [], "memo hit": [], "hash of the key": []}
    for _ in range(7):
        rounds["lru_cache hit"].append(_per_call(lambda: lru(*args)))
        rounds["memo hit"].append(_per_call(lambda: memo(*args)))
        rounds["hash of the key"].append(_per_call(lambda: hash(args)))
    miss = [_per_call(lambda: compute(*args), 20) for _ in range(5)]
    for label, values in rounds.items():
        print(f"{label}: best {min(values):.2f} us, median {statistics.median(values):.2f} us")
    print(f"one person computed (a miss): median {statistics.median(miss):.0f} us")


if __name__ == "__main__":
    main()
