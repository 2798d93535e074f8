"""Completeness benchmark: what the subject map costs per append, and a big subject's proof.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth, as for the tests)::

    python -m bench.completeness_bench                       # everything (~6 min)
    python -m bench.completeness_bench --engines sqlite --skip-big
    python -m bench.completeness_bench --skip-appends --skip-big --map-memory 100000,1000000

Every figure is printed next to a baseline measured in the same run:

* **append cost**: durable ``Ledger.append`` rate with the subject map (back-pointers and a
  committed map root per batch) against the same ledger code with it switched off
  (``Ledger(subject_map=False)``), on two fresh databases, in alternating rounds, at 1 and 32
  callers; drafts name 2,000 subjects. Also the in-memory work alone (link every entry, one root
  per batch) per entry, against the same entries' canonical serialisation;
* **a subject with 10,000 entries in a 1M-entry ledger** (bulk-loaded, chained, one commitment,
  its subject map stored as the one version an append would store): the completeness proof's
  size against the whole bundle's, the time to build it from the stored map against the time to
  build it by rebuilding the map from the entries (what every proof did before the map was
  stored, and what a size from before it still does), and the time to verify the bundle with
  completeness against without (inclusion proofs only), plus the same figures for a subject with
  one entry (proof size must not grow with the ledger);
* **memory** (``--map-memory``): the Python memory the in-memory map of N subjects holds after
  its first commit (tracemalloc), the figure a process with a million subjects pays.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

from bench.bulk_ledger import (  # noqa: E402
    BulkEntry,
    BulkLoader,
    check_chained_against_model,
    disclosure_body,
)
from bench.ledger_bench import (  # noqa: E402
    ORIGIN,
    Throughput,
    draft,
    new_database,
    run_callers,
)
from ledger import DisclosureDraft, Ledger  # noqa: E402
from ledger import proofs as proof_builders  # noqa: E402
from ledger.chains import SubjectChains, SubjectState  # noqa: E402
from ledger.entries import SubjectMapCommitment, format_timestamp  # noqa: E402
from ledger.note import NoteSigner  # noqa: E402
from ledger.sequencer import MAP_STORE_EVERY  # noqa: E402
from ledger.store import LedgerStore  # noqa: E402
from ledger.subjectmap import (  # noqa: E402
    NATIVE_CORE,
    PYTHON_CORE,
    MapCore,
    SubjectMap,
    default_core,
    set_default_core,
    subject_key,
)
from portal.db import bind_engine, build_engine, close_engine, open_engine  # noqa: E402
from portal.disclosure.bundle import FORMAT, check_bundle  # noqa: E402

SUBJECTS = 2_000
BULK_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def _drafts(count: int) -> list[DisclosureDraft]:
    return [
        draft(n).model_copy(update={"subject": f"sub_{n % SUBJECTS:05d}"}) for n in range(count)
    ]


#: Tiles stored with one batch in this many (``--map-store-every``; the product's default).
_STORE_EVERY = [MAP_STORE_EVERY]


async def _appends(url: str, callers: int, seconds: float, subject_map: bool) -> Throughput:
    engine = build_engine(url)
    bind_engine(engine)
    await open_engine(engine)
    ledger = Ledger(
        engine,
        NoteSigner.generate(ORIGIN),
        ORIGIN,
        subject_map=subject_map,
        map_store_every=_STORE_EVERY[0],
    )
    await ledger.start()
    try:
        drafts = _drafts(20_000)

        async def one(n: int) -> None:
            await ledger.append([drafts[n % len(drafts)]])

        return await run_callers(callers, seconds, one)
    finally:
        await ledger.close()
        await close_engine(engine)


async def append_section(
    kinds: list[str], callers: list[int], seconds: float, rounds: int, work: Path
) -> None:
    print(
        f"\n## Append cost of the subject map (best of {rounds} alternating rounds; "
        f"map core: {default_core().name}; tiles stored with one batch in "
        f"{_STORE_EVERY[0]})\n"
    )
    print(
        "| engine | callers | with map appends/s | without appends/s | ratio | cost | "
        "with p99 ms | without p99 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in kinds:
        for c in callers:
            with_db = await new_database(kind, work)
            without_db = await new_database(kind, work)
            with_runs, without_runs = [], []
            try:
                for _ in range(rounds):
                    with_runs.append(await _appends(with_db.url, c, seconds, True))
                    without_runs.append(await _appends(without_db.url, c, seconds, False))
            finally:
                await with_db.cleanup()
                await without_db.cleanup()
            on = max(with_runs, key=lambda t: t.rate)
            off = max(without_runs, key=lambda t: t.rate)
            print(
                f"| {kind} | {c} | {on.rate:,.0f} | {off.rate:,.0f} | {on.rate / off.rate:.2f}x | "
                f"{(1 - on.rate / off.rate) * 100:+.1f} % | {on.p99_ms:.1f} | {off.p99_ms:.1f} |",
                flush=True,
            )


def _without_stored_map(ledger: Ledger) -> None:
    """Make ``ledger`` append as the previous release did: chains and map roots in the entries,
    but no stored map nodes (its store drops them). The "before" of the paired comparison."""
    store = ledger._store  # the bench swaps one method of this one instance
    original = store.write_batch

    async def write_batch(*args: Any) -> None:
        await original(*args[:4])

    store.write_batch = write_batch  # type: ignore[method-assign]


async def _paired_ledgers(kind: str, work: Path) -> tuple[dict[str, Ledger], list[Any]]:
    signer = NoteSigner.generate(ORIGIN)
    ledgers: dict[str, Ledger] = {}
    cleanups: list[Any] = []
    for name in PAIRED:
        db = await new_database(kind, work)
        engine = build_engine(db.url)
        await open_engine(engine)
        ledger = Ledger(engine, signer, ORIGIN, subject_map=name != "off")
        await ledger.start()
        if name == "before":
            _without_stored_map(ledger)
        warm = _drafts(SUBJECTS)
        for start in range(0, SUBJECTS, 100):  # every subject once: a 2,000-subject map
            await ledger.append(warm[start : start + 100])
        ledgers[name] = ledger
        cleanups += [ledger.close, lambda engine=engine: close_engine(engine), db.cleanup]
    return ledgers, cleanups


#: The paired comparison's three ledgers: no map, the map as before (roots only), and now.
PAIRED = ("off", "before", "after")


async def paired_section(kinds: list[str], iterations: int, batches: list[int], work: Path) -> None:
    """Durable appends to three ledgers taken in turn (order rotated every round), so load
    from elsewhere hits all three alike: the median latency of each, and the costs."""
    print(
        f"\n## Append cost, paired: {iterations} appends to each of three ledgers in turn "
        f"(map core: {default_core().name})\n\n"
        "| engine | entries per append | no map ms | map, not stored (before) ms | "
        "map stored (after) ms | before vs none | after vs none | after vs before |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    drafts = _drafts(20_000)
    for kind in kinds:
        ledgers, cleanups = await _paired_ledgers(kind, work)
        try:
            for batch in batches:
                times: dict[str, list[float]] = {name: [] for name in PAIRED}
                for i in range(iterations):
                    chunk = [drafts[(i * batch + j) % len(drafts)] for j in range(batch)]
                    shift = i % len(PAIRED)
                    for name in PAIRED[shift:] + PAIRED[:shift]:
                        started = time.perf_counter()
                        await ledgers[name].append(chunk)
                        times[name].append(time.perf_counter() - started)
                off, before, after = (statistics.median(times[name]) * 1e3 for name in PAIRED)
                print(
                    f"| {kind} | {batch} | {off:.2f} | {before:.2f} | {after:.2f} | "
                    f"{(before / off - 1) * 100:+.1f} % | {(after / off - 1) * 100:+.1f} % | "
                    f"{(after / before - 1) * 100:+.1f} % |",
                    flush=True,
                )
        finally:
            for cleanup in cleanups:
                await cleanup()


def memory_section(batch: int) -> None:
    """The sequencer's in-memory work per entry, against serialising the same entries."""
    drafts = _drafts(20_000)
    for item in drafts:
        item.prepare()
    stamp = format_timestamp(BULK_TIME)

    def serialise_only() -> float:
        started = time.perf_counter()
        for start in range(0, len(drafts), batch):
            end = start + batch
            for n in range(start, end):
                drafts[n].bytes_at(n + SUBJECTS, stamp, end + SUBJECTS)
        return time.perf_counter() - started

    def with_chains() -> float:
        warm = SubjectMap.build((subject_key(f"sub_{n:05d}"), n) for n in range(SUBJECTS))
        current = SubjectState(SUBJECTS, b"", 0, warm)
        started = time.perf_counter()
        for start in range(0, len(drafts), batch):
            chains = SubjectChains(current)
            end = start + batch
            for n in range(start, end):
                index = n + SUBJECTS
                previous = chains.link(drafts[n], index)
                commitment = chains.commitment(end + SUBJECTS) if n == end - 1 else None
                drafts[n].bytes_at(index, stamp, end + SUBJECTS, previous, commitment)
            current = chains.state(end + SUBJECTS, b"")
        return time.perf_counter() - started

    plain, chained = float("inf"), float("inf")
    for _ in range(3):  # alternate, so load from elsewhere hits both alike
        plain = min(plain, serialise_only())
        chained = min(chained, with_chains())
    per_entry = (chained - plain) / len(drafts) * 1e6
    print(
        f"\nIn memory ({default_core().name} map core), batches of {batch}: serialising "
        f"{len(drafts):,} entries "
        f"{plain / len(drafts) * 1e6:.1f} µs/entry; with back-pointers and a map root per batch "
        f"{chained / len(drafts) * 1e6:.1f} µs/entry (+{per_entry:.1f} µs/entry)",
        flush=True,
    )


def core_walk_section(cores: list[MapCore], batches: int = 400) -> None:
    """The map's own work a 32-entry batch, each core on the same keys: 32 puts into a
    2,000-subject map, then its commit (median µs a batch), cores alternated twice."""
    print("\n## The map's walk per 32-entry batch, core against core (median µs)\n")
    print("| core | 32 puts µs | commit µs |")
    print("|---|---:|---:|")
    keys = [subject_key(f"sub_{n:05d}") for n in range(SUBJECTS)]
    for core in cores * 2:
        subject_map = SubjectMap.build(((k, i) for i, k in enumerate(keys)), core=core)
        subject_map.commit(SUBJECTS)
        puts, commits, index = [], [], SUBJECTS
        for batch in range(batches):
            started = time.perf_counter()
            for j in range(32):
                subject_map.put(keys[(batch * 32 * 7 + j * 13) % SUBJECTS], index)
                index += 1
            put_done = time.perf_counter()
            subject_map.commit(index)
            puts.append(put_done - started)
            commits.append(time.perf_counter() - put_done)
        print(
            f"| {core.name} | {statistics.median(puts) * 1e6:.0f} | "
            f"{statistics.median(commits) * 1e6:.0f} |",
            flush=True,
        )


def map_memory_section(sizes: list[int]) -> None:
    """Python memory held by the in-memory map of N subjects after its first commit (so with
    the tile encodings a running sequencer keeps), measured by tracemalloc: the nodes, the
    keys, the cached hashes and encodings; the build's temporaries are gone by then."""
    print("\n## Memory of the in-memory subject map (tracemalloc, after a commit)\n")
    print("| subjects | MB | bytes per subject | build + commit s (traced) |")
    print("|---:|---:|---:|---:|")
    for size in sizes:
        gc.collect()
        tracemalloc.start()
        started = time.perf_counter()
        subject_map = SubjectMap.build((subject_key(f"sub_{n:08d}"), n) for n in range(size))
        subject_map.commit(size)
        took = time.perf_counter() - started
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del subject_map
        print(
            f"| {size:,} | {held / 1e6:,.0f} | {held / size:,.0f} | {took:,.0f} |",
            flush=True,
        )


@dataclass
class ChainedMaker:
    """Bulk entries of a chained log: ``target`` every ``every``-th entry, others round robin."""

    target: str
    every: int
    others: int
    latest: dict[str, int]
    single: str = "sub_single"

    def subject_of(self, n: int) -> str:
        if n == 7:
            return self.single
        if n % self.every == 0:
            return self.target
        return f"sub_{n % self.others:05d}"

    def __call__(self, n: int, batch_end: int) -> BulkEntry:
        subject = self.subject_of(n)
        chain: dict[str, Any] = {"prev_subject_index": self.latest.get(subject)}
        self.latest[subject] = n
        if n == batch_end - 1:
            built = SubjectMap.build((subject_key(s), i) for s, i in self.latest.items())
            chain["subject_map"] = SubjectMapCommitment(built.root(), 0).document()
        body = disclosure_body(
            n, subject=subject, checkpoint_size=batch_end, logged_at=BULK_TIME, chain=chain
        )
        return BulkEntry(
            body=body,
            purpose="esp.programme-management",
            subject=subject,
            recipient_org="3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10",
            recipient_user="7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
            channel="api",
        )


async def _rebuilt(ledger: Ledger, subject: str, size: int) -> tuple[dict[str, Any], float]:
    """The same proof built with the stored map ignored, and its seconds: the map rebuilt from
    the entries, as every proof was built before the map was stored (the baseline). Both ways
    of reading the stored map (the size's own path, and the catch-up from the latest stored
    version) are switched off."""
    stored = proof_builders.stored_map_proof
    caught_up = proof_builders.caught_up_map_proof

    async def ignored(*args: Any) -> None:
        return None

    proof_builders.stored_map_proof = ignored  # type: ignore[assignment]
    proof_builders.caught_up_map_proof = ignored  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        proof = await ledger.completeness_proof(subject, size)
        return proof.to_json(), time.perf_counter() - started
    finally:
        proof_builders.stored_map_proof = stored
        proof_builders.caught_up_map_proof = caught_up


async def _store_map(engine: Any, maker: ChainedMaker, size: int) -> None:
    """Store the bulk-loaded log's map as the one version of ``size`` (what the first append
    after the upgrade stores: the whole map, one row per node)."""
    built = SubjectMap.build((subject_key(s), i) for s, i in maker.latest.items())
    _, nodes = built.commit(size)
    await LedgerStore(engine).insert_subject_nodes(size, nodes)


async def _bundle(
    ledger: Ledger, maker: ChainedMaker, subject: str, size: int
) -> tuple[dict[str, Any], float]:
    """The subject's bundle (newest first, as the portal builds it) and the seconds the
    completeness proof took to build (from the stored map)."""
    indexes = [n for n in range(size - 1, -1, -1) if maker.subject_of(n) == subject]
    proofs = await ledger.inclusion_proofs(indexes, size)
    entries = []
    for index, proof in zip(indexes, proofs, strict=True):
        stored = await ledger.get_entry(index)
        entries.append(
            {
                "index": index,
                "entry_b64": _b64(stored.body),
                "leaf_hash": _b64(stored.leaf_hash),
                "inclusion_path": [_b64(h) for h in proof.inclusion_path],
            }
        )
    started = time.perf_counter()
    completeness = await ledger.completeness_proof(subject, size)
    took = time.perf_counter() - started
    bundle = {
        "format": FORMAT,
        "checkpoint": await ledger.checkpoint_at(size),
        "tree_size": size,
        "subject": subject,
        "entries": entries,
        "completeness": completeness.to_json(),
    }
    return bundle, took


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _verify_seconds(bundle: dict[str, Any], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        result = check_bundle(bundle)
        best = min(best, time.perf_counter() - started)
        assert result.ok, result.problems[:3]
    return best


async def big_section(kinds: list[str], size: int, per_subject: int, work: Path) -> None:
    every = size // per_subject
    print(
        f"\n## A subject with {per_subject:,} entries in a {size:,}-entry ledger "
        f"(one entry in {every}; 10,000 other subjects)\n"
    )
    print(
        "| engine | subject's entries | completeness proof bytes | bundle bytes | proof share | "
        "build proof ms (stored map) | rebuilt map ms (before) | ratio | verify with s | "
        "verify without s | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in kinds:
        db = await new_database(kind, work)
        signer = NoteSigner.generate(ORIGIN)
        maker = ChainedMaker("sub_target", every, 10_000, {})
        loader = BulkLoader(db.kind, db.url, signer, ORIGIN, maker)
        engine = build_engine(db.url)
        bind_engine(engine)
        await open_engine(engine)
        ledger = Ledger(engine, signer, ORIGIN)
        try:
            started = time.perf_counter()
            await loader.extend_to(size)
            await _store_map(engine, maker, size)
            print(f"(loaded {size:,} in {time.perf_counter() - started:.0f} s)", flush=True)
            for subject in ("sub_target", maker.single):
                rebuilt, rebuilt_s = await _rebuilt(ledger, subject, size)
                bundle, build_s = await _bundle(ledger, maker, subject, size)
                if bundle["completeness"] != rebuilt:
                    raise SystemExit("the stored map's proof differs from the rebuilt map's")
                proof_bytes = len(json.dumps(bundle["completeness"]))
                bundle_bytes = len(json.dumps(bundle))
                with_s = _verify_seconds(bundle)
                without_s = _verify_seconds(dict(bundle, completeness=None))
                print(
                    f"| {kind} | {len(bundle['entries']):,} | {proof_bytes:,} | "
                    f"{bundle_bytes:,} | {proof_bytes / bundle_bytes:.2%} | {build_s * 1e3:.1f} | "
                    f"{rebuilt_s * 1e3:,.0f} | {rebuilt_s / build_s:,.0f}x | "
                    f"{with_s:.3f} | {without_s:.3f} | {with_s / without_s:.2f}x |",
                    flush=True,
                )
        finally:
            await close_engine(engine)
            await db.cleanup()


def _cores(names: str) -> list[MapCore]:
    """The map cores named (``python``, ``native``); exits naming one that is not there."""
    known = {"python": PYTHON_CORE, "native": NATIVE_CORE}
    cores: list[MapCore] = []
    for name in names.split(","):
        core = known.get(name)
        if core is None:
            raise SystemExit(
                f"--cores: {name!r} is not a map core here (python, or native once "
                "ledger/_mapcore.c is built by `pip install -e .`)"
            )
        cores.append(core)
    return cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--callers", default="1,32")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--per-subject", type=int, default=10_000)
    parser.add_argument("--skip-appends", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument(
        "--paired",
        type=int,
        default=0,
        metavar="N",
        help="also N appends to each of three ledgers in turn (no map / map as before / stored)",
    )
    parser.add_argument("--paired-batches", default="1,32")
    parser.add_argument(
        "--map-store-every",
        type=int,
        default=MAP_STORE_EVERY,
        help="the log stores the map's tiles with one batch in this many (1: every batch)",
    )
    parser.add_argument(
        "--cores",
        default="native,python" if NATIVE_CORE is not None else "python",
        help="map cores whose figures to print, each section once per core in turn",
    )
    parser.add_argument(
        "--map-memory",
        default="",
        metavar="N,...",
        help="also the in-memory map's Python memory at N subjects (e.g. 100000,1000000)",
    )
    args = parser.parse_args()
    cores = _cores(args.cores)
    if args.map_store_every < 1:
        raise SystemExit("--map-store-every: at least 1 (every batch stores the map)")
    _STORE_EVERY[0] = args.map_store_every
    check_chained_against_model(BULK_TIME)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    kinds = args.engines.split(",")
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        if not args.skip_appends:
            core_walk_section(cores)
            for core in cores:
                set_default_core(core)
                memory_section(1)
                memory_section(32)
            for core in cores:
                set_default_core(core)
                asyncio.run(
                    append_section(
                        kinds,
                        [int(c) for c in args.callers.split(",")],
                        args.seconds,
                        args.rounds,
                        work,
                    )
                )
        if args.paired:
            batches = [int(b) for b in args.paired_batches.split(",")]
            for core in cores:
                set_default_core(core)
                asyncio.run(paired_section(kinds, args.paired, batches, work))
        if args.map_memory:
            map_memory_section([int(n) for n in args.map_memory.split(",")])
        if not args.skip_big:
            asyncio.run(big_section(kinds, args.size, args.per_subject, work))


if __name__ == "__main__":
    main()
