"""Soak: a 2-worker portal on PostgreSQL under 32 clients for minutes, measured as it goes.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth, as for the tests)::

    python -m bench.soak                   # 10 minutes, 32 clients, 2 workers
    python -m bench.soak --minutes 2       # a shorter run

One fresh PostgreSQL database (dropped at the end), migrated by ``esp-portal migrate``; an
employer with an agreement and a leave policy, one volunteer per client (employed there, with an
account), an HR user and a coordinator. ``esp-portal serve --workers 2`` serves it. Each of the
32 clients signs in as its volunteer and then, until the time is up, picks at random:

* **employer read** (50 %): ``GET /api/employer/staff/{id}`` as HR — a gated disclosure, one
  ledger append each;
* **consent change** (20 %): its volunteer withdraws, or gives again, consent (a ledger append);
* **leave request** (20 %): its volunteer asks for an hour's leave, then withdraws it;
* **duty import** (10 %): the coordinator uploads a CSV of two new duties for that volunteer.

Reported: errors (any answer other than the expected 2xx, or no answer; goal 0), each worker's
resident memory at minute 1 and at the end (goal within ±10 %), p50/p99 per minute (goal: steady)
and ``esp-portal ledger verify`` at the end (goal: exit 0). A benchmark, not a test: it prints
figures and goals, and exits 1 if a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import pyotp  # noqa: E402

from bench.gate_bench import (  # noqa: E402
    PASSWORD,
    BenchDatabase,
    drop_database,
    migrate,
    new_database,
)
from bench.gate_bench import _env as bench_env  # noqa: E402

LV = "esp.leave-verification"
CATEGORIES = ["identity", "status", "hours.summary"]
MIX = (("employer_read", 50), ("consent_change", 20), ("leave_request", 20), ("duty_import", 10))
RSS_TOLERANCE = 0.10
#: uvicorn closes an idle keep-alive connection after 5 s; a client reusing one at that moment
#: sees the server hang up before any answer (a ReadError for a request the server never read).
#: Clients therefore drop idle connections well before the server would.
KEEPALIVE_S = 2.0


# ------------------------------------------------------------------------------ the world


@dataclass
class World:
    employer_id: str
    volunteers: list[tuple[str, str]]  # (volunteer id, account email)
    hr_email: str
    coordinator_email: str
    coordinator_secret: str


async def seed(db: BenchDatabase, data_dir: Path, clients: int) -> World:
    """Employer, agreement, volunteers and users, through the real services."""
    from ledger import Ledger
    from ledger.note import load_or_create_signing_key
    from portal.accounts.passwords import PasswordHashing
    from portal.accounts.services import AccountService
    from portal.accounts.tables import Role, UserAccount
    from portal.agreements.schemas import AgreementCreate
    from portal.agreements.services import AgreementService
    from portal.db import bind_engine, build_engine, close_engine, open_engine
    from portal.organisations.tables import Employment, Organisation, OrganisationKind, Volunteer
    from portal.settings import load_settings

    settings = load_settings(
        database_url=db.url,
        data_dir=data_dir,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        password_hash_parallelism=1,
        log_level="warning",
    )
    engine = build_engine(db.url)
    bind_engine(engine)
    await open_engine(engine)
    signer = load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    ledger = Ledger(engine, signer, settings.ledger_origin)
    await ledger.start()
    try:
        employer = Organisation(name="Soak Employer", kind=OrganisationKind.EMPLOYER.value)
        await employer.save()
        employer_id = str(employer.id)
        today = dt.datetime.now(dt.UTC).date()
        await AgreementService(ledger).record(
            AgreementCreate(
                employer_id=uuid.UUID(employer_id),
                version=1,
                purposes={LV: CATEGORIES},
                starts_on=today - dt.timedelta(days=10),
                ends_on=today + dt.timedelta(days=300),
                signed_by="Soak Signatory",
            ),
            recorded_by="soak",
            request_id="soak",
            channel="cli",
        )
        accounts = AccountService(settings, PasswordHashing(settings))
        volunteers = []
        for n in range(clients):
            email = f"v{n}@soak.example"
            row = Volunteer(display_name=f"Soak Volunteer {n}", email=email)
            await row.save()
            await Employment(
                volunteer=row.id, employer=employer_id, starts_on=today - dt.timedelta(days=400)
            ).save()
            await accounts.create_user(
                email, Role.VOLUNTEER, volunteer_id=str(row.id), password=PASSWORD
            )
            volunteers.append((str(row.id), email))
        await accounts.create_user(
            "hr@soak.example", Role.EMPLOYER, organisation_id=employer_id, password=PASSWORD
        )
        coordinator = await accounts.create_user(
            "co@soak.example", Role.COORDINATOR, password=PASSWORD
        )
        secret = (
            await UserAccount.select(UserAccount.totp_secret)
            .where(UserAccount.id == coordinator.id)
            .first()
        )
        assert secret is not None
        return World(
            employer_id, volunteers, "hr@soak.example", "co@soak.example", secret["totp_secret"]
        )
    finally:
        await ledger.close()
        await close_engine(engine)


# ------------------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_up(base: str, server: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        for _ in range(600):
            if server.returncode is not None:
                raise SystemExit("the server exited during start-up")
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


def worker_pids(supervisor: int) -> list[int]:
    """uvicorn's worker processes: the supervisor's children started by multiprocessing."""
    pids = []
    for task in Path(f"/proc/{supervisor}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                pids.append(int(child))
    return sorted(pids)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ------------------------------------------------------------------------------ the load


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    latencies: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def record(self, op: str, began: float, ok: bool, what: str) -> None:
        minute = int((began - self.started) // 60)
        self.latencies[minute].append(time.monotonic() - began)
        self.counts[op] += 1
        if not ok:
            self.errors[f"{op}: {what}"] += 1


async def sign_in(client: httpx.AsyncClient, email: str, otp: str | None = None) -> None:
    body = {"email": email, "password": PASSWORD, **({"otp": otp} if otp else {})}
    response = await client.post("/api/auth/login", json=body)
    response.raise_for_status()
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]


class Client:
    """One simulated user: its volunteer's session, sharing the HR and coordinator sessions."""

    def __init__(
        self,
        n: int,
        world: World,
        base: str,
        hr: httpx.AsyncClient,
        coordinator: httpx.AsyncClient,
    ) -> None:
        self.n = n
        self.world = world
        self.volunteer_id, self.email = world.volunteers[n]
        self.me = httpx.AsyncClient(
            base_url=base, timeout=60, limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S)
        )
        self.hr = hr
        self.coordinator = coordinator
        self.consenting = False
        self.leave_asked = 0
        self.duties = 0
        self.random = random.Random(n)

    async def start(self) -> None:
        await sign_in(self.me, self.email)
        await self.consent_change()  # everyone starts consenting

    async def employer_read(self) -> tuple[httpx.Response, int]:
        # Without consent the gate refuses (and records) the read: a 404 is then the right answer.
        response = await self.hr.get(
            f"/api/employer/staff/{self.volunteer_id}", params={"purpose": LV}
        )
        return response, 200 if self.consenting else 404

    async def consent_change(self) -> httpx.Response:
        body: dict[str, Any] = {"employer_id": self.world.employer_id, "purpose": LV}
        if self.consenting:
            response = await self.me.post("/api/volunteer/consents/withdraw", json=body)
        else:
            notice = await self.me.get("/api/privacy-notices")
            notice.raise_for_status()
            version = notice.json()["current"]["version"]
            body |= {"categories": CATEGORIES, "notice_version": version}
            response = await self.me.post("/api/volunteer/consents", json=body)
        if response.is_success:
            self.consenting = not self.consenting
        return response

    async def leave_request(self) -> httpx.Response:
        # An hour's leave in a slot of its own this month, then withdrawn (so nothing piles up).
        k = self.leave_asked
        self.leave_asked += 1
        today = dt.date.today()
        day = today.replace(day=1 + (k // 12) % 28)
        starts = dt.datetime.combine(day, dt.time(8 + k % 12))
        asked = await self.me.post(
            "/api/volunteer/leave-requests",
            json={
                "employer_id": self.world.employer_id,
                "starts_at": starts.isoformat(timespec="minutes"),
                "ends_at": (starts + dt.timedelta(hours=1)).isoformat(timespec="minutes"),
            },
        )
        if not asked.is_success:
            return asked
        return await self.me.post(f"/api/volunteer/leave-requests/{asked.json()['id']}/withdraw")

    async def duty_import(self) -> httpx.Response:
        lines = ["volunteer_id,start,end,duty_type,esp_leave"]
        for _ in range(2):
            # Four-hour duties five hours apart, from 2020: never overlapping, never repeated.
            starts = dt.datetime(2020, 1, 1) + dt.timedelta(hours=5 * self.duties)
            self.duties += 1
            ends = starts + dt.timedelta(hours=4)
            lines.append(
                f"{self.volunteer_id},{starts:%Y-%m-%dT%H:%M}Z,{ends:%Y-%m-%dT%H:%M}Z,patrol,no"
            )
        body = ("\n".join(lines) + "\n").encode()
        return await self.coordinator.post(
            "/api/coordinator/duties/import", files={"file": ("duties.csv", body, "text/csv")}
        )

    async def run(self, stats: Stats, until: float) -> None:
        actions = {
            "employer_read": self.employer_read,
            "consent_change": self.consent_change,
            "leave_request": self.leave_request,
            "duty_import": self.duty_import,
        }
        ops = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        while time.monotonic() < until:
            op = self.random.choices(ops, weights)[0]
            began = time.monotonic()
            try:
                answer = await actions[op]()
            except httpx.HTTPError as exc:
                stats.record(op, began, False, type(exc).__name__)
                continue
            if isinstance(answer, tuple):
                response, expected = answer
                ok = response.status_code == expected
            else:
                response, ok = answer, answer.is_success
            stats.record(op, began, ok, str(response.status_code))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0


async def soak(
    base: str, world: World, args: argparse.Namespace, supervisor: int
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=args.clients, keepalive_expiry=KEEPALIVE_S)
    async with (
        httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as hr,
        httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as coordinator,
    ):
        await sign_in(hr, world.hr_email)
        await sign_in(
            coordinator, world.coordinator_email, pyotp.TOTP(world.coordinator_secret).now()
        )
        policy = await coordinator.post(
            "/api/coordinator/leave-policies",
            json={
                "employer_id": world.employer_id,
                "unit": "hours_per_month",
                "amount": 100,
                "starts_on": dt.date.today().replace(day=1).isoformat(),
            },
        )
        policy.raise_for_status()
        clients = [Client(n, world, base, hr, coordinator) for n in range(args.clients)]
        await asyncio.gather(*(c.start() for c in clients))
        stats = Stats()
        until = stats.started + args.minutes * 60
        rss: dict[str, list[float]] = {}

        async def sample_memory() -> None:
            await asyncio.sleep(min(60.0, args.minutes * 60 / 2))
            rss["first"] = [rss_mib(pid) for pid in worker_pids(supervisor)]
            print(
                f"  RSS at minute 1: {', '.join(f'{r:.1f}' for r in rss['first'])} MiB", flush=True
            )

        async def progress() -> None:
            while time.monotonic() < until:
                await asyncio.sleep(60)
                done = sum(stats.counts.values())
                print(
                    f"  {int((time.monotonic() - stats.started) // 60)} min: {done} ops, "
                    f"{sum(stats.errors.values())} errors, load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )

        memory = asyncio.create_task(sample_memory())
        ticker = asyncio.create_task(progress())
        await asyncio.gather(*(c.run(stats, until) for c in clients))
        rss["last"] = [rss_mib(pid) for pid in worker_pids(supervisor)]
        await memory
        ticker.cancel()
        for c in clients:
            await c.me.aclose()
    return {"stats": stats, "rss": rss}


# ------------------------------------------------------------------------------ the report


def report(
    result: dict[str, Any], verify: subprocess.CompletedProcess[str], load: list[float]
) -> bool:
    stats: Stats = result["stats"]
    rss = result["rss"]
    total = sum(stats.counts.values())
    errors = sum(stats.errors.values())
    print(
        f"\nOperations: {total} ({', '.join(f'{k} {v}' for k, v in sorted(stats.counts.items()))})"
    )
    print(f"Errors: {errors} (goal 0) {'MET' if errors == 0 else 'MISSED'}")
    for what, count in stats.errors.most_common(10):
        print(f"  {count} x {what}")
    print("\nLatency per minute (all operations):  minute  ops  p50 ms  p99 ms")
    p99s = []
    for minute in sorted(stats.latencies):
        samples = stats.latencies[minute]
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        p99s.append(p99)
        print(f"  {minute + 1:>4}  {len(samples):>6}  {p50:>7.1f}  {p99:>7.1f}")
    full = p99s[:-1] if len(p99s) > 2 else p99s  # the last minute may be a partial one
    steady = bool(full) and max(full) <= 2 * min(full)
    print(f"p99 steady (max <= 2 x min over full minutes): {'MET' if steady else 'MISSED'}")
    print("\nWorker RSS:  first sample  end  change")
    memory_ok = len(rss.get("first", [])) == len(rss.get("last", [])) > 0
    for first, last in zip(rss.get("first", []), rss.get("last", []), strict=False):
        change = (last - first) / first
        memory_ok &= abs(change) <= RSS_TOLERANCE
        print(f"  {first:>8.1f} MiB  {last:>8.1f} MiB  {change:+.1%}")
    print(f"RSS within ±{RSS_TOLERANCE:.0%}: {'MET' if memory_ok else 'MISSED'}")
    print(f"\nledger verify: exit {verify.returncode}: {verify.stdout.strip().splitlines()[-1:]}")
    print(f"Load average at start / end: {load[0]:.1f} / {os.getloadavg()[0]:.1f}")
    return errors == 0 and steady and memory_ok and verify.returncode == 0


async def main_async(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="esp-soak-") as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        db = await new_database("postgres", work)
        try:
            migrate(db, data_dir)
            world = await seed(db, data_dir, args.clients)
            env = bench_env(db, data_dir)
            port = free_port()
            server = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "portal.cli.main",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            base = f"http://127.0.0.1:{port}"
            load = [os.getloadavg()[0]]
            try:
                await wait_up(base, server)
                print(
                    f"Soak: {args.clients} clients, {args.workers} workers, "
                    f"{args.minutes} min, PostgreSQL; load {load[0]:.1f}",
                    flush=True,
                )
                result = await soak(base, world, args, server.pid)
            finally:
                os.killpg(server.pid, signal.SIGINT)
                try:
                    await asyncio.wait_for(server.wait(), timeout=30)
                except TimeoutError:
                    os.killpg(server.pid, signal.SIGKILL)
            verify = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "portal.cli.main", "ledger", "verify"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            return report(result, verify, load)
        finally:
            await drop_database(db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(main_async(args)) else 1)


if __name__ == "__main__":
    main()
