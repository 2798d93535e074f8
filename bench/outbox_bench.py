"""Outbox benchmark: messages/s through the file transport, and the delay from event to send.

    python -m bench.outbox_bench                       # both engines (about 1 minute)
    python -m bench.outbox_bench --engines sqlite --messages 500 --events 100

For each engine, on a throw-away migrated database (``bench.ledger_bench.new_database``):

- **Throughput.** ``--messages`` password-reset emails are enqueued (each in its own
  transaction, as an event writes one), then the worker (``portal.messages.worker.run_once``,
  batches of 50, file transport) delivers them all: messages/s from the first claim to the last
  ``sent``. The **baseline** is the same file transport writing the same messages with no
  database at all (each file written, fsynced and linked into place as delivery does), in the
  same run, with as many writes in flight as the worker (``ESP_MESSAGES_CONCURRENCY``, 8): the
  ratio says what the outbox's claim-and-record costs over the delivery itself.
- **Delay from event to send.** A producer commits ``--events`` events at ``--rate`` per second
  (one message each) while one worker runs (``run_forever``); the delay of each message is its
  ``sent_at`` minus its ``created_at`` (both stamped by the portal), p50 and p99. Measured with
  the default ``ESP_MESSAGES_POLL_SECONDS`` (2 s: an idle worker looks that often) and with 0.1 s.
  The baseline printed next to it is one file write's own p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

from bench.ledger_bench import new_database  # noqa: E402
from portal.db import bind_engine, build_engine, close_engine, open_engine  # noqa: E402
from portal.dbutil import write_transaction  # noqa: E402
from portal.messages.outbox import enqueue  # noqa: E402
from portal.messages.tables import OutboxMessage  # noqa: E402
from portal.messages.transports import FileTransport, Outgoing  # noqa: E402
from portal.messages.worker import run_forever, run_once  # noqa: E402
from portal.settings import Settings, load_settings  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def enqueue_events(settings: Settings, count: int, prefix: str) -> None:
    for n in range(count):
        async with write_transaction(OutboxMessage):  # as services write an event
            await enqueue(
                settings,
                kind="password_reset",
                channel="email",
                recipient=f"person{n}@example.org",
                idempotency_key=f"{prefix}-{n}",
                context={"link": f"{settings.base_url}/reset/{prefix}-{n}", "minutes": 30},
            )


async def baseline_writes(
    folder: Path, count: int, sender: str, concurrency: int
) -> tuple[float, list[float]]:
    """Files/s and per-write seconds of the file transport alone (no database), with as many
    writes in flight as the worker has (``ESP_MESSAGES_CONCURRENCY``)."""
    transport = FileTransport(folder, sender)
    gate = asyncio.Semaphore(concurrency)
    times: list[float] = []

    async def write(n: int) -> None:
        message = Outgoing(
            idempotency_key=f"baseline-{n}",
            channel="email",
            recipient=f"person{n}@example.org",
            subject="Reset your ESP Portal password",
            text="x" * 600,
            html="<p>" + "x" * 900 + "</p>",
        )
        async with gate:
            one = time.perf_counter()
            await transport.send(message)
            times.append(time.perf_counter() - one)

    started = time.perf_counter()
    await asyncio.gather(*(write(n) for n in range(count)))
    return count / (time.perf_counter() - started), times


async def throughput(settings: Settings, count: int) -> float:
    await enqueue_events(settings, count, "through")
    transport = FileTransport(settings.outbox_files_dir, settings.messages_sender)
    started = time.perf_counter()
    while await run_once(settings, transport):
        pass
    elapsed = time.perf_counter() - started
    sent = await OutboxMessage.count().where(OutboxMessage.status == "sent")
    assert sent == count, f"only {sent} of {count} sent"
    return count / elapsed


async def delays(settings: Settings, events: int, rate: float, tag: str) -> list[float]:
    transport = FileTransport(settings.outbox_files_dir, settings.messages_sender)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_forever(settings, transport, stop))
    for n in range(events):
        await enqueue_events(settings, 1, f"{tag}-{n}")
        await asyncio.sleep(1 / rate)
    deadline = time.monotonic() + 60
    while await OutboxMessage.count().where(
        (OutboxMessage.status != "sent") & OutboxMessage.idempotency_key.like(f"{tag}-%")
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not catch up within 60 s")
        await asyncio.sleep(0.05)
    stop.set()
    await worker
    rows = await OutboxMessage.select(OutboxMessage.created_at, OutboxMessage.sent_at).where(
        OutboxMessage.idempotency_key.like(f"{tag}-%")
    )
    return [(r["sent_at"] - r["created_at"]).total_seconds() for r in rows]


async def run_engine(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    database = await new_database(kind, workdir)
    engine = build_engine(database.url)
    bind_engine(engine)
    await open_engine(engine)
    try:
        base: dict[str, Any] = {"database_url": database.url, "log_format": "json"}
        settings = load_settings(data_dir=workdir / f"data-{kind}", **base)
        base_rate, write_times = await baseline_writes(
            workdir / f"baseline-{kind}",
            args.messages,
            settings.messages_sender,
            settings.messages_concurrency,
        )
        rate = await throughput(settings, args.messages)
        result: dict[str, Any] = {
            "engine": kind,
            "outbox_per_s": rate,
            "baseline_per_s": base_rate,
            "write_p50_ms": statistics.median(write_times) * 1000,
            "write_p99_ms": percentile(write_times, 0.99) * 1000,
        }
        for poll in (2.0, 0.1):
            polled = load_settings(
                data_dir=workdir / f"data-{kind}", messages_poll_seconds=poll, **base
            )
            waited = await delays(polled, args.events, args.rate, f"delay{poll}")
            result[f"delay_{poll}"] = (
                statistics.median(waited) * 1000,
                percentile(waited, 0.99) * 1000,
            )
        return result
    finally:
        await close_engine(engine)
        await database.cleanup()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--messages", type=int, default=2000, help="for the throughput test")
    parser.add_argument("--events", type=int, default=100, help="for the delay test")
    parser.add_argument("--rate", type=float, default=10.0, help="events per second")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    results = []
    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
        for kind in args.engines.split(","):
            results.append(await run_engine(kind, args, Path(tmp)))
    print("| engine | outbox messages/s | file writes/s (baseline) | ratio |")
    print("|---|---:|---:|---:|")
    for r in results:
        ratio = r["outbox_per_s"] / r["baseline_per_s"]
        print(
            f"| {r['engine']} | {r['outbox_per_s']:,.0f} | {r['baseline_per_s']:,.0f} "
            f"| {ratio:.2f}x |"
        )
    print()
    print("| engine | poll s | event to send p50 ms | p99 ms | one file write p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        for poll in (2.0, 0.1):
            p50, p99 = r[f"delay_{poll}"]
            print(
                f"| {r['engine']} | {poll:g} | {p50:,.0f} | {p99:,.0f} "
                f"| {r['write_p50_ms']:.2f} | {r['write_p99_ms']:.2f} |"
            )


if __name__ == "__main__":
    asyncio.run(main())
