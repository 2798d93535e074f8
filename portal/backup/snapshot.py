"""A consistent copy of a live SQLite database, and what its ledger says.

SQLite's online backup API copies the database page by page under its own locking, so the copy is
one committed state even while the portal serves requests (a plain file copy of a WAL database can
catch a half-applied checkpoint). The copy is checked with ``PRAGMA integrity_check`` before it is
trusted to an archive.
"""

from __future__ import annotations

import base64
import sqlite3
from contextlib import closing
from pathlib import Path

from portal.backup.archive import BackupError, LedgerState


def snapshot_sqlite(source: Path, destination: Path) -> None:
    """Copy the database at ``source`` to ``destination`` as one committed state."""
    if not source.is_file():
        raise BackupError(f"no database at {source}; check ESP_DATABASE_URL / ESP_DATA_DIR")
    try:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as live,
            closing(sqlite3.connect(destination)) as copy,
        ):
            live.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            [(verdict,)] = copy.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as exc:
        destination.unlink(missing_ok=True)
        raise BackupError(f"cannot copy the database at {source} ({exc})") from None
    if verdict != "ok":
        destination.unlink(missing_ok=True)
        raise BackupError(f"the database at {source} fails its integrity check: {verdict}")


def ledger_state(database: Path, origin: str, verifier_key: str) -> LedgerState:
    """The ledger's head and latest checkpoint as ``database`` holds them."""
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as copy:
            head = copy.execute("SELECT size, root_hash FROM ledger_head WHERE id = 1").fetchone()
            latest = copy.execute(
                "SELECT note FROM ledger_checkpoint ORDER BY size DESC LIMIT 1"
            ).fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"the database holds no readable ledger ({exc}); run migrate") from None
    size, root = (int(head[0]), bytes(head[1])) if head else (0, b"")
    return LedgerState(
        origin=origin,
        size=size,
        root_hash=base64.b64encode(root).decode(),
        checkpoint=str(latest[0]) if latest else None,
        verifier_key=verifier_key,
    )
