"""Where an SQLite append's time goes by phase, and how many aiosqlite hand-offs it makes.

Run from the repository root::

    python -m bench.append_phases --appends 300

Whole-append latency moves by ±30 % between runs on the shared machine, so a change of a few tens
of microseconds inside the write transaction does not show in ``ledger_bench`` or
``completeness_bench``. This times the two phases that run statements under the write lock
(``LedgerStore.lock_head`` and ``LedgerStore.write_batch``, wall clock, median) and the whole
append, on a ledger whose subject map holds 2,000 subjects, for 1- and 32-entry appends, on two
engines over the same file: the application's (``portal.db``) and Piccolo's own
``SQLiteEngine`` (the ledger as a library). It also counts the calls handed to aiosqlite
connection threads per append. Run it on two trees in turn to compare them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402
import structlog  # noqa: E402
from piccolo.engine.sqlite import SQLiteEngine  # noqa: E402

from bench.completeness_bench import SUBJECTS, _drafts  # noqa: E402
from bench.ledger_bench import ORIGIN, new_database  # noqa: E402
from ledger import Ledger  # noqa: E402
from ledger.note import NoteSigner  # noqa: E402
from ledger.store import LedgerStore  # noqa: E402
from portal.db import build_engine, close_engine, open_engine  # noqa: E402

PHASES = ("lock_head", "write_batch")


class Probe:
    """Hand-offs to aiosqlite threads (all connections) and wall ms of each phase's calls."""

    def __init__(self) -> None:
        self.hand_offs = 0
        self.ms: dict[str, list[float]] = {}

    def install(self) -> None:
        """Wrap aiosqlite's one queueing call and the store's phases, for this process."""
        handed: Any = aiosqlite.Connection._execute  # untyped in aiosqlite
        probe = self

        async def counted(connection: aiosqlite.Connection, fn: Any, *a: Any, **k: Any) -> Any:
            probe.hand_offs += 1
            return await handed(connection, fn, *a, **k)

        setattr(aiosqlite.Connection, "_execute", counted)  # noqa: B010 - a class attribute
        for name in PHASES:
            setattr(LedgerStore, name, self._timed(name, getattr(LedgerStore, name)))

    def _timed(self, name: str, method: Callable[..., Awaitable[Any]]) -> Any:
        async def timed(store: LedgerStore, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await method(store, *args, **kwargs)
            finally:
                self.ms.setdefault(name, []).append((time.perf_counter() - start) * 1000)

        return timed


async def _measure(probe: Probe, ledger: Ledger, size: int, appends: int) -> str:
    drafts = _drafts(20_000)
    probe.ms.clear()
    whole: list[float] = []
    before = probe.hand_offs
    for n in range(appends):
        at = n * size % (len(drafts) - size)
        start = time.perf_counter()
        await ledger.append(drafts[at : at + size])
        whole.append((time.perf_counter() - start) * 1000)
    phases = " | ".join(f"{statistics.median(probe.ms[name]):.3f}" for name in PHASES)
    per_append = (probe.hand_offs - before) / appends
    return f"{size} | {phases} | {statistics.median(whole):.3f} | {per_append:.1f} |"


async def run(probe: Probe, appends: int, work: Path) -> None:
    print("| engine | entries per append | lock_head ms | write_batch ms | append ms | hand-offs |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in ("portal", "piccolo"):
        db = await new_database("sqlite", work)
        served = build_engine(db.url)
        await open_engine(served)  # WAL, which the file keeps for Piccolo's engine too
        engine = served if kind == "portal" else SQLiteEngine(path=db.url.split(":///", 1)[1])
        ledger = Ledger(engine, NoteSigner.generate(ORIGIN), ORIGIN)
        await ledger.start()
        try:
            warm = _drafts(SUBJECTS)
            for start in range(0, SUBJECTS, 100):
                await ledger.append(warm[start : start + 100])
            for size in (1, 32):
                print(f"| {kind} | {await _measure(probe, ledger, size, appends)}", flush=True)
        finally:
            await ledger.close()
            await close_engine(served)
            await db.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--appends", type=int, default=300, help="per engine and batch size")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    probe = Probe()
    probe.install()
    with tempfile.TemporaryDirectory() as work:
        asyncio.run(run(probe, args.appends, Path(work)))


if __name__ == "__main__":
    main()
