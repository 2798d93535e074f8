"""Nothing kept between requests outlives a sign-out, a withdrawal or an ended agreement.

Two real servers (``esp-portal serve``, separate processes, so nothing in memory is shared) run
on one database loaded with the demo. A change made through one of them must decide the very
next request answered by the other, and by itself; while the change is made, an employer keeps
reading through the other server, and every read that started after the change returned must be
refused (the gate decides on committed state at the time of the request).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from portal.demo.data import EMPLOYERS, USERS, demo_id
from tests.conftest import ROOT, TestDatabase, run_cli
from tests.support.cli import cli_env, free_port, stop_served, wait_until_up

LV = "esp.leave-verification"
NHS = str(EMPLOYERS[0].id)
#: Demo volunteer 0 works for the NHS trust and consents to everything leave verification offers.
VOLUNTEER_0 = str(demo_id("volunteer", 0))
HR = next(u for u in USERS if u.key == "employer-nhs")
VOLUNTEER = next(u for u in USERS if u.key == "volunteer-0")
COORDINATOR = next(u for u in USERS if u.key == "coordinator")
STAFF_PATH = f"/api/employer/staff/{VOLUNTEER_0}"


@contextmanager
def two_servers(env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Two portal processes on one database. Each writes its logs to a file: a pipe nobody reads
    fills up (64 KiB) and then blocks the server mid-request, which stalled reads for 30 s."""
    processes: list[subprocess.Popen[str]] = []
    logs: list[Any] = []
    bases: list[str] = []
    try:
        for _ in range(2):
            port = free_port()
            log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in finally)
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "portal.cli.main", "serve", "--port", str(port)],
                    cwd=ROOT,
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    text=True,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            wait_until_up(base, process)
        yield bases[0], bases[1]
    finally:
        stop_served(*processes)
        for log in logs:
            log.seek(0)
            stderr = log.read()
            log.close()
            assert "Traceback" not in stderr, stderr


@pytest.fixture
def demo(database: TestDatabase, tmp_path: Path) -> tuple[dict[str, str], str]:
    """The environment of a database loaded with the demo, and what ``esp-portal demo`` said."""
    env = cli_env(database, tmp_path / "data", ESP_LOGIN_RATE_LIMIT_PER_MINUTE="1000")
    loaded = run_cli("demo", env=env)
    assert loaded.returncode == 0, loaded.stderr
    return env, loaded.stdout


def sign_in(base: str, email: str, password: str, otp: str | None = None) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    body = {"email": email, "password": password} | ({"otp": otp} if otp else {})
    answer = client.post("/api/auth/login", json=body)
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def with_session_of(client: httpx.Client, base: str) -> httpx.Client:
    """The same signed-in session (cookie and CSRF token) sent to another server."""
    other = httpx.Client(base_url=base, timeout=30, cookies=client.cookies)
    other.headers["X-CSRF-Token"] = client.headers["X-CSRF-Token"]
    return other


def read_staff(client: httpx.Client) -> int:
    return client.get(STAFF_PATH, params={"purpose": LV}).status_code


def listed(client: httpx.Client) -> set[str]:
    """Who the staff list shows (the list reads its hours for the whole page at once)."""
    answer = client.get("/api/employer/staff", params={"purpose": LV, "limit": 200})
    assert answer.status_code == 200, answer.text
    return {item["volunteer_id"] for item in answer.json()["items"]}


async def reads_during(base: str, cookies: httpx.Cookies, change: Any) -> None:
    """Read through ``base`` continuously while ``change()`` runs elsewhere: every read that
    started after the change returned must be refused; some reads before it were allowed."""
    done_at: list[float] = []
    seen: list[tuple[float, int]] = []

    async def reader() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30, cookies=cookies) as client:
            while not done_at or len([s for s in seen if s[0] > done_at[0]]) < 20:
                started = time.monotonic()
                answer = await client.get(STAFF_PATH, params={"purpose": LV})
                seen.append((started, answer.status_code))

    async def changer() -> None:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(change)
        done_at.append(time.monotonic())

    await asyncio.wait_for(asyncio.gather(reader(), reader(), reader(), changer()), 120)
    before = [status for started, status in seen if started < done_at[0]]
    after = [status for started, status in seen if started > done_at[0]]
    assert 200 in before
    assert after and all(status == 404 for status in after), after


@pytest.mark.slow
def test_sign_out_ends_the_session_on_every_worker(demo: tuple[dict[str, str], str]) -> None:
    with two_servers(demo[0]) as (a, b):
        hr_a = sign_in(a, HR.email, HR.password)
        hr_b = with_session_of(hr_a, b)
        assert hr_a.get("/api/auth/me").status_code == 200
        assert hr_b.get("/api/auth/me").status_code == 200
        assert read_staff(hr_b) == 200
        signed_out = hr_a.post("/api/auth/logout")
        assert signed_out.status_code == 200, signed_out.text
        # the very next request on the other worker, and on this one, is anonymous
        assert hr_b.get("/api/auth/me").status_code == 401
        assert read_staff(hr_b) == 401
        assert hr_a.get("/api/auth/me").status_code == 401


@pytest.mark.slow
async def test_withdrawal_refuses_the_next_read_on_every_worker(
    demo: tuple[dict[str, str], str],
) -> None:
    with two_servers(demo[0]) as (a, b):
        hr_b = sign_in(b, HR.email, HR.password)
        hr_a = with_session_of(hr_b, a)
        volunteer = sign_in(a, VOLUNTEER.email, VOLUNTEER.password)
        assert read_staff(hr_b) == 200
        assert VOLUNTEER_0 in listed(hr_a) and VOLUNTEER_0 in listed(hr_b)

        def withdraw() -> None:
            answer = volunteer.post(
                "/api/volunteer/consents/withdraw", json={"employer_id": NHS, "purpose": LV}
            )
            assert answer.status_code == 200, answer.text

        await reads_during(b, hr_b.cookies, withdraw)
        assert read_staff(hr_a) == 404
        assert VOLUNTEER_0 not in listed(hr_a) and VOLUNTEER_0 not in listed(hr_b)


@pytest.mark.slow
async def test_ended_agreement_refuses_the_next_read_on_every_worker(
    demo: tuple[dict[str, str], str],
) -> None:
    secret = _totp_secret(demo[1])
    with two_servers(demo[0]) as (a, b):
        hr_b = sign_in(b, HR.email, HR.password)
        hr_a = with_session_of(hr_b, a)
        coordinator = sign_in(a, COORDINATOR.email, COORDINATOR.password, pyotp.TOTP(secret).now())
        assert read_staff(hr_b) == 200
        yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)

        def end_agreement() -> None:
            answer = coordinator.post(
                "/api/coordinator/agreements",
                json={
                    "employer_id": NHS,
                    "version": 2,
                    "purposes": {LV: ["identity", "status"]},
                    "starts_on": yesterday.isoformat(),
                    "ends_on": yesterday.isoformat(),
                    "signed_by": "Freshness Test; Northshire Police",
                },
            )
            assert answer.status_code == 201, answer.text

        await reads_during(b, hr_b.cookies, end_agreement)
        assert read_staff(hr_a) == 404


def _totp_secret(demo_output: str) -> str:
    """The coordinator's TOTP secret, as ``esp-portal demo`` printed it."""
    lines = demo_output.splitlines()
    at = next(i for i, line in enumerate(lines) if COORDINATOR.email in line)
    return next(line.split(":", 1)[1].strip() for line in lines[at:] if "totp secret:" in line)
