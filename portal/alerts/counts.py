"""Disclosures per recipient, purpose and London day, counted by the database in one query.

The ledger keeps one row per entry with its kind, purpose, recipient and time in plain columns,
so a ``GROUP BY`` over the window's rows gives every recipient's daily counts at once (a partial
index on disclosures by time keeps it to the window). Days are London days: PostgreSQL converts
with ``AT TIME ZONE``; SQLite has no time zones, so the window is cut where the UK clocks change
and each piece is shifted by its own offset before ``date()``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from ledger.tables import LedgerEntry
from portal.clock import LONDON

#: (recipient organisation id, purpose) -> London day -> disclosures.
Counts = dict[tuple[str, str], dict[dt.date, int]]


@dataclass(frozen=True)
class Segment:
    """A stretch of UTC time over which London's offset from UTC does not change."""

    start: dt.datetime
    end: dt.datetime
    minutes: int


def start_of(day: dt.date) -> dt.datetime:
    """London midnight at the start of ``day``, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


def _offset_minutes(instant: dt.datetime) -> int:
    offset = instant.astimezone(LONDON).utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 60)


def segments(start: dt.datetime, end: dt.datetime) -> list[Segment]:
    """``[start, end)`` cut where London's offset changes (clocks change on the hour, UTC)."""
    cuts: list[Segment] = []
    begin, minutes = start, _offset_minutes(start)
    hour = start.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    while hour < end:
        now = _offset_minutes(hour)
        if now != minutes:
            cuts.append(Segment(begin, hour, minutes))
            begin, minutes = hour, now
        hour += dt.timedelta(hours=1)
    cuts.append(Segment(begin, end, minutes))
    return cuts


def _sqlite_day(start: dt.datetime, end: dt.datetime, args: list[Any]) -> str:
    parts = segments(start, end)
    if len(parts) == 1:
        return f"date(logged_at, '{parts[0].minutes:+d} minutes')"
    cases = []
    for part in parts[:-1]:
        cases.append(f"WHEN logged_at < {{}} THEN '{part.minutes:+d} minutes'")
        args.append(part.end)
    return f"date(logged_at, CASE {' '.join(cases)} ELSE '{parts[-1].minutes:+d} minutes' END)"


async def daily_counts(
    first: dt.date,
    last: dt.date,
    *,
    recipient: str | None = None,
    purpose: str | None = None,
) -> Counts:
    """Disclosures per recipient and purpose on each London day from ``first`` to ``last``."""
    start, end = start_of(first), start_of(last + dt.timedelta(days=1))
    engine = LedgerEntry._meta.db
    args: list[Any] = []
    if isinstance(engine, PostgresEngine):
        day = "(logged_at AT TIME ZONE 'Europe/London')::date"
    else:
        day = _sqlite_day(start, end, args)
    where = ["kind = 'disclosure'", "logged_at >= {}", "logged_at < {}"]
    args += [start, end]
    if recipient is not None:
        where.append("recipient_org = {}")
        args.append(recipient)
    if purpose is not None:
        where.append("purpose = {}")
        args.append(purpose)
    sql = (
        f"SELECT recipient_org, purpose, {day} AS day, COUNT(*) AS n FROM ledger_entry "  # noqa: S608
        f"WHERE {' AND '.join(where)} GROUP BY 1, 2, 3"
    )
    rows = await LedgerEntry.raw(sql, *args)
    counts: Counts = defaultdict(dict)
    for row in rows:
        when = row["day"]
        when = when if isinstance(when, dt.date) else dt.date.fromisoformat(str(when))
        counts[(str(row["recipient_org"]), str(row["purpose"]))][when] = int(row["n"])
    return dict(counts)
