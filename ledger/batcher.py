"""Group commit: concurrent appends in one process share one transaction and one fsync.

As Tessera batches entries before sequencing them, callers here put their request on a queue and
one writer task commits whatever is waiting as a single transaction, then wakes each caller with its
own receipts. No timer is involved: while one commit is in flight the next batch accumulates, so
batches grow with load and a lone caller pays for one commit only.

A request (all the drafts of one ``append`` call) is never split across transactions, so it is
atomic. A failed commit fails every request of that batch with :class:`LedgerWriteError` and the
writer goes on with the next batch.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from .entries import EntryDraft
from .errors import LedgerClosedError, LedgerError, LedgerWriteError
from .proofs import Receipt

__all__ = ["CommitFunction", "GroupCommitter"]

log = structlog.get_logger("ledger.batcher")

CommitFunction = Callable[[list[list[EntryDraft]]], Coroutine[Any, Any, list[list[Receipt]]]]


@dataclass(slots=True)
class _Request:
    drafts: list[EntryDraft]
    future: asyncio.Future[list[Receipt]]


class GroupCommitter:
    """One writer task committing queued requests in batches of up to ``max_entries``."""

    def __init__(self, commit: CommitFunction, max_entries: int = 256) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self._commit = commit
        self._max_entries = max_entries
        self._pending: deque[_Request] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def stopped(self) -> bool:
        """Started once and no longer running (closed, or the writer task died)."""
        return self._task is not None and self._task.done()

    def start(self) -> None:
        if self._task is not None:
            return
        # An empty context: the writer must not inherit a caller's open transaction (Piccolo
        # keeps it in a context variable) nor its request-scoped log context.
        self._task = asyncio.create_task(
            self._run(), name="ledger-writer", context=contextvars.Context()
        )

    async def submit(self, drafts: Sequence[EntryDraft]) -> list[Receipt]:
        """Queue one request and wait for its receipts (committed durably) or an error."""
        if self._closing or not self.running:
            raise LedgerClosedError("the ledger is closed; nothing was appended")
        future: asyncio.Future[list[Receipt]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(list(drafts), future))
        self._wakeup.set()
        return await future

    async def close(self) -> None:
        """Stop accepting requests, commit those already queued, then stop the writer."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await asyncio.shield(self._task)

    def _take_batch(self) -> list[_Request]:
        batch: list[_Request] = []
        count = 0
        while self._pending:
            request = self._pending[0]
            if request.future.done():  # the caller gave up before we started: skip it
                self._pending.popleft()
                continue
            if batch and count + len(request.drafts) > self._max_entries:
                break
            self._pending.popleft()
            batch.append(request)
            count += len(request.drafts)
        return batch

    async def _run(self) -> None:
        try:
            while True:
                if not self._pending:
                    if self._closing:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                batch = self._take_batch()
                if batch:
                    await self._commit_batch(batch)
        finally:
            while self._pending:
                request = self._pending.popleft()
                if not request.future.done():
                    request.future.set_exception(
                        LedgerClosedError("the ledger writer stopped; nothing was appended")
                    )

    async def _commit_batch(self, batch: list[_Request]) -> None:
        entries = sum(len(r.drafts) for r in batch)
        started = time.perf_counter()
        # Each commit runs in a fresh context so that a transaction context variable left set by
        # a failed COMMIT cannot leak into the next batch.
        task = asyncio.create_task(
            self._commit([r.drafts for r in batch]), context=contextvars.Context()
        )
        try:
            results = await asyncio.shield(task)
        except BaseException as exc:
            # On cancellation (the loop shutting down) the shielded commit finishes or fails on
            # its own; the callers are told it failed either way, which is the safe answer.
            cancelled = isinstance(exc, asyncio.CancelledError)
            log.error(
                "ledger.append.failed",
                error=type(exc).__name__,
                requests=len(batch),
                entries=entries,
            )
            # Database messages can quote values; only the ledger's own messages are passed on.
            detail = str(exc) if isinstance(exc, LedgerError) else type(exc).__name__
            for request in batch:
                if not request.future.done():
                    error = LedgerWriteError(f"the ledger could not commit this append: {detail}")
                    error.__cause__ = exc
                    request.future.set_exception(error)
            if cancelled:
                raise
            return
        log.debug(
            "ledger.append.committed",
            requests=len(batch),
            entries=entries,
            tree_size=results[0][-1].tree_size if results and results[0] else None,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        for request, receipts in zip(batch, results, strict=True):
            if not request.future.done():
                request.future.set_result(receipts)
