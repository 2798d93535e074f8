"""Sign-in hashing runs off the event loop, a bounded number at a time (both databases).

Evidence is ordering and concurrency, never a wall-clock threshold: whether the event loop went
round while each hash ran (a ticker task counts its turns), how many hashes had finished when
``/health`` answered in the middle of a flood of failed sign-ins, on which threads the hashes ran,
and how many ran at once.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from portal.app import create_app
from tests.conftest import TestDatabase, make_settings
from tests.support.served import serve_app

FLOOD = 12
WORKERS = 2


class RecordingHasher:
    """Wraps the app's Argon2 hasher and records where and how many verifications ran."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.started = 0
        self.finished = 0
        self.running = 0
        self.most_at_once = 0
        self.threads: set[int] = set()
        self.ticks = 0
        #: Hashes during which the event loop went round at least once.
        self.overlapped = 0

    def verify(self, stored: str, password: str) -> bool:
        ticks_before = self.ticks
        with self.lock:
            self.started += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.threads.add(threading.get_ident())
        try:
            return bool(self.inner.verify(stored, password))
        finally:
            with self.lock:
                self.running -= 1
                self.finished += 1
                self.overlapped += self.ticks > ticks_before

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_flood_of_failed_sign_ins_does_not_stall_health(
    database: TestDatabase, tmp_path: Path
) -> None:
    # Real Argon2id cost (tens of milliseconds a hash), so a hash on the loop would be seen.
    settings = make_settings(
        database,
        tmp_path / "data",
        password_hash_time_cost=2,
        password_hash_memory_kib=32768,
        password_hash_parallelism=1,
        password_hash_workers=WORKERS,
    )
    app = create_app(settings)
    recorder = RecordingHasher(app.state.password_hashing._hasher)
    app.state.password_hashing._hasher = recorder
    loop_thread = threading.get_ident()

    async def ticker() -> None:
        while True:
            recorder.ticks += 1
            await asyncio.sleep(0)

    async with serve_app(app) as client:
        ticking = asyncio.create_task(ticker())

        async def sign_in(n: int) -> int:
            answer = await client.post(
                "/api/auth/login",
                json={"email": f"nobody{n}@example.org", "password": "not the password"},
            )
            return answer.status_code

        flood = [asyncio.create_task(sign_in(n)) for n in range(FLOOD)]
        while recorder.started == 0:
            await asyncio.sleep(0.001)
        health = await client.get("/health")
        finished_when_health_answered = recorder.finished
        statuses = await asyncio.gather(*flood)
        ticking.cancel()

    assert health.status_code == 200
    assert statuses == [401] * FLOOD
    assert recorder.finished == FLOOD
    # The loop kept going round while hashes ran (on the loop it could not turn even once).
    assert recorder.overlapped > FLOOD // 2, recorder.overlapped
    # /health answered while most of the flood was still waiting for its hash: the loop was free.
    assert finished_when_health_answered < FLOOD // 2, finished_when_health_answered
    # Every hash ran off the event loop's thread, on no more threads than the setting allows,
    # and never more at once than that.
    assert loop_thread not in recorder.threads
    assert 1 <= len(recorder.threads) <= WORKERS
    assert recorder.most_at_once <= WORKERS
