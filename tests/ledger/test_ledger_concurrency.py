"""Several OS processes appending to one database: one gapless log, no duplicate, verify green."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

from ledger.store import LedgerStore

WORKER = Path(__file__).with_name("append_worker.py")
ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
PER_PROCESS = 30


async def test_processes_append_concurrently_without_gaps_or_duplicates(
    database, engine, ledger, signer, data_dir
):
    key_file = data_dir / "ledger-signing.key"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                database.url,
                str(key_file),
                str(PER_PROCESS),
                "3",
                f"p{n}",
                "--sync",
                # Spread each worker's appends over ~0.2 s so workers overlap even when a busy
                # machine starts them at different moments (the interleaving check below).
                "--pace-ms=20",
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:  # every process connected and started before any appends
        assert worker.stdout.readline() == "ready\n"
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    per_worker: list[list[int]] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        per_worker.append([int(line) for line in out.split()])
    printed = [index for indexes in per_worker for index in indexes]
    spans = sorted((min(ix), max(ix)) for ix in per_worker)
    assert any(a[1] > b[0] for a, b in itertools.pairwise(spans)), "processes really interleaved"

    total = PROCESSES * PER_PROCESS
    assert sorted(printed) == list(range(total)), "every index handed out exactly once"
    entries = await LedgerStore(engine).entries_between(0, total + 10)
    assert [e.index for e in entries] == list(range(total))
    subjects = {e.subject for e in entries}
    assert len(subjects) == total
    assert await ledger.size() == total
    result = await ledger.verify()
    assert result.ok, result.problem
    assert result.size == total
