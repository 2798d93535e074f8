"""Environment for running the real ``esp-portal`` command against a test database."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


#: How long a served process may take to answer its first request. Starting ``esp-portal serve``
#: costs a Python start and the portal's imports per process (three with ``--workers 2``): a few
#: seconds alone, but over 60 s was seen on the 2-core machine with the other test worker and
#: other work beside it. Only a process that never comes up waits this long.
UP_TIMEOUT_S = 240.0


def wait_until_up(
    base: str,
    process: subprocess.Popen[str],
    timeout: float = UP_TIMEOUT_S,
    *,
    path: str = "/health",
    ready: Callable[[httpx.Response], bool] = lambda response: response.status_code == 200,
    what: str = "serve",
) -> None:
    """Poll ``GET {base}{path}`` until the served process answers as ``ready`` wants (or fail if
    it exits first). Each poll may take a few seconds to be answered on a loaded machine."""
    started = time.monotonic()
    last = "no answer yet"
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited early with {process.returncode}")
        try:
            response = httpx.get(f"{base}{path}", timeout=5)
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}"
        else:
            if ready(response):
                return
            last = f"HTTP {response.status_code}"
        time.sleep(0.2)
    raise AssertionError(
        f"{what} did not answer GET {base}{path} as ready within {timeout:.0f} s "
        f"(process still running; last poll: {last})"
    )


def stop_served(*processes: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Stop served portals as an operator would (SIGINT to every one first, so they shut down
    side by side), killing any that has not exited within ``timeout`` seconds."""
    for process in processes:
        process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_cli_in_process(
    *args: str, env: dict[str, str] | None = None, input: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run ``esp-portal ARGS`` through the same entry point (``portal.cli.main:cli``) in this
    process, for tests about what a command does rather than about the process boundary.

    A subprocess costs a Python start and the portal's imports (1-3 s each on a loaded 2-core
    machine); this costs the command's own work. The command runs in a thread of its own, since
    it starts its own event loop (``asyncio.run``) and the calling test may be inside one. What
    it changes for the whole process is put back afterwards: the tables' engine binding (the
    command binds its own engine, then closes it), the log configuration (it logs to the
    captured stderr) and the cached settings (read from this call's environment). The result
    looks like :func:`tests.conftest.run_cli`'s: ``returncode``, ``stdout``, ``stderr``; an
    unexpected exception gives exit 1 and its traceback on stderr, as the real command would.

    Not for commands that migrate (``migrate``, ``demo`` past its argument checks): Piccolo
    keeps the engine of its migration table for the life of the process, so a second run in
    one process would migrate the first run's database.
    """
    import logging
    import threading
    import traceback

    import structlog
    from click.testing import CliRunner

    from portal.cli.main import cli
    from portal.db import all_tables
    from portal.settings import get_settings

    bindings = {table: table._meta.db for table in all_tables()}
    log_config = structlog.get_config()
    root = logging.getLogger()
    root_handlers, root_level = list(root.handlers), root.level
    outcome: list[Any] = []

    def invoke() -> None:
        outcome.append(CliRunner().invoke(cli, list(args), input=input, env=env))

    # The command reads its settings once per process (get_settings is cached): from this
    # call's environment, and not left behind for the next call or the test.
    get_settings.cache_clear()
    worker = threading.Thread(target=invoke, name="esp-portal-in-process")
    worker.start()
    worker.join()
    get_settings.cache_clear()
    for table, engine in bindings.items():
        table._meta.db = engine
    structlog.configure(**log_config)
    root.handlers, root.level = root_handlers, root_level
    result = outcome[0]
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(
        ["esp-portal", *args], result.exit_code, result.stdout, stderr
    )
