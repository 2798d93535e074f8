"""Answers computed from a person's data, remembered in this process for a bounded time only.

Remembering a person's computed hours (``portal.hours.staff_fields``) saves a third of a staff
page's CPU, but what is remembered is personal data held outside the database, where an erasure
cannot reach it. So every such memo here is bounded three ways:

- in number (the oldest entry goes first past ``maxsize``);
- in age: an entry is served for at most ``ttl`` seconds after it was computed, and dropped from
  memory by then (every read and write drops the expired ones; :func:`sweeping` drops them in an
  idle process too). Each worker process keeps its own memo and no erasure in another process
  reaches it: the age limit is what bounds how long an erased person's data stays there;
- on erasure: :func:`forget_everything` empties every memo of this process (an erasure calls it
  after its transaction commits). Entries are keyed on data, not on whose it is, so all of them
  go; they are recomputed on the next read.

A read that began before an erasure and remembers its answer after it would put the erased
person back: such a read takes :func:`erasures` before it reads and calls
:func:`forget_if_erased_since` after it remembers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Generic, ParamSpec, TypeVar

V = TypeVar("V")
P = ParamSpec("P")

#: Every memo of this process, so an erasure can empty them all.
_MEMOS: weakref.WeakSet[PersonalMemo[object]] = weakref.WeakSet()
_erasures = 0


class PersonalMemo(Generic[V]):
    """A bounded map from hashable keys to answers, each kept at most ``ttl`` seconds.

    Entries stay in the order they were computed (a hit does not renew one), so the expired are
    always at the front: a read checks one time, and dropping them costs only their own number.
    ``clock`` (seconds, monotonic) is replaceable so tests need not wait.
    """

    def __init__(
        self, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._first_at = math.inf  # when the front (oldest) entry was computed
        _MEMOS.add(self)  # type: ignore[arg-type]  # a WeakSet of memos of any value type

    def remember(self, compute: Callable[P, V]) -> Callable[P, V]:
        """``compute`` remembered here on its positional arguments (all hashable, as for
        ``functools.lru_cache``; a pure function of them)."""

        @functools.wraps(compute)
        def remembered(*args: P.args, **kwargs: P.kwargs) -> V:
            if kwargs:
                return compute(*args, **kwargs)
            self.drop_expired()
            found = self._entries.get(args)
            if found is not None:
                return found[1]
            value = compute(*args, **kwargs)
            self.put(args, value)
            return value

        return remembered

    def put(self, key: Hashable, value: V) -> None:
        """Remember ``value`` for ``key`` from now (the oldest goes past ``maxsize``)."""
        now = self.clock()
        self.drop_expired(now)
        entries = self._entries
        entries.pop(key, None)  # a key put again is as new: last in the order
        entries[key] = (now, value)
        while len(entries) > self.maxsize:
            entries.popitem(last=False)
        self._first_at = self._front()

    def drop_expired(self, now: float | None = None) -> None:
        """Forget every entry computed ``ttl`` seconds or more ago."""
        oldest = (self.clock() if now is None else now) - self.ttl
        # Only the front entry's time is read on the way (kept aside: reaching an OrderedDict's
        # first value hashes its key, as dear as a staff lookup itself).
        if self._first_at > oldest:
            return
        entries = self._entries
        while entries and self._first_at <= oldest:
            entries.popitem(last=False)
            self._first_at = self._front()

    def _front(self) -> float:
        """When the oldest entry was computed (infinity when there is none)."""
        return next(iter(self._entries.values()))[0] if self._entries else math.inf

    def clear(self) -> None:
        self._entries.clear()
        self._first_at = math.inf

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[Hashable, V]]:
        """What is remembered now, key and answer (for checks of whose data is held)."""
        return [(key, value) for key, (_at, value) in self._entries.items()]


def erasures() -> int:
    """How many times this process has forgotten everything (see :func:`forget_everything`)."""
    return _erasures


def forget_everything() -> None:
    """Empty every memo of this process: someone's data was erased."""
    global _erasures
    _erasures += 1
    for memo in list(_MEMOS):
        memo.clear()


def forget_if_erased_since(seen: int) -> None:
    """Empty every memo again if an erasure ran since :func:`erasures` returned ``seen``: a read
    that began before it may have remembered the erased person's data after it."""
    if _erasures != seen:
        forget_everything()


def drop_all_expired() -> None:
    for memo in list(_MEMOS):
        memo.drop_expired()


@contextlib.asynccontextmanager
async def sweeping(every: float = 60.0) -> AsyncIterator[None]:
    """While the block runs, drop expired entries every ``every`` seconds, so a process that
    serves nothing for a while does not keep them past their age limit (the app's lifetime)."""

    async def sweep() -> None:
        while True:
            await asyncio.sleep(every)
            drop_all_expired()

    task = asyncio.create_task(sweep())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
