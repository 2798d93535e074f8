"""A separate OS process appending to a shared ledger, for the multi-process and crash tests.

Usage: ``python tests/ledger/append_worker.py URL KEY_FILE COUNT [CONCURRENCY] [TAG] [--sync]
[--pace-ms=N]``

Prints ``<index>`` for every receipt as soon as its append returns (flushed at once), so that a
test killing this process knows exactly which receipts were handed out before it died. With
``--sync`` it prints ``ready`` once started and waits for a line on stdin before appending, so
that a test can release several workers at the same moment. ``--pace-ms=N`` makes each caller
pause N ms after each append, so that workers on a loaded machine still overlap in time.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import structlog

from ledger import DisclosureDraft, Ledger
from ledger.note import load_or_create_signing_key
from portal.db import build_engine, close_engine, open_engine

ORIGIN = "esp-portal.local/ledger"


async def main(
    url: str, key_file: str, count: int, concurrency: int, tag: str, sync: bool, pace: float
) -> None:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    engine = build_engine(url)
    await open_engine(engine)
    ledger = Ledger(engine, load_or_create_signing_key(Path(key_file), ORIGIN), ORIGIN)
    await ledger.start()
    if sync:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await asyncio.to_thread(sys.stdin.readline)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def caller() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            draft = DisclosureDraft(
                purpose="esp.programme-management",
                lawful_basis="consent",
                recipient_org="org-1",
                categories=["status"],
                details={"fields": ["status"]},
                subject=f"sub_{tag}_{n}",
                channel="system",
                request_id=f"{tag}-{n}",
            )
            [receipt] = await ledger.append([draft])
            sys.stdout.write(f"{receipt.index}\n")
            sys.stdout.flush()
            if pace:
                await asyncio.sleep(pace)

    try:
        await asyncio.gather(*(caller() for _ in range(concurrency)))
    finally:
        await ledger.close()
        await close_engine(engine)


if __name__ == "__main__":
    sync = "--sync" in sys.argv
    paces = [a for a in sys.argv[1:] if a.startswith("--pace-ms=")]
    pace = int(paces[0].split("=", 1)[1]) / 1000 if paces else 0.0
    args = [a for a in sys.argv[1:] if a != "--sync" and a not in paces]
    asyncio.run(
        main(
            args[0],
            args[1],
            int(args[2]),
            int(args[3]) if len(args) > 3 else 1,
            args[4] if len(args) > 4 else "w",
            sync,
            pace,
        )
    )
