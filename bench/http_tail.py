"""Where a PostgreSQL gated read's latency tail goes, at ``wrk``'s 32 connections.

Run from the repository root (PostgreSQL as for the tests)::

    python -m bench.http_tail --workers 1 --seconds 10

One worker (or two) serves the demo database of ``bench/http_bench.py`` with the ledger's debug
log on, ``wrk`` drives the gated staff read, and three views of the same seconds are printed:

- wrk's latency distribution (what a client sees);
- every group commit of the ledger (``ledger.append.committed``: requests per batch and the
  batch's milliseconds from taking the head row's lock to the commit's return), i.e. what the
  last step of each read waits on;
- what the database's backends were doing (``bench.pgwatch``): running a statement, flushing
  WAL, waiting on the head row's lock, or sitting in an open transaction while the worker's
  event loop is busy with other requests (``idle in transaction``).

Why: the p99 goal of issue 19 (50 ms at 32 connections) is a statement about the tail, and the
tail has three candidate causes (the group commit, the pool, the event loop's queue); this shows
which one the slow requests wait on, measured, rather than guessed from a CPU profile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.cpuacct import Meter
from bench.http_bench import (
    LV,
    PG_ADMIN_URL,
    WARM_UP_S,
    Load,
    drop_database,
    ensure_wrk,
    free_port,
    portal_env,
    prepare,
    sign_in,
    stop,
    wait_ready,
)
from bench.pgwatch import Watcher

ROOT = Path(__file__).resolve().parent.parent


def quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def batches(log: Path) -> list[dict[str, float]]:
    """The ledger's committed batches from the worker's JSON log."""
    found = []
    for line in log.read_text().splitlines():
        if '"ledger.append.committed"' not in line:
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        found.append({"requests": float(event["requests"]), "ms": float(event["ms"])})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    load = Load(ensure_wrk(), args.connections, args.seconds)
    with tempfile.TemporaryDirectory(prefix="esp-http-tail-") as tmp:
        work = Path(tmp)
        db, data_dir = asyncio.run(prepare("postgres", work))
        log = work / "worker.log"
        port = free_port()
        env = {**portal_env(db, data_dir), "ESP_LOG_LEVEL": "debug"}
        with log.open("w") as out:
            proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "portal.cli.main", "serve"),
                    *("--port", str(port), "--workers", str(args.workers)),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_ready(port, "/health")
            signed = sign_in(port)
            url = f"http://127.0.0.1:{port}/api/employer/staff/{signed.staff_id}?purpose={LV}"
            headers = {"Cookie": signed.cookie}
            load.run(url, headers, WARM_UP_S, warm_up=True)
            skip = len(batches(log))
            watcher = Watcher(PG_ADMIN_URL, db.name, proc.pid, work)
            got = load.run(
                url, headers, meter=Meter(proc.pid, None, db.name), watcher=watcher, label="tail"
            )
            committed = batches(log)[skip:]
        finally:
            stop(proc)
            asyncio.run(drop_database(db))
    report(args, got, committed)


def report(args: argparse.Namespace, got: object, committed: list[dict[str, float]]) -> None:
    from bench.http_bench import WrkResult

    assert isinstance(got, WrkResult)
    sizes = [b["requests"] for b in committed]
    ms = [b["ms"] for b in committed]
    print(
        f"gated read, PostgreSQL, {args.workers} worker(s), {args.connections} connections, "
        f"{args.seconds} s: {got.rps:,.0f}/s, p50 {got.p50_ms:.1f} ms, mean {got.mean_ms:.1f} "
        f"ms, p99 {got.p99_ms:.1f} ms, errors {got.errors}"
    )
    if got.usage is not None:
        u = got.usage
        print(
            f"cores busy: worker {u.cores('worker'):.2f}, its database {u.cores('pg_db'):.2f}, "
            f"wrk {u.cores('wrk'):.2f}, rest of the machine {u.cores('rest'):.2f}; CPU per "
            f"request: worker {u.per_request_ms('worker'):.2f} ms, database "
            f"{u.per_request_ms('pg_db'):.2f} ms"
        )
    if committed:
        print(
            f"group commits: {len(committed)} batches ({len(committed) / args.seconds:,.0f}/s), "
            f"requests per batch mean {statistics.mean(sizes):.1f} (max {max(sizes):.0f}); "
            f"batch ms p50 {quantile(ms, 0.5):.1f}, p90 {quantile(ms, 0.9):.1f}, p99 "
            f"{quantile(ms, 0.99):.1f}, max {max(ms):.1f}; share of the run's wall time a "
            f"batch was in progress {sum(ms) / 1000 / args.seconds:.0%} (per worker: "
            f"{sum(ms) / 1000 / args.seconds / args.workers:.0%})"
        )
    w = got.watch
    if w is not None and w.samples:
        print(f"database backends, {w.samples} samples (share of samples not idle in the pool):")
        for kind, share in w.shares():
            print(f"  {share:5.0%} {kind}")
        total = sum(w.statements.values())
        for (kind, query), n in w.statements.most_common(8):
            print(f"  {n / total:5.0%} {kind}: {query}")
        print(
            f"most backends waiting on a lock at once: {w.head_lock_waiters_max}; longest open "
            f"transaction seen: {w.longest_open_xact_ms:.0f} ms; stalls: {w.stalls or 'none'}"
        )


if __name__ == "__main__":
    main()
