"""Verify benchmark: throughput, and how long the event loop stalls while a verify runs.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth, as for the tests)::

    python -m bench.verify_bench                        # 100k entries, both engines, vs main
    python -m bench.verify_bench --size 1000000 --engines sqlite --baseline-ref main

One chained log (10,000 subjects, a stored subject map) is bulk-loaded per engine, then
``Ledger.verify`` is measured twice on it, alternating, in the same run:

* **this tree** (the ``ledger`` package next to this file), in this process;
* **the baseline** (``ledger/`` as of ``--baseline-ref``, extracted with ``git archive``), in a
  child process whose ``PYTHONPATH`` puts that copy first; everything else is the same code.

Each side reports verify entries/s with the loop otherwise idle, then entries/s with a ticker
task on the loop (``asyncio.sleep(0.001)`` in a loop, standing in for requests in flight) and
the ticker's worst gap between two turns (next to its worst gap over 2 s with nothing running,
the machine's own noise): how long a request could wait for the loop while a
DPO's "verify now" runs. With the hashing on the loop that gap is a whole page's hashing (and
the stored map's audit in one piece per level); off the loop it is bounded by the
interpreter's thread switch interval.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

ORIGIN = "esp-portal.local/ledger"
KEY_NAME = ORIGIN


async def measure(url: str, key_path: Path) -> dict[str, Any]:
    """Verify entries/s idle, then with a ticker: entries/s and the worst gap between ticks."""
    from ledger import Ledger
    from ledger.note import load_or_create_signing_key
    from portal.db import bind_engine, build_engine, close_engine, open_engine

    engine = build_engine(url)
    bind_engine(engine)
    await open_engine(engine)
    ledger = Ledger(engine, load_or_create_signing_key(key_path, KEY_NAME), ORIGIN)
    try:
        started = time.perf_counter()
        result = await ledger.verify()
        idle_s = time.perf_counter() - started
        assert result.ok, result.problem
        running = True
        gaps: list[float] = []

        async def ticker() -> None:
            last = time.perf_counter()
            while running:
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        task = asyncio.create_task(ticker())
        await asyncio.sleep(2.0)  # the machine's own noise: the same ticker, nothing running
        noise = max(gaps)
        gaps.clear()
        started = time.perf_counter()
        result = await ledger.verify()
        ticked_s = time.perf_counter() - started
        running = False
        await task
        assert result.ok, result.problem
        return {
            "entries": result.entries,
            "map_rows": result.map_rows,
            "idle_rate": result.entries / idle_s,
            "ticked_rate": result.entries / ticked_s,
            "worst_gap_ms": max(gaps) * 1e3,
            "p99_gap_ms": sorted(gaps)[int(len(gaps) * 0.99)] * 1e3,
            "noise_ms": noise * 1e3,
        }
    finally:
        await close_engine(engine)


def baseline_tree(ref: str, into: Path) -> Path:
    """``ledger/`` as of ``ref``, extracted under ``into`` (import it with that dir first)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "ledger"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def measure_baseline(tree: Path, url: str, key_path: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tree), str(ROOT)]))
    code = (
        "import asyncio, json, sys\n"
        "from pathlib import Path\n"
        "import ledger\n"
        f"assert ledger.__file__.startswith({str(tree)!r}), ledger.__file__\n"
        "from bench.verify_bench import measure, quiet\n"
        "quiet()\n"
        "print(json.dumps(asyncio.run(measure(sys.argv[1], Path(sys.argv[2])))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, url, str(key_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,  # with -c the working directory comes first on sys.path
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"baseline run failed:\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def quiet() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))


async def load(kind: str, size: int, work: Path, key_path: Path) -> tuple[Any, str]:
    """A bulk-loaded chained log of ``size`` entries with its stored subject map."""
    from bench.bulk_ledger import BulkLoader, check_chained_against_model
    from bench.completeness_bench import BULK_TIME, ChainedMaker, _store_map
    from bench.ledger_bench import new_database
    from ledger.note import load_or_create_signing_key
    from portal.db import bind_engine, build_engine, close_engine, open_engine

    check_chained_against_model(BULK_TIME)
    db = await new_database(kind, work)
    signer = load_or_create_signing_key(key_path, KEY_NAME)
    maker = ChainedMaker("sub_target", 100, 10_000, {})
    await BulkLoader(db.kind, db.url, signer, ORIGIN, maker).extend_to(size)
    engine = build_engine(db.url)
    bind_engine(engine)
    await open_engine(engine)
    try:
        await _store_map(engine, maker, size)
    finally:
        await close_engine(engine)
    return db, db.url


def row(kind: str, side: str, figures: dict[str, Any]) -> str:
    return (
        f"| {kind} | {side} | {figures['entries']:,} | {figures['map_rows']:,} | "
        f"{figures['idle_rate']:,.0f} | {figures['ticked_rate']:,.0f} | "
        f"{figures['worst_gap_ms']:.1f} | {figures['p99_gap_ms']:.1f} | {figures['noise_ms']:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--baseline-ref", default="main", help="git ref of the baseline ledger/")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating pairs: best rates, worst stall"
    )
    args = parser.parse_args()
    quiet()
    kinds = [k.strip() for k in args.engines.split(",") if k.strip()]
    print(f"# ESP Portal verify benchmark ({os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')})")
    print(f"\nload average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"\n{args.size:,} entries, chained (10,000 subjects), stored subject map; baseline "
        f"`ledger/` at `{args.baseline_ref}`.\n"
    )
    print(
        "| engine | ledger | entries | map rows | verify entries/s (idle loop) | "
        "entries/s (ticker) | worst loop stall ms | p99 gap ms | worst, nothing running (2 s) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="esp-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        tree = baseline_tree(args.baseline_ref, work / "baseline")
        for kind in kinds:
            key_path = work / f"{kind}.key"
            db, url = asyncio.run(load(kind, args.size, work, key_path))
            try:
                sides: dict[str, list[dict[str, Any]]] = {"baseline": [], "this tree": []}
                for _ in range(args.rounds):
                    sides["baseline"].append(measure_baseline(tree, url, key_path))
                    sides["this tree"].append(asyncio.run(measure(url, key_path)))
                for side, runs in sides.items():
                    best = max(runs, key=lambda r: r["idle_rate"])
                    best["worst_gap_ms"] = max(r["worst_gap_ms"] for r in runs)  # the worst seen
                    best["ticked_rate"] = max(r["ticked_rate"] for r in runs)
                    best["noise_ms"] = max(r["noise_ms"] for r in runs)
                    best["p99_gap_ms"] = max(r["p99_gap_ms"] for r in runs)
                    print(row(kind, side, best), flush=True)
            finally:
                asyncio.run(db.cleanup())
    print(f"\nload average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
