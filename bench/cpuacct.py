"""CPU seconds per party during one load run, read from ``/proc`` (Linux; no psutil needed).

Why: on a 2-core machine the served worker, PostgreSQL's backends and ``wrk`` share the same two
cores, so req/s alone cannot say whether a route is slow or starved. Counting each party's CPU
seconds over the run's wall time gives "cores busy" per party and CPU per request, which do not
depend much on what else runs on the machine; the rest of the machine is counted too, so a reader
sees how much of the two cores the run actually had.

Parties:

- ``worker``: the portal's server process and all its descendants (uvicorn's workers);
- ``pg_db``: PostgreSQL backends serving the benchmark's own database (matched on the process
  title PostgreSQL sets, ``postgres: ... user DBNAME host ...``), plus the walwriter, whose
  flushes are the commits' fsyncs;
- ``pg_all``: every ``postgres`` process (other sessions' test databases included);
- ``wrk``: the load generator itself (from ``wait4``'s resource usage);
- ``bare``: the bare route's server;
- ``machine``: every core's busy time from ``/proc/stat``; ``rest`` is what the machine spent
  outside the parties above (other sessions' work, this script).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
_PROC = Path("/proc")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), 0 if it is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    # The command name can hold spaces and parentheses: fields start after the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _all_stats() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, command name) of every process."""
    found: dict[int, tuple[int, str]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), name)
    return found


def descendants(root: int) -> set[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in _all_stats().items():
        children.setdefault(parent, []).append(pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return (_PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def postgres_pids(database: str | None = None) -> set[int]:
    """Every ``postgres`` process, or (``database`` given) the backends of that database and the
    walwriter (commits of the database wait on its WAL flushes)."""
    pids = {pid for pid, (_, name) in _all_stats().items() if name == "postgres"}
    if database is None:
        return pids
    pattern = re.compile(rf"postgres: .*\b{re.escape(database)}\b|postgres: .*walwriter")
    return {pid for pid in pids if pattern.search(cmdline(pid))}


def machine_busy() -> float:
    """CPU seconds all cores spent not idle (nor waiting on I/O) since boot."""
    values = [int(v) for v in (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    # guest time is already inside user time
    return (sum(values[:8]) - idle) / CLK_TCK


@dataclass
class Usage:
    """CPU seconds per party over one run of ``wall`` seconds answering ``requests``."""

    wall: float
    requests: int
    cpu: dict[str, float] = field(default_factory=dict)
    #: a worker process ended (killed and replaced by uvicorn's supervisor) during the run:
    #: the run's figures then include a worker's restart
    replaced: bool = False

    def cores(self, party: str) -> float:
        return self.cpu.get(party, 0.0) / self.wall if self.wall else 0.0

    def per_request_ms(self, party: str) -> float:
        return 1000 * self.cpu.get(party, 0.0) / self.requests if self.requests else 0.0

    @property
    def served_ms(self) -> float:
        """CPU per request of everything that serves it: worker(s), its database's backends
        (SQLite runs inside the worker) and the load generator."""
        return sum(self.per_request_ms(p) for p in ("worker", "pg_db", "wrk", "bare"))

    def ceiling(self, workers: int) -> float:
        """Requests/s this CPU per request allows on this machine with nothing else running:
        all the cores shared by every party, and each worker at most one core (its event loop;
        threads add little here)."""
        if not self.requests or not self.served_ms:
            return 0.0
        bound = 1000 * CORES / self.served_ms
        worker_ms = self.per_request_ms("worker") or self.per_request_ms("bare")
        if worker_ms:
            bound = min(bound, 1000 * workers / worker_ms)
        return bound


class Meter:
    """Counts the parties' CPU between :meth:`start` and :meth:`stop` around one run."""

    def __init__(self, server: int | None, bare: int | None, database: str | None) -> None:
        self._server, self._bare, self._database = server, bare, database
        self._start: dict[str, dict[int, float]] = {}
        self._machine = 0.0
        self._t0 = 0.0

    def _groups(self) -> dict[str, set[int]]:
        groups = {"pg_all": postgres_pids()}
        if self._server is not None:
            groups["worker"] = descendants(self._server)
        if self._bare is not None:
            groups["bare"] = {self._bare}
        if self._database:
            groups["pg_db"] = postgres_pids(self._database)
        return groups

    @staticmethod
    def _read(groups: dict[str, set[int]]) -> dict[str, dict[int, float]]:
        return {name: {pid: process_cpu(pid) for pid in pids} for name, pids in groups.items()}

    def start(self) -> None:
        self._start = self._read(self._groups())
        self._machine = machine_busy()
        self._t0 = time.monotonic()

    def stop(self, requests: int, wrk_cpu: float) -> Usage:
        wall = time.monotonic() - self._t0
        machine = machine_busy() - self._machine
        end = self._read(self._groups())
        usage = Usage(wall, requests)
        usage.replaced = bool(set(self._start.get("worker", {})) - set(end.get("worker", {})))
        for name, pids in end.items():
            before = self._start.get(name, {})
            # a process that started during the run counts from zero; one that ended is lost
            usage.cpu[name] = sum(cpu - before.get(pid, 0.0) for pid, cpu in pids.items())
        usage.cpu["wrk"] = wrk_cpu
        usage.cpu["machine"] = machine
        ours = sum(usage.cpu.get(p, 0.0) for p in ("worker", "pg_all", "wrk", "bare"))
        usage.cpu["rest"] = max(0.0, machine - ours)
        return usage


def run_measured(args: Iterable[str]) -> tuple[str, float]:
    """Run a command to its end; its stdout and the CPU seconds it used (``wait4``: its own
    rusage, not that of other children ended meanwhile). Its output must fit a pipe's buffer
    (wrk's report does)."""
    command = list(args)
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, command, text)
    return text, rusage.ru_utime + rusage.ru_stime
