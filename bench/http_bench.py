"""Signed-in HTTP benchmark: the portal's hot routes against a bare Litestar route, with ``wrk``.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth, as for the tests)::

    python -m bench.http_bench                                 # both engines, 1 and 2 workers
    python -m bench.http_bench --engines postgres --workers 1 --duration 5

In one run:

1. a bare Litestar app (``GET /hello`` returning a small JSON object, no middleware, no
   database) is served by uvicorn in its own process; it is the baseline every ratio divides by;
2. per engine, a fresh database gets the demo (``esp-portal demo``) plus enough extra staff of
   the demo's NHS employer, with consent to leave verification and a year of duties, that its
   staff list holds at least 25 people; the portal is served by ``esp-portal serve`` with 1 and
   with 2 worker processes;
3. the demo HR account signs in (``POST /api/auth/login``) and ``wrk`` (a C load generator, so the
   CPU is left to the servers) drives, for ``--duration`` seconds at ``--connections``:

   - ``GET /health`` (no session, no database);
   - ``GET /api/auth/me`` signed in (the session lookup and nothing else);
   - ``GET /api/employer/staff/{id}?purpose=esp.leave-verification`` for one consenting member
     with ``hours.summary`` (the gate, the year-to-date hours, one durable ledger append);
   - ``GET /api/employer/staff?purpose=esp.leave-verification&limit=25`` (25 people, 25 appends).

Every row is printed with req/s, its ratio to the bare route, p50, mean and p99, and the goals of
issue 19 are checked against the figures of this run (misses included). Each run's CPU is
accounted per party (``bench.cpuacct``: the workers, this database's PostgreSQL backends, wrk,
the rest of the machine), with the ceiling that CPU per request allows on this machine's cores
and the Little's-law bound a p99 goal sets at this many connections (mean = connections ÷
req/s), so a missed goal says whether it is speed, the cores shared with PostgreSQL and wrk, or
the tail. ``--watch DIR`` samples what the database's backends wait on and snapshots a stall
(``bench.pgwatch``). A non-2xx answer makes
the row an error: a benchmark of error pages measures nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from bench.cpuacct import (  # noqa: E402
    CORES,
    Meter,
    Usage,
    cmdline,
    descendants,
    process_cpu,
    run_measured,
)
from bench.pgwatch import Watch, Watcher  # noqa: E402

PG_ADMIN_URL = os.environ.get("ESP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LV = "esp.leave-verification"
STAFF_LIST_SIZE = 25
HR_EMAIL = "hr.hospitals@example.org"  # portal.demo.data.USERS: employer-nhs
HR_PASSWORD = "amber-meadow-signal-28"
WARM_UP_S = 2


# ------------------------------------------------------------------------------ the bare route


def bare_app() -> Any:
    """The baseline: Litestar answering a small JSON object, nothing else."""
    from litestar import Litestar, get

    @get("/hello", sync_to_thread=False)
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return Litestar([hello], openapi_config=None)


def serve_bare(port: int) -> None:
    """Subprocess entry: the bare app under uvicorn, with the portal's serving options."""
    import uvicorn

    uvicorn.run(
        bare_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )


# ------------------------------------------------------------------------------ processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, path: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not answer {path} within {timeout:.0f} s")


def wait_settled(server: int, workers: int, timeout: float = 300.0) -> None:
    """Wait until ``workers`` worker processes run under ``server`` and all of them are idle.

    ``/health`` answers as soon as one worker has started; with two, the other may still be
    importing the app, and its start-up CPU would then be measured as the first route's (it
    was: the 2-worker ``/api/auth/me`` row showed 4× the CPU per request of the 1-worker one).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = descendants(server)
        before = sum(process_cpu(pid) for pid in pids)
        time.sleep(1.0)
        busy = sum(process_cpu(pid) for pid in descendants(server)) - before
        spawned = [pid for pid in pids if pid != server and "spawn_main" in cmdline(pid)]
        if busy < 0.05 and (workers == 1 or len(spawned) >= workers):
            return
    raise SystemExit(f"the server's {workers} worker(s) did not settle within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class BenchDatabase:
    kind: str
    url: str
    name: str = ""


def portal_env(db: BenchDatabase, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ESP_DATABASE_URL": db.url,
        "ESP_MIGRATION_DATABASE_URL": db.url,
        "ESP_DATA_DIR": str(data_dir),
        "ESP_LOG_FORMAT": "json",
        "ESP_LOG_LEVEL": "warning",
        "ESP_LOGIN_RATE_LIMIT_PER_MINUTE": "10000",
    }


async def new_database(kind: str, work: Path) -> BenchDatabase:
    if kind == "sqlite":
        return BenchDatabase(kind, f"sqlite:///{work / 'http-bench.sqlite3'}")
    name = f"esp_hbench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return BenchDatabase(kind, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, name)


async def drop_database(db: BenchDatabase) -> None:
    if db.kind != "postgres":
        return
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    finally:
        await conn.close()


def cli(db: BenchDatabase, data_dir: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli.main", *args],
        cwd=ROOT,
        env=portal_env(db, data_dir),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"esp-portal {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


# ------------------------------------------------------------------------------ extra staff


async def add_staff(db: BenchDatabase, data_dir: Path, wanted: int) -> None:
    """``wanted`` extra NHS staff (job, leave-verification consent, a year of duties), so the
    list of ``wanted`` people is full whatever the demo's own consents are."""
    from portal.accounts.tables import Role
    from portal.auth.identity import Identity
    from portal.consent.schemas import ConsentGive
    from portal.consent.services import ConsentService
    from portal.db import bind_engine, build_engine, close_engine, open_engine
    from portal.demo.context import DemoContext
    from portal.demo.data import EMPLOYERS
    from portal.hours.csvformat import DutyLine
    from portal.hours.imports import run_import
    from portal.hours.tables import DutySource
    from portal.logging import configure_logging
    from portal.organisations.tables import Employment, Volunteer
    from portal.settings import load_settings
    from portal.vocabulary import notices

    settings = load_settings(database_url=db.url, data_dir=data_dir, log_level="warning")
    configure_logging(settings)
    engine = build_engine(db.url)
    bind_engine(engine)
    await open_engine(engine)
    ctx = DemoContext(settings=settings, engine=engine, hashing=None)  # type: ignore[arg-type]
    try:
        employer_id = str(EMPLOYERS[0].id)
        service = ConsentService(await ctx.ledger())
        today = dt.datetime.now(dt.UTC).date()
        lines: list[DutyLine] = []
        for n in range(wanted):
            person = Volunteer(
                display_name=f"Bench Staff {n}",
                email=f"bench.staff.{n}@example.org",
                status="active",
            )
            await person.save()
            volunteer_id = str(person.id)
            await Employment(
                volunteer=volunteer_id,
                employer=employer_id,
                starts_on=today - dt.timedelta(days=800),
            ).save()
            await service.give(
                Identity("bench", Role.VOLUNTEER, "session", volunteer_id=volunteer_id),
                ConsentGive(
                    employer_id=uuid.UUID(employer_id),
                    purpose=LV,
                    categories=["identity", "status", "hours.summary", "hours.detail"],
                    notice_version=notices().current(today).version,
                ),
                request_id=f"bench-consent-{n}",
                channel="web",
            )
            # a six-hour duty every fifth day for a year (about 73 duties)
            for day in range(5, 366, 5):
                start = dt.datetime.combine(
                    today - dt.timedelta(days=day), dt.time(9), tzinfo=dt.UTC
                )
                lines.append(
                    DutyLine(
                        len(lines) + 1,
                        volunteer_id,
                        int(start.timestamp()),
                        int(start.timestamp()) + 6 * 3600,
                        "patrol",
                        day % 10 == 0,
                        f"BENCH-{n}-{day}",
                        "",
                    )
                )
        if lines:
            await run_import(
                lines,
                [],
                source=DutySource.IMPORT,
                content_hash=uuid.uuid4().hex,
                created_by="bench",
                filename="bench-duties.csv",
            )
    finally:
        await ctx.close()
        await close_engine(engine)


# ------------------------------------------------------------------------------ wrk


@dataclass
class Row:
    label: str
    engine: str
    workers: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    ratio: float = 0.0
    connections: int = 0
    mean_ms: float = 0.0
    usage: Usage | None = None
    watch: Watch | None = None

    @property
    def little_ms(self) -> float:
        """Little's law for wrk's closed loop: with ``connections`` requests always in flight,
        the mean latency is connections ÷ throughput, whatever the server does."""
        return 1000 * self.connections / self.rps if self.rps else 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0
    mean_ms: float = 0.0
    usage: Usage | None = None
    watch: Watch | None = None


def parse_wrk_extra(output: str) -> tuple[int, float]:
    """Requests answered and mean latency (ms) of a wrk run."""
    requests = re.search(r"(\d+) requests in", output)
    mean = re.search(r"Latency\s+(\S+)", output)
    return (int(requests.group(1)) if requests else 0, _ms(mean.group(1)) if mean else 0.0)


def parse_wrk(output: str) -> tuple[float, float, float, int]:
    """req/s, p50 ms, p99 ms and error count (socket errors + non-2xx/3xx) of a wrk run."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non2xx:
        errors += int(non2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return rps, p50, p99, errors


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing the Debian package", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed and could not be installed (apt-get install wrk)")
    return found


@dataclass
class Load:
    wrk: str
    connections: int
    duration: int
    #: A list request can take longer than ``duration`` at 32 connections; with the same short
    #: run no request would complete and the row would say nothing.
    list_duration: int = 30
    threads: int = 2

    def run(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        seconds: int | None = None,
        warm_up: bool = False,
        meter: Meter | None = None,
        watcher: Watcher | None = None,
        label: str = "",
    ) -> WrkResult:
        args = [
            self.wrk,
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{seconds or self.duration}s",
            "--timeout",
            "30s",
            "--latency",
        ]
        for name, value in (headers or {}).items():
            args += ["-H", f"{name}: {value}"]
        if watcher is not None:
            watcher.start(label)
        if meter is not None:
            meter.start()
        try:
            output, wrk_cpu = run_measured([*args, url])
        finally:
            watch = watcher.stop() if watcher is not None else None
        result = WrkResult(*parse_wrk(output))
        result.requests, result.mean_ms = parse_wrk_extra(output)
        if meter is not None:
            result.usage = meter.stop(result.requests, wrk_cpu)
        result.watch = watch
        if (result.rps == 0 or result.errors) and not warm_up:
            print(output, file=sys.stderr)
        return result


# ------------------------------------------------------------------------------ one portal


@dataclass
class Signed:
    cookie: str
    staff_id: str


def sign_in(port: int) -> Signed:
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        answer = client.post("/api/auth/login", json={"email": HR_EMAIL, "password": HR_PASSWORD})
        answer.raise_for_status()
        token = client.cookies.get("esp_session")
        if not token:
            raise SystemExit("sign-in set no esp_session cookie")
        listed = client.get("/api/employer/staff", params={"purpose": LV, "limit": 200})
        listed.raise_for_status()
        items = listed.json()["items"]
        if len(items) < STAFF_LIST_SIZE:
            raise SystemExit(f"the staff list has {len(items)} people, wanted {STAFF_LIST_SIZE}")
        with_hours = [i for i in items if "hours.summary" in i["categories"]]
        if not with_hours:
            raise SystemExit("no staff member shares hours.summary")
        return Signed(f"esp_session={token}", with_hours[0]["volunteer_id"])


def routes(signed: Signed) -> list[tuple[str, str, bool]]:
    """(label, path and query, signed in) of every route the issue's table names."""
    return [
        ("/health", "/health", False),
        ("/api/auth/me", "/api/auth/me", True),
        ("gated staff read + hours", f"/api/employer/staff/{signed.staff_id}?purpose={LV}", True),
        (
            f"staff list ({STAFF_LIST_SIZE})",
            f"/api/employer/staff?purpose={LV}&limit={STAFF_LIST_SIZE}",
            True,
        ),
    ]


def row_of(label: str, engine: str, workers: int, got: WrkResult, connections: int) -> Row:
    return Row(
        label,
        engine,
        workers,
        got.rps,
        got.p50_ms,
        got.p99_ms,
        int(got.errors),
        connections=connections,
        mean_ms=got.mean_ms,
        usage=got.usage,
        watch=got.watch,
    )


def bench_portal(
    db: BenchDatabase,
    data_dir: Path,
    workers: int,
    load: Load,
    only: set[str] | None,
    watch_dir: Path | None = None,
) -> list[Row]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "portal.cli.main",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=portal_env(db, data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows: list[Row] = []
    meter = Meter(proc.pid, None, db.name or None)
    watcher = (
        Watcher(PG_ADMIN_URL, db.name, proc.pid, watch_dir)
        if watch_dir is not None and db.kind == "postgres"
        else None
    )
    try:
        wait_ready(port, "/health")
        wait_settled(proc.pid, workers)
        signed = sign_in(port)
        for label, path, auth in routes(signed):
            if only and not any(o in label for o in only):
                continue
            url = f"http://127.0.0.1:{port}{path}"
            headers = {"Cookie": signed.cookie} if auth else None
            load.run(url, headers, WARM_UP_S, warm_up=True)
            slow = label.startswith("staff list")
            got = load.run(
                url,
                headers,
                load.list_duration if slow else None,
                meter=meter,
                watcher=watcher,
                label=f"{db.kind} w{workers} {label}",
            )
            rows.append(row_of(label, db.kind, workers, got, load.connections))
            print(
                f"  {db.kind} w{workers} {label}: {got.rps:,.0f}/s p99 {got.p99_ms:.1f} ms",
                flush=True,
            )
    finally:
        stop(proc)
    return rows


# ------------------------------------------------------------------------------ report


@dataclass
class Goal:
    text: str
    met: bool | None
    figure: str


@dataclass
class Report:
    bare: Row
    rows: list[Row] = field(default_factory=list)

    def find(self, engine: str, workers: int, prefix: str) -> Row | None:
        for row in self.rows:
            if row.engine == engine and row.workers == workers and row.label.startswith(prefix):
                return row
        return None

    def table(self) -> str:
        out = [
            "| route | engine | workers | req/s | ÷ bare | p50 ms | mean ms "
            "| conns ÷ req/s ms | p99 ms | errors |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in [self.bare, *self.rows]:
            label = "bare Litestar `GET /hello`" if r is self.bare else r.label
            out.append(
                f"| {label} | {r.engine} | {r.workers} | {r.rps:,.0f} | {r.ratio:.3f} | "
                f"{r.p50_ms:.1f} | {r.mean_ms:.1f} | {r.little_ms:.1f} | {r.p99_ms:.1f} | "
                f"{r.errors} |"
            )
        return "\n".join(out)

    def cpu_table(self) -> str:
        """Cores busy per party (CPU s ÷ wall s) and CPU ms per request, with the ceiling that
        CPU per request allows on this machine's cores with nothing else running."""
        out = [
            f"CPU during each run ({CORES} cores; cores busy = CPU s ÷ wall s; ms = CPU ms per "
            "request; pg = this database's backends + walwriter; rest = the machine outside "
            "the portal, all PostgreSQL processes, wrk and the bare route)",
            "",
            "| route | engine | workers | worker cores | pg cores | wrk cores | bare cores "
            "| all pg cores | rest cores | machine cores | worker ms | pg ms | wrk ms "
            "| CPU ceiling req/s | req/s ÷ ceiling | worker replaced |",
            "|---|---|---:|" + "---:|" * 12 + "---|",
        ]
        for r in [self.bare, *self.rows]:
            u = r.usage
            if u is None:
                continue
            label = "bare `GET /hello`" if r is self.bare else r.label
            ceiling = u.ceiling(r.workers)
            out.append(
                f"| {label} | {r.engine} | {r.workers} | {u.cores('worker'):.2f} | "
                f"{u.cores('pg_db'):.2f} | {u.cores('wrk'):.2f} | {u.cores('bare'):.2f} | "
                f"{u.cores('pg_all'):.2f} | {u.cores('rest'):.2f} | {u.cores('machine'):.2f} | "
                f"{u.per_request_ms('worker') or u.per_request_ms('bare'):.3f} | "
                f"{u.per_request_ms('pg_db'):.3f} | {u.per_request_ms('wrk'):.3f} | "
                f"{ceiling:,.0f} | {r.rps / ceiling if ceiling else 0:.2f} | "
                f"{'YES' if u.replaced else 'no'} |"
            )
        return "\n".join(out)

    def waits(self) -> str:
        """What the database's backends were doing while each PostgreSQL row ran."""
        out: list[str] = []
        for r in self.rows:
            w = r.watch
            if w is None or not w.samples:
                continue
            shares = ", ".join(f"{k} {v:.0%}" for k, v in w.shares()[:6])
            out.append(
                f"- {r.label}, {r.workers} worker(s): {w.samples} samples; of backend samples "
                f"not idle in the pool: {shares}; most lock waiters at once "
                f"{w.head_lock_waiters_max}; longest open transaction seen "
                f"{w.longest_open_xact_ms:.0f} ms"
                + (f"; STALLS: {', '.join(w.stalls)}" if w.stalls else "")
            )
            total = sum(w.statements.values())
            for (kind, query), n in w.statements.most_common(4):
                out.append(f"  - {n / total:.0%} {kind}: `{query}`")
        return "\n".join(out)

    def bounds(self) -> list[str]:
        """Where a p99 goal asks for more throughput than the CPU per request allows."""
        out: list[str] = []
        for engine, prefix, p99_goal in (
            ("postgres", "/api/auth/me", 20.0),
            ("postgres", "gated", 50.0),
            ("postgres", "staff list", 100.0),
        ):
            row = self.find(engine, 1, prefix)
            if row is None or not row.connections:
                continue
            needed = 1000 * row.connections / p99_goal
            ceiling = row.usage.ceiling(1) if row.usage else 0.0
            verdict = (
                "below what the CPU per request allows"
                if ceiling and ceiling < needed
                else "within the CPU ceiling"
            )
            out.append(
                f"- {prefix} on {engine}: p99 < {p99_goal:.0f} ms at {row.connections} "
                f"connections needs a mean below it, so ≥ {needed:,.0f} req/s (Little: mean = "
                f"connections ÷ req/s; measured mean {row.mean_ms:.1f} ms = "
                f"{row.connections} ÷ {row.rps:,.0f}/s → {row.little_ms:.1f} ms); the measured "
                f"CPU per request allows ≤ {ceiling:,.0f} req/s with 1 worker: the goal is "
                f"{verdict}"
            )
        for engine in ("postgres", "sqlite"):
            one = self.find(engine, 1, "gated")
            if one is None or one.usage is None or not one.rps:
                continue
            most = one.usage.ceiling(2) / one.rps
            scale = one.usage.ceiling(2) / (one.usage.ceiling(1) or 1)
            out.append(
                f"- gated read on {engine}: with 1 worker the worker used "
                f"{one.usage.cores('worker'):.2f} cores, its database "
                f"{one.usage.cores('pg_db'):.2f}, wrk {one.usage.cores('wrk'):.2f}, the rest of "
                f"the machine {one.usage.cores('rest'):.2f} (of {CORES}); at the same CPU per "
                f"request ({one.usage.served_ms:.2f} ms, all parties) 2 workers can give at most "
                f"{one.usage.ceiling(2):,.0f} req/s, i.e. 2 ÷ 1 ≤ {most:.2f} against this run's "
                f"1-worker rate, and ≤ {scale:.2f} against the 1-worker ceiling (the figure "
                f"that does not depend on what else ran)"
            )
        return out

    def goals(self) -> list[Goal]:
        goals: list[Goal] = []

        def ratio(engine: str, prefix: str, at_least: float, p99_below: float | None) -> None:
            row = self.find(engine, 1, prefix)
            text = f"{prefix} on {engine}, 1 worker: ≥ {at_least}× bare" + (
                f", p99 < {p99_below:.0f} ms" if p99_below else ""
            )
            if row is None:
                goals.append(Goal(text, None, "not measured"))
                return
            met = row.ratio >= at_least and (p99_below is None or row.p99_ms < p99_below)
            goals.append(Goal(text, met, f"{row.ratio:.3f}×, p99 {row.p99_ms:.1f} ms"))

        ratio("postgres", "/api/auth/me", 0.30, 20)
        ratio("sqlite", "/api/auth/me", 0.20, None)
        ratio("postgres", "gated", 0.07, 50)
        ratio("sqlite", "gated", 0.03, None)
        ratio("postgres", "staff list", 0.01, 100)
        for engine in ("postgres", "sqlite"):
            one, two = self.find(engine, 1, "gated"), self.find(engine, 2, "gated")
            text = f"gated read on {engine}: 2 workers ÷ 1 ≥ 1.7"
            if one is None or two is None or one.rps == 0:
                goals.append(Goal(text, None, "not measured"))
            else:
                scale = two.rps / one.rps
                goals.append(Goal(text, scale >= 1.7, f"{scale:.2f}"))
        return goals


# ------------------------------------------------------------------------------ main


async def prepare(kind: str, work: Path) -> tuple[BenchDatabase, Path]:
    db = await new_database(kind, work)
    data_dir = work / f"data-{kind}"
    data_dir.mkdir()
    cli(db, data_dir, "demo")
    await add_staff(db, data_dir, STAFF_LIST_SIZE)
    return db, data_dir


def main() -> None:
    if sys.argv[1:2] == ["--serve-bare"]:  # the baseline's own process (started below)
        serve_bare(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--workers", default="1,2", help="worker counts to serve, e.g. 1,2")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10, help="seconds per route")
    parser.add_argument(
        "--list-duration", type=int, default=30, help="seconds for the staff list (slow)"
    )
    parser.add_argument("--only", default="", help="comma-separated route labels to run")
    parser.add_argument("--json", default="", help="also write the rows to this file")
    parser.add_argument(
        "--watch",
        default="",
        help="directory: sample what PostgreSQL backends wait on during each run, and on a "
        "stall (no commit for 2 s) write pg_stat_activity, pg_locks and py-spy dumps there",
    )
    args = parser.parse_args()
    watch_dir = Path(args.watch).resolve() if args.watch else None
    if watch_dir is not None:
        watch_dir.mkdir(parents=True, exist_ok=True)
    load = Load(ensure_wrk(), args.connections, args.duration, args.list_duration)
    only = {o for o in args.only.split(",") if o} or None
    print(f"load average at start: {os.getloadavg()}", flush=True)

    bare_port = free_port()
    bare = subprocess.Popen(
        [sys.executable, "-m", "bench.http_bench", "--serve-bare", str(bare_port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        wait_ready(bare_port, "/hello")
        url = f"http://127.0.0.1:{bare_port}/hello"
        load.run(url, None, WARM_UP_S, warm_up=True)
        got = load.run(url, meter=Meter(None, bare.pid, None))
        report = Report(row_of("bare", "—", 1, got, load.connections))
        report.bare.ratio = 1.0
        print(f"  bare /hello: {got.rps:,.0f}/s p99 {got.p99_ms:.1f} ms", flush=True)
        with tempfile.TemporaryDirectory(prefix="esp-http-bench-") as tmp:
            for kind in [e for e in args.engines.split(",") if e]:
                db, data_dir = asyncio.run(prepare(kind, Path(tmp)))
                try:
                    for workers in [int(w) for w in args.workers.split(",") if w]:
                        report.rows += bench_portal(db, data_dir, workers, load, only, watch_dir)
                finally:
                    asyncio.run(drop_database(db))
    finally:
        stop(bare)
    for row in report.rows:
        row.ratio = row.rps / report.bare.rps if report.bare.rps else 0.0
    print()
    print(
        f"{args.connections} connections, {args.duration} s per route ({args.list_duration} s "
        f"for the staff list) after a {WARM_UP_S} s warm-up; load average at end: "
        f"{os.getloadavg()}"
    )
    print(report.table())
    print()
    print(report.cpu_table())
    print()
    for goal in report.goals():
        verdict = {True: "met", False: "MISSED", None: "not measured"}[goal.met]
        print(f"- {goal.text}: {goal.figure} — {verdict}")
    print()
    print("Bounds (Little's law at this many connections; CPU per request measured above):")
    for line in report.bounds():
        print(line)
    waits = report.waits()
    if waits:
        print()
        print("What this database's backends were doing (pg_stat_activity samples):")
        print(waits)
    if any(r.errors for r in [report.bare, *report.rows]):
        print("\nSOME ROWS HAD ERRORS (non-2xx answers or socket errors): their figures are void")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {
                        **{k: v for k, v in r.__dict__.items() if k not in {"usage", "watch"}},
                        "cpu": r.usage.__dict__ if r.usage else None,
                        "waits": dict(r.watch.kinds) if r.watch else None,
                    }
                    for r in [report.bare, *report.rows]
                ],
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
