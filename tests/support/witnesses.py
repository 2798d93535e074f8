"""Real witness processes (``esp-portal witness serve``) on loopback for tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServedWitness:
    url: str
    vkey: str
    db_path: Path
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def served_witnesses(
    directory: Path, log_vkey: str, count: int = 2
) -> Iterator[list[ServedWitness]]:
    """``count`` witness processes, each with its own key and database, trusting ``log_vkey``."""
    started: list[ServedWitness] = []
    try:
        for i in range(count):
            name = f"witness{i}.test/w"
            key_file, db_path = directory / f"w{i}.key", directory / f"w{i}.db"
            port = free_port()
            command = [sys.executable, "-m", "portal.cli.main", "witness"]
            args = ["--name", name, "--key-file", str(key_file)]
            vkey = subprocess.run(
                [*command, "key", *args], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout.strip()
            serve_args = ["--db", str(db_path), "--log", log_vkey, "--port", str(port)]
            process = subprocess.Popen(
                [*command, "serve", *args, *serve_args],
                cwd=ROOT,
                env={**os.environ},
                stdout=subprocess.DEVNULL,
                stderr=(directory / f"w{i}.log").open("wb"),
            )
            started.append(ServedWitness(f"http://127.0.0.1:{port}", vkey, db_path, process))
        for witness in started:
            _wait(witness)
        yield started
    finally:
        for witness in started:
            witness.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                witness.process.wait(timeout=10)
            if witness.process.poll() is None:
                witness.process.kill()


def _wait(witness: ServedWitness) -> None:
    """Until the witness serves the key it was started with."""
    wait_until_up(
        witness.url,
        witness.process,
        path="/key",
        ready=lambda response: response.text.strip() == witness.vkey,
        what="witness",
    )
