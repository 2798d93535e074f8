"""Subject chains: the state the sequencer extends so each batch commits to a subject map.

From the map's start (``since``) on, every entry about a subject names the previous entry about
it, and the last entry of every batch carries the root of the map ``SHA-256(subject) -> latest
index`` at the batch's end (see :mod:`ledger.subjectmap` and docs/VERIFY.md §5). A process builds
the map once from the entries' subject column and then keeps it in memory, catching up from the
entries another process appended meanwhile, as the sequencer keeps the tree's right edge. The
state is keyed by the tree size and root it describes, and checked against the head (and, to catch
up, against the stored checkpoint of its size) before use: a state left by a batch that never
committed is rebuilt.

A batch also stores the map's tiles changed since the map was last stored, as the version of
its tree size (``ledger_subject_node``), so a proof reads its path instead of rebuilding the
map: a process's first batch, then one in :data:`ledger.sequencer.MAP_STORE_EVERY`.
When a process first appends (or after a batch that did not commit) it reads the map of the
latest stored version from those rows, each hashed up to the root that version's last entry
commits to, and puts the subjects of the entries since (:func:`ledger.mapstore.caught_up_map`);
only when that fails (no rows: a log from before
stored maps) is the map rebuilt from the entries and stored whole by the next batch, since its
rows must name versions this process knows. From then on a storing batch writes only what
changed since the last one, and its root. That is also the backfill of a log from before
stored maps, done lazily by the first append after the upgrade rather than by the migration
(which may import no ledger code); proofs for sizes before it fall back to rebuilding the map.

A log written before the map existed (entries without back-pointers) starts its chains at the
first batch written by this code: that batch's last entry says ``since`` = its first index, and
every later commitment repeats it. Entries before ``since`` keep verifying as they always did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .entries import NOT_CHAINED, SUBJECT_MAP, EntryDraft, SubjectMapCommitment
from .errors import LedgerCorruptError
from .heap import FREEZE_FROM_SUBJECTS, settle_long_lived
from .mapstore import StoredMapError, caught_up_map, stated_map_root
from .store import Head, LedgerStore
from .subjectmap import SubjectMap, subject_key

__all__ = ["SubjectChains", "SubjectState", "load_subject_state"]


@dataclass(frozen=True, slots=True)
class SubjectState:
    """The subject map of the tree of ``size`` entries whose root hash is ``log_root``."""

    size: int
    log_root: bytes
    since: int
    map: SubjectMap


class SubjectChains:
    """One batch's walk through the map: back-pointers in order, then the commitment.

    It updates the state's map in place: the caller must treat the state it came from as
    describing the batch's end from then on, whether or not the batch commits (see
    :meth:`Sequencer.sequence`, which keys the state by tree size and root so that a batch
    that did not commit makes the next one rebuild the map).
    """

    __slots__ = ("_map", "_since", "changed")

    def __init__(self, state: SubjectState) -> None:
        self._map = state.map
        self._since = state.since
        #: ``(path, body)`` of the map nodes the batch changed, set by :meth:`commitment`: the
        #: sequencer stores them as the version of the batch's tree size.
        self.changed: list[tuple[bytes, bytes]] = []

    def link(self, draft: EntryDraft, index: int) -> int | None:
        """The back-pointer of entry ``index`` (None: the subject's first), and record it."""
        if not draft.subject:
            return NOT_CHAINED
        return self._map.put_subject(draft.subject, index)

    def commitment(self, version: int, store: bool = True) -> SubjectMapCommitment:
        """The map's root after the batch's last entry (the batch ends the tree of ``version``
        entries). With ``store``, also the tiles changed since the map was last stored, to be
        stored as of ``version``; without, the root alone (the tiles stay marked changed, so the
        next batch that stores writes them)."""
        if store:
            root, self.changed = self._map.commit(version)
        else:
            root, self.changed = self._map.root(), []
        return SubjectMapCommitment(root, self._since)

    def state(self, size: int, log_root: bytes) -> SubjectState:
        return SubjectState(size, log_root, self._since, self._map)


async def _since(store: LedgerStore, size: int) -> int:
    """Where chains start: stated by the last entry of the tree, or here if it states none."""
    if size == 0:
        return 0
    last = await store.entry(size - 1)
    if last is None:
        raise LedgerCorruptError(f"entry {size - 1} is missing; run 'esp-portal ledger verify'")
    commitment = json.loads(last.body).get(SUBJECT_MAP)
    if commitment is None:
        return size  # a log from before the map: chains start with the next entry
    since = commitment.get("since") if isinstance(commitment, dict) else None
    if not isinstance(since, int) or not 0 <= since < size:
        raise LedgerCorruptError(
            f"entry {size - 1} carries a malformed subject map commitment {commitment!r}"
        )
    return since


async def load_subject_state(
    store: LedgerStore,
    head: Head,
    cached: SubjectState | None,
    *,
    freeze_from: int = FREEZE_FROM_SUBJECTS,
) -> SubjectState:
    """The map at the head: the cached one caught up, or rebuilt from the entries.

    The cache is extended only when it describes a prefix of this very log (its size's stored
    checkpoint has its root); otherwise, e.g. after a restore, the map is rebuilt. A rebuilt map
    of ``freeze_from`` subjects or more is moved out of the garbage collector's scans
    (:mod:`ledger.heap`).
    """
    if cached is not None and cached.size == head.size and cached.log_root == head.root_hash:
        return cached
    if cached is not None and 0 < cached.size < head.size:
        stored = await store.checkpoint(cached.size)
        if stored is not None and stored.root_hash == cached.log_root:
            subject_map = cached.map
            for index, subject in await store.subjects_between(cached.size, head.size):
                subject_map.put_subject(subject, index)
            return SubjectState(head.size, head.root_hash, cached.since, subject_map)
    since = await _since(store, head.size)
    seeded = await _seeded(store, head, freeze_from)
    if seeded is not None:
        return SubjectState(head.size, head.root_hash, since, seeded)
    rebuilt = await _rebuilt(store, head, freeze_from)
    return SubjectState(head.size, head.root_hash, since, rebuilt)


async def _seeded(store: LedgerStore, head: Head, freeze_from: int) -> SubjectMap | None:
    """The map at the head read from the stored rows of the latest version stored at or below
    it (a query per level of tiles, each row hashed on the way up to the root that version's
    last entry commits to), caught up with the subjects of the entries since and checked
    against the head's commitment; None when it cannot be (a log from before stored maps, or a
    stored row that does not hash right: the caller then rebuilds from the entries, and
    ``ledger verify`` names the row)."""
    if head.size == 0:
        return None
    try:
        root = await stated_map_root(store, head.size)
        if root is None:
            return None
        seeded = await caught_up_map(store, head.size, root)
    except (StoredMapError, ValueError):  # a bad row, or a commitment that is not base64
        return None
    if seeded is None:
        return None
    subject_map, subjects = seeded
    settle_long_lived(subjects, freeze_from=freeze_from)
    return subject_map


async def _rebuilt(store: LedgerStore, head: Head, freeze_from: int) -> SubjectMap:
    """The map at the head rebuilt from the entries. Every node of it is new, so the next
    batch stores all of it (its rows must name versions this process knows)."""
    pairs = await store.subject_heads(head.size)
    subject_map = SubjectMap.build((subject_key(subject), index) for subject, index in pairs)
    subjects = len(pairs)
    del pairs  # not frozen with the map: the rows are garbage from here on
    settle_long_lived(subjects, freeze_from=freeze_from)
    return subject_map
