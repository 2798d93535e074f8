"""Storage of the log in SQL (SQLite or PostgreSQL) through a Piccolo engine.

Only this module writes SQL. Every statement runs in the engine's current transaction when there is
one (the sequencer relies on that) and otherwise on a connection of the engine's choosing
(``engine.run_querystring``). The ledger never binds or builds an engine: the caller hands one in.

Layout (see :mod:`ledger.tables`): ``ledger_entry`` holds the leaves (level 0: the leaf hash sits
next to the entry's bytes), ``ledger_node`` the interior perfect subtrees (level >= 1) keyed by
``node_key(level, index)``, ``ledger_checkpoint`` one signed note per committed batch,
``ledger_subject_node`` the versions of the subject map's tiles keyed by ``version ‖ path``, and
``ledger_head`` the one row every appender locks. Because ``node_key(0, i) == i``, a proof's node
ids map onto one ``UNION ALL`` of both tables: every proof is a single query.

PostgreSQL writes use ``unnest`` over arrays so the statement text is the same whatever the batch
size (one prepared statement, no parameter limit); SQLite gets multi-row ``VALUES`` in chunks below
its variable limit.
"""

# ruff: noqa: S608 - statements are assembled only from this module's constants (table and column
# names) and "{}" placeholders; every value is bound as a parameter.

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from .entries import Entry
from .nodes import NodeID
from .tables import (
    NODE_LEVEL_SHIFT,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    LedgerSubjectNode,
    node_key,
)

__all__ = ["Head", "LedgerStore", "StoredCheckpoint", "StoredEntry"]

ENTRY = LedgerEntry._meta.tablename
NODE = LedgerNode._meta.tablename
CHECKPOINT = LedgerCheckpoint._meta.tablename
HEAD = LedgerHead._meta.tablename
SUBJECT_NODE = LedgerSubjectNode._meta.tablename
_VERSION_BYTES = 8

_ENTRY_COLUMNS = (
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
)
_PG_ENTRY_TYPES = (
    "bigint",
    "bytea",
    "bytea",
    "timestamptz",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
)
_SELECT_ENTRY = ", ".join(_ENTRY_COLUMNS)

#: Most variables one SQLite statement may bind (SQLite >= 3.32 allows 32766, older 999).
_SQLITE_MAX_VARS = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
#: Where the subject map's root tile sits (``ledger.subjectmap.node_path(0, 0)``): depth 0.
_MAP_ROOT_PATH = b"\x00\x00"
#: Rows per multi-row INSERT on SQLite, so one statement stays small to compile.
_SQLITE_MAX_ROWS = 500


@dataclass(frozen=True, slots=True)
class Head:
    """The committed tree size and root (the head row)."""

    size: int
    root_hash: bytes


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One stored leaf: its exact bytes, their leaf hash, and the columns kept for searching."""

    index: int
    leaf_hash: bytes
    body: bytes
    logged_at: datetime
    kind: str
    purpose: str
    subject: str
    recipient_org: str
    recipient_user: str
    channel: str

    def document(self) -> dict[str, Any]:
        """The entry object as JSON values, parsed from the stored bytes (the hashed truth)."""
        value = json.loads(self.body)
        if not isinstance(value, dict):
            raise ValueError(f"entry {self.index} is not a JSON object")
        return value

    def entry(self) -> Entry:
        return Entry.from_bytes(self.body)


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root_hash: bytes
    note: str


def _bytes(value: Any) -> bytes:
    """A stored hash or body as bytes. SQLite keeps whatever type was written: a row rewritten
    with SQL text functions holds TEXT, which must reach verification as (wrong) bytes, so that
    verify names the entry instead of crashing on it."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return value if isinstance(value, bytes) else bytes(value)


def _entry_from_row(row: Mapping[str, Any]) -> StoredEntry:
    return StoredEntry(
        index=int(row["idx"]),
        leaf_hash=_bytes(row["leaf_hash"]),
        body=_bytes(row["body"]),
        logged_at=row["logged_at"],
        kind=row["kind"],
        purpose=row["purpose"],
        subject=row["subject"],
        recipient_org=row["recipient_org"],
        recipient_user=row["recipient_user"],
        channel=row["channel"],
    )


def _entry_row(e: StoredEntry) -> tuple[Any, ...]:
    return (
        e.index,
        e.leaf_hash,
        e.body,
        e.logged_at,
        e.kind,
        e.purpose,
        e.subject,
        e.recipient_org,
        e.recipient_user,
        e.channel,
    )


def _node_id(key: int) -> NodeID:
    return NodeID(key >> NODE_LEVEL_SHIFT, key & ((1 << NODE_LEVEL_SHIFT) - 1))


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Compiled(QueryString):
    """An SQLite statement already written with ``?`` placeholders, handed to the engine as is.

    Piccolo compiles a query string by splitting its template at every ``{}`` and wrapping each
    piece in an object: for a batch's multi-row INSERTs (hundreds of values: the entries, the
    tree's nodes, the subject map's tiles) that cost more of an append's CPU than SQLite's own
    work on the rows (bench/results/completeness.md, "Where the map's time goes"). Only for
    statements this module writes, whose values are all parameters.
    """

    def __init__(self, statement: str, args: list[Any]) -> None:
        super().__init__(statement.replace("{", "{{").replace("}", "}}"))
        self._statement = statement
        self._args = args

    def compile_string(self, engine_type: str = "postgres") -> tuple[str, list[Any]]:
        if engine_type != "sqlite":  # pragma: no cover - only _sqlite_insert builds these
            raise ValueError("a pre-compiled statement is SQLite's")
        return self._statement, self._args

    def __str__(self) -> str:
        return f"{self._statement} -- {len(self._args)} values"


def _transaction_connection(engine: Any) -> Any | None:
    """The aiosqlite connection of the engine's current SQLite transaction, if any.

    Piccolo's SQLite engine hands a statement to the connection's thread four times inside a
    transaction (``PRAGMA foreign_keys``, execute, fetch, close the cursor); each hand-off costs
    thread switches and event-loop wake-ups that outweigh an append's short statements. On the
    transaction's connection (found as Piccolo finds it) ``execute_fetchall`` runs a statement
    whole in one hand-off, whatever the engine. The pragma is not lost: SQLite ignores it inside
    a transaction, Piccolo's ``get_connection`` set it when the connection was opened, and the
    ledger's tables have no foreign keys anyway.
    With query logging on, statements keep Piccolo's path, which prints them.
    """
    if engine.log_queries or engine.log_responses:
        return None
    transaction = engine.current_transaction.get()
    connection = getattr(transaction, "connection", None)
    if connection is None:
        return None
    if connection.row_factory is not dict_factory:  # as Piccolo sets it before each statement
        connection.row_factory = dict_factory
    return connection


def _require_full_sync(level: int) -> None:
    """SQLite cannot change ``synchronous`` inside a transaction, so a connection that is not
    FULL (2) or EXTRA (3) is refused rather than silently committed non-durably."""
    if level < 2:
        raise RuntimeError(
            f"SQLite connection has PRAGMA synchronous={level}; the ledger needs FULL (2) "
            "so that a returned receipt survives a power loss"
        )


class _KeptConnectionTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction (``BEGIN IMMEDIATE``) on a connection it does not own.

    Queries issued inside it go through the engine as usual (Piccolo finds the transaction in its
    context variable); only where the connection comes from, and that it is not closed at the
    end, differ from ``engine.transaction()``.
    """

    __slots__ = ("_kept",)

    def __init__(self, engine: Any, connection: Any) -> None:
        super().__init__(engine, transaction_type=TransactionType.immediate, allow_nested=False)
        self._kept = connection

    async def get_connection(self) -> Any:
        return self._kept

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        try:
            if exception is not None:
                # SQLite may have rolled back already (e.g. on a full disk); the connection is
                # dropped after any failure anyway, so the original error is what matters.
                with contextlib.suppress(Exception):
                    await self._kept.execute("ROLLBACK")
            else:
                await self._kept.execute("COMMIT")
        finally:
            self.engine.current_transaction.reset(self.context)
        return exception is None


class LedgerStore:
    """Reads and writes of the ledger tables on one engine (PostgreSQL or SQLite)."""

    def __init__(self, engine: Engine[Any], lock_timeout: float = 5.0) -> None:
        if engine.engine_type not in ("postgres", "sqlite"):
            raise ValueError(f"the ledger supports PostgreSQL and SQLite, not {engine.engine_type}")
        self.engine = engine
        self.postgres = engine.engine_type == "postgres"
        #: Longest an append waits for the append lock (seconds) before it fails: a lock held
        #: elsewhere (a stuck transaction, an operator's session) must not hang every request.
        self.lock_timeout = lock_timeout
        self._writer: Any = None

    async def _fetch(self, template: str, *args: Any) -> list[Mapping[str, Any]]:
        return await self._run(QueryString(template, *args))

    async def _run(self, query: QueryString) -> list[Mapping[str, Any]]:
        """Run one statement: on SQLite inside a transaction, in one hand-off to the
        transaction's connection (see :func:`_transaction_connection`); otherwise through the
        engine."""
        connection = None if self.postgres else _transaction_connection(self.engine)
        if connection is None:
            rows: list[Mapping[str, Any]] = await self.engine.run_querystring(query)
            return rows
        statement, args = query.compile_string(engine_type="sqlite")
        return list(await connection.execute_fetchall(statement, args))

    async def keep_wal_open(self) -> None:
        """SQLite: open the ledger's own writer connection now and keep it for its lifetime.

        Piccolo opens and closes a connection per transaction, and when the last connection to a
        WAL database closes SQLite checkpoints the WAL into the database and deletes it: every
        append would then pay a checkpoint and a new WAL file (about half its time, measured).
        The writer connection, idle between batches, prevents that and blocks nothing.
        """
        if not self.postgres:
            await self._writer_connection()

    async def _writer_connection(self) -> Any:
        if self._writer is None:
            sqlite_engine: Any = self.engine  # Piccolo's SQLiteEngine; the base has no such call
            connection = await sqlite_engine.get_connection()
            # BEGIN IMMEDIATE waits this long for another connection's write lock, then fails.
            await connection.execute(f"PRAGMA busy_timeout = {int(self.lock_timeout * 1000)}")
            async with connection.execute(f"SELECT size FROM {HEAD}") as cursor:
                await cursor.fetchall()  # maps the WAL index; the read ends with the statement
            self._writer = connection
        return self._writer

    async def _drop_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(Exception):
                await writer.close()

    async def release(self) -> None:
        await self._drop_writer()

    def write_transaction(self) -> AbstractAsyncContextManager[Any]:
        """A transaction that holds the append lock: the head row's (PostgreSQL) or the database's
        write lock (SQLite ``BEGIN IMMEDIATE``) from its first statement to its end."""
        if self.postgres:
            return self.engine.transaction(allow_nested=False)  # type: ignore[no-any-return]
        return self._sqlite_write_transaction()

    @asynccontextmanager
    async def _sqlite_write_transaction(self) -> AsyncIterator[Any]:
        """``BEGIN IMMEDIATE`` on the long-lived writer connection.

        A Piccolo transaction opens a connection (a thread, the file, pragmas) for every batch;
        reusing one is most of the cost of a small append on SQLite. After any failure the
        connection is dropped, since a failed COMMIT can leave it in an unknown state.
        """
        connection = await self._writer_connection()
        try:
            async with _KeptConnectionTransaction(self.engine, connection) as transaction:
                yield transaction
        except BaseException:
            await self._drop_writer()
            raise

    # ------------------------------------------------------------------ head

    async def head(self) -> Head:
        rows = await self._fetch(f"SELECT size, root_hash FROM {HEAD} WHERE id = 1")
        return self._head(rows)

    async def head_and_extent(self) -> tuple[Head, int, int]:
        """The head, the number of entries (highest index + 1) and the largest checkpoint size,
        read in one statement (one snapshot), so that a committed append is in all or none."""
        rows = await self._fetch(
            f"SELECT h.size, h.root_hash, "
            f"(SELECT COALESCE(MAX(idx) + 1, 0) FROM {ENTRY}) AS entries, "
            f"(SELECT COALESCE(MAX(size), 0) FROM {CHECKPOINT}) AS checkpointed "
            f"FROM {HEAD} h WHERE h.id = 1"
        )
        head = self._head(rows)
        return head, int(rows[0]["entries"]), int(rows[0]["checkpointed"])

    async def lock_head(self) -> Head:
        """The head, locked until the current transaction ends, whose commit will be durable.

        PostgreSQL: a row lock every appender in every process queues on, taken in the same
        round trip as ``synchronous_commit = on`` for this transaction. SQLite has no row locks:
        the caller's ``BEGIN IMMEDIATE`` already holds the database's single write lock; the
        connection's ``synchronous`` level is checked instead, read in the same statement as the
        head (``pragma_synchronous``; a row even when the head row is missing).
        """
        if self.postgres:
            await self._bound_lock_wait()
            rows = await self._fetch(
                "SELECT size, root_hash, set_config('synchronous_commit', 'on', true) AS sync "
                f"FROM {HEAD} WHERE id = 1 FOR UPDATE"
            )
            return self._head(rows)
        rows = await self._fetch(
            "SELECT p.synchronous, h.size, h.root_hash FROM pragma_synchronous AS p "
            f"LEFT JOIN {HEAD} AS h ON h.id = 1"
        )
        _require_full_sync(int(rows[0]["synchronous"]) if rows else 0)
        return self._head([row for row in rows if row["size"] is not None])

    async def _bound_lock_wait(self) -> None:
        """PostgreSQL: this transaction waits at most ``lock_timeout`` for a lock, then fails
        (SQLSTATE 55P03) instead of queueing behind a lock that is not released."""
        await self._fetch(
            "SELECT set_config('lock_timeout', {}, true)", f"{int(self.lock_timeout * 1000)}ms"
        )

    @staticmethod
    def _head(rows: list[Mapping[str, Any]]) -> Head:
        if not rows:
            raise LookupError("the ledger head row is missing: run the ledger migrations")
        return Head(int(rows[0]["size"]), _bytes(rows[0]["root_hash"]))

    async def update_head(self, size: int, root_hash: bytes, at: datetime) -> None:
        await self._fetch(
            f"UPDATE {HEAD} SET size = {{}}, root_hash = {{}}, updated_at = {{}} WHERE id = 1",
            size,
            root_hash,
            at,
        )

    # ------------------------------------------------------------------ one batch

    async def write_batch(
        self,
        entries: Sequence[StoredEntry],
        nodes: Sequence[tuple[NodeID, bytes]],
        checkpoint: StoredCheckpoint,
        at: datetime,
        subject_nodes: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        """Insert a batch's entries, nodes, subject map nodes (``(path, body)``, stored as the
        version of the checkpoint's size) and checkpoint, and move the head, in the transaction.

        PostgreSQL does it in one statement (data-modifying CTEs over arrays): the head lock is
        then held for one round trip instead of four, which is what bounds throughput.
        """
        version = checkpoint.size.to_bytes(_VERSION_BYTES, "big")
        map_keys = [version + path for path, _ in subject_nodes]
        map_bodies = [body for _, body in subject_nodes]
        if not self.postgres:
            await self.insert_entries(entries)
            await self.insert_nodes(nodes)
            if map_keys:
                rows = list(zip(map_keys, map_bodies, strict=True))
                await self._sqlite_insert(SUBJECT_NODE, ("key", "body"), rows)
            await self.update_head(checkpoint.size, checkpoint.root_hash, at)
            await self.insert_checkpoint(checkpoint.size, checkpoint.root_hash, checkpoint.note, at)
            return
        entry_columns = [list(column) for column in zip(*map(_entry_row, entries), strict=True)]
        if not entry_columns:
            entry_columns = [[] for _ in _ENTRY_COLUMNS]
        entry_arrays = ", ".join(f"{{}}::{t}[]" for t in _PG_ENTRY_TYPES)
        await self._fetch(
            f"WITH new_entries AS (INSERT INTO {ENTRY} ({_SELECT_ENTRY}) "
            f"SELECT * FROM unnest({entry_arrays})), "
            f"new_nodes AS (INSERT INTO {NODE} (key, level, idx, hash) "
            "SELECT * FROM unnest({}::bigint[], {}::smallint[], {}::bigint[], {}::bytea[])), "
            f"new_subject_nodes AS (INSERT INTO {SUBJECT_NODE} (key, body) "
            "SELECT * FROM unnest({}::bytea[], {}::bytea[])), "
            f"new_checkpoint AS (INSERT INTO {CHECKPOINT} (size, root_hash, note, created_at) "
            "VALUES ({}, {}, {}, {})) "
            f"UPDATE {HEAD} SET size = {{}}, root_hash = {{}}, updated_at = {{}} WHERE id = 1",
            *entry_columns,
            [node_key(n.level, n.index) for n, _ in nodes],
            [n.level for n, _ in nodes],
            [n.index for n, _ in nodes],
            [h for _, h in nodes],
            map_keys,
            map_bodies,
            checkpoint.size,
            checkpoint.root_hash,
            checkpoint.note,
            at,
            checkpoint.size,
            checkpoint.root_hash,
            at,
        )

    # ------------------------------------------------------------------ durability

    async def can_write(self) -> bool:
        """Whether this connection may append durably now, checked without writing.

        PostgreSQL: the role holds the privileges an append uses, and the head row's lock can be
        taken within ``lock_timeout`` (taken and released at once). SQLite: a transaction's
        connection commits synchronously, the database is not opened read-only, and the write
        lock can be taken within ``lock_timeout`` (``BEGIN IMMEDIATE``, then ended). A lock held
        elsewhere for longer makes this False (on SQLite the failed ``BEGIN`` raises).
        """
        if self.postgres:
            rows = await self._fetch(
                f"SELECT has_table_privilege('{ENTRY}', 'INSERT') "
                f"AND has_table_privilege('{NODE}', 'INSERT') "
                f"AND has_table_privilege('{CHECKPOINT}', 'INSERT') "
                f"AND has_table_privilege('{SUBJECT_NODE}', 'INSERT') "
                f"AND has_table_privilege('{HEAD}', 'UPDATE') AS ok"
            )
            if not (rows and rows[0]["ok"]):
                return False
            async with self.engine.transaction():
                await self._bound_lock_wait()
                await self._fetch(f"SELECT size FROM {HEAD} WHERE id = 1 FOR UPDATE")
            return True
        # A connection of its own that waits at most lock_timeout for the write lock (BEGIN
        # IMMEDIATE then fails by itself) and is always closed: abandoned mid-BEGIN by the
        # caller's time limit, it stayed open, its thread answering a loop long gone.
        sqlite_engine: Any = self.engine  # Piccolo's SQLiteEngine; the base has no such call
        connection = await sqlite_engine.get_connection()
        try:
            await connection.execute(f"PRAGMA busy_timeout = {int(self.lock_timeout * 1000)}")
            async with _KeptConnectionTransaction(self.engine, connection):
                try:
                    await self.require_durable_commit()
                except RuntimeError:
                    return False
                rows = await self._fetch("PRAGMA query_only")
        finally:
            await connection.close()
        return not (rows and int(next(iter(rows[0].values()))))

    async def require_durable_commit(self) -> None:
        """Make (PostgreSQL) or check (SQLite) that this transaction's COMMIT reaches the disk.

        SQLite cannot change ``synchronous`` inside a transaction, so a connection that is not
        FULL (2) or EXTRA (3) is refused rather than silently committed non-durably.
        """
        if self.postgres:
            await self._fetch("SET LOCAL synchronous_commit = on")
            return
        rows = await self._fetch("PRAGMA synchronous")
        _require_full_sync(int(next(iter(rows[0].values()))) if rows else 0)

    # ------------------------------------------------------------------ nodes

    async def node_hashes(self, ids: Iterable[NodeID]) -> dict[NodeID, bytes]:
        """Hashes of the given nodes (level 0 from the entries), in one query per ~500 ids."""
        wanted = list(dict.fromkeys(ids))
        found: dict[NodeID, bytes] = {}
        for chunk in _chunks(wanted, 500):
            leaves = [n.index for n in chunk if n.level == 0]
            interior = [node_key(n.level, n.index) for n in chunk if n.level > 0]
            parts: list[str] = []
            args: list[Any] = []
            if interior:
                sql, extra = self._key_filter("key", interior)
                parts.append(f"SELECT key, hash FROM {NODE} WHERE {sql}")
                args += extra
            if leaves:
                sql, extra = self._key_filter("idx", leaves)
                parts.append(f"SELECT idx AS key, leaf_hash AS hash FROM {ENTRY} WHERE {sql}")
                args += extra
            for row in await self._fetch(" UNION ALL ".join(parts), *args):
                found[_node_id(int(row["key"]))] = _bytes(row["hash"])
        return found

    async def hashes_by_key(self, keys: Iterable[int]) -> dict[int, bytes]:
        """Hashes of many nodes by packed key (``node_key``; level 0 keys are leaf indexes), in
        two queries whatever their number: one array (PostgreSQL) or JSON list (SQLite) argument
        each, so tens of thousands of keys cost no placeholder per key."""
        wanted = sorted(set(keys))
        leaves = [k for k in wanted if k >> NODE_LEVEL_SHIFT == 0]
        interior = [k for k in wanted if k >> NODE_LEVEL_SHIFT]
        found: dict[int, bytes] = {}
        for column, value, table, keys_of in (
            ("idx", "leaf_hash", ENTRY, leaves),
            ("key", "hash", NODE, interior),
        ):
            if not keys_of:
                continue
            arg: object
            if self.postgres:
                where, arg = f"{column} = ANY({{}}::bigint[])", keys_of
            else:
                where, arg = f"{column} IN (SELECT value FROM json_each({{}}))", json.dumps(keys_of)
            rows = await self._fetch(
                f"SELECT {column} AS k, {value} AS h FROM {table} WHERE {where}",
                arg,
            )
            found.update((int(row["k"]), _bytes(row["h"])) for row in rows)
        return found

    def _key_filter(self, column: str, keys: list[int]) -> tuple[str, list[Any]]:
        if self.postgres:
            return f"{column} = ANY({{}}::bigint[])", [keys]
        return f"{column} IN ({', '.join('{}' for _ in keys)})", list(keys)

    async def nodes_in_key_ranges(self, ranges: Sequence[tuple[int, int]]) -> dict[NodeID, bytes]:
        """Interior nodes whose key lies in any inclusive ``(low, high)`` range, in one query."""
        if not ranges:
            return {}
        where = " OR ".join("key BETWEEN {} AND {}" for _ in ranges)
        args = [bound for pair in ranges for bound in pair]
        rows = await self._fetch(f"SELECT key, hash FROM {NODE} WHERE {where}", *args)
        return {_node_id(int(row["key"])): _bytes(row["hash"]) for row in rows}

    async def insert_nodes(self, nodes: Sequence[tuple[NodeID, bytes]]) -> None:
        if not nodes:
            return
        if self.postgres:
            await self._fetch(
                f"INSERT INTO {NODE} (key, level, idx, hash) "
                "SELECT * FROM unnest({}::bigint[], {}::smallint[], {}::bigint[], {}::bytea[])",
                [node_key(n.level, n.index) for n, _ in nodes],
                [n.level for n, _ in nodes],
                [n.index for n, _ in nodes],
                [h for _, h in nodes],
            )
            return
        rows = [(node_key(n.level, n.index), n.level, n.index, h) for n, h in nodes]
        await self._sqlite_insert(NODE, ("key", "level", "idx", "hash"), rows)

    async def _sqlite_insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Multi-row INSERTs, written with SQLite's own ``?`` placeholders (see
        :class:`_Compiled`): a batch inserts hundreds of values, entries and map tiles."""
        per_statement = max(1, min(_SQLITE_MAX_ROWS, _SQLITE_MAX_VARS // len(columns)))
        placeholders = "(" + ", ".join("?" for _ in columns) + ")"
        for chunk in _chunks(rows, per_statement):
            values = ", ".join(placeholders for _ in chunk)
            args = [value for row in chunk for value in row]
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"
            await self._run(_Compiled(statement, args))

    # ------------------------------------------------------------------ entries

    async def insert_entries(self, entries: Sequence[StoredEntry]) -> None:
        if not entries:
            return
        rows = [_entry_row(e) for e in entries]
        if self.postgres:
            columns = list(zip(*rows, strict=True))
            casts = ", ".join(f"{{}}::{t}[]" for t in _PG_ENTRY_TYPES)
            await self._fetch(
                f"INSERT INTO {ENTRY} ({_SELECT_ENTRY}) SELECT * FROM unnest({casts})",
                *[list(column) for column in columns],
            )
            return
        await self._sqlite_insert(ENTRY, _ENTRY_COLUMNS, rows)

    async def entry(self, index: int) -> StoredEntry | None:
        rows = await self._fetch(f"SELECT {_SELECT_ENTRY} FROM {ENTRY} WHERE idx = {{}}", index)
        return _entry_from_row(rows[0]) if rows else None

    async def subject_heads(self, size: int) -> list[tuple[str, int]]:
        """Every subject named by an entry below ``size``, with its latest such index.

        The subject map of the tree of ``size`` is a function of these pairs; a scan of the
        entries, run when a process first appends and when a map proof is built.
        """
        rows = await self._fetch(
            f"SELECT subject, MAX(idx) AS idx FROM {ENTRY} "
            "WHERE idx < {} AND subject <> '' GROUP BY subject",
            size,
        )
        return [(str(row["subject"]), int(row["idx"])) for row in rows]

    async def subjects_between(self, start: int, stop: int) -> list[tuple[int, str]]:
        """``(index, subject)`` of entries with a subject, ``start <= index < stop``, in order."""
        rows = await self._fetch(
            f"SELECT idx, subject FROM {ENTRY} "
            "WHERE idx >= {} AND idx < {} AND subject <> '' ORDER BY idx",
            start,
            stop,
        )
        return [(int(row["idx"]), str(row["subject"])) for row in rows]

    async def entries_between(self, start: int, stop: int) -> list[StoredEntry]:
        """Entries with ``start <= index < stop``, in index order (gaps simply absent)."""
        rows = await self._fetch(
            f"SELECT {_SELECT_ENTRY} FROM {ENTRY} WHERE idx >= {{}} AND idx < {{}} ORDER BY idx",
            start,
            stop,
        )
        return [_entry_from_row(row) for row in rows]

    async def iter_entries(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = 1000,
    ) -> AsyncIterator[StoredEntry]:
        """Entries logged in ``[since, until)`` in index order, a page at a time (keyset)."""
        after = -1
        while True:
            conditions = ["idx > {}"]
            args: list[Any] = [after]
            if since is not None:
                conditions.append("logged_at >= {}")
                args.append(since)
            if until is not None:
                conditions.append("logged_at < {}")
                args.append(until)
            rows = await self._fetch(
                f"SELECT {_SELECT_ENTRY} FROM {ENTRY} WHERE {' AND '.join(conditions)} "
                f"ORDER BY idx LIMIT {int(page_size)}",
                *args,
            )
            for row in rows:
                yield _entry_from_row(row)
            if len(rows) < page_size:
                return
            after = int(rows[-1]["idx"])

    # ------------------------------------------------------------------ subject map

    async def insert_subject_nodes(
        self, version: int, nodes: Sequence[tuple[bytes, bytes]]
    ) -> None:
        """Store ``(path, body)`` map nodes as of tree size ``version`` (outside an append: a
        bulk load). An append stores its own through :meth:`write_batch`."""
        prefix = version.to_bytes(_VERSION_BYTES, "big")
        rows = [(prefix + path, body) for path, body in nodes]
        if not rows:
            return
        if self.postgres:
            await self._fetch(
                f"INSERT INTO {SUBJECT_NODE} (key, body) "
                "SELECT * FROM unnest({}::bytea[], {}::bytea[])",
                [key for key, _ in rows],
                [body for _, body in rows],
            )
            return
        await self._sqlite_insert(SUBJECT_NODE, ("key", "body"), rows)

    async def subject_node(self, version: int, path: bytes) -> bytes | None:
        """The stored row of the map node at ``path`` as of ``version`` (a primary-key read)."""
        rows = await self._fetch(
            f"SELECT body FROM {SUBJECT_NODE} WHERE key = {{}}",
            version.to_bytes(_VERSION_BYTES, "big") + path,
        )
        return _bytes(rows[0]["body"]) if rows else None

    async def latest_map_versions(
        self, at_most: int, count: int = 1, look_back: int = 64
    ) -> list[int]:
        """The ``count`` largest checkpoint sizes at or below ``at_most`` whose subject map is
        stored (its root row is there), largest first, among the ``look_back`` checkpoints
        below it.

        The log stores its map with one batch in several (:data:`ledger.sequencer
        .MAP_STORE_EVERY`), so the latest is a few checkpoints back at most; a map stored
        further back than ``look_back`` is not looked for (a caller then rebuilds).
        """
        rows = await self._fetch(
            f"SELECT size FROM {CHECKPOINT} WHERE size <= {{}} ORDER BY size DESC LIMIT {{}}",
            at_most,
            max(look_back, count),
        )
        sizes = [int(row["size"]) for row in rows]
        keys = [size.to_bytes(_VERSION_BYTES, "big") + _MAP_ROOT_PATH for size in sizes]
        found = await self._subject_node_rows(keys, "key") if keys else []
        present = {_bytes(row["key"]) for row in found}
        return [size for size, key in zip(sizes, keys, strict=True) if key in present][:count]

    async def has_subject_nodes(self) -> bool:
        """Whether any map row is stored (a log written before stored maps has none)."""
        return bool(await self._fetch(f"SELECT 1 AS one FROM {SUBJECT_NODE} LIMIT 1"))

    async def subject_nodes(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """Stored map rows by full key (``version ‖ path``): one query per ~500 keys (one
        array argument on PostgreSQL)."""
        rows = await self._subject_node_rows(keys, "key, body")
        return {_bytes(row["key"]): _bytes(row["body"]) for row in rows}

    async def _subject_node_rows(
        self, keys: Sequence[bytes], columns: str
    ) -> list[Mapping[str, Any]]:
        """``columns`` of the stored map rows with these keys (those there): one query per ~500
        keys, one array argument on PostgreSQL. Asking for ``key`` alone tests presence without
        reading the tiles."""
        found: list[Mapping[str, Any]] = []
        for chunk in _chunks(list(keys), 500):
            if self.postgres:
                found += await self._fetch(
                    f"SELECT {columns} FROM {SUBJECT_NODE} WHERE key = ANY({{}}::bytea[])",
                    list(chunk),
                )
            else:
                marks = ", ".join("{}" for _ in chunk)
                found += await self._fetch(
                    f"SELECT {columns} FROM {SUBJECT_NODE} WHERE key IN ({marks})", *chunk
                )
        return found

    # ------------------------------------------------------------------ checkpoints

    async def insert_checkpoint(self, size: int, root_hash: bytes, note: str, at: datetime) -> None:
        await self._fetch(
            f"INSERT INTO {CHECKPOINT} (size, root_hash, note, created_at) "
            "VALUES ({}, {}, {}, {})",
            size,
            root_hash,
            note,
            at,
        )

    async def checkpoint(self, size: int) -> StoredCheckpoint | None:
        rows = await self._fetch(
            f"SELECT size, root_hash, note FROM {CHECKPOINT} WHERE size = {{}}", size
        )
        return self._checkpoint(rows[0]) if rows else None

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        rows = await self._fetch(
            f"SELECT size, root_hash, note FROM {CHECKPOINT} ORDER BY size DESC LIMIT 1"
        )
        return self._checkpoint(rows[0]) if rows else None

    async def checkpoints_between(
        self, after: int, up_to: int, limit: int
    ) -> list[StoredCheckpoint]:
        """Checkpoints with ``after < size <= up_to``, smallest first, at most ``limit``."""
        rows = await self._fetch(
            f"SELECT size, root_hash, note FROM {CHECKPOINT} "
            f"WHERE size > {{}} AND size <= {{}} ORDER BY size LIMIT {int(limit)}",
            after,
            up_to,
        )
        return [self._checkpoint(row) for row in rows]

    @staticmethod
    def _checkpoint(row: Mapping[str, Any]) -> StoredCheckpoint:
        return StoredCheckpoint(int(row["size"]), _bytes(row["root_hash"]), str(row["note"]))
