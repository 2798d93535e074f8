"""The ledger's storage: entries, complete tree nodes, signed checkpoints and the head row.

Entries, nodes and checkpoints are append-only; the database enforces it with triggers created by
the migrations, and the PostgreSQL application role may only SELECT and INSERT them. The head row
is the one mutable row: appenders lock it to sequence indexes across processes.
"""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Bytea, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

#: Node ids pack (level, index) into one integer key: level in the top byte.
NODE_LEVEL_SHIFT = 56


def node_key(level: int, index: int) -> int:
    return (level << NODE_LEVEL_SHIFT) | index


class LedgerHead(Table, tablename="ledger_head"):
    """One row (id 1): the current tree size and root, locked by every append."""

    id = SmallInt(primary_key=True)
    size = BigInt(default=0)
    root_hash = Bytea(default=b"")
    updated_at = Timestamptz(default=TimestamptzNow())


class LedgerEntry(Table, tablename="ledger_entry"):
    """One leaf. ``body`` holds the exact canonical JSON bytes whose leaf hash is stored."""

    idx = BigInt(primary_key=True)
    leaf_hash = Bytea()
    body = Bytea()
    logged_at = Timestamptz(index=True)
    kind = Varchar(length=40, index=True)
    purpose = Varchar(length=80, index=True, default="")
    subject = Varchar(length=64, index=True, default="")
    recipient_org = Varchar(length=64, index=True, default="")
    recipient_user = Varchar(length=64, index=True, default="")
    channel = Varchar(length=16, default="")


class LedgerNode(Table, tablename="ledger_node"):
    """The hash of a complete subtree: level L, index i covers leaves [i*2^L, (i+1)*2^L)."""

    key = BigInt(primary_key=True)
    level = SmallInt()
    idx = BigInt()
    hash = Bytea()


class LedgerSubjectNode(Table, tablename="ledger_subject_node"):
    """One version of one tile of the subject map (see :mod:`ledger.subjectmap`).

    ``key`` is ``uint64be(version) ‖ path``: the tree size whose map the row belongs to (the
    batch that changed the tile), then the place of the tile's top node in the map, so each
    batch's rows are appended at the end of the index together. ``body`` is the tile: four
    levels of the map in preorder, the branches at its bottom as references (hash, version) to
    their own tiles (format in :mod:`ledger.maptiles`; rows of the first layout, one node per
    row, are still read). A batch that stores the map stores its root tile, so a proof at size N
    starts at ``N ‖ root path`` and follows the references down: one primary-key read per tile
    (a size whose map was not stored starts from the latest one below it). Rows are
    written in the append's own transaction and never changed (append-only, like the log).
    """

    key = Bytea(primary_key=True)
    body = Bytea()


class LedgerCheckpoint(Table, tablename="ledger_checkpoint"):
    """A signed checkpoint issued for a tree size (one per committed batch)."""

    size = BigInt(primary_key=True)
    root_hash = Bytea()
    note = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class LedgerCosignature(Table, tablename="ledger_cosignature"):
    """A witness's cosignature line (C2SP tlog-cosignature) of the checkpoint of ``tree_size``.

    Append-only like the log itself: a cosignature once received is evidence, never rewritten.
    ``witness`` is the witness's key name, ``cosigned_at`` the POSIX time inside the signature.
    """

    id = BigSerial(primary_key=True)
    tree_size = BigInt(index=True)
    witness = Varchar(length=200, index=True)
    key_id = Varchar(length=8)
    cosigned_at = BigInt()
    line = Text()
    received_at = Timestamptz(default=TimestamptzNow())
