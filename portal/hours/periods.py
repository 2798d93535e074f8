"""Instants, calendar months and leave years in Europe/London (pure: no I/O).

Duty times are stored as UTC instants. Everything calendar-shaped (which month an hour belongs
to, a leave year, a day) is decided in Europe/London, so a month runs from local midnight on its
first day to local midnight on the next month's first day, whatever the offset (GMT, UTC+0, in
winter; BST, UTC+1, from the last Sunday of March to the last Sunday of October).

Rules:

- Hours are attributed to the month in which they are worked: a duty running over local midnight
  at the end of a month is split there (:func:`split_by_month`).
- A time written without an offset is London wall-clock time. A wall-clock time that does not
  exist (the hour skipped when the clocks go forward) or exists twice (the hour repeated when they
  go back) is refused with a message saying which, rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from portal.clock import LONDON, UTC

#: The longest a single duty may last; longer is taken to be a typing error.
MAX_DUTY = dt.timedelta(hours=24)

_MONTH_KEY = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR_KEY = re.compile(r"^(\d{4})$")


class TimeParseError(ValueError):
    """A date or time that cannot be used; the message says why, for a person to act on."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Europe/London."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9998:
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH_KEY.match(text.strip())
        if not match:
            raise TimeParseError("use a month written as YYYY-MM, e.g. 2026-03")
        try:
            return cls(int(match.group(1)), int(match.group(2)))
        except ValueError:
            raise TimeParseError("use a month written as YYYY-MM, e.g. 2026-03") from None

    @classmethod
    def of(cls, instant: dt.datetime) -> Month:
        """The London month an instant falls in."""
        local = _aware(instant).astimezone(LONDON)
        return cls(local.year, local.month)

    @classmethod
    def of_date(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    def start(self) -> dt.datetime:
        """Local midnight at the start of the month, as a UTC instant."""
        return local_midnight(self.first_day)

    def end(self) -> dt.datetime:
        """Local midnight at the start of the next month, as a UTC instant (exclusive)."""
        return self.next().start()

    def next(self) -> Month:
        return self.plus(1)

    def prev(self) -> Month:
        return self.plus(-1)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def minus(self, other: Month) -> int:
        """Whole months from ``other`` to ``self``."""
        return (self.year - other.year) * 12 + (self.month - other.month)

    def __str__(self) -> str:
        return self.key


def months_between(first: Month, last: Month) -> list[Month]:
    """``first`` to ``last`` inclusive."""
    return [first.plus(i) for i in range(last.minus(first) + 1)]


def parse_period(text: str) -> tuple[Month, Month]:
    """``YYYY`` (a calendar year) or ``YYYY-MM`` (one month) to its first and last month."""
    value = text.strip()
    year = _YEAR_KEY.match(value)
    if year:
        y = int(year.group(1))
        if not 1900 <= y <= 9998:
            raise TimeParseError("use a year written as YYYY, or a month as YYYY-MM")
        return Month(y, 1), Month(y, 12)
    try:
        month = Month.parse(value)
    except TimeParseError:
        raise TimeParseError("use a year written as YYYY, or a month as YYYY-MM") from None
    return month, month


def local_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant of London's midnight starting ``day`` (never in a DST gap in the UK)."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(UTC)


def _aware(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant


def london_iso(instant: dt.datetime) -> str:
    """An instant as London wall-clock time with its offset, e.g. ``2026-07-01T09:00:00+01:00``."""
    return _aware(instant).astimezone(LONDON).isoformat(timespec="seconds")


_SECONDS = tuple(f"{n:02d}" for n in range(60))


@functools.lru_cache(maxsize=65536)
def _london_minute(utc_minute: int) -> tuple[str, str] | None:
    """One UTC minute in London: its wall-clock text up to the minute, and its offset text
    (None when the offset is not whole minutes: local mean time, before 1847)."""
    local = dt.datetime.fromtimestamp(utc_minute * 60, UTC).astimezone(LONDON)
    offset = local.utcoffset()
    if offset is None or offset.total_seconds() % 60:
        return None
    text = local.isoformat(timespec="seconds")
    return text[:-8], text[-6:]  # "2026-07-01T09:00:", "+01:00"


def london_iso_s(seconds: int) -> str:
    """:func:`london_iso` of a POSIX second, without a time-zone conversion per call.

    A staff list formats thousands of duty times; converting each through ``zoneinfo`` was a
    sixth of the list's time. London's offset is a whole number of minutes (since 1847), so a
    minute's text is computed once and cached.
    """
    minute = _london_minute(seconds // 60)
    if minute is None:
        return london_iso(dt.datetime.fromtimestamp(seconds, UTC))
    return minute[0] + _SECONDS[seconds % 60] + minute[1]


def parse_instant(text: str) -> dt.datetime:
    """An ISO 8601 date and time to a UTC instant (whole seconds).

    With an offset (``Z``, ``+01:00``) it is exact. Without one it is London wall-clock time,
    refused when the clocks skip it (spring forward) or repeat it (fall back).
    """
    value = text.strip()
    if not value:
        raise TimeParseError("is empty; give a date and time such as 2026-03-14T09:00")
    if len(value) < 16 or value[4] != "-" or value[10] not in "T ":
        raise TimeParseError(
            f"'{_clip(value)}' is not a date and time; use YYYY-MM-DDTHH:MM, e.g. 2026-03-14T09:00"
        )
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise TimeParseError(
            f"'{_clip(value)}' is not a valid date and time; use YYYY-MM-DDTHH:MM "
            "(optionally with seconds and a UTC offset such as +01:00)"
        ) from None
    parsed = parsed.replace(microsecond=0)
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return london_wall_clock(parsed)


def london_wall_clock(naive: dt.datetime) -> dt.datetime:
    """A naive London wall-clock time to a UTC instant, refusing skipped and repeated times."""
    early = naive.replace(tzinfo=LONDON, fold=0)
    late = naive.replace(tzinfo=LONDON, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early.astimezone(UTC)
    shown = naive.strftime("%Y-%m-%d %H:%M")
    round_trip = early.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None)
    if round_trip != naive:
        raise TimeParseError(
            f"{shown} does not exist in UK time (the clocks go forward that night); "
            "check the time, or give it with its UTC offset"
        )
    raise TimeParseError(
        f"{shown} happens twice in UK time (the clocks go back that night); "
        "add the UTC offset to say which, e.g. +01:00 (BST) or +00:00 (GMT)"
    )


def _clip(value: str, length: int = 40) -> str:
    return value if len(value) <= length else value[:length] + "…"


class MonthSplitter:
    """Splits intervals at London month boundaries quickly, for many intervals in a range.

    Built once for a range of months (boundaries precomputed as POSIX seconds), then each
    interval is split with a binary search; intervals outside the range are clipped to it.
    """

    def __init__(self, first: Month, last: Month) -> None:
        self.months = months_between(first, last)
        self.bounds = [m.start().timestamp() for m in self.months]
        self.bounds.append(last.end().timestamp())

    def split(self, start: float, end: float) -> Iterator[tuple[int, float]]:
        """(index into ``months``, seconds) for each month the interval covers, clipped."""
        bounds = self.bounds
        lo = max(start, bounds[0])
        hi = min(end, bounds[-1])
        if hi <= lo:
            return
        i = bisect_right(bounds, lo) - 1
        while lo < hi:
            cut = min(hi, bounds[i + 1])
            yield i, cut - lo
            lo = cut
            i += 1


def split_by_month(start: dt.datetime, end: dt.datetime) -> list[tuple[Month, dt.timedelta]]:
    """How much of ``[start, end)`` falls in each London month."""
    if end <= start:
        return []
    splitter = MonthSplitter(Month.of(start), Month.of(end - dt.timedelta(microseconds=1)))
    return [
        (splitter.months[i], dt.timedelta(seconds=seconds))
        for i, seconds in splitter.split(start.timestamp(), end.timestamp())
    ]


@dataclass(frozen=True, order=True)
class LeaveYear:
    """A leave year starting on the first day of ``start_month`` in ``year``."""

    year: int
    start_month: int

    @classmethod
    def containing(cls, day: dt.date, start_month: int) -> LeaveYear:
        year = day.year if day.month >= start_month else day.year - 1
        return cls(year, start_month)

    @property
    def first(self) -> Month:
        return Month(self.year, self.start_month)

    @property
    def last(self) -> Month:
        return self.first.plus(11)

    def next(self) -> LeaveYear:
        return LeaveYear(self.year + 1, self.start_month)

    @property
    def key(self) -> str:
        if self.start_month == 1:
            return f"{self.year:04d}"
        return f"{self.first.key}/{self.last.key}"
