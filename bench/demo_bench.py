"""How long ``esp-portal demo --size N`` takes on SQLite, against the default demo in the same run.

    python -m bench.demo_bench                 # --size 3000 (300 employers) vs the default demo
    python -m bench.demo_bench --size 5000

Each load runs the real command (``python -m portal.cli.main demo``) in a subprocess on a fresh
SQLite file in a temporary directory, and is timed from start to exit (migrations included).
The baseline is the default demo (64 volunteers, 10 employers) loaded the same way, just
before: the ratio says what the scale step costs on this machine at this moment. Afterwards
``esp-portal ledger verify`` runs on the scaled database and must exit 0. The load average is
printed with the figures, as other work on a shared machine moves them.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cli(data_dir: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {
        **os.environ,
        "ESP_DATA_DIR": str(data_dir),
        "ESP_LOG_LEVEL": "warning",
        "ESP_DATABASE_URL": f"sqlite:///{data_dir}/demo.sqlite3",
    }
    env.pop("ESP_MIGRATION_DATABASE_URL", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed, done


def _count(stdout: str, name: str) -> int:
    found = re.search(rf"^  {name}: +(\d+)", stdout, re.MULTILINE)
    return int(found.group(1)) if found else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=3000, help="volunteers in all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base_dir, scaled_dir = Path(tmp, "default"), Path(tmp, "scaled")
        base_dir.mkdir()
        scaled_dir.mkdir()
        load = os.getloadavg()[0]
        baseline, _ = _cli(base_dir, "demo")
        scaled, done = _cli(scaled_dir, "demo", "--size", str(args.size))
        verify, checked = _cli(scaled_dir, "ledger", "verify")
    print(f"load average at start: {load:.1f}")
    print(f"default demo (64 volunteers, 10 employers): {baseline:6.1f} s")
    print(
        f"demo --size {args.size} ({_count(done.stdout, 'volunteers')} volunteers, "
        f"{_count(done.stdout, 'employers')} employers, {_count(done.stdout, 'consents')} "
        f"consents, ledger {_count(done.stdout, 'ledger')}): {scaled:6.1f} s "
        f"= {scaled / baseline:.1f} x the default demo"
    )
    print(f"ledger verify after it: {verify:.1f} s, {checked.stdout.strip()}")


if __name__ == "__main__":
    main()
