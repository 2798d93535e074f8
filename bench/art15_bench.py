"""Art. 15 subject access report at scale: one person with 10,000 disclosures in a 1M-entry ledger.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth, as for the tests)::

    python -m bench.art15_bench                           # both engines, 1M entries (~4 min)
    python -m bench.art15_bench --engines sqlite --ledger-size 100000

Per engine, on one fresh migrated database: the ledger is bulk-loaded (``bench.bulk_ledger``) to
``--ledger-size`` entries, ``--subject-disclosures`` of them disclosures of one volunteer spread
evenly; an employer, agreement, job, consent and users are recorded through the real services
(``bench.gate_bench.seed``). Then, in process on the app's own engine, ledger and gate:

- **baseline**: the bare read of the person's disclosure rows (the same ``ledger_entry`` query the
  report makes: subject, kind, newest first), decoded from JSON, nothing else;
- **report JSON**: ``DpoService.subject_report`` (the gate's durable ``dpo.audit`` append, every
  record kind, every disclosure with its inclusion proof against one checkpoint) encoded to JSON,
  as ``GET /api/dpo/subjects/{id}/report`` sends it;
- **report CSV**: the same, written as the CSV download;
- **proofs only**: ``Ledger.inclusion_proofs`` for the same indexes, to show where the time goes.

Each is run ``--runs`` times after one warm-up; the median and the worst count. Target: the
report (JSON and CSV) under 2 s, worst run. Every figure is printed, misses included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

import structlog  # noqa: E402

from bench.gate_bench import (  # noqa: E402
    bulk_load,
    drop_database,
    make_volunteer,
    migrate,
    new_database,
    seed,
)
from ledger.note import load_or_create_signing_key  # noqa: E402

TARGET_S = 2.0
ORIGIN = "esp-portal.local/ledger"


async def _timed(work: Callable[[], Awaitable[Any]], runs: int) -> dict[str, Any]:
    """Wall-clock seconds per run, and this process's CPU seconds (load-independent on SQLite,
    whose work runs in this process; on PostgreSQL the server's share is not in it)."""
    result = await work()  # warm-up
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = await work()
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {"timings": timings, "cpu": cpu, "result": result}


async def measure(db: Any, data_dir: Path, volunteer_id: str, runs: int) -> dict[str, Any]:
    """The report and its baseline on the app's engine, ledger and gate, in process."""
    from ledger import Ledger
    from ledger.tables import LedgerEntry
    from portal.db import bind_engine, build_engine, close_engine, open_engine
    from portal.disclosure.gate import Recipient
    from portal.disclosure.services import signed_head
    from portal.dpo.report_csv import report_csv
    from portal.dpo.services import DpoService
    from portal.gates import build_gate
    from portal.settings import load_settings

    settings = load_settings(database_url=db.url, data_dir=data_dir, log_level="warning")
    engine = build_engine(db.url)
    bind_engine(engine)
    await open_engine(engine)
    signer = load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    ledger = Ledger(engine, signer, settings.ledger_origin)
    await ledger.start()
    try:
        dpo = DpoService(build_gate(ledger, settings))
        recipient = Recipient("force", "force", "bench-dpo", "api")
        subject = (await dpo.subject_report(recipient, volunteer_id, request_id="warm")).subject

        async def bare() -> int:
            rows = await (
                LedgerEntry.select(
                    LedgerEntry.idx,
                    LedgerEntry.leaf_hash,
                    LedgerEntry.body,
                    LedgerEntry.purpose,
                    LedgerEntry.recipient_org,
                    LedgerEntry.recipient_user,
                    LedgerEntry.channel,
                )
                .where((LedgerEntry.subject == subject) & (LedgerEntry.kind == "disclosure"))
                .order_by(LedgerEntry.idx, ascending=False)
            )
            return len([json.loads(bytes(r["body"])) for r in rows])

        async def as_json() -> tuple[int, int]:
            report = await dpo.subject_report(recipient, volunteer_id, request_id="bench")
            return len(report.model_dump_json()), len(report.disclosures)

        async def as_csv() -> tuple[int, int]:
            report = await dpo.subject_report(recipient, volunteer_id, request_id="bench")
            return len("".join(report_csv(report))), len(report.disclosures)

        head = await signed_head(ledger)
        indexes = [
            int(r["idx"])
            for r in await LedgerEntry.select(LedgerEntry.idx).where(
                (LedgerEntry.subject == subject) & (LedgerEntry.kind == "disclosure")
            )
        ]

        async def paths() -> int:
            return len(await ledger.inclusion_paths(indexes, head.size))

        async def proofs_one_plan_each() -> int:
            return len(await ledger.inclusion_proofs(indexes, head.size))

        out: dict[str, Any] = {}
        for name, work in (
            ("bare", bare),
            ("json", as_json),
            ("csv", as_csv),
            ("paths", paths),
            ("proofs_before", proofs_one_plan_each),
        ):
            out[name] = await _timed(work, runs)
        out["size"] = await ledger.size()
        out["plan"] = await _plan(engine, db.kind, subject)
        # Would an index on (subject, kind, idx) help? Measured here, on the same data, with the
        # index made by hand; it is kept out of the migrations unless it pays.
        await LedgerEntry.raw(
            "CREATE INDEX bench_ledger_subject_kind_idx ON ledger_entry (subject, kind, idx)"
        )
        if db.kind == "postgres":
            await LedgerEntry.raw("ANALYZE ledger_entry")
        else:
            await LedgerEntry.raw("ANALYZE")
        out["bare_indexed"] = await _timed(bare, runs)
        out["json_indexed"] = await _timed(as_json, runs)
        out["plan_indexed"] = await _plan(engine, db.kind, subject)
        return out
    finally:
        await ledger.close()
        await close_engine(engine)


async def _plan(engine: Any, kind: str, subject: str) -> str:
    """How the database reads the person's disclosures (which index, whether it sorts)."""
    query = (
        "SELECT idx FROM ledger_entry WHERE subject = {} AND kind = 'disclosure' ORDER BY idx DESC"
    )
    from ledger.tables import LedgerEntry

    if kind == "sqlite":
        rows = await LedgerEntry.raw("EXPLAIN QUERY PLAN " + query, subject)
        return "; ".join(str(r["detail"]) for r in rows)
    rows = await LedgerEntry.raw("EXPLAIN " + query, subject)
    return "; ".join(str(r["QUERY PLAN"]).strip() for r in rows)


async def run_engine(kind: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data_dir = work / f"data-{kind}"
    data_dir.mkdir()
    db = await new_database(kind, work)
    try:
        migrate(db, data_dir)
        volunteer_id, subject = await make_volunteer(db, data_dir)
        load_s = await bulk_load(
            db, data_dir, args.ledger_size, subject, args.subject_disclosures, ORIGIN
        )
        await seed(db, data_dir, volunteer_id, subject)
        out = await measure(db, data_dir, volunteer_id, args.runs)
        out["engine"], out["load_s"] = kind, load_s
        return out
    finally:
        await drop_database(db)


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _med(out: dict[str, Any], name: str, key: str = "timings") -> float:
    return float(statistics.median(out[name][key]))


def report(results: list[dict[str, Any]]) -> None:
    print("\n## Art. 15 subject access report (in process, same database, same run)\n")
    print(
        "| engine | ledger entries | disclosures | baseline (bare read) median s | JSON median s "
        "| JSON worst s (target < 2) | CSV median s | CSV worst s (target < 2) | JSON ÷ baseline "
        "| JSON CPU s (this process) | JSON MB | CSV MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for out in results:
        js, cs = out["json"]["timings"], out["csv"]["timings"]
        print(
            f"| {out['engine']} | {out['size']:,} | {out['json']['result'][1]:,} | "
            f"{_med(out, 'bare'):.3f} | {_med(out, 'json'):.3f} | "
            f"{max(js):.3f} {_verdict(max(js) < TARGET_S)} | {_med(out, 'csv'):.3f} | "
            f"{max(cs):.3f} {_verdict(max(cs) < TARGET_S)} | "
            f"{_med(out, 'json') / _med(out, 'bare'):.1f}x | {_med(out, 'json', 'cpu'):.3f} | "
            f"{out['json']['result'][0] / 1e6:.1f} | {out['csv']['result'][0] / 1e6:.1f} |"
        )
    print("\n## Receipts: every inclusion path of the subject, in one tree\n")
    print(
        "| engine | one plan per entry (Ledger.inclusion_proofs) median s | batch "
        "(Ledger.inclusion_paths) median s | ratio | batch CPU s |"
    )
    print("|---|---:|---:|---:|---:|")
    for out in results:
        before, after = _med(out, "proofs_before"), _med(out, "paths")
        print(
            f"| {out['engine']} | {before:.3f} | {after:.3f} | {after / before:.2f}x | "
            f"{_med(out, 'paths', 'cpu'):.3f} |"
        )
    print("\n## An index on (subject, kind, idx)? Before and after, same data\n")
    print("| engine | bare read before s | after s | JSON before s | after s | bulk load s |")
    print("|---|---:|---:|---:|---:|---:|")
    for out in results:
        print(
            f"| {out['engine']} | {_med(out, 'bare'):.3f} | {_med(out, 'bare_indexed'):.3f} | "
            f"{_med(out, 'json'):.3f} | {_med(out, 'json_indexed'):.3f} | {out['load_s']:.1f} |"
        )
    print("\nQuery plans (the person's disclosures, newest first), before and after:\n")
    for out in results:
        print(f"- {out['engine']}: `{out['plan']}`")
        print(f"- {out['engine']} with the index: `{out['plan_indexed']}`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--ledger-size", type=int, default=1_000_000)
    parser.add_argument("--subject-disclosures", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    print(
        f"# ESP Portal Art. 15 benchmark ({os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}, "
        f"ledger {args.ledger_size:,} entries, {args.subject_disclosures:,} for the subject, "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    results = []
    with tempfile.TemporaryDirectory(
        prefix="esp-art15-bench-", dir=os.environ.get("BENCH_DIR")
    ) as tmp:
        for kind in (k.strip() for k in args.engines.split(",") if k.strip()):
            started = time.perf_counter()
            results.append(asyncio.run(run_engine(kind, args, Path(tmp))))
            print(f"({kind} done in {time.perf_counter() - started:.0f} s)", flush=True)
    report(results)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
