"""At a terminal the CLI shows its answer on stdout and its logs on stderr in the console format.

The command runs for real with stdout on a pseudo-terminal (as a person at a shell sees it) and
stderr sent elsewhere (``2>log``): no JSON log line may appear on either stream.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, TestDatabase
from tests.support.cli import cli_env


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end closed (EIO on Linux)
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def test_logs_are_console_lines_on_stderr_when_stdout_is_a_terminal(
    database: TestDatabase, tmp_path: Path
) -> None:
    env = {**os.environ, **cli_env(database, tmp_path / "data"), "ESP_LOG_FORMAT": "auto"}
    main, child = pty.openpty()
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "portal.cli.main", "migrate"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=child,
            stderr=subprocess.PIPE,
            timeout=300,
        )
        os.close(child)
        shown = _read_all(main)
    finally:
        os.close(main)
    logs = finished.stderr.decode("utf-8", "replace")
    assert finished.returncode == 0, (shown, logs)
    assert "Database is up to date" in shown
    assert "migrate.done" not in shown  # logs never on stdout
    assert "migrate.done" in logs
    json_lines = [line for line in logs.splitlines() if line.lstrip().startswith("{")]
    assert json_lines == [], json_lines
    assert "[info" in logs  # structlog's console format
