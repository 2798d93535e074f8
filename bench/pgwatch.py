"""What the benchmark database's backends wait on during a load run, and stall snapshots.

Why: wrk reports a latency tail but not its cause. Sampling ``pg_stat_activity`` of the
benchmark's own database every ``interval`` seconds tells what the requests in flight wait on:
the ledger head's row lock (``Lock``), the commit's WAL flush (``IO``/``LWLock`` on WAL), the
portal itself (``Client: ClientRead`` while *in a transaction* means the worker has not yet
sent the transaction's next statement: its event loop is busy elsewhere while the transaction,
and any lock it holds, stays open), or nothing (idle connections in the pool).

A stall (the database's committed-transaction count not moving for ``stall_s`` while wrk runs)
is recorded with a snapshot of ``pg_stat_activity`` and ``pg_locks`` and a ``py-spy dump`` of
each worker process, so a once-seen multi-second p99 leaves evidence behind.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import threading
import time
from asyncio.subprocess import PIPE, STDOUT
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.cpuacct import descendants

_ACTIVITY = """
SELECT pid, state, coalesce(wait_event_type, '') AS wtype, coalesce(wait_event, '') AS wevent,
       left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query,
       round(extract(epoch FROM now() - xact_start)::numeric * 1000, 1) AS xact_ms
FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()
"""
_LOCKS = """
SELECT l.pid, l.locktype, l.mode, l.granted, coalesce(c.relname, '') AS rel,
       pg_blocking_pids(l.pid) AS blocked_by
FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation
WHERE l.database = (SELECT oid FROM pg_database WHERE datname = $1) OR NOT l.granted
"""


def classify(state: str, wtype: str, wevent: str) -> str:
    """One backend sample as the kind of wait a request in flight sees."""
    if state == "idle":
        return "idle (in the pool)"
    if state.startswith("idle in transaction"):
        return "in a transaction, waiting on the portal (loop busy elsewhere)"
    if wtype == "Lock":
        return f"waiting on a lock ({wevent})"
    if wtype in {"IO", "LWLock"} and "WAL" in wevent:
        return f"commit: WAL flush ({wtype}:{wevent})"
    if wtype == "Client":
        return f"active, {wtype}:{wevent}"
    if wtype:
        return f"active, waiting {wtype}:{wevent}"
    return "active, running"


@dataclass
class Watch:
    """The tally of one run and whatever stalls it saw."""

    samples: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    #: non-idle samples by kind and the statement running (or last run, in a transaction)
    statements: Counter[tuple[str, str]] = field(default_factory=Counter)
    head_lock_waiters_max: int = 0
    longest_open_xact_ms: float = 0.0
    stalls: list[str] = field(default_factory=list)

    def shares(self) -> list[tuple[str, float]]:
        """Each kind's share of the backend samples that were not idle in the pool."""
        busy = {k: v for k, v in self.kinds.items() if not k.startswith("idle (")}
        total = sum(busy.values())
        return sorted(((k, v / total) for k, v in busy.items()), key=lambda kv: -kv[1])


class Watcher:
    """Samples in a thread of its own (its own event loop and connection) while a run lasts."""

    def __init__(
        self,
        admin_url: str,
        database: str,
        server: int,
        out_dir: Path,
        interval: float = 0.05,
        stall_s: float = 2.0,
        max_dumps: int = 3,
    ) -> None:
        self._url, self._db, self._server = admin_url, database, server
        self._out, self._interval, self._stall_s = out_dir, interval, stall_s
        self._max_dumps = max_dumps
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.watch = Watch()
        self.label = ""

    def start(self, label: str) -> None:
        self.watch, self.label = Watch(), label
        self._stop.clear()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._loop()), daemon=True)
        self._thread.start()

    def stop(self) -> Watch:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        return self.watch

    async def _loop(self) -> None:
        conn = await asyncpg.connect(self._url)
        try:
            last_commits, last_move = -1, time.monotonic()
            while not self._stop.is_set():
                rows = await conn.fetch(_ACTIVITY, self._db)
                self._tally(rows)
                commits = await conn.fetchval(
                    "SELECT xact_commit FROM pg_stat_database WHERE datname = $1", self._db
                )
                now = time.monotonic()
                if commits != last_commits:
                    last_commits, last_move = commits, now
                elif now - last_move >= self._stall_s and len(self.watch.stalls) < self._max_dumps:
                    self.watch.stalls.append(await self._snapshot(conn, now - last_move))
                    last_move = time.monotonic()
                await asyncio.sleep(self._interval)
        finally:
            await conn.close()

    def _tally(self, rows: list[asyncpg.Record]) -> None:
        watch = self.watch
        watch.samples += 1
        waiters = 0
        for row in rows:
            kind = classify(row["state"] or "", row["wtype"], row["wevent"])
            watch.kinds[kind] += 1
            if not kind.startswith("idle ("):
                watch.statements[(kind, row["query"] or "")] += 1
            if row["wtype"] == "Lock":
                waiters += 1
            if row["xact_ms"] is not None and row["state"] != "idle":
                watch.longest_open_xact_ms = max(watch.longest_open_xact_ms, float(row["xact_ms"]))
        watch.head_lock_waiters_max = max(watch.head_lock_waiters_max, waiters)

    async def _snapshot(self, conn: asyncpg.Connection, still_s: float) -> str:
        """pg_stat_activity, pg_locks and a py-spy dump of each worker, to a file."""
        stamp = time.strftime("%H%M%S")
        path = self._out / f"stall-{self.label.replace(' ', '_').replace('/', '')}-{stamp}.txt"
        lines = [f"no commit in {self._db} for {still_s:.1f} s during {self.label}", ""]
        activity = await conn.fetch(_ACTIVITY, self._db)
        locks = await conn.fetch(_LOCKS, self._db)
        lines += ["## pg_stat_activity", *(str(dict(r)) for r in activity)]
        lines += ["", "## pg_locks", *(str(dict(r)) for r in locks)]
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        for pid in sorted(descendants(self._server)):
            dump = await asyncio.create_subprocess_exec(
                spy, "dump", "--pid", str(pid), stdout=PIPE, stderr=STDOUT
            )
            out, _ = await dump.communicate()
            lines += ["", f"## py-spy dump {pid}", out.decode(errors="replace")]
        path.write_text("\n".join(lines))
        return str(path)
