"""Monthly hours and the monthly minimum (pure).

Hours are counted in whole minutes, per London calendar month (a duty over midnight at the end of
a month is split there), from current, not cancelled duty versions only.

The monthly minimum (``ESP_MONTHLY_MINIMUM_HOURS``, default 16) is met in a month when the hours
worked in it reach it; otherwise the month is short by the difference. The rolling three-month
view of a month covers it and the two before it, and is met when their total reaches three times
the minimum (a busy month makes up for a quiet one).
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from portal.hours.periods import Month, MonthSplitter

_CENT = Decimal("0.01")


def hours(minutes: int) -> Decimal:
    """Minutes as hours, to the hundredth (half up): 20 min -> 0.33, 50 min -> 0.83."""
    return (Decimal(minutes) / 60).quantize(_CENT, rounding=ROUND_HALF_UP)


def minutes_of(hours_value: float | Decimal) -> int:
    return int((Decimal(str(hours_value)) * 60).to_integral_value(rounding=ROUND_HALF_UP))


@functools.lru_cache(maxsize=64)
def _splitter(first: Month, last: Month) -> MonthSplitter:
    return MonthSplitter(first, last)


class DutySpan(NamedTuple):
    """What the calculations need of one duty: its interval as POSIX seconds and its kind."""

    start: float
    end: float
    esp_leave: bool
    duty_type: str


@dataclass
class MonthTotals:
    month: Month
    minutes: int = 0
    esp_leave_minutes: int = 0
    own_time_minutes: int = 0
    training_minutes: int = 0
    duties: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


def monthly_totals(spans: Iterable[DutySpan], first: Month, last: Month) -> list[MonthTotals]:
    """Minutes per month from ``first`` to ``last``; parts of duties outside are ignored.

    A duty counts once in ``duties`` for the month it starts in (if in range).
    """
    splitter = _splitter(first, last)
    totals = [MonthTotals(m) for m in splitter.months]
    seconds: list[dict[tuple[bool, str], float]] = [{} for _ in totals]
    bounds = splitter.bounds
    months = len(totals)
    for start, end, esp_leave, duty_type in spans:
        key = (esp_leave, duty_type)
        index = bisect_right(bounds, start) - 1
        if 0 <= index < months:
            totals[index].duties += 1
            if end <= bounds[index + 1]:  # the usual case: within one month
                bucket = seconds[index]
                bucket[key] = bucket.get(key, 0.0) + (end - start)
                continue
        for index, part in splitter.split(start, end):
            bucket = seconds[index]
            bucket[key] = bucket.get(key, 0.0) + part
    for total, bucket in zip(totals, seconds, strict=True):
        for (esp_leave, duty_type), secs in bucket.items():
            mins = round(secs / 60)
            total.minutes += mins
            if esp_leave:
                total.esp_leave_minutes += mins
            else:
                total.own_time_minutes += mins
            if duty_type == "training":
                total.training_minutes += mins
            total.by_type[duty_type] = total.by_type.get(duty_type, 0) + mins
    return totals


@dataclass(frozen=True)
class MinimumStatus:
    month: Month
    minutes: int
    minimum_minutes: int
    met: bool
    short_by_minutes: int
    rolling_minutes: int
    rolling_months: int
    rolling_met: bool
    rolling_short_by_minutes: int


def minimum_status(
    totals: Sequence[MonthTotals], minimum_minutes: int, rolling: int = 3
) -> list[MinimumStatus]:
    """Met / short by, per month and over the rolling window ending at each month.

    ``totals`` must be consecutive months; the window of the first months of the sequence only
    covers the months available (``rolling_months`` says how many), so callers load ``rolling-1``
    months more than they show.
    """
    result = []
    for i, total in enumerate(totals):
        window = totals[max(0, i - rolling + 1) : i + 1]
        rolling_minutes = sum(t.minutes for t in window)
        target = minimum_minutes * len(window)
        result.append(
            MinimumStatus(
                month=total.month,
                minutes=total.minutes,
                minimum_minutes=minimum_minutes,
                met=total.minutes >= minimum_minutes,
                short_by_minutes=max(0, minimum_minutes - total.minutes),
                rolling_minutes=rolling_minutes,
                rolling_months=len(window),
                rolling_met=rolling_minutes >= target,
                rolling_short_by_minutes=max(0, target - rolling_minutes),
            )
        )
    return result
