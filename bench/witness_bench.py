"""Witnessing benchmark: what submitting checkpoints to witnesses costs the log's appends.

    python -m bench.witness_bench                    # both engines, 8 callers, 2 rounds of 4 s
    python -m bench.witness_bench --engines sqlite --seconds 3 --callers 1

Two real witnesses (``esp-portal witness serve``, each its own process, key and SQLite file) run
on loopback. Durable appends/s are measured with the background :class:`ledger.witnessing.
Witnessing` task off (baseline) and on, in alternating rounds, best round of each; the ratio
on/off is the cost. Rounds every 50 ms (far more often than needed) and every 5 s (the default).
On a small machine the witnesses' own CPU (Ed25519, fsync) competes with the log: that is part
of what is measured, and would not be there with witnesses run elsewhere, as they are meant to
be. Also printed: how far the witnesses followed, and one ``add-checkpoint`` round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import structlog  # noqa: E402

from bench.ledger_bench import ORIGIN, draft, new_database, run_callers  # noqa: E402
from ledger import Ledger  # noqa: E402
from ledger.cosignature import CosignatureVerifier  # noqa: E402
from ledger.note import NoteSigner  # noqa: E402
from ledger.witness.client import WitnessClient  # noqa: E402
from ledger.witnessing import Witnessing  # noqa: E402
from portal.db import bind_engine, build_engine, close_engine, open_engine  # noqa: E402


def start_witness(
    workdir: Path, number: int, log_vkey: str
) -> tuple[subprocess.Popen[bytes], str, str]:

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = [sys.executable, "-m", "portal.cli.main", "witness"]
    args = ["--name", f"w{number}.bench", "--key-file", str(workdir / f"w{number}.key")]
    vkey = subprocess.run(
        [*base, "key", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    serve = ["--db", str(workdir / f"w{number}.db"), "--log", log_vkey, "--port", str(port)]
    process = subprocess.Popen(
        [*base, "serve", *args, *serve],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/key", timeout=1).status_code == 200:
                return process, url, vkey
        time.sleep(0.2)
    raise SystemExit("a witness did not start")


async def run_engine(
    kind: str, callers: int, seconds: float, rounds: int, intervals: list[float]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db = await new_database(kind, workdir)
        signer = NoteSigner.generate(ORIGIN)
        witnesses = [start_witness(workdir, i, signer.verifier_key()) for i in range(2)]
        engine = build_engine(db.url)
        bind_engine(engine)
        await open_engine(engine)
        ledger = Ledger(engine, signer, ORIGIN)
        await ledger.start()
        try:
            clients = [WitnessClient(u, CosignatureVerifier.from_key(k)) for _, u, k in witnesses]
            drafts = [draft(n) for n in range(20_000)]

            async def one(n: int) -> None:
                await ledger.append([drafts[n % len(drafts)]])

            witnessing = Witnessing(ledger, clients, interval=5.0)
            for interval in intervals:
                off: list[float] = []
                on: list[float] = []
                witnessing = Witnessing(ledger, clients, interval=interval)
                for _ in range(rounds):
                    off.append((await run_callers(callers, seconds, one)).rate)
                    witnessing.start()
                    on.append((await run_callers(callers, seconds, one)).rate)
                    await witnessing.close()
                size = await ledger.size()
                latest = await witnessing.store.latest_cosigned_size()
                best_off, best_on = max(off), max(on)
                print(
                    f"{kind:8} {callers:2} callers  rounds every {interval:5.2f} s  appends/s off "
                    f"{best_off:8.1f}  on {best_on:8.1f}  ratio on/off {best_on / best_off:5.2f}  "
                    f"cosigned up to {latest} of {size} during the run"
                )
            trips = []
            for _ in range(20):
                await ledger.append([drafts[0]])
                note, size = await ledger.latest_checkpoint(), await ledger.size()
                started = time.perf_counter()
                await clients[0].cosign(note, size, witnessing._proof)
                trips.append((time.perf_counter() - started) * 1000)
            await clients[0].aclose()
            print(
                f"{kind:8} add-checkpoint round trip (consistency proof, witness check, fsync, "
                f"cosignature): p50 {statistics.median(trips):.1f} ms, max {max(trips):.1f} ms"
            )
        finally:
            await ledger.close()
            await close_engine(engine)
            for process, _, _ in witnesses:
                process.terminate()
                process.wait(timeout=10)
            await db.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--intervals", default="0.05,5", help="witnessing round intervals (s)")
    options = parser.parse_args()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(40)  # errors only
    )
    for kind in options.engines.split(","):
        intervals = [float(x) for x in options.intervals.split(",")]
        asyncio.run(
            run_engine(kind.strip(), options.callers, options.seconds, options.rounds, intervals)
        )


if __name__ == "__main__":
    main()
