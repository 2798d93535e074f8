"""ESP leave allowance, roll-over and balance (pure).

An employer's policy grants either *hours per month* or *days per year* (a leave year starts on
the first day of ``year_start_month``). Each period's grant is a *lot*. Unused allowance of a
period may still be used for ``rollover_months`` whole months after the period ends (0: it lapses
at the end of its period); then it expires.

Approved leave is charged to the London month in which the leave starts, and takes from the lots
valid that month, the one expiring soonest first. Leave beyond what the lots hold is recorded as
*over allowance* for that month (an employer may approve more than the policy grants; it is shown,
not hidden). The simulation runs month by month, so a month's figures never depend on leave
booked for later months.

Which policy version applies to a period: the latest version in force on the period's last day
(its ``starts_on`` on or before it), provided it has the same unit as the version in force today
(changing unit starts the balance afresh). The grant is valid from the later of the period's first
month, the month the policy version started and the month the employment started; a period in
which the volunteer did not work for the employer at all grants nothing.

Amounts are exact integers: minutes for hours, half days for days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from portal.hours.periods import LeaveYear, Month

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class PolicyVersion:
    version: int
    unit: str  # "hours_per_month" | "days_per_year"
    amount: Decimal
    paid: bool
    rollover_months: int
    year_start_month: int
    starts_on: dt.date
    id: str = ""
    agreement_id: str | None = None

    @property
    def grant_units(self) -> int:
        """The grant per period in exact units (minutes or half days)."""
        return to_units(self.unit, self.amount)


@dataclass(frozen=True)
class Usage:
    """Leave charged to a month: ``units`` minutes (hours policies) or half days (days)."""

    month: Month
    units: int
    approved: bool


def to_units(unit: str, amount: Decimal | float | int) -> int:
    value = Decimal(str(amount))
    factor = 60 if unit == "hours_per_month" else 2
    return int((value * factor).to_integral_value(rounding=ROUND_HALF_UP))


def from_units(unit: str, units: int) -> Decimal:
    factor = 60 if unit == "hours_per_month" else 2
    return (Decimal(units) / factor).quantize(_CENT, rounding=ROUND_HALF_UP)


def unit_label(unit: str) -> Literal["hours", "days"]:
    return "hours" if unit == "hours_per_month" else "days"


@dataclass(frozen=True)
class MonthBalance:
    month: Month
    #: Unused allowance of earlier periods still valid at the start of the month.
    carried_in: int
    #: Allowance granted with this month (the monthly grant, or a leave year's at its start).
    granted: int
    used: int
    pending: int
    over_allowance: int
    #: Allowance left after this month's approved leave.
    available: int
    #: Part of ``available`` that lapses at the end of this month.
    expiring: int


@dataclass(frozen=True)
class Balance:
    unit: str
    policy: PolicyVersion
    months: tuple[MonthBalance, ...]

    def month(self, month: Month) -> MonthBalance | None:
        for row in self.months:
            if row.month == month:
                return row
        return None

    def period_of(self, month: Month) -> tuple[Month, Month]:
        """The policy period containing ``month`` (the month, or its leave year)."""
        if self.unit == "hours_per_month":
            return month, month
        year = LeaveYear.containing(month.first_day, self.policy.year_start_month)
        return year.first, year.last

    def summary(self, first: Month, last: Month) -> dict[str, int]:
        """Totals over ``first``..``last``: carried in at the start, granted, used, pending,
        over allowance, and available / expiring at the end."""
        rows = [r for r in self.months if first <= r.month <= last]
        if not rows:
            return {
                "carried_in": 0,
                "granted": 0,
                "used": 0,
                "pending": 0,
                "over_allowance": 0,
                "available": 0,
            }
        return {
            "carried_in": rows[0].carried_in,
            "granted": sum(r.granted for r in rows),
            "used": sum(r.used for r in rows),
            "pending": sum(r.pending for r in rows),
            "over_allowance": sum(r.over_allowance for r in rows),
            "available": rows[-1].available,
        }


def policy_on(policies: Sequence[PolicyVersion], day: dt.date) -> PolicyVersion | None:
    """The version in force on ``day``: latest ``starts_on`` on or before it, then version."""
    best = None
    for policy in policies:
        if policy.starts_on <= day and (
            best is None or (policy.starts_on, policy.version) > (best.starts_on, best.version)
        ):
            best = policy
    return best


def _index(month: Month) -> int:
    return month.year * 12 + month.month - 1


def _month(index: int) -> Month:
    return Month(index // 12, index % 12 + 1)


def _day_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def simulate(
    policies: Sequence[PolicyVersion],
    employment: Sequence[tuple[dt.date, dt.date | None]],
    usages: Sequence[Usage],
    today: dt.date,
    until: Month | None = None,
    keep_from: Month | None = None,
    stop_at: Month | None = None,
) -> Balance | None:
    """Month-by-month balance from the first grant to ``until`` (default: today's month, or the
    month of the latest leave if later). None when no policy is in force today.

    ``keep_from`` drops the rows of earlier months from the result (they are still simulated);
    ``stop_at`` ends the simulation after that month (later months are not needed).
    Months are handled as integer indices (year * 12 + month - 1) for speed: a report simulates
    hundreds of people over several years.
    """
    current = policy_on(policies, today)
    if current is None:
        return None
    unit = current.unit
    versions = sorted(
        (p for p in policies if p.unit == unit), key=lambda p: (p.starts_on, p.version)
    )
    jobs = [(_day_index(s), _day_index(e) if e is not None else 1 << 30) for s, e in employment]
    if not jobs:
        return Balance(unit, current, ())
    first = max(_day_index(versions[0].starts_on), min(s for s, _ in jobs))
    charged = _charged_by_month(usages)
    last = _last_month(_day_index(today), charged, until, stop_at)
    keep = max(first, _index(keep_from)) if keep_from is not None else first
    # Only leave reduces a grant, so before the first month with leave every grant still valid
    # is whole: start there (or at the first month to show), with those grants.
    begin = max(first, min([keep, *charged]))
    horizon = begin - 12 - max(p.rollover_months for p in versions)
    grants = _grant_schedule(versions, jobs, max(first, horizon), last, current)
    lots = _lots_open_at(grants, begin)
    rows: list[MonthBalance] = []
    for month in range(begin, last + 1):
        lots = [lot for lot in lots if lot[0] >= month and lot[2] > 0]
        carried_in = sum(lot[2] for lot in lots)
        granted = _add_grant(lots, month, grants.get(month))
        used, pending, over = _charge(lots, charged.get(month, ()))
        if month >= keep:
            rows.append(_row(month, lots, carried_in, granted, used, pending, over))
    return Balance(unit, current, tuple(rows))


def _charged_by_month(usages: Sequence[Usage]) -> dict[int, list[Usage]]:
    charged: dict[int, list[Usage]] = {}
    for usage in usages:
        charged.setdefault(_index(usage.month), []).append(usage)
    return charged


def _last_month(
    today: int, charged: dict[int, list[Usage]], until: Month | None, stop_at: Month | None
) -> int:
    """The last month to simulate: today's, or the latest with leave or ``until`` if later;
    never after ``stop_at``."""
    last = max([today, *charged])
    if until is not None:
        last = max(last, _index(until))
    if stop_at is not None:
        last = min(last, _index(stop_at))
    return last


def _lots_open_at(grants: dict[int, tuple[int, int]], begin: int) -> list[list[int]]:
    """The lots granted before ``begin`` and still valid then, each ``[expires_after,
    valid_from, remaining]``, soonest-expiring first."""
    return sorted(
        [expires_after, valid_from, amount]
        for valid_from, (amount, expires_after) in grants.items()
        if valid_from < begin and expires_after >= begin
    )


def _row(
    month: int,
    lots: list[list[int]],
    carried_in: int,
    granted: int,
    used: int,
    pending: int,
    over: int,
) -> MonthBalance:
    available = sum(lot[2] for lot in lots)
    expiring = sum(lot[2] for lot in lots if lot[0] == month)
    return MonthBalance(
        _month(month), carried_in, granted, used, pending, over, available, expiring
    )


def _add_grant(lots: list[list[int]], month: int, grant: tuple[int, int] | None) -> int:
    """Open the lot granted with ``month`` (kept soonest-expiring first); the amount granted."""
    if grant is None:
        return 0
    granted, expires_after = grant
    lots.append([expires_after, month, granted])
    lots.sort()
    return granted


def _charge(lots: list[list[int]], usages: Sequence[Usage]) -> tuple[int, int, int]:
    """Charge a month's leave to the lots, soonest-expiring first: (used, pending, over)."""
    used = pending = over = 0
    for usage in usages:
        if not usage.approved:
            pending += usage.units
            continue
        used += usage.units
        need = usage.units
        for lot in lots:
            take = min(lot[2], need)
            lot[2] -= take
            need -= take
            if need == 0:
                break
        over += need
    return used, pending, over


def _grant_schedule(
    versions: Sequence[PolicyVersion],
    jobs: Sequence[tuple[int, int]],
    first: int,
    last: int,
    current: PolicyVersion,
) -> dict[int, tuple[int, int]]:
    """Month index a grant becomes valid -> (amount, last month index it may be used in)."""
    starts = [(_day_index(p.starts_on), p, p.grant_units) for p in versions]
    schedule: dict[int, tuple[int, int]] = {}
    if current.unit == "hours_per_month":
        periods = [(m, m) for m in range(first, last + 1)]
    else:
        offset = current.year_start_month - 1
        year_first = first - ((first - offset) % 12)
        periods = [(y, y + 11) for y in range(year_first, last + 1, 12)]
    for period_first, period_last in periods:
        policy = None
        grant = 0
        for start, version, units in starts:  # sorted: the last one that has started wins
            if start <= period_last:
                policy, grant = version, units
        if policy is None:
            continue
        worked = [max(period_first, s) for s, e in jobs if s <= period_last and e >= period_first]
        if not worked:
            continue
        valid_from = max(period_first, _day_index(policy.starts_on), min(worked))
        if grant > 0 and first <= valid_from <= last:
            schedule[valid_from] = (grant, period_last + policy.rollover_months)
    return schedule
