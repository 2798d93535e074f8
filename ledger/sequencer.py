"""Sequencing: give drafts their indexes and commit them, the new nodes, the head and a checkpoint.

Runs inside a transaction the caller opened (the batcher's own, or an application's that must
commit its rows atomically with the entry). Indexes are gapless and unique across processes
because the head is read under a lock held until that transaction ends: PostgreSQL's row lock
(``SELECT ... FOR UPDATE``) or SQLite's database write lock (``BEGIN IMMEDIATE``).

Everything a receipt needs is computed in memory: the right edge of the tree before the batch (the
compact range) plus the batch's own leaves and nodes hold every hash of every new entry's
inclusion path, because a left sibling of a leaf at or past the old size is always one of the old
size's perfect subtrees. So an append is: lock, (read the compact range on a cache miss), insert,
update, sign; no read-back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .chains import SubjectChains, SubjectState, load_subject_state
from .checkpoint import Checkpoint, sign_checkpoint
from .compact import CompactRange
from .entries import EntryDraft, format_timestamp
from .errors import LedgerCorruptError
from .merkle import leaf_hash
from .nodes import NodeID, inclusion_plan, root_node_ids
from .note import NoteSigner
from .proofs import Receipt
from .store import Head, LedgerStore, StoredCheckpoint, StoredEntry

__all__ = ["MAP_STORE_EVERY", "SequencedBatch", "Sequencer", "stores_map"]

#: The subject map's changed tiles are stored with a process's first batch and then one batch
#: in this many (every batch still commits the map's root): storing them was most of what the
#: completeness commitment cost an append (bench/results/completeness.md). A proof or a restart
#: at a size whose tiles were not stored starts from the last stored version and catches up
#: from the entries since (:mod:`ledger.mapstore`).
MAP_STORE_EVERY = 8


def stores_map(unstored: int, every: int) -> bool:
    """Whether a batch stores the map's tiles, ``unstored`` batches after the last that did:
    once in ``every`` (1: every batch)."""
    return unstored + 1 >= every


@dataclass(frozen=True, slots=True)
class SequencedBatch:
    """What one transaction wrote: receipts per request, and the tree's new right edge."""

    receipts: list[list[Receipt]]
    compact: CompactRange
    root_hash: bytes
    subjects: SubjectState | None = None


class Sequencer:
    """Appends under the head lock; keeps the last known right edge to skip a read."""

    def __init__(
        self,
        store: LedgerStore,
        signer: NoteSigner,
        origin: str,
        *,
        subject_map: bool = True,
        map_store_every: int = MAP_STORE_EVERY,
    ) -> None:
        if map_store_every < 1:
            raise ValueError("map_store_every is at least 1 (every batch stores the map)")
        self._store = store
        self._signer = signer
        self._origin = origin
        self._cached: tuple[int, bytes, CompactRange] | None = None
        #: False only to measure what the subject map costs (bench/completeness_bench.py): a log
        #: written without it has no completeness proofs from then on.
        self._subject_map = subject_map
        self._subjects: SubjectState | None = None
        self._map_store_every = map_store_every
        #: Batches committed since the last that stored the map's tiles (this process's); a
        #: process's first batch stores, so what it seeded or rebuilt is written soon.
        self._unstored = map_store_every - 1

    def remember(self, batch: SequencedBatch) -> None:
        """Keep the right edge of a batch known to be committed.

        The cache is keyed by (size, root): a root commits to every leaf, so a stale or foreign
        entry can never be mistaken for the current tree, even across processes.
        """
        self._cached = (batch.compact.size, batch.root_hash, batch.compact.copy())
        if batch.subjects is not None:
            self._subjects = batch.subjects

    async def _compact_range(self, head: Head) -> CompactRange:
        cached = self._cached
        if cached is not None and cached[0] == head.size and cached[1] == head.root_hash:
            return cached[2].copy()
        ids = root_node_ids(head.size)
        fetched = await self._store.node_hashes(ids) if ids else {}
        missing = [node for node in ids if node not in fetched]
        if missing:
            raise LedgerCorruptError(
                f"stored node {missing[0]} of the tree's right edge is missing; "
                "run 'esp-portal ledger verify'"
            )
        compact = CompactRange(head.size, [fetched[node] for node in ids])
        if compact.root() != head.root_hash:
            raise LedgerCorruptError(
                f"the stored nodes of the tree of size {head.size} do not hash to the head's "
                "root; refusing to extend it. Run 'esp-portal ledger verify'"
            )
        return compact

    async def sequence(self, requests: Sequence[Sequence[EntryDraft]]) -> SequencedBatch:
        """Write ``requests`` (each a list of drafts) as one batch in the current transaction."""
        store = self._store
        head = await store.lock_head()
        compact = await self._compact_range(head)
        start = head.size
        chains = None
        if self._subject_map:
            chains = SubjectChains(await load_subject_state(store, head, self._subjects))
            # The map is updated in place from here on: until this batch's state is recorded
            # below, nothing is cached, so a failure leaves no half-updated map behind.
            self._subjects = None
        known: dict[NodeID, bytes] = dict(zip(compact.ids(), compact.hashes, strict=True))
        now = datetime.now(UTC)

        # Every entry records the size of the checkpoint its batch commits with: the batch
        # boundaries are then part of the hashed log, and a removed checkpoint is detectable.
        batch_end = start + sum(len(drafts) for drafts in requests)
        store_map = stores_map(self._unstored, self._map_store_every)
        stamp = format_timestamp(now)
        rows: list[StoredEntry] = []
        new_nodes: list[tuple[NodeID, bytes]] = []
        for drafts in requests:
            for draft in drafts:
                index = start + len(rows)
                if chains is None:
                    body = draft.bytes_at(index, stamp, batch_end)
                else:
                    # The back-pointer first: the last entry's commitment includes itself.
                    previous = chains.link(draft, index)
                    last = index == batch_end - 1
                    commitment = chains.commitment(batch_end, store_map) if last else None
                    body = draft.bytes_at(index, stamp, batch_end, previous, commitment)
                leaf = leaf_hash(body)
                rows.append(
                    StoredEntry(
                        index=index,
                        leaf_hash=leaf,
                        body=body,
                        logged_at=now,
                        kind=draft.kind,
                        purpose=draft.purpose,
                        subject=draft.subject,
                        recipient_org=draft.recipient_org,
                        recipient_user=draft.recipient_user,
                        channel=draft.channel,
                    )
                )
                known[NodeID(0, index)] = leaf
                completed = compact.append(leaf)
                new_nodes.extend(completed)
                known.update(completed)

        size = compact.size
        if size != batch_end:  # pragma: no cover - arithmetic guard
            raise LedgerCorruptError(f"batch ended at {size}, its entries say {batch_end}")
        root = compact.root()
        note = sign_checkpoint(Checkpoint(self._origin, size, root), self._signer)

        await store.write_batch(
            rows,
            new_nodes,
            StoredCheckpoint(size, root, note),
            now,
            chains.changed if chains is not None else (),
        )

        receipts: list[list[Receipt]] = []
        folds: dict[tuple[NodeID, ...], bytes] = {}
        position = 0
        for drafts in requests:
            mine = rows[position : position + len(drafts)]
            position += len(drafts)
            receipts.append(
                [
                    Receipt(
                        index=row.index,
                        leaf_hash=row.leaf_hash,
                        tree_size=size,
                        inclusion_path=tuple(
                            inclusion_plan(row.index, size).assemble(known, folds)
                        ),
                        checkpoint=note,
                    )
                    for row in mine
                ]
            )
        subjects = None
        if chains is not None:
            # Keyed by this batch's size and root: if it never commits (the caller rolls back),
            # the next batch finds another head and rebuilds the map from the entries.
            subjects = self._subjects = chains.state(size, root)
            self._unstored = 0 if store_map else self._unstored + 1
        return SequencedBatch(receipts=receipts, compact=compact, root_hash=root, subjects=subjects)
