"""The ledger as the portal uses it: one object for appends, proofs, checkpoints and audits.

``Ledger`` wires the parts (store, sequencer, group committer, proof builder, verifier) so that
callers never see a transaction, a lock or a node id. Typical use::

    ledger = Ledger(engine, signer, origin="esp-portal.local/ledger")
    await ledger.start()
    receipts = await ledger.append([DisclosureDraft(purpose=..., subject=..., ...)])
    async with ledger.appending() as tx:  # entries and the caller's rows commit together
        (receipt,) = await tx.append([ConsentGivenDraft(...)])
        await ConsentEvent.insert(ConsentEvent(..., ledger_index=receipt.index))
    ...
    await ledger.close()

Durability is part of the contract: ``append`` returns only after the entries, their nodes, the new
head and a signed checkpoint are committed with a synchronous commit (PostgreSQL
``synchronous_commit = on``; SQLite ``PRAGMA synchronous = FULL``, checked on the connection, and
``BEGIN IMMEDIATE``). Anything less raises :class:`~ledger.errors.LedgerWriteError`: the caller
must then not disclose.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, TypeVar

import structlog
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import TransactionType

from .batcher import GroupCommitter
from .checkpoint import Checkpoint, sign_checkpoint
from .completeness import CompletenessProof
from .entries import EntryDraft
from .errors import (
    LedgerClosedError,
    LedgerCorruptError,
    LedgerError,
    LedgerNotFoundError,
    LedgerRangeError,
    LedgerUsageError,
    LedgerWriteError,
    VerificationRunningError,
)
from .merkle import EMPTY_ROOT
from .note import NoteSigner, NoteVerifier
from .proofs import (
    ConsistencyProof,
    InclusionProof,
    Receipt,
    build_completeness_proof,
    build_consistency_proof,
    build_inclusion_paths,
    build_inclusion_proof,
    build_inclusion_proofs,
    check_consistency_params,
    check_inclusion_params,
)
from .sequencer import MAP_STORE_EVERY, Sequencer
from .store import LedgerStore, StoredEntry
from .subjectmap import default_core
from .verify import ProgressCallback, VerifyResult, verify

__all__ = ["Ledger", "LedgerTransaction"]

T = TypeVar("T")


def _raw(value: bytes) -> bytes:
    return value


log = structlog.get_logger("ledger")

_WRITE_LOCKING_SQLITE = frozenset({"IMMEDIATE", "EXCLUSIVE"})


class LedgerTransaction:
    """Appends inside one open write transaction (see :meth:`Ledger.appending`)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def append(self, drafts: Sequence[EntryDraft]) -> list[Receipt]:
        """Sequence ``drafts`` in this transaction; the receipts hold once it commits."""
        return await self._ledger.append_in_transaction(drafts)


#: Held while a full verification runs in this process (any ledger, any event loop): each one
#: replays the whole log, so a second press of "verify now" is told one is running instead.
_VERIFYING = threading.Lock()


class Ledger:
    """The tamper-evident log on one database engine, signing with one key for one origin."""

    def __init__(
        self,
        engine: Engine[Any],
        signer: NoteSigner,
        origin: str,
        *,
        batch_max: int = 256,
        lock_timeout: float = 5.0,
        subject_map: bool = True,
        map_store_every: int = MAP_STORE_EVERY,
    ) -> None:
        Checkpoint(origin, 0, EMPTY_ROOT)  # a bad origin fails here, not at the first append
        self._engine = engine
        self._signer = signer
        self._origin = origin
        self._store = LedgerStore(engine, lock_timeout)
        self._lock_timeout = lock_timeout
        self._sequencer = Sequencer(
            self._store,
            signer,
            origin,
            subject_map=subject_map,
            map_store_every=map_store_every,
        )
        self._batch_max = batch_max
        self._batcher = GroupCommitter(self._commit, max_entries=batch_max)
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def batch_max(self) -> int:
        """The most entries one group commit writes."""
        return self._batch_max

    @property
    def engine(self) -> Engine[Any]:
        return self._engine

    def verifier(self) -> NoteVerifier:
        return self._signer.verifier()

    def verifier_key(self) -> str:
        """The signed-note verifier key ``name+hexkeyid+base64(0x01||pubkey)`` (public)."""
        return self._signer.verifier_key()

    async def start(self) -> None:
        """Check the database can hold a durable ledger, then start the writer.

        Fails fast (at application start rather than at the first disclosure) when the ledger
        tables are not migrated or an SQLite connection would not commit synchronously.
        """
        if self._closed:
            raise LedgerClosedError("a closed ledger cannot be started again")
        try:
            async with self._engine.transaction():
                await self._store.require_durable_commit()
                head = await self._store.head()
        except RuntimeError as exc:
            raise LedgerUsageError(str(exc)) from None
        except LookupError as exc:
            raise LedgerUsageError(str(exc)) from None
        await self._store.keep_wal_open()
        self._batcher.start()
        log.info(
            "ledger.started",
            tree_size=head.size,
            key_id=self._signer.key_id.hex(),
            map_core=default_core().name,
        )

    async def check_writable(self) -> bool:
        """Whether an append could commit now (for readiness probes): never writes.

        False when the ledger is closed, its writer has stopped, the database refuses the
        writes an append makes, or it cannot commit durably. Errors are logged, not raised.
        """
        if self._closed or self._batcher.stopped:
            return False
        try:
            # Bounded: a probe must answer promptly, saying "no" while a lock is held elsewhere.
            return await asyncio.wait_for(self._store.can_write(), self._lock_timeout + 1)
        except TimeoutError:
            log.warning("ledger.not_writable", error="lock wait timed out")
            return False
        except Exception as exc:
            log.warning("ledger.not_writable", error=type(exc).__name__)
            return False

    async def close(self) -> None:
        """Commit what is queued, then refuse further appends."""
        self._closed = True
        try:
            await self._batcher.close()
        finally:
            await self._store.release()

    # ------------------------------------------------------------------ appends

    @staticmethod
    def _check_drafts(drafts: Sequence[EntryDraft]) -> list[EntryDraft]:
        items = list(drafts)
        for item in items:
            if not isinstance(item, EntryDraft):
                raise LedgerUsageError(
                    f"append takes EntryDraft objects, not {type(item).__name__}"
                )
            item.prepare()  # serialise in the caller's task, not under the head lock
        return items

    async def append(self, drafts: Sequence[EntryDraft]) -> list[Receipt]:
        """Append ``drafts`` atomically; return their receipts once durably committed.

        Concurrent calls are committed together (group commit); each waits for its own receipts.
        Raises :class:`LedgerWriteError` if the commit fails (nothing of this call is visible).

        Do not call this while the current task holds a transaction that already appended with
        :meth:`append_in_transaction` (the writer would wait for that transaction's lock), and
        on SQLite not inside an IMMEDIATE transaction at all (the writer needs the write lock).
        """
        items = self._check_drafts(drafts)
        if self._closed:
            raise LedgerClosedError("the ledger is closed; nothing was appended")
        if not items:
            return []
        self._batcher.start()
        return await self._batcher.submit(items)

    async def append_in_transaction(self, drafts: Sequence[EntryDraft]) -> list[Receipt]:
        """Append inside the caller's open ``engine.transaction()``, atomically with its rows.

        The head lock is taken here and held until the caller's transaction ends, so keep that
        transaction short. On SQLite the caller must open it as
        ``engine.transaction(transaction_type=TransactionType.immediate)``: a deferred transaction
        that has read could not later take the write lock, and two of them could deadlock.
        The receipts are valid once the caller commits; if it rolls back they refer to nothing.
        Raises :class:`LedgerWriteError` on a storage failure; the caller's transaction should
        then be rolled back (letting the exception leave its ``async with`` block does that).
        """
        items = self._check_drafts(drafts)
        self._check_transaction()
        if not items:
            return []
        try:
            batch = await self._sequencer.sequence([items])
        except LedgerWriteError:
            raise
        except Exception as exc:
            log.error("ledger.append.failed", error=type(exc).__name__, entries=len(items))
            detail = str(exc) if isinstance(exc, LedgerError | RuntimeError) else type(exc).__name__
            raise LedgerWriteError(
                f"the ledger could not append in this transaction: {detail}"
            ) from exc
        return batch.receipts[0]

    @asynccontextmanager
    async def appending(self) -> AsyncIterator[LedgerTransaction]:
        """One write transaction in which entries and the caller's own rows commit together.

        Opens the transaction the way :meth:`append_in_transaction` needs it (``BEGIN
        IMMEDIATE`` on SQLite, so the write lock is held from the first statement), yields a
        :class:`LedgerTransaction` to append with, and commits when the block ends; an exception
        leaving the block rolls back the entries and the rows alike. Keep the block short: the
        ledger's head is locked from the first append to the commit.
        """
        if self._engine.engine_type == "sqlite":
            context: Any = self._engine.transaction(transaction_type=TransactionType.immediate)
        else:
            context = self._engine.transaction()
        async with context:
            yield LedgerTransaction(self)

    def _check_transaction(self) -> None:
        transaction = self._engine.current_transaction.get()
        if transaction is None:
            raise LedgerUsageError(
                "append_in_transaction must run inside 'async with engine.transaction()'; "
                "use append() otherwise"
            )
        if self._engine.engine_type == "sqlite":
            kind = getattr(getattr(transaction, "transaction_type", None), "value", None)
            if kind not in _WRITE_LOCKING_SQLITE:
                raise LedgerUsageError(
                    "on SQLite, append_in_transaction needs a transaction opened with "
                    "engine.transaction(transaction_type=TransactionType.immediate)"
                )

    async def _commit(self, requests: list[list[EntryDraft]]) -> list[list[Receipt]]:
        try:
            async with self._store.write_transaction():
                batch = await self._sequencer.sequence(requests)
        except RuntimeError as exc:  # a connection that would not commit durably
            raise LedgerWriteError(str(exc)) from exc
        self._sequencer.remember(batch)
        return batch.receipts

    # ------------------------------------------------------------------ reads

    async def size(self) -> int:
        """The number of committed entries."""
        return (await self._store.head()).size

    def _empty_checkpoint(self) -> str:
        return sign_checkpoint(Checkpoint(self._origin, 0, EMPTY_ROOT), self._signer)

    async def latest_checkpoint(self) -> str:
        """The signed note of the latest committed tree (size 0 is signed on demand)."""
        stored = await self._store.latest_checkpoint()
        if stored is not None:
            return stored.note
        if (await self._store.head()).size != 0:
            raise LedgerCorruptError("the log has entries but no checkpoint; run ledger verify")
        return self._empty_checkpoint()

    async def checkpoint_at(self, size: int) -> str:
        """The signed note issued when the tree reached ``size`` (one per committed batch)."""
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise LedgerRangeError("size", f"size must be a non-negative integer, got {size!r}")
        current = await self.size()
        if size > current:
            raise LedgerRangeError(
                "size", f"size {size} is larger than the log ({current} entries)"
            )
        if size == 0:
            return self._empty_checkpoint()
        stored = await self._store.checkpoint(size)
        if stored is None:
            raise LedgerNotFoundError(
                f"no checkpoint was issued at size {size} (one is issued per committed batch); "
                "use the latest checkpoint and a consistency proof instead"
            )
        return stored.note

    def _reading(self) -> AbstractAsyncContextManager[Any]:
        """One connection for a read of several queries on SQLite.

        Piccolo opens a new SQLite connection (and thread) per query outside a transaction; a
        deferred transaction shares one and takes no write lock. PostgreSQL reads come from the
        pool, where a transaction would only add round trips.
        """
        if self._store.postgres:
            return nullcontext()
        return self._engine.transaction()  # type: ignore[no-any-return]

    async def inclusion_proof(self, index: int, tree_size: int) -> InclusionProof:
        """RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
        async with self._reading():
            check_inclusion_params(index, tree_size, await self.size())
            return await build_inclusion_proof(self._store, index, tree_size)

    async def inclusion_proofs(
        self, indexes: Sequence[int], tree_size: int
    ) -> list[InclusionProof]:
        """Inclusion proofs of many entries in one tree, in two queries whatever their number."""
        async with self._reading():
            size = await self.size()
            for index in indexes:
                check_inclusion_params(index, tree_size, size)
            if not indexes:
                return []
            return await build_inclusion_proofs(self._store, indexes, tree_size)

    async def inclusion_paths(
        self,
        indexes: Sequence[int],
        tree_size: int,
        encode: Callable[[bytes], T] = _raw,  # type: ignore[assignment]
    ) -> list[list[T]]:
        """Inclusion paths of many entries in one tree (thousands: a subject access report), in
        a few queries; each path is what ``inclusion_proof`` gives for that entry, each distinct
        hash passed through ``encode`` once."""
        async with self._reading():
            size = await self.size()
            for index in indexes:
                check_inclusion_params(index, tree_size, size)
            if not indexes:
                return []
            return await build_inclusion_paths(self._store, indexes, tree_size, encode)

    async def consistency_proof(self, first: int, second: int) -> ConsistencyProof:
        """RFC 9162 proof that the tree of size ``second`` extends the tree of size ``first``."""
        async with self._reading():
            check_consistency_params(first, second, await self.size())
            return await build_consistency_proof(self._store, first, second)

    async def completeness_proof(self, subject: str, tree_size: int) -> CompletenessProof:
        """Proof that the chain of ``subject``'s entries in the tree of ``tree_size`` is whole.

        Cost: one query reading the stored map's path (about log2(subjects) rows) and the
        commitment's inclusion proof; for a size from before the map was stored, one grouped
        scan of the entries below ``tree_size`` and a map built from it. Raises
        :class:`LedgerNotFoundError` for a tree signed before subject maps existed.
        """
        if not subject:
            raise LedgerRangeError("subject", "a completeness proof needs a subject")
        async with self._reading():
            size = await self.size()
            if (
                not isinstance(tree_size, int)
                or isinstance(tree_size, bool)
                or not 0 < tree_size <= size
            ):
                raise LedgerRangeError(
                    "tree_size", f"tree_size must be between 1 and the log's size {size}"
                )
            return await build_completeness_proof(self._store, subject, tree_size)

    async def get_entry(self, index: int) -> StoredEntry:
        """The stored entry at ``index`` (its exact bytes and leaf hash)."""
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise LedgerRangeError("index", f"index must be a non-negative integer, got {index!r}")
        async with self._reading():
            size = await self.size()
            if index >= size:
                raise LedgerRangeError("index", f"no entry at index {index}: the log has {size}")
            entry = await self._store.entry(index)
        if entry is None:
            raise LedgerCorruptError(f"entry {index} is missing; run 'esp-portal ledger verify'")
        return entry

    async def verify(
        self, progress: ProgressCallback | None = None, *, map_checkpoints: int = 1
    ) -> VerifyResult:
        """Audit the whole log with this ledger's own key (see :func:`ledger.verify.verify`).

        One at a time per process: a second call while one runs raises
        :class:`VerificationRunningError` at once instead of replaying the log a second time.
        """
        if not _VERIFYING.acquire(blocking=False):
            raise VerificationRunningError("a verification of the ledger is already running")
        try:
            return await verify(
                self._engine,
                self.verifier(),
                self._origin,
                progress,
                map_checkpoints=map_checkpoints,
            )
        finally:
            _VERIFYING.release()
