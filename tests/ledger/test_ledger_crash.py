"""A process killed (SIGKILL) in the middle of a stream of appends loses no returned receipt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ledger.store import LedgerStore

WORKER = Path(__file__).with_name("append_worker.py")
ROOT = Path(__file__).resolve().parents[2]


async def test_sigkill_mid_stream_keeps_every_returned_receipt(
    database, engine, ledger, data_dir, draft
):
    key_file = data_dir / "ledger-signing.key"
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), database.url, str(key_file), "1000000", "4", "crash"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    printed: list[int] = []
    try:
        assert worker.stdout is not None
        while len(printed) < 60:
            line = worker.stdout.readline()
            assert line, "the worker stopped before it was killed"
            printed.append(int(line))
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        rest, _ = worker.communicate(timeout=30)
    printed += [int(line) for line in rest.split()]
    assert worker.returncode == -signal.SIGKILL

    size = await ledger.size()
    assert max(printed) < size
    stored = {e.index for e in await LedgerStore(engine).entries_between(0, size + 100)}
    assert set(printed) <= stored
    assert stored == set(range(size)), "no gap and nothing beyond the head"
    result = await ledger.verify()
    assert result.ok, result.problem

    [after] = await ledger.append([draft(1)])
    assert after.index == size
    assert (await ledger.verify()).ok
