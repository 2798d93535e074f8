"""The witness's memory: the latest cosigned size and root per log, in its own SQLite file.

Checking a submission against the stored size and recording the new one happen in one
``BEGIN IMMEDIATE`` transaction, so two concurrent submissions (even from two witness processes
on one file) can never roll the recorded tree back (the race tlog-witness describes). A trigger
refuses any update that lowers the size, and refused submissions with a valid log signature are
kept as evidence of possible log misbehaviour.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

__all__ = ["LogState", "WitnessState"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS witnessed_log (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    updated_at INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS witnessed_log_never_backwards
BEFORE UPDATE ON witnessed_log WHEN NEW.size < OLD.size
BEGIN SELECT RAISE(ABORT, 'a witness never rolls a log back'); END;
CREATE TRIGGER IF NOT EXISTS witnessed_log_no_delete
BEFORE DELETE ON witnessed_log
BEGIN SELECT RAISE(ABORT, 'a witness never forgets a log'); END;
CREATE TABLE IF NOT EXISTS refused_submission (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class LogState:
    """The latest tree this witness cosigned for one log (size 0 and None root if none)."""

    size: int
    root: bytes | None


class WitnessState:
    """Thread-safe access to the witness database (one connection, serialised)."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(self._path), isolation_level=None, check_same_thread=False, timeout=30
        )
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, origin: str) -> LogState:
        with self._lock:
            row = self._db.execute(
                "SELECT size, root FROM witnessed_log WHERE origin = ?", (origin,)
            ).fetchone()
        return LogState(0, None) if row is None else LogState(int(row[0]), bytes(row[1]))

    def advance(self, origin: str, decide: Callable[[LogState], tuple[T, bytes | None, int]]) -> T:
        """Run ``decide`` on the stored state and, if it returns a root, store the new tree.

        ``decide(state)`` returns ``(result, new_root or None, new_size)``; it runs inside the
        write transaction so that no other submission interleaves.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT size, root FROM witnessed_log WHERE origin = ?", (origin,)
                ).fetchone()
                state = LogState(0, None) if row is None else LogState(int(row[0]), bytes(row[1]))
                result, root, size = decide(state)
                if root is not None:
                    self._db.execute(
                        "INSERT INTO witnessed_log (origin, size, root, updated_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                        "size = excluded.size, root = excluded.root, "
                        "updated_at = excluded.updated_at",
                        (origin, size, root, int(time.time())),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return result

    def record_refusal(self, origin: str, reason: str, body: str) -> None:
        """Keep a refused, validly signed submission: it may prove the log misbehaved."""
        with self._lock:
            self._db.execute(
                "INSERT INTO refused_submission (origin, reason, body, received_at) "
                "VALUES (?, ?, ?, ?)",
                (origin, reason, body, int(time.time())),
            )

    def refusals(self, origin: str) -> list[tuple[str, str]]:
        """(reason, body) of each refused submission for ``origin``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT reason, body FROM refused_submission WHERE origin = ? ORDER BY id",
                (origin,),
            ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]
