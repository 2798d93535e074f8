"""Look for a person in every column of every table, found by asking the database what it has.

Nothing here lists tables by hand: SQLite's ``sqlite_master`` and PostgreSQL's
``information_schema`` say which tables exist (the search index's shadow tables included), and
every value of every row is read back as the owner sees it and searched as text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import asyncpg

#: The ledger's own tables: they may hold the pseudonym (that is what entries name), nothing else.
LEDGER_TABLES = frozenset(
    {"ledger_entry", "ledger_node", "ledger_checkpoint", "ledger_cosignature", "ledger_head"}
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return raw.decode("utf-8", errors="replace") + " " + raw.hex()
    return str(value)


async def all_rows(database: Any) -> dict[str, list[tuple[list[str], tuple[Any, ...]]]]:
    """Every row of every table: ``{table: [(column names, row), ...]}``."""
    found: dict[str, list[tuple[list[str], tuple[Any, ...]]]] = {}
    if database.kind == "sqlite":
        connection = sqlite3.connect(Path(database.url.removeprefix("sqlite:///")))
        try:
            names = [
                r[0]
                for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            for name in names:
                cursor = connection.execute(f'SELECT * FROM "{name}"')
                columns = [d[0] for d in cursor.description]
                found[name] = [(columns, tuple(row)) for row in cursor.fetchall()]
        finally:
            connection.close()
        return found
    connection = await asyncpg.connect(database.owner_url)
    try:
        tables = await connection.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND table_type = 'BASE TABLE'"
        )
        for table in tables:
            rows = await connection.fetch(
                f'SELECT * FROM "{table["table_schema"]}"."{table["table_name"]}"'
            )
            found[table["table_name"]] = [(list(row.keys()), tuple(row.values())) for row in rows]
    finally:
        await connection.close()
    return found


def occurrences(
    rows: dict[str, list[tuple[list[str], tuple[Any, ...]]]], needles: Iterable[str]
) -> dict[str, set[str]]:
    """``{needle: {"table.column", ...}}`` for every needle found anywhere (case-insensitive)."""
    wanted = {n.lower(): n for n in needles if n}
    hits: dict[str, set[str]] = {}
    for table, table_rows in rows.items():
        for columns, row in table_rows:
            for column, value in zip(columns, row, strict=True):
                text = _text(value).lower()
                for low, needle in wanted.items():
                    if low in text:
                        hits.setdefault(needle, set()).add(f"{table}.{column}")
    return hits
