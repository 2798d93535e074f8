"""Full audit of a stored log, streaming: memory does not grow with the log's length (only the
subject map replayed for the chains grows, by one leaf per subject).

The verifier trusts nothing stored except the entries' bytes: it re-hashes each body, rebuilds the
tree in a compact range (at most one hash per bit of the size), and compares, in leaf order, every
stored leaf hash, every stored node as soon as the rebuild completes it, and every stored checkpoint
as soon as the rebuild reaches its size (its root column, its signature, its origin, its size and
root text, and a consistency proof from the previous checkpoint built from the stored nodes, exactly
as a client would be served it). The first disagreement stops the run and is reported with the
leaf index at which it shows and the evidence (expected versus found).

Batches are part of the hashed log: every entry states the tree size of the checkpoint its batch
committed with (``checkpoint_size``), and one checkpoint is issued per batch. So the verifier knows
which checkpoints must exist, and a checkpoint removed from the middle of the log, a forged one at
a size no batch ended at, or a tail cut inside a batch is reported, not passed over.

It checks the log up to the head size read when it starts; appends committed meanwhile are left for
the next run, so it can run against a live log. The head, the highest entry and the largest
checkpoint are read in one snapshot: a head behind what is stored is reported, not trusted.

Subject chains are replayed too (:mod:`ledger.chain_audit`): each ``prev_subject_index`` must
name the previous entry about the same subject and each batch's ``subject_map`` the root of the
map the log makes, which is what makes a completeness proof worth trusting.

The columns stored beside each entry for searching (kind, purpose, subject, recipients, channel,
time) are compared with the entry's hashed bytes as well: a changed column would hide an entry
from a search or a subject access report while the tree itself stays intact.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.engine.base import Engine

from . import merkle
from .chain_audit import ChainAudit, ChainProblem
from .checkpoint import CheckpointError, OriginMismatchError, open_checkpoint
from .compact import CompactRange
from .entries import format_timestamp
from .mapstore import StoredMapError, load_stored_map, stated_map_root
from .nodes import NodeID, ProofPlan, consistency_plan
from .note import NoteError, NoteVerifier
from .offload import hashing_thread, off_loop
from .store import LedgerStore, StoredCheckpoint, StoredEntry
from .tables import node_key

__all__ = ["ProgressCallback", "VerifyProblem", "VerifyResult", "verify"]

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(entries_done, entries_total)`` after each page."""

PAGE_SIZE = 1000

#: Entries hashed per hand-off to the verification's thread. Between two hand-offs the loop has
#: a turn for certain; within one it depends on the interpreter handing the GIL over, which a
#: busy machine delays (measured: bench/verify_bench.py).
HASH_SLICE = 100


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    """The first thing found wrong: where (leaf index), what, and the evidence."""

    index: int
    what: str
    detail: str
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        text = f"index {self.index}: {self.detail}"
        if self.expected is not None or self.found is not None:
            text += f" (expected {self.expected}, found {self.found})"
        return text


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What was checked, and the first problem if any (``ok`` when there is none)."""

    size: int
    root_hash: bytes
    entries: int
    nodes: int
    checkpoints: int
    problem: VerifyProblem | None
    #: Stored subject map rows read and hashed (those of the latest stored maps).
    map_rows: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Found(Exception):
    def __init__(self, problem: VerifyProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _completed_key_ranges(start: int, stop: int) -> list[tuple[int, int]]:
    """Key ranges of the interior nodes completed by appending leaves ``start .. stop - 1``.

    Node ``(L, j)`` completes with leaf ``(j + 1) * 2**L - 1``, so per level the indexes run from
    ``start >> L`` to ``(stop >> L) - 1``: one contiguous key range per level.
    """
    ranges = []
    for level in range(1, stop.bit_length() + 1):
        low, high = start >> level, (stop >> level) - 1
        if high >= low:
            ranges.append((node_key(level, low), node_key(level, high)))
    return ranges


async def _checkpoints(store: LedgerStore, up_to: int) -> AsyncGenerator[StoredCheckpoint, None]:
    after = 0
    while True:
        page = await store.checkpoints_between(after, up_to, PAGE_SIZE)
        for checkpoint in page:
            yield checkpoint
        if len(page) < PAGE_SIZE:
            return
        after = page[-1].size


#: The stored columns derived from each entry's document (search, listing, export, time range).
_DERIVED = ("kind", "purpose", "subject", "recipient_org", "recipient_user", "channel")


def _stored_time(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return format_timestamp(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)


def _check_columns(stored: StoredEntry, document: dict[str, Any]) -> None:
    """Each column kept beside an entry says what its hashed bytes say.

    Searches, disclosure lists, subject access reports and exports select by these columns, so
    a changed column hides or misfiles an entry whose own bytes are intact.
    """
    found: list[tuple[str, str, str]] = [
        (column, str(document.get(column) or ""), str(getattr(stored, column) or ""))
        for column in _DERIVED
    ]
    found.append(("logged_at", str(document.get("timestamp")), _stored_time(stored.logged_at)))
    for column, expected, actual in found:
        if expected != actual:
            raise _Found(
                VerifyProblem(
                    stored.index,
                    "entry-column",
                    f"entry {stored.index}'s stored {column} is not what its hashed entry says "
                    "(the column was changed)",
                    expected,
                    actual,
                )
            )


class _Auditor:
    def __init__(
        self,
        store: LedgerStore,
        verifier: NoteVerifier,
        origin: str,
        size: int,
        hashing: Executor | None = None,
    ) -> None:
        self.store = store
        #: The thread every page is hashed and checked on (:mod:`ledger.offload`).
        self.hashing = hashing
        self.verifier = verifier
        self.origin = origin
        self.size = size
        self.compact = CompactRange()
        self.entries = 0
        self.nodes = 0
        self.checkpoints = 0
        self.previous: tuple[int, bytes] = (0, merkle.EMPTY_ROOT)
        #: Checkpoints reached in the current page, to be proven consistent in one query.
        self.reached: list[tuple[int, bytes, int, bytes]] = []
        #: The tree size the current batch ends at (its entries say so); 0 before the first.
        self.batch_end = 0
        self.chains = ChainAudit()
        #: The checkpoints the current page reaches and that are not yet checked, in size order.
        self.due: collections.deque[StoredCheckpoint] = collections.deque()

    def check_place(self, index: int, body: bytes) -> dict[str, Any]:
        """The entry's own index and batch end agree with where it is stored (its document)."""
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise _Found(VerifyProblem(index, "entry-malformed", f"entry {index} is not JSON"))
        stated, declared = document.get("index"), document.get("checkpoint_size")
        if stated != index or isinstance(stated, bool):
            raise _Found(
                VerifyProblem(
                    index,
                    "entry-index",
                    f"the entry stored at index {index} states another index",
                    str(index),
                    str(stated),
                )
            )
        if not isinstance(declared, int) or isinstance(declared, bool) or declared <= index:
            raise _Found(
                VerifyProblem(
                    index,
                    "batch-marker",
                    f"entry {index} does not state a checkpoint size beyond itself",
                    f"an integer > {index}",
                    str(declared),
                )
            )
        if index == self.batch_end:  # the first entry of a new batch
            self.batch_end = declared
        elif declared != self.batch_end:
            raise _Found(
                VerifyProblem(
                    index,
                    "batch-marker",
                    f"entry {index} states a batch ending at tree size {declared}, but its batch "
                    f"ends at {self.batch_end}",
                    str(self.batch_end),
                    str(declared),
                )
            )
        try:
            self.chains.check(index, document, self.batch_end)
        except ChainProblem as problem:
            raise _Found(
                VerifyProblem(
                    problem.index, problem.kind, problem.message, problem.expected, problem.found
                )
            ) from None
        return document

    def check_batch_end(self, checked_here: bool) -> None:
        """One checkpoint per batch, at the size the batch's entries state, and no other."""
        size = self.compact.size
        if size == self.batch_end and not checked_here:
            raise _Found(
                VerifyProblem(
                    size - 1,
                    "missing-checkpoint",
                    f"no checkpoint is stored for tree size {size}, where the batch ending with "
                    f"entry {size - 1} was committed (a checkpoint was removed)",
                )
            )
        if checked_here and size != self.batch_end:
            raise _Found(
                VerifyProblem(
                    size - 1,
                    "checkpoint-unexpected",
                    f"a checkpoint is stored for tree size {size}, where no batch ended (the "
                    f"batch of entry {size - 1} ends at {self.batch_end})",
                    str(self.batch_end),
                    str(size),
                )
            )

    def check_checkpoint(self, stored: StoredCheckpoint) -> None:
        index = stored.size - 1
        root = self.compact.root()
        if stored.root_hash != root:
            raise _Found(
                VerifyProblem(
                    index,
                    "checkpoint-root",
                    f"the checkpoint for tree size {stored.size} records a root that is not the "
                    "rebuilt tree's",
                    _b64(root),
                    _b64(stored.root_hash),
                )
            )
        try:
            checkpoint = open_checkpoint(stored.note, self.verifier, self.origin)
        except OriginMismatchError as exc:
            raise _Found(
                VerifyProblem(index, "checkpoint-origin", f"checkpoint {stored.size}: {exc}")
            ) from None
        except NoteError as exc:
            raise _Found(
                VerifyProblem(
                    index,
                    "checkpoint-signature",
                    f"the checkpoint for tree size {stored.size} does not verify with key "
                    f"{self.verifier.name}: {exc}",
                )
            ) from None
        except CheckpointError as exc:
            raise _Found(
                VerifyProblem(
                    index,
                    "checkpoint-text",
                    f"the checkpoint for tree size {stored.size} is malformed: {exc}",
                )
            ) from None
        if checkpoint.size != stored.size or checkpoint.root_hash != root:
            raise _Found(
                VerifyProblem(
                    index,
                    "checkpoint-text",
                    f"the signed checkpoint stored for tree size {stored.size} states another tree",
                    f"{stored.size} {_b64(root)}",
                    f"{checkpoint.size} {_b64(checkpoint.root_hash)}",
                )
            )
        self.reached.append((*self.previous, stored.size, root))
        self.previous = (stored.size, root)
        self.checkpoints += 1

    async def prove_reached_consistent(self) -> None:
        """Consistency of each reached checkpoint with its predecessor, via stored nodes (read
        on the loop, hashed on the verification's thread)."""
        if not self.reached:
            return
        plans = [consistency_plan(old, new) for old, _, new, _ in self.reached]
        ids = [node for plan in plans for node in plan.node_ids]
        fetched = await self.store.node_hashes(ids) if ids else {}
        await off_loop(self.hashing, self._check_consistency, plans, fetched)

    def _check_consistency(self, plans: list[ProofPlan], fetched: dict[NodeID, bytes]) -> None:
        for (old, old_root, new, new_root), plan in zip(self.reached, plans, strict=True):
            try:
                proof = plan.assemble(fetched)
            except KeyError as exc:
                raise _Found(
                    VerifyProblem(
                        new - 1,
                        "missing-node",
                        f"a node needed to prove checkpoint {new} consistent is missing: {exc}",
                    )
                ) from None
            if not merkle.verify_consistency(old, new, proof, old_root, new_root):
                raise _Found(
                    VerifyProblem(
                        new - 1,
                        "checkpoint-consistency",
                        f"the checkpoint for tree size {new} is not provably consistent with the "
                        f"one for tree size {old}",
                    )
                )
        self.reached.clear()

    async def _page(self, start: int) -> tuple[list[StoredEntry], dict[NodeID, bytes]]:
        stop = min(self.size, start + PAGE_SIZE)
        entries = await self.store.entries_between(start, stop)
        nodes = await self.store.nodes_in_key_ranges(_completed_key_ranges(start, stop))
        return entries, nodes

    async def run(self, progress: ProgressCallback | None) -> None:
        async with contextlib.aclosing(_checkpoints(self.store, self.size)) as checkpoints:
            await self._run(checkpoints, progress)

    async def _run(
        self, checkpoints: AsyncIterator[StoredCheckpoint], progress: ProgressCallback | None
    ) -> None:
        pending = await anext(checkpoints, None)
        starts = range(0, self.size, PAGE_SIZE)
        # Fetch the next page while hashing this one: the database and the hashing overlap.
        upcoming = asyncio.ensure_future(self._page(0)) if self.size else None
        try:
            for start in starts:
                assert upcoming is not None
                leaves, stored_nodes = await upcoming
                following = start + PAGE_SIZE
                upcoming = (
                    asyncio.ensure_future(self._page(following)) if following < self.size else None
                )
                stop = min(self.size, following)
                # The checkpoints this page can reach, read here on the loop so that the page is
                # then checked on the hashing thread without awaiting anything.
                due: list[StoredCheckpoint] = []
                while pending is not None and pending.size <= stop:
                    due.append(pending)
                    pending = await anext(checkpoints, None)
                self.due = collections.deque(due)
                expected = start
                for at in range(0, len(leaves), HASH_SLICE):
                    expected = await off_loop(
                        self.hashing,
                        self._check_leaves,
                        expected,
                        leaves[at : at + HASH_SLICE],
                        stored_nodes,
                    )
                if expected < stop:
                    raise _Found(self._missing_entry(expected))
                await self.prove_reached_consistent()
                if progress is not None:
                    progress(stop, self.size)
        finally:
            if upcoming is not None:
                upcoming.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await upcoming

    def _check_leaves(
        self, expected: int, leaves: list[StoredEntry], stored_nodes: dict[NodeID, bytes]
    ) -> int:
        """Re-hash a slice of a page's entries in leaf order, rebuild the nodes they complete
        and check the checkpoints they reach (pure CPU: runs on the verification's thread).
        Returns the index the next entry must have."""
        due = self.due
        for stored in leaves:
            index, stored_leaf, body = stored.index, stored.leaf_hash, stored.body
            if index != expected:
                raise _Found(self._missing_entry(expected))
            leaf = merkle.leaf_hash(body)
            if leaf != stored_leaf:
                raise _Found(
                    VerifyProblem(
                        index,
                        "leaf-hash",
                        f"entry {index}'s stored bytes do not hash to its stored leaf "
                        "hash (the entry or its hash was changed)",
                        _b64(leaf),
                        _b64(stored_leaf),
                    )
                )
            _check_columns(stored, self.check_place(index, body))
            for node, computed in self.compact.append(leaf):
                self._check_node(index, node, computed, stored_nodes.get(node))
            self.entries += 1
            checked_here = False
            while due and due[0].size <= self.compact.size:
                reached = due.popleft()
                if reached.size == self.compact.size:
                    self.check_checkpoint(reached)
                    checked_here = True
            self.check_batch_end(checked_here)
            expected += 1
        return expected

    def _check_node(self, index: int, node: NodeID, computed: bytes, stored: bytes | None) -> None:
        self.nodes += 1
        where = (
            f"node (level {node.level}, index {node.index}) covering entries "
            f"{node.begin}..{node.end - 1}"
        )
        if stored is None:
            raise _Found(VerifyProblem(index, "missing-node", f"{where} is missing"))
        if stored != computed:
            raise _Found(
                VerifyProblem(
                    index,
                    "node",
                    f"{where} does not match the hash of its entries",
                    _b64(computed),
                    _b64(stored),
                )
            )

    @staticmethod
    def _missing_entry(index: int) -> VerifyProblem:
        return VerifyProblem(index, "missing-entry", f"entry {index} is missing (a gap in the log)")


async def audit_stored_maps(
    store: LedgerStore, sizes: list[int], hashing: Executor | None = None
) -> tuple[int, VerifyProblem | None]:
    """Read back the stored subject map of each checkpoint size in ``sizes`` and hash every row
    reachable from its root row (:func:`ledger.mapstore.load_stored_map`): the root row must
    hash to the root the size's last entry commits to (already checked against the replayed
    entries), every other row to what its parent row says. A stored row is what a completeness
    proof is read from, so a changed one would otherwise only show as slow proofs.

    A log that never stored a map (written before stored maps, no batch since) has no rows and
    nothing to audit. Returns the rows read and the first problem. Rows are hashed on
    ``hashing``'s thread, a level of tiles at a time (inline when None).
    """
    rows = 0
    if not sizes or not await store.has_subject_nodes():
        return rows, None
    for size in sizes:
        root = await stated_map_root(store, size)
        if root is None:
            continue
        try:
            _, read, _ = await load_stored_map(store, size, root, hashing=hashing)
        except StoredMapError as exc:
            return rows, VerifyProblem(
                size - 1,
                f"subject-map-{exc.what}",
                f"{exc} — in the stored subject map of tree size {size}, row key {exc.key}",
                exc.expected,
                exc.found,
            )
        rows += read
    return rows, None


async def verify(
    engine: Engine[Any],
    verifier: NoteVerifier,
    origin: str,
    progress: ProgressCallback | None = None,
    *,
    map_checkpoints: int = 1,
) -> VerifyResult:
    """Audit the whole stored log; the result names the first bad index, if any.

    Then the latest ``map_checkpoints`` stored subject maps (the log stores one batch's in
    several) are read back and hashed (:func:`audit_stored_maps`).

    The hashing runs on a thread of the verification's own (:mod:`ledger.offload`), a page at
    a time, so a verify of a large log started from a served page leaves the event loop free.
    """
    hashing = hashing_thread()
    try:
        return await _verify(
            LedgerStore(engine), verifier, origin, progress, map_checkpoints, hashing
        )
    finally:
        hashing.shutdown(wait=False, cancel_futures=True)


async def _verify(
    store: LedgerStore,
    verifier: NoteVerifier,
    origin: str,
    progress: ProgressCallback | None,
    map_checkpoints: int,
    hashing: Executor,
) -> VerifyResult:
    head, stored_entries, checkpointed = await store.head_and_extent()
    auditor = _Auditor(store, verifier, origin, head.size, hashing)
    problem: VerifyProblem | None = None
    root = head.root_hash
    try:
        beyond = max(stored_entries, checkpointed)
        if beyond > head.size:
            # The head was moved back behind the log (or entries appended behind its back):
            # what it says cannot be the tree that was served.
            raise _Found(
                VerifyProblem(
                    head.size,
                    "head-behind",
                    f"the head says tree size {head.size}, but entries or checkpoints are "
                    f"stored up to size {beyond}",
                    str(beyond),
                    str(head.size),
                )
            )
        await auditor.run(progress)
        root = await off_loop(hashing, auditor.compact.root)
        last = head.size - 1
        if auditor.batch_end > head.size:
            # The last batch's entries say it ended later: its tail was cut and the head moved
            # back with it.
            problem = VerifyProblem(
                head.size,
                "missing-entry",
                f"entry {head.size} is missing: the batch of entry {last} ends at tree size "
                f"{auditor.batch_end}, beyond the head's {head.size}",
                str(auditor.batch_end),
                str(head.size),
            )
        elif root != head.root_hash:
            problem = VerifyProblem(
                max(last, 0),
                "head-root",
                f"the head records a root for tree size {head.size} that is not the rebuilt tree's",
                _b64(root),
                _b64(head.root_hash),
            )
        elif head.size > 0 and auditor.previous[0] != head.size:
            problem = VerifyProblem(
                last,
                "missing-checkpoint",
                f"no checkpoint is stored for the head's tree size {head.size}",
            )
    except _Found as found:
        problem = found.problem
    map_rows = 0
    if problem is None and head.size > 0 and map_checkpoints > 0:
        sizes = await store.latest_map_versions(head.size, map_checkpoints)
        map_rows, problem = await audit_stored_maps(store, sizes, hashing)
    return VerifyResult(
        size=head.size,
        root_hash=head.root_hash if problem else root,
        entries=auditor.entries,
        nodes=auditor.nodes,
        checkpoints=auditor.checkpoints,
        problem=problem,
        map_rows=map_rows,
    )
