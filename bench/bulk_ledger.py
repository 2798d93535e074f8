"""Bulk-loading a ledger for the benchmarks: a million entries without a million appends.

Appending a million entries batch by batch is not what the benchmarks measure, so the
:class:`BulkLoader` writes entries and the tree nodes they complete straight into the tables
(PostgreSQL ``COPY``, SQLite ``executemany``), then moves the head and stores one signed
checkpoint per extension: each extension is one batch, as an append would make it, so the loaded
log verifies like an appended one.

Entry bytes are made from plain values with the sequencer's canonical JSON (building each through
the pydantic model would measure pydantic), and :func:`check_against_model` proves once per run
that they are exactly what ``DisclosureDraft.entry_bytes`` writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from ledger import merkle
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.compact import CompactRange
from ledger.entries import SubjectMapCommitment, canonical_json, format_timestamp
from ledger.kinds import DisclosureDraft
from ledger.note import NoteSigner
from ledger.tables import node_key

ENTRY_COLUMNS = [
    "idx",
    "leaf_hash",
    "body",
    "logged_at",
    "kind",
    "purpose",
    "subject",
    "recipient_org",
    "recipient_user",
    "channel",
]

FIELDS = ("display_name", "status", "total_hours")


def disclosure_body(
    n: int,
    *,
    subject: str,
    checkpoint_size: int,
    logged_at: datetime,
    purpose: str = "esp.programme-management",
    recipient_org: str = "3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10",
    recipient_user: str = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
    categories: tuple[str, ...] = ("hours.summary", "identity", "status"),
    agreement: str = "dsa-2026-1",
    channel: str = "api",
    chain: dict[str, Any] | None = None,
) -> bytes:
    """Entry ``n`` (~450 bytes) of a batch that ends at ``checkpoint_size``.

    ``chain`` holds the subject chain members the sequencer adds (``prev_subject_index``, and
    ``subject_map`` on a batch's last entry); without it the entry is one from before them.
    """
    return canonical_json(
        (chain or {})
        | {
            "agreement_ids": [agreement],
            "categories": sorted(set(categories)),
            "channel": channel,
            "checkpoint_size": checkpoint_size,
            "consent_ids": [f"consent-{n}"],
            "details": {"fields": list(FIELDS)},
            "index": n,
            "kind": "disclosure",
            "lawful_basis": "consent",
            "purpose": purpose,
            "recipient_org": recipient_org,
            "recipient_user": recipient_user,
            "request_id": f"req-{n:012d}",
            "subject": subject,
            "timestamp": format_timestamp(logged_at),
        }
    )


def check_chained_against_model(logged_at: datetime) -> None:
    """Fail the run if chained bulk bytes drift from what the sequencer writes."""
    draft = DisclosureDraft(
        purpose="esp.programme-management",
        lawful_basis="consent",
        subject="sub_check",
        recipient_org="3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10",
        recipient_user="7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
        categories=("hours.summary", "identity", "status"),
        consent_ids=("consent-7",),
        agreement_ids=("dsa-2026-1",),
        request_id=f"req-{7:012d}",
        channel="api",
        details={"fields": list(FIELDS)},
    )
    commitment = SubjectMapCommitment(bytes(range(32)), 0)
    expected = draft.bytes_at(8, format_timestamp(logged_at), 9, 3, commitment)
    chain = {"prev_subject_index": 3, "subject_map": commitment.document()}
    made = disclosure_body(
        7, subject="sub_check", checkpoint_size=9, logged_at=logged_at, chain=chain
    ).replace(b'"index":7', b'"index":8')
    if made != expected:
        raise SystemExit(
            f"chained bulk entry bytes drifted from the model:\n{made!r}\n{expected!r}"
        )


def check_against_model(logged_at: datetime, **values: str) -> None:
    """Fail the run if the bulk bytes ever drift from what the ledger itself writes."""
    draft = DisclosureDraft(
        purpose=values.get("purpose", "esp.programme-management"),
        lawful_basis="consent",
        subject="sub_check",
        recipient_org=values.get("recipient_org", "3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10"),
        recipient_user=values.get("recipient_user", "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"),
        categories=("hours.summary", "identity", "status"),
        consent_ids=("consent-7",),
        agreement_ids=(values.get("agreement", "dsa-2026-1"),),
        request_id=f"req-{7:012d}",
        channel=values.get("channel", "api"),
        details={"fields": list(FIELDS)},
    )
    expected = draft.entry_bytes(7, logged_at, 9)
    made = disclosure_body(7, subject="sub_check", checkpoint_size=9, logged_at=logged_at, **values)
    if made != expected:
        raise SystemExit(f"bulk entry bytes drifted from the model:\n{made!r}\n{expected!r}")


@dataclass(frozen=True)
class BulkEntry:
    """One entry to load: its bytes and the search columns stored beside them."""

    body: bytes
    purpose: str
    subject: str
    recipient_org: str
    recipient_user: str
    channel: str


EntryMaker = Callable[[int, int], BulkEntry]
"""``make(index, batch_end)``: entry ``index`` of a batch that ends at tree size ``batch_end``."""


class BulkLoader:
    """Grows one ledger in place; each :meth:`extend_to` is one batch with one checkpoint."""

    CHUNK = 50_000

    def __init__(
        self, kind: str, url: str, signer: NoteSigner, origin: str, make: EntryMaker
    ) -> None:
        self.kind = kind
        self.url = url
        self.signer = signer
        self.origin = origin
        self.make = make
        self.compact = CompactRange()
        self.logged_at = datetime(2026, 1, 1, tzinfo=UTC)

    async def extend_to(self, size: int) -> None:
        while self.compact.size < size:
            start = self.compact.size
            entries: list[tuple[Any, ...]] = []
            nodes: list[tuple[Any, ...]] = []
            for n in range(start, min(size, start + self.CHUNK)):
                entry = self.make(n, size)
                leaf = merkle.leaf_hash(entry.body)
                entries.append(
                    (
                        n,
                        leaf,
                        entry.body,
                        self.logged_at,
                        "disclosure",
                        entry.purpose,
                        entry.subject,
                        entry.recipient_org,
                        entry.recipient_user,
                        entry.channel,
                    )
                )
                for node, digest in self.compact.append(leaf):
                    nodes.append((node_key(node.level, node.index), node.level, node.index, digest))
            await self._write(entries, nodes)
        root = self.compact.root()
        note = sign_checkpoint(Checkpoint(self.origin, size, root), self.signer)
        await self._finish(size, root, note)

    async def _write(self, entries: list[tuple[Any, ...]], nodes: list[tuple[Any, ...]]) -> None:
        if self.kind == "postgres":
            conn = await asyncpg.connect(self.url)
            try:
                async with conn.transaction():
                    await conn.copy_records_to_table(
                        "ledger_entry", records=entries, columns=ENTRY_COLUMNS
                    )
                    await conn.copy_records_to_table(
                        "ledger_node", records=nodes, columns=["key", "level", "idx", "hash"]
                    )
            finally:
                await conn.close()
            return
        conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                f"INSERT INTO ledger_entry ({', '.join(ENTRY_COLUMNS)}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row[:3], row[3].isoformat(), *row[4:]) for row in entries],
            )
            conn.executemany(
                "INSERT INTO ledger_node (key, level, idx, hash) VALUES (?, ?, ?, ?)", nodes
            )
            conn.execute("COMMIT")
        finally:
            conn.close()

    async def _finish(self, size: int, root: bytes, note: str) -> None:
        now = datetime.now(UTC)
        if self.kind == "postgres":
            conn = await asyncpg.connect(self.url)
            try:
                async with conn.transaction():
                    await conn.execute(
                        "UPDATE ledger_head SET size = $1, root_hash = $2, updated_at = $3 "
                        "WHERE id = 1",
                        size,
                        root,
                        now,
                    )
                    await conn.execute(
                        "INSERT INTO ledger_checkpoint (size, root_hash, note, created_at) "
                        "VALUES ($1, $2, $3, $4)",
                        size,
                        root,
                        note,
                        now,
                    )
                await conn.execute("ANALYZE")
            finally:
                await conn.close()
            return
        conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "UPDATE ledger_head SET size = ?, root_hash = ?, updated_at = ? WHERE id = 1",
                (size, root, now.isoformat()),
            )
            conn.execute(
                "INSERT INTO ledger_checkpoint (size, root_hash, note, created_at) "
                "VALUES (?, ?, ?, ?)",
                (size, root, note, now.isoformat()),
            )
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
        finally:
            conn.close()
