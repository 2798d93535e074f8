"""Ledger benchmark: durable append throughput, proof latency at scale, verify rate.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth, as for the tests)::

    python -m bench.ledger_bench                       # everything, proofs up to 1M entries
    python -m bench.ledger_bench --proof-sizes 1000,100000 --engines sqlite

Every figure is printed next to a baseline measured in the same run on the same machine:

* appends: ``Ledger.append`` (entry + nodes + head + signed checkpoint, durable commit) against a
  raw baseline of one INSERT + COMMIT per row with the same durability (PostgreSQL
  ``synchronous_commit=on``; SQLite WAL, ``synchronous=FULL``) and no tree;
* proofs: ``Ledger.inclusion_proof`` at growing sizes, against itself at the smallest size;
* verify: ``ledger.verify`` entries/s against raw SHA-256 of the same bytes in memory, and its
  peak Python memory (tracemalloc) at each size against the smallest.

Large trees are bulk-loaded (COPY / executemany) with nodes computed in Python, since appending
a million entries one batch at a time is not what is being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import structlog  # noqa: E402

from bench.bulk_ledger import (  # noqa: E402
    FIELDS,
    BulkEntry,
    BulkLoader,
    check_against_model,
    disclosure_body,
)
from ledger import DisclosureDraft, Ledger  # noqa: E402
from ledger.note import NoteSigner  # noqa: E402
from portal.db import bind_engine, build_engine, close_engine, open_engine  # noqa: E402

ORIGIN = "esp-portal.local/ledger"
PG_ADMIN_URL = os.environ.get("ESP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


# ------------------------------------------------------------------------------ databases


@dataclass
class BenchDatabase:
    kind: str
    url: str
    cleanup: Callable[[], Awaitable[None]]


def _migrate(url: str, data_dir: Path) -> None:
    env = {
        **os.environ,
        "ESP_DATABASE_URL": url,
        "ESP_MIGRATION_DATABASE_URL": url,
        "ESP_DATA_DIR": str(data_dir),
        "ESP_LOG_FORMAT": "json",
    }
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli.main", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"migrate failed:\n{result.stdout}\n{result.stderr}")


async def new_database(kind: str, workdir: Path) -> BenchDatabase:
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
        url = f"sqlite:///{path}"
        _migrate(url, workdir)

        def unlink_files() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        async def drop_file() -> None:
            await asyncio.to_thread(unlink_files)

        return BenchDatabase(kind, url, drop_file)
    name = f"esp_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    _migrate(url, workdir)

    async def drop_database() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    return BenchDatabase(kind, url, drop_database)


def draft(n: int) -> DisclosureDraft:
    return DisclosureDraft(
        purpose="esp.programme-management",
        lawful_basis="consent",
        subject=f"sub_{n:032x}",
        recipient_org="3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10",
        recipient_user="7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
        categories=("hours.summary", "identity", "status"),
        consent_ids=(f"consent-{n}",),
        agreement_ids=("dsa-2026-1",),
        request_id=f"req-{n:012d}",
        channel="api",
        details={"fields": list(FIELDS)},
    )


BULK_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def body_for(n: int, checkpoint_size: int | None = None) -> bytes:
    """A realistic entry body (~450 bytes of canonical JSON) for bulk loading."""
    return disclosure_body(
        n,
        subject=f"sub_{n:032x}",
        checkpoint_size=checkpoint_size if checkpoint_size is not None else n + 1,
        logged_at=BULK_TIME,
    )


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# ------------------------------------------------------------------------------ appends


@dataclass
class Throughput:
    rate: float
    p50_ms: float
    p99_ms: float
    count: int


async def run_callers(
    callers: int, seconds: float, one: Callable[[int], Awaitable[None]]
) -> Throughput:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def caller() -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            started = time.perf_counter()
            await one(n)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    elapsed = time.perf_counter() - started
    return Throughput(
        rate=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=p99(latencies) * 1000,
        count=len(latencies),
    )


async def bench_ledger_appends(db: BenchDatabase, callers: int, seconds: float) -> Throughput:
    engine = build_engine(db.url)
    bind_engine(engine)
    await open_engine(engine)
    ledger = Ledger(engine, NoteSigner.generate(ORIGIN), ORIGIN)
    await ledger.start()
    try:
        # Drafts are built (validated) outside the timing, as the gate builds them before append.
        drafts = [draft(n) for n in range(20_000)]

        async def one(n: int) -> None:
            await ledger.append([drafts[n % len(drafts)]])

        return await run_callers(callers, seconds, one)
    finally:
        await ledger.close()
        await close_engine(engine)


async def bench_raw_inserts(db: BenchDatabase, callers: int, seconds: float) -> Throughput:
    """One INSERT + COMMIT per row, same durability, no tree: the floor a log cannot beat alone.

    PostgreSQL: a pool of one connection per caller, autocommit, synchronous_commit=on.
    SQLite: one connection (WAL, synchronous=FULL) shared by the callers in turn, the usual way
    to write SQLite from one process (many connections would only fight over the write lock).
    """
    bodies = [body_for(n) for n in range(20_000)]
    table = f"bench_raw_{uuid.uuid4().hex[:8]}"
    if db.kind == "postgres":
        pool = await asyncpg.create_pool(db.url, min_size=callers, max_size=callers)
        assert pool is not None
        await pool.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, body bytea)")
        await pool.execute("SET synchronous_commit = on")

        async def one_pg(n: int) -> None:
            async with pool.acquire() as conn:
                await conn.execute(
                    f"INSERT INTO {table} (body) VALUES ($1)", bodies[n % len(bodies)]
                )

        try:
            return await run_callers(callers, seconds, one_pg)
        finally:
            await pool.execute(f"DROP TABLE {table}")
            await pool.close()

    import aiosqlite

    path = db.url.removeprefix("sqlite:///")
    conn = await aiosqlite.connect(path, isolation_level=None, timeout=30)
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = FULL")
    await conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, body BLOB)")
    lock = asyncio.Lock()

    async def one_sqlite(n: int) -> None:
        async with lock:
            await conn.execute(f"INSERT INTO {table} (body) VALUES (?)", (bodies[n % len(bodies)],))

    try:
        return await run_callers(callers, seconds, one_sqlite)
    finally:
        await conn.execute(f"DROP TABLE {table}")
        await conn.close()


# ------------------------------------------------------------------------------ bulk load


def bulk_entry(n: int, batch_end: int) -> BulkEntry:
    return BulkEntry(
        body=body_for(n, batch_end),
        purpose="esp.programme-management",
        subject=f"sub_{n:032x}",
        recipient_org="3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10",
        recipient_user="7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
        channel="api",
    )


@dataclass
class ProofTiming:
    size: int
    median_ms: float
    p99_ms: float


async def time_proofs(ledger: Ledger, size: int, samples: int) -> ProofTiming:
    rng = random.Random(size)
    timings = []
    for _ in range(samples):
        index = rng.randrange(size)
        started = time.perf_counter()
        proof = await ledger.inclusion_proof(index, size)
        timings.append(time.perf_counter() - started)
        assert len(proof.inclusion_path) <= size.bit_length()
    return ProofTiming(size, statistics.median(timings) * 1000, p99(timings) * 1000)


async def verify_peak_mb(ledger: Ledger) -> float:
    """Peak Python memory of one more verify (tracemalloc: a separate, slower pass).

    Verify streams the log a page at a time, so this should not grow with the log's size.
    """
    tracemalloc.start()
    try:
        result = await ledger.verify()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok, result.problem
    return peak / 1e6


def raw_sha256_rate(size: int) -> float:
    bodies = [body_for(n) for n in range(size)]
    started = time.perf_counter()
    for body in bodies:
        hashlib.sha256(b"\x00" + body).digest()
    return size / (time.perf_counter() - started)


# ------------------------------------------------------------------------------ main


async def append_section(
    kinds: list[str], callers: list[int], seconds: float, rounds: int, work: Path
) -> None:
    print(
        f"\n## Durable appends (one entry per append call; best of {rounds} alternating rounds)\n"
    )
    print(
        "| engine | callers | ledger appends/s | raw INSERT+COMMIT/s | ratio | "
        "ledger p50 ms | ledger p99 ms | raw p99 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in kinds:
        for c in callers:
            db = await new_database(kind, work)
            ledger_runs, raw_runs = [], []
            try:
                # Alternate so that load from elsewhere on the machine hits both alike.
                for _ in range(rounds):
                    ledger_runs.append(await bench_ledger_appends(db, c, seconds))
                    raw_runs.append(await bench_raw_inserts(db, c, seconds))
            finally:
                await db.cleanup()
            ledger_t = max(ledger_runs, key=lambda t: t.rate)
            raw_t = max(raw_runs, key=lambda t: t.rate)
            print(
                f"| {kind} | {c} | {ledger_t.rate:,.0f} | {raw_t.rate:,.0f} | "
                f"{ledger_t.rate / raw_t.rate:.2f}x | {ledger_t.p50_ms:.1f} | "
                f"{ledger_t.p99_ms:.1f} | {raw_t.p99_ms:.1f} |",
                flush=True,
            )


async def proof_section(
    kinds: list[str], sizes: list[int], samples: int, verify_max: int, work: Path
) -> None:
    print("\n## Inclusion proofs (Ledger.inclusion_proof, random index, tree = whole log)\n")
    print("| engine | entries | load s | proof median ms | proof p99 ms | median / smallest |")
    print("|---|---:|---:|---:|---:|---:|")
    verify_rows = []
    for kind in kinds:
        db = await new_database(kind, work)
        signer = NoteSigner.generate(ORIGIN)
        loader = BulkLoader(db.kind, db.url, signer, ORIGIN, bulk_entry)
        engine = build_engine(db.url)
        bind_engine(engine)
        await open_engine(engine)
        ledger = Ledger(engine, signer, ORIGIN)
        try:
            baseline = None
            for size in sorted(sizes):
                started = time.perf_counter()
                await loader.extend_to(size)
                load_s = time.perf_counter() - started
                await time_proofs(ledger, size, 50)  # warm caches and the pool
                timing = await time_proofs(ledger, size, samples)
                baseline = baseline or timing.median_ms
                print(
                    f"| {kind} | {size:,} | {load_s:.1f} | {timing.median_ms:.2f} | "
                    f"{timing.p99_ms:.2f} | {timing.median_ms / baseline:.2f}x |",
                    flush=True,
                )
                if size <= verify_max:
                    started = time.perf_counter()
                    result = await ledger.verify()
                    elapsed = time.perf_counter() - started
                    assert result.ok, result.problem
                    peak_mb = await verify_peak_mb(ledger)
                    verify_rows.append((kind, size, size / elapsed, raw_sha256_rate(size), peak_mb))
        finally:
            await close_engine(engine)
            await db.cleanup()
    print("\n## Verify (re-hash, rebuild, compare every node and checkpoint)\n")
    print(
        "| engine | entries | verify entries/s | raw SHA-256 entries/s | ratio "
        "| peak MB | peak / smallest |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    smallest: dict[str, float] = {}
    for kind, size, rate, raw, peak in verify_rows:
        first = smallest.setdefault(kind, peak)
        print(
            f"| {kind} | {size:,} | {rate:,.0f} | {raw:,.0f} | {rate / raw:.3f}x "
            f"| {peak:.1f} | {peak / first:.2f}x |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--callers", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=3.0, help="per append measurement")
    parser.add_argument("--rounds", type=int, default=2, help="append rounds, best one counts")
    parser.add_argument("--proof-sizes", default="1000,100000,1000000")
    parser.add_argument("--proof-samples", type=int, default=300)
    parser.add_argument(
        "--verify-max", type=int, default=100_000, help="run verify at loaded sizes up to this"
    )
    parser.add_argument("--skip-appends", action="store_true")
    parser.add_argument("--skip-proofs", action="store_true")
    args = parser.parse_args()
    check_against_model(BULK_TIME)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    kinds = [k.strip() for k in args.engines.split(",") if k.strip()]
    print(f"# ESP Portal ledger benchmark ({os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')})")
    print(f"\nload average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="esp-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        if not args.skip_appends:
            callers = [int(c) for c in args.callers.split(",")]
            asyncio.run(append_section(kinds, callers, args.seconds, args.rounds, work))
        if not args.skip_proofs:
            sizes = [int(s) for s in args.proof_sizes.split(",")]
            asyncio.run(proof_section(kinds, sizes, args.proof_samples, args.verify_max, work))
    print(f"\nload average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
