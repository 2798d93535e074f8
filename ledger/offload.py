"""CPU-bound ledger work handed to a thread while the event loop keeps serving.

``ledger verify`` re-hashes every entry, rebuilds the tree and hashes every stored map row: at a
million entries that is seconds of pure Python. Run on the event loop, it would stall every
request in flight in that process for as long. The verifier instead reads a page on the loop
(async I/O), then hashes it on a thread of its own; the loop gets control between pages, and
during a page whenever the interpreter switches threads.

One thread per verification (not the loop's shared default pool): pages are checked in order
against state that only that thread touches, and a verification never waits behind unrelated
work queued on the default pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["hashing_thread", "off_loop"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


def hashing_thread() -> ThreadPoolExecutor:
    """A single worker thread for one verification's hashing; shut it down when done."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-verify")


async def off_loop(
    executor: Executor | None, work: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
) -> _T:
    """``work(*args, **kwargs)`` on ``executor``'s thread, awaited; inline when ``executor`` is
    None (callers that run off any event loop's hot path, e.g. seeding a map at start)."""
    if executor is None:
        return work(*args, **kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, lambda: work(*args, **kwargs))
