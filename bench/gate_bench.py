"""Disclosure-gate benchmark: the gate against a bare route, and the Art. 15 report at scale.

Run from the repository root (PostgreSQL at 127.0.0.1:5432, trust auth, as for the tests)::

    python -m bench.gate_bench                         # both engines, 1M-entry ledger
    python -m bench.gate_bench --engines sqlite --ledger-size 100000

Per engine, in one run on one fresh database:

1. the ledger is bulk-loaded to ``--ledger-size`` entries (COPY / executemany, nodes computed in
   Python), ``--subject-disclosures`` of them disclosures of one volunteer, spread evenly;
2. an employer, its agreement, the volunteer's job and consent are recorded through the real
   services (so the gate reads real rows and appends to the real, large tree);
3. the real app is served by uvicorn in a subprocess (one worker, 127.0.0.1) with one extra
   route, ``GET /bench/bare/{volunteer_id}``: the same volunteer row, same session and role
   guard, no gate and no ledger;
4. httpx drives, with 1 and with 32 concurrent clients, a bounded number of requests to
   ``GET /api/employer/staff/{id}?purpose=esp.leave-verification`` (the gate: employment,
   agreement and consent checks, projection, one durable ledger append) and to the bare route;
5. the DPO (password + TOTP) asks ``GET /api/dpo/subjects/{id}/report`` (JSON; Art. 15) a few
   times: that read passes the gate too (a ``dpo.audit`` entry) and returns every disclosure.

Every figure is printed with its target and whether it was met, misses included.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import pyotp  # noqa: E402
import structlog  # noqa: E402

from bench.bulk_ledger import (  # noqa: E402
    BulkEntry,
    BulkLoader,
    check_against_model,
    disclosure_body,
)
from ledger.note import load_or_create_signing_key  # noqa: E402

PG_ADMIN_URL = os.environ.get("ESP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery staple"
LV = "esp.leave-verification"
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
TARGET_REPORT_S = 1.0


# ------------------------------------------------------------------------------ the server


def serve(host: str, port: int) -> None:
    """Subprocess entry: the real app plus one bare route, served by uvicorn."""
    import uvicorn
    from litestar import get

    from portal.accounts.tables import Role
    from portal.app import create_app
    from portal.auth.guards import requires_role
    from portal.errors import NotFound
    from portal.organisations.tables import Volunteer
    from portal.settings import get_settings

    app = create_app(get_settings())

    @get("/bench/bare/{volunteer_id:str}", guards=[requires_role(Role.EMPLOYER)])
    async def bare(volunteer_id: str) -> dict[str, Any]:
        row = await (
            Volunteer.select(Volunteer.id, Volunteer.display_name, Volunteer.status)
            .where(Volunteer.id == volunteer_id)
            .first()
        )
        if row is None:
            raise NotFound("no such volunteer")
        return {
            "volunteer_id": str(row["id"]),
            "data": {"display_name": row["display_name"], "status": row["status"]},
        }

    app.register(bare)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


# ------------------------------------------------------------------------------ databases


@dataclass
class BenchDatabase:
    kind: str
    url: str
    name: str = ""


def _env(db: BenchDatabase, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ESP_DATABASE_URL": db.url,
        "ESP_MIGRATION_DATABASE_URL": db.url,
        "ESP_DATA_DIR": str(data_dir),
        "ESP_LOG_FORMAT": "json",
        "ESP_LOG_LEVEL": "warning",
        "ESP_PASSWORD_HASH_TIME_COST": "1",
        "ESP_PASSWORD_HASH_MEMORY_KIB": "1024",
        "ESP_PASSWORD_HASH_PARALLELISM": "1",
        "ESP_LOGIN_RATE_LIMIT_PER_MINUTE": "10000",
    }


async def new_database(kind: str, work: Path) -> BenchDatabase:
    if kind == "sqlite":
        return BenchDatabase(kind, f"sqlite:///{work / 'gate-bench.sqlite3'}")
    name = f"esp_gbench_{uuid.uuid4().hex[:10]}"
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


def migrate(db: BenchDatabase, data_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli.main", "migrate"],
        cwd=ROOT,
        env=_env(db, data_dir),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"migrate failed:\n{result.stdout}\n{result.stderr}")


# ------------------------------------------------------------------------------ bulk load


BULK = {
    "purpose": LV,
    "recipient_org": "bulk-org",
    "recipient_user": "bulk-user",
    "agreement": "dsa-bulk",
    "channel": "web",
}


def _body(n: int, subject: str, size: int, logged_at: dt.datetime) -> bytes:
    """A disclosure entry of the one bulk batch (it ends at ``size``)."""
    return disclosure_body(
        n,
        subject=subject,
        checkpoint_size=size,
        logged_at=logged_at,
        categories=("identity", "status"),
        **BULK,
    )


async def bulk_load(
    db: BenchDatabase, data_dir: Path, size: int, subject: str, mine: int, origin: str
) -> float:
    """Fill an empty ledger with ``size`` entries (one batch), ``mine`` about ``subject``."""
    if size <= 0:
        return 0.0
    started = time.perf_counter()
    signer = load_or_create_signing_key(data_dir / "ledger-signing.key", origin)
    every = max(1, size // max(1, mine))
    loader: BulkLoader

    def make(n: int, batch_end: int) -> BulkEntry:
        who = subject if n % every == every - 1 and n // every < mine else f"sub_{n:032x}"
        return BulkEntry(
            body=_body(n, who, batch_end, loader.logged_at),
            purpose=LV,
            subject=who,
            recipient_org=BULK["recipient_org"],
            recipient_user=BULK["recipient_user"],
            channel=BULK["channel"],
        )

    loader = BulkLoader(db.kind, db.url, signer, origin, make)
    check_against_model(loader.logged_at, **BULK)
    await loader.extend_to(size)
    return time.perf_counter() - started


# ------------------------------------------------------------------------------ the world


@dataclass
class World:
    volunteer_id: str
    subject: str
    employer_email: str
    dpo_email: str
    dpo_secret: str


async def make_volunteer(db: BenchDatabase, data_dir: Path) -> tuple[str, str]:
    from portal.db import bind_engine, build_engine, close_engine, open_engine
    from portal.organisations.tables import Volunteer

    engine = build_engine(db.url)
    bind_engine(engine)
    await open_engine(engine)
    try:
        row = Volunteer(
            display_name="Bench Volunteer", email="bench@volunteer.example", status="active"
        )
        await row.save()
        return str(row.id), str(row.subject)
    finally:
        await close_engine(engine)


async def seed(db: BenchDatabase, data_dir: Path, volunteer_id: str, subject: str) -> World:
    """Employer, agreement, job, consent and users, through the real services."""
    from ledger import Ledger
    from portal.accounts.passwords import PasswordHashing
    from portal.accounts.services import AccountService
    from portal.accounts.tables import Role, UserAccount
    from portal.agreements.schemas import AgreementCreate
    from portal.agreements.services import AgreementService
    from portal.auth.identity import Identity
    from portal.consent.schemas import ConsentGive
    from portal.consent.services import ConsentService
    from portal.db import bind_engine, build_engine, close_engine, open_engine
    from portal.organisations.tables import Employment, Organisation, OrganisationKind
    from portal.settings import load_settings
    from portal.vocabulary import notices

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
        employer = Organisation(name="Bench Employer", kind=OrganisationKind.EMPLOYER.value)
        await employer.save()
        employer_id = str(employer.id)
        today = dt.datetime.now(dt.UTC).date()
        await Employment(
            volunteer=volunteer_id, employer=employer_id, starts_on=today - dt.timedelta(days=100)
        ).save()
        await AgreementService(ledger).record(
            AgreementCreate(
                employer_id=uuid.UUID(employer_id),
                version=1,
                purposes={LV: ["identity", "status", "hours.summary"]},
                starts_on=today - dt.timedelta(days=10),
                ends_on=today + dt.timedelta(days=300),
                signed_by="Bench Signatory",
            ),
            recorded_by="bench",
            request_id="bench",
            channel="cli",
        )
        accounts = AccountService(settings, PasswordHashing(settings))
        vol_user = await accounts.create_user(
            "bench@volunteer.example", Role.VOLUNTEER, volunteer_id=volunteer_id, password=PASSWORD
        )
        await ConsentService(ledger).give(
            Identity(vol_user.id, Role.VOLUNTEER, "session", volunteer_id=volunteer_id),
            ConsentGive(
                employer_id=uuid.UUID(employer_id),
                purpose=LV,
                categories=["identity", "status"],
                notice_version=notices().current().version,
            ),
            request_id="bench",
            channel="web",
        )
        await accounts.create_user(
            "hr@bench.example", Role.EMPLOYER, organisation_id=employer_id, password=PASSWORD
        )
        dpo = await accounts.create_user("dpo@bench.example", Role.DPO, password=PASSWORD)
        secret = (
            await UserAccount.select(UserAccount.totp_secret)
            .where(UserAccount.id == dpo.id)
            .first()
        )
        assert secret is not None
        return World(
            volunteer_id, subject, "hr@bench.example", "dpo@bench.example", secret["totp_secret"]
        )
    finally:
        await ledger.close()
        await close_engine(engine)


# ------------------------------------------------------------------------------ in process


async def in_process(
    db: BenchDatabase, data_dir: Path, world: World, rounds: int
) -> dict[str, Any]:
    """Service time without HTTP: ``DisclosureGate.disclose_one`` against the bare row read,
    one at a time and 32 at a time, on the app's engine (no client competing for the CPU)."""
    from ledger import Ledger
    from portal.db import bind_engine, build_engine, close_engine, open_engine
    from portal.disclosure.gate import DisclosureGate, Recipient
    from portal.disclosure.sources import CategorySources
    from portal.organisations.tables import Organisation, Volunteer

    engine = build_engine(db.url)
    bind_engine(engine)
    await open_engine(engine)
    signer = load_or_create_signing_key(data_dir / "ledger-signing.key", "esp-portal.local/ledger")
    ledger = Ledger(engine, signer, "esp-portal.local/ledger")
    await ledger.start()
    try:
        org = (
            await Organisation.select(Organisation.id)
            .where(Organisation.name == "Bench Employer")
            .first()
        )
        assert org is not None
        gate = DisclosureGate(ledger, CategorySources())  # the volunteer record only, as before
        recipient = Recipient("employer", str(org["id"]), "bench-user", "web")

        async def gate_once() -> None:
            await gate.disclose_one(recipient, LV, world.volunteer_id, request_id="bench")

        async def bare_once() -> None:
            await (
                Volunteer.select(Volunteer.id, Volunteer.display_name, Volunteer.status)
                .where(Volunteer.id == world.volunteer_id)
                .first()
            )

        out: dict[str, Any] = {}
        for name, once in (("gate", gate_once), ("bare", bare_once)):
            for _ in range(20):
                await once()
            for concurrency in (1, 32):
                latencies: list[float] = []

                async def worker(
                    once: Any = once,
                    latencies: list[float] = latencies,
                    count: int = max(1, rounds // concurrency),
                ) -> None:
                    for _ in range(count):
                        started = time.perf_counter()
                        await once()
                        latencies.append(time.perf_counter() - started)

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(concurrency)))
                elapsed = time.perf_counter() - started
                out[f"{name}_c{concurrency}"] = Result(
                    len(latencies) / elapsed,
                    _p(latencies, 0.5),
                    _p(latencies, 0.99),
                    len(latencies),
                    0,
                )
        return out
    finally:
        await ledger.close()
        await close_engine(engine)


# ------------------------------------------------------------------------------ load


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    count: int
    errors: int


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


async def drive(
    client: httpx.AsyncClient, path: str, params: dict[str, str], concurrency: int, total: int
) -> Result:
    latencies: list[float] = []
    errors = 0
    per_worker = max(1, total // concurrency)

    async def worker() -> None:
        nonlocal errors
        for _ in range(per_worker):
            started = time.perf_counter()
            response = await client.get(path, params=params)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Result(
        len(latencies) / elapsed, _p(latencies, 0.5), _p(latencies, 0.99), len(latencies), errors
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_ready(base: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        for _ in range(300):
            if process.returncode is not None:
                raise SystemExit("the server exited during start-up")
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


async def _login(client: httpx.AsyncClient, email: str, otp_secret: str | None = None) -> None:
    body: dict[str, str] = {"email": email, "password": PASSWORD}
    if otp_secret:
        body["otp"] = pyotp.TOTP(otp_secret).now()
    response = await client.post("/api/auth/login", json=body)
    if response.status_code != 200:
        raise SystemExit(f"login failed: {response.status_code} {response.text}")


async def run_engine(kind: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data_dir = work / f"data-{kind}"
    data_dir.mkdir()
    db = await new_database(kind, work)
    out: dict[str, Any] = {"engine": kind}
    process = None
    try:
        migrate(db, data_dir)
        volunteer_id, subject = await make_volunteer(db, data_dir)
        out["load_s"] = await bulk_load(
            db,
            data_dir,
            args.ledger_size,
            subject,
            args.subject_disclosures,
            "esp-portal.local/ledger",
        )
        world = await seed(db, data_dir, volunteer_id, subject)
        out["in_process"] = await in_process(db, data_dir, world, args.in_process_rounds)
        port = _free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.gate_bench",
            "--serve",
            "--port",
            str(port),
            cwd=ROOT,
            env=_env(db, data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        await _wait_ready(base, process)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            await _login(client, world.employer_email)
            gate = (f"/api/employer/staff/{world.volunteer_id}", {"purpose": LV})
            bare = (f"/bench/bare/{world.volunteer_id}", {})
            for path, params in (gate, bare):  # warm-up (pool, caches, JIT of nothing)
                await drive(client, path, params, 4, 100)
            for concurrency, total in ((1, args.requests_single), (32, args.requests)):
                rounds: dict[str, list[Result]] = {"gate": [], "bare": []}
                for order in (("bare", "gate"), ("gate", "bare")):
                    for name in order:
                        path, params = gate if name == "gate" else bare
                        rounds[name].append(
                            await drive(client, path, params, concurrency, total // 2)
                        )
                out[f"c{concurrency}"] = {name: _merge(results) for name, results in rounds.items()}
        async with httpx.AsyncClient(base_url=base, timeout=120) as dpo:
            await _login(dpo, world.dpo_email, world.dpo_secret)
            timings = []
            disclosures = 0
            size = 0
            for _ in range(args.report_runs):
                started = time.perf_counter()
                response = await dpo.get(f"/api/dpo/subjects/{world.volunteer_id}/report")
                timings.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"report failed: {response.status_code} {response.text[:300]}")
                size = len(response.content)
                disclosures = len(response.json()["disclosures"])
            out["report"] = {
                "median_s": statistics.median(timings),
                "max_s": max(timings),
                "min_s": min(timings),
                "disclosures": disclosures,
                "bytes": size,
            }
            ledger_size = (await dpo.get("/api/dpo/ledger", params={"limit": 1})).json()
            out["ledger_entries"] = (
                ledger_size["items"][0]["index"] + 1 if ledger_size["items"] else 0
            )
    finally:
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
        await drop_database(db)
    return out


def _merge(results: list[Result]) -> Result:
    count = sum(r.count for r in results)
    seconds = sum(r.count / r.rps for r in results)
    return Result(
        rps=count / seconds,
        p50_ms=statistics.mean(r.p50_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
        count=count,
        errors=sum(r.errors for r in results),
    )


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(results: list[dict[str, Any]]) -> None:
    print("\n## Gate vs bare route (GET one staff member; same app, same run)\n")
    print(
        "| engine | clients | gate req/s | bare req/s | ratio (target >= 0.5) | gate p50 ms | "
        "gate p99 ms (target < 50) | bare p99 ms | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for out in results:
        for c in (1, 32):
            g, b = out[f"c{c}"]["gate"], out[f"c{c}"]["bare"]
            ratio = g.rps / b.rps
            ratio_text = f"{ratio:.2f}x" + (
                f" {_verdict(ratio >= TARGET_RATIO)}" if c == 32 else ""
            )
            p99_text = f"{g.p99_ms:.1f}" + (
                f" {_verdict(g.p99_ms < TARGET_P99_MS)}" if c == 32 else ""
            )
            print(
                f"| {out['engine']} | {c} | {g.rps:,.0f} | {b.rps:,.0f} | {ratio_text} | "
                f"{g.p50_ms:.1f} | {p99_text} | {b.p99_ms:.1f} | {g.errors + b.errors} |"
            )
    print("\n## Service time in process (no HTTP, no client on the CPU; same database)\n")
    print(
        "| engine | callers | gate calls/s | bare reads/s | ratio | gate p50 ms | gate p99 ms | "
        "bare p99 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for out in results:
        for c in (1, 32):
            g, b = out["in_process"][f"gate_c{c}"], out["in_process"][f"bare_c{c}"]
            print(
                f"| {out['engine']} | {c} | {g.rps:,.0f} | {b.rps:,.0f} | {g.rps / b.rps:.2f}x | "
                f"{g.p50_ms:.2f} | {g.p99_ms:.2f} | {b.p99_ms:.2f} |"
            )
    print("\n## Art. 15 subject report (GET /api/dpo/subjects/{id}/report, JSON)\n")
    print(
        "| engine | ledger entries | bulk load s | subject's disclosures | report median s | "
        "report max s (target < 1) | response MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for out in results:
        r = out["report"]
        print(
            f"| {out['engine']} | {out['ledger_entries']:,} | {out['load_s']:.1f} | "
            f"{r['disclosures']:,} | {r['median_s']:.3f} | {r['max_s']:.3f} "
            f"{_verdict(r['max_s'] < TARGET_REPORT_S)} | {r['bytes'] / 1e6:.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument(
        "--requests", type=int, default=4000, help="requests per route at 32 clients"
    )
    parser.add_argument("--requests-single", type=int, default=600, help="per route at 1 client")
    parser.add_argument("--ledger-size", type=int, default=1_000_000)
    parser.add_argument("--subject-disclosures", type=int, default=10_000)
    parser.add_argument("--report-runs", type=int, default=5)
    parser.add_argument("--in-process-rounds", type=int, default=1600)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve("127.0.0.1", args.port)
        return
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    kinds = [k.strip() for k in args.engines.split(",") if k.strip()]
    print(
        f"# ESP Portal gate benchmark ({os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}, "
        f"ledger {args.ledger_size:,} entries, {args.subject_disclosures:,} for the subject)"
    )
    results = []
    with tempfile.TemporaryDirectory(
        prefix="esp-gate-bench-", dir=os.environ.get("BENCH_DIR")
    ) as tmp:
        for kind in kinds:
            started = time.perf_counter()
            results.append(asyncio.run(run_engine(kind, args, Path(tmp))))
            print(f"({kind} done in {time.perf_counter() - started:.0f} s)", flush=True)
    report(results)


if __name__ == "__main__":
    main()
