"""``esp-portal serve``: the real server (uvicorn, several workers) on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyotp
from click.testing import CliRunner

from portal.cli.main import cli
from tests.conftest import ROOT, TestDatabase, run_cli
from tests.support.cli import cli_env, free_port, stop_served, wait_until_up

PASSWORD = "serve test passphrase 42"


def test_serve_runs_several_workers(database: TestDatabase, tmp_path: Path) -> None:
    env = cli_env(database, tmp_path)
    added = run_cli(
        "user",
        "add",
        "coord@example.org",
        "--role",
        "coordinator",
        "--password-stdin",
        env=env,
        input=PASSWORD,
    )
    assert added.returncode == 0, added.stderr
    secret = pyotp.parse_uri(added.stdout.splitlines()[1]).secret
    port = free_port()
    # The server's logs go to a file: a pipe nobody reads until the end fills (64 KiB) and then
    # blocks the server mid-request (the freshness test hung on exactly that).
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli.main", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        ready = httpx.get(f"{base}/ready", timeout=10)
        assert ready.status_code == 200, ready.text
        with httpx.Client(base_url=base, timeout=10) as client:
            login = client.post(
                "/api/auth/login",
                json={
                    "email": "coord@example.org",
                    "password": PASSWORD,
                    "otp": pyotp.TOTP(secret).now(),
                },
            )
            assert login.status_code == 200, login.text
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            created = client.post("/api/coordinator/employers", json={"name": "Served Ltd"})
            assert created.status_code == 201, created.text
            # Whichever worker answers, the session and the data are the same.
            for _ in range(10):
                listing = client.get("/api/coordinator/employers")
                assert listing.status_code == 200 and listing.json()["total"] == 1
    finally:
        stop_served(process)
        log.seek(0)
        stderr = log.read()
        log.close()
    assert "Traceback" not in stderr, stderr
    warned = "workers on SQLite" in stderr
    assert warned == (database.kind == "sqlite"), stderr


#: Run at the start of every worker process (``sitecustomize``): a worker that takes this long
#: before it can answer uvicorn's health pings, as every worker does on a loaded host (importing
#: the CLI and the app took 39 s of wall time at load 15 on two cores, 2 s of CPU).
SLOW_WORKER_START = """
import sys, time
if "--multiprocessing-fork" in sys.argv and "resource_tracker" not in " ".join(sys.argv):
    time.sleep({seconds})
"""


def _workers(parent: int) -> set[int]:
    """The uvicorn worker processes under ``parent`` (not multiprocessing's resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == parent and "spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def test_serve_workers_survive_a_slow_start(database: TestDatabase, tmp_path: Path) -> None:
    """A worker that needs longer than uvicorn's default 5 s health-check to start is waited
    for, not killed: with the default, every new worker on a loaded host was SIGKILLed before
    it could answer and replaced, forever, and ``serve --workers 2`` never answered."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SLOW_WORKER_START.format(seconds=7))
    env = cli_env(database, tmp_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), str(ROOT)]))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli.main", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 240
        up = False
        while time.monotonic() < deadline and not up:
            seen |= _workers(process.pid)
            assert len(seen) <= 2, f"workers were killed and replaced while starting: {seen}"
            try:
                up = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        assert up, "serve --workers 2 did not answer /health in 240 s"
        for _ in range(10):  # both serving, neither replaced
            seen |= _workers(process.pid)
            time.sleep(0.2)
        assert len(seen) == 2, seen
    finally:
        stop_served(process)


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for args in (["serve"], ["demo"], ["user"], ["user", "add"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_serve_refuses_bad_arguments() -> None:
    runner = CliRunner()
    for args, message in (
        (["--port", "0"], "--port"),
        (["--port", "http"], "--port"),
        (["--workers", "0"], "--workers"),
    ):
        result = runner.invoke(cli, ["serve", *args])
        assert result.exit_code == 2 and message in result.output, result.output
