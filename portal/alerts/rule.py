"""The volume alert rule, pure: is a day's count far above the usual level and the expectation?

A day raises an alert when all of these hold (the numbers are settings):

1. its disclosures are more than ``ESP_VOLUME_ALERT_MULTIPLIER`` (3) times the recipient's usual
   level: the median of the ``ESP_VOLUME_ALERT_WINDOW_DAYS`` (28) days before it, days without a
   disclosure counted as 0;
2. they are at least ``ESP_VOLUME_ALERT_FLOOR`` (20), so a quiet recipient going from 1 to 4 is
   not an alert;
3. they are above the agreement's stated expectation for a day, when the agreement in force on
   that day states one for the purpose (a monthly figure is spread over 30 days).

The median rather than the mean, so one earlier spike does not lift the usual level and hide the
next.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class Thresholds:
    multiplier: float
    floor: int
    window_days: int


@dataclass(frozen=True)
class DayFigures:
    """One day for one recipient and purpose: what happened, what is usual, what was expected."""

    day: dt.date
    disclosures: int
    usual: float
    expected: float | None
    alert: bool


def usual_level(counts: Mapping[dt.date, int], day: dt.date, window_days: int) -> float:
    """The median of the ``window_days`` days before ``day`` (missing days are 0)."""
    history = [counts.get(day - dt.timedelta(days=n), 0) for n in range(1, window_days + 1)]
    return float(statistics.median(history))


def expected_per_day(expectation: Mapping[str, Any] | None) -> float | None:
    """An agreement's expectation for one purpose, as disclosures per day."""
    if not expectation:
        return None
    count = float(expectation["count"])
    return count if expectation["per"] == "day" else count / DAYS_PER_MONTH


def is_alert(count: int, usual: float, expected: float | None, limits: Thresholds) -> bool:
    """The rule in the module docstring."""
    if count < limits.floor or count <= limits.multiplier * usual:
        return False
    return expected is None or count > expected


def figures(
    counts: Mapping[dt.date, int],
    days: Sequence[dt.date],
    expected: Mapping[dt.date, float | None],
    limits: Thresholds,
) -> list[DayFigures]:
    """The figures of each of ``days`` (``counts`` must reach back a window before the first)."""
    out = []
    for day in days:
        count = counts.get(day, 0)
        usual = usual_level(counts, day, limits.window_days)
        exp = expected.get(day)
        out.append(DayFigures(day, count, usual, exp, is_alert(count, usual, exp, limits)))
    return out
