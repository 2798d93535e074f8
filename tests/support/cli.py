"""Environment for running the real ``esp-portal`` command against a test database."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import FAST_HASHING, TestDatabase


def cli_env(database: TestDatabase, data_dir: Path, **extra: str) -> dict[str, str]:
    """``ESP_*`` variables pointing the command at ``database`` (cheap Argon2, JSON logs)."""
    env = {
        "ESP_DATABASE_URL": database.url,
        "ESP_MIGRATION_DATABASE_URL": database.owner_url,
        "ESP_DATA_DIR": str(data_dir),
        "ESP_LOG_FORMAT": "json",
    }
    env.update({f"ESP_{key.upper()}": str(value) for key, value in FAST_HASHING.items()})
    env.update(extra)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(
    base: str,
    process: subprocess.Popen[str],
    timeout: float = 60,
    *,
    path: str = "/health",
    ready: Callable[[httpx.Response], bool] = lambda response: response.status_code == 200,
    what: str = "serve",
) -> None:
    """Poll ``GET {base}{path}`` until the served process answers as ``ready`` wants (or fail if
    it exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited early with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if ready(httpx.get(f"{base}{path}", timeout=1)):
                return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up in time")
