"""Database helpers every domain shares: write transactions, unique violations, stored values.

SQLite and PostgreSQL hand values back differently: SQLite stores JSON, dates and timestamps as
text, PostgreSQL returns decoded values. Services read such columns through :func:`json_value`,
:func:`as_date` and :func:`as_moment`, so the difference is handled here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from portal.db import DurableSQLiteEngine


def is_unique_violation(exc: BaseException) -> bool:
    """True for a unique-constraint failure on either engine (a race lost to another writer)."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


@asynccontextmanager
async def write_transaction(table: type[Table]) -> AsyncIterator[None]:
    """A transaction on the table's engine that may write from its first statement.

    SQLite takes the write lock at ``BEGIN IMMEDIATE`` (check-then-write sequences serialise, and
    the ledger's sequencer can append inside it); PostgreSQL callers lock the rows they depend on.
    """
    engine: Any = table._meta.db
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with engine.transaction():
            yield


def json_value(value: Any) -> Any:
    """A JSON column's value: decoded from text (SQLite), as returned otherwise (PostgreSQL)."""
    if isinstance(value, str | bytes | bytearray):
        return json.loads(value)
    return value


def as_date(value: Any) -> dt.date:
    """A date column's value (ISO text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def as_moment(value: Any) -> dt.datetime:
    """A timestamp column's value, timezone-aware (ISO text on SQLite; naive means UTC)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------------------------
# Fixed statements: written once per engine, bound per call
# --------------------------------------------------------------------------------------------

#: In a :class:`FixedQuery` template, ``{}`` is one bound value and ``{ids}`` a bound list of
#: ids the column before it must be in (``e.volunteer {ids}``).
_TOKEN = re.compile(r"\{(ids)?\}")


def _compile(template: str, postgres: bool) -> tuple[str, tuple[bool, ...]]:
    """The template in the engine's placeholders, and which parameters are id lists."""
    lists: list[bool] = []

    def mark(match: re.Match[str]) -> str:
        lists.append(match.group(1) is not None)
        n = len(lists)
        if postgres:
            return f"= ANY(${n}::uuid[])" if lists[-1] else f"${n}"
        return "IN (SELECT value FROM json_each(?))" if lists[-1] else "?"

    return _TOKEN.sub(mark, template), tuple(lists)


class FixedQuery:
    """One statement on the hot path, compiled once per engine instead of built per request.

    Building a select through the query builder cost more CPU than running it (profiles in
    ``bench/results/http.md``). The template is a constant of the code (never input); every value is
    bound. It runs in the current transaction when there is one, else on the pool (PostgreSQL)
    or, on SQLite, on the event loop's own read-only connection (``DurableSQLiteEngine.read``:
    no thread hop; these are the hot path's short reads) unless the call says it is ``long``.
    """

    def __init__(self, template: str | Mapping[str, str], table: type[Table]) -> None:
        """``template``: one for both engines, or one per engine (``postgres``, ``sqlite``)."""
        self.table = table
        per_engine = (
            {"postgres": template, "sqlite": template} if isinstance(template, str) else template
        )
        self._postgres = _compile(per_engine["postgres"], postgres=True)
        self._sqlite = _compile(per_engine["sqlite"], postgres=False)

    async def rows(self, *args: Any, long: bool = False) -> list[Any]:
        """Rows (mappings by column name) for the bound ``args``.

        ``long``: this call may read many rows (a page of people): on SQLite it then runs on a
        kept connection's thread rather than holding the event loop for milliseconds.
        """
        engine: Any = self.table._meta.db
        transaction = engine.current_transaction.get()
        if isinstance(engine, SQLiteEngine):
            sql, lists = self._sqlite
            values = [_sqlite_value(a, is_list) for a, is_list in zip(args, lists, strict=True)]
            if transaction is not None:
                return list(
                    await engine._run_in_existing_connection(transaction.connection, sql, values)
                )
            if isinstance(engine, DurableSQLiteEngine) and not long:
                return await engine.read(sql, values)
            return list(await engine._run_in_new_connection(sql, values))
        sql, _lists = self._postgres
        if transaction is not None:
            return list(await transaction.connection.fetch(sql, *args))
        if engine.pool is not None:
            async with engine.pool.acquire() as connection:
                return list(await connection.fetch(sql, *args))
        return list(await engine._run_in_new_connection(sql, list(args)))


def _sqlite_value(value: Any, is_list: bool) -> Any:
    """SQLite stores dates as ISO text and takes a list as JSON text (``json_each``)."""
    if is_list:
        return json.dumps([str(v) for v in value])
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def json_parts_select(
    parts: Mapping[str, tuple[str | Mapping[str, str], Sequence[str]]],
) -> dict[str, str]:
    """One statement returning one row: each named part's rows as a JSON array of arrays.

    ``parts`` maps a name to a select (a :class:`FixedQuery` template, or one per engine:
    ``postgres``, ``sqlite``) and the columns of it to return, in order. Several small reads
    that would each cost a round trip (and, on the pool, an acquire and a release) become one;
    and they all read one snapshot. Returns the template per engine (``postgres``,
    ``sqlite``): the JSON functions differ.
    """
    out = {}
    for engine, agg, build, empty in (
        ("postgres", "json_agg", "json_build_array", "COALESCE({}, '[]'::json)"),
        ("sqlite", "json_group_array", "json_array", "{}"),
    ):
        selects = []
        for name, (template, columns) in parts.items():
            select = template if isinstance(template, str) else template[engine]
            cols = ", ".join(f"t.{c}" for c in columns)
            aggregate = empty.replace("{}", f"{agg}({build}({cols}))", 1)
            selects.append(f"(SELECT {aggregate} FROM ({select}) t) AS {name}")  # noqa: S608
        out[engine] = "SELECT " + ", ".join(selects)
    return out


_decode_json = msgspec.json.Decoder().decode


def json_lists(value: Any) -> list[list[Any]]:
    """A part of :func:`json_parts_select`'s row as lists, in the part's column order.

    Decoded with msgspec: a staff page's duties are thousands of small arrays, and the standard
    library's decoder was 5 % of a staff list's CPU (bench/results/http.md, fourth round).
    """
    items: list[list[Any]] = (
        _decode_json(value) if isinstance(value, str | bytes | bytearray) else value or []
    )
    return items


def json_rows(value: Any, columns: Sequence[str]) -> list[dict[str, Any]]:
    """A part of :func:`json_parts_select`'s row as dicts by column name."""
    return [dict(zip(columns, item, strict=True)) for item in json_lists(value)]
