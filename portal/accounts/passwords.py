"""Password policy and hashing (Argon2id via argon2-cffi; common list from zxcvbn).

Policy follows NCSC / NIST SP 800-63B: at least 12 characters, not a known common password, no
composition rules. Verification of an unknown account runs against a dummy hash so that the
answer takes about as long as for a real one.

An Argon2id hash takes tens of milliseconds of CPU and memory on purpose. Run on the event loop
it would stop every other request on the worker for that long, so requests hash through
:meth:`PasswordHashing.verify_async` / :meth:`PasswordHashing.hash_async`: on a small thread pool
(argon2-cffi releases the GIL), at most ``ESP_PASSWORD_HASH_WORKERS`` at a time. A flood of
sign-ins queues on a semaphore (no thread and no hash memory per waiter) while other requests go on.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type

from portal.settings import Settings

R = TypeVar("R")

MIN_LENGTH = 12
MAX_LENGTH = 256


class PasswordRejected(ValueError):
    """The chosen password breaks the policy; the message says why, in plain words."""


@functools.cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def check_policy(password: str, email: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"must be at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        raise PasswordRejected("is too common; choose something harder to guess")
    local = email.split("@", 1)[0].lower()
    if local and len(local) >= 4 and local in lowered:
        raise PasswordRejected("must not contain your email address")


class PasswordHashing:
    """Argon2id with parameters from settings (tests use cheap ones)."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
            type=Type.ID,
        )
        self._dummy = self._hasher.hash("not a real password, for timing only")
        self._workers = settings.password_hash_workers
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="argon2")
        # One semaphore per event loop (an asyncio primitive belongs to the loop that uses it).
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def hash(self, password: str) -> str:
        """Hash on the calling thread (command line, demo data); requests use hash_async."""
        return self._hasher.hash(password)

    async def hash_async(self, password: str) -> str:
        """:meth:`hash` off the event loop, bounded by the pool."""
        return await self._off_loop(functools.partial(self.hash, password))

    async def verify_async(self, stored_hash: str | None, password: str) -> bool:
        """:meth:`verify` off the event loop, bounded by the pool."""
        return await self._off_loop(functools.partial(self.verify, stored_hash, password))

    async def _off_loop(self, work: Callable[[], R]) -> R:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self._workers)
        async with slots:
            return await loop.run_in_executor(self._pool, work)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing hash still costs one verification."""
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
