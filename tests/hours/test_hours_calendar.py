"""Months in Europe/London, the monthly minimum and the leave allowance, on hand-computed cases.

Pure functions, no database. The clocks go forward at 01:00 UTC on 29 March 2026 and back at
01:00 UTC on 25 October 2026.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.hours.aggregate import DutySpan, minimum_status, monthly_totals
from portal.hours.allowance import PolicyVersion, Usage, simulate
from portal.hours.periods import (
    Month,
    TimeParseError,
    london_iso,
    parse_instant,
    split_by_month,
)

UTC = dt.UTC
H = 3600


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_month_lengths_follow_the_clock_changes() -> None:
    # March 2026 loses an hour (BST starts), October gains one (BST ends).
    assert (Month(2026, 3).end() - Month(2026, 3).start()) == dt.timedelta(hours=31 * 24 - 1)
    assert (Month(2026, 10).end() - Month(2026, 10).start()) == dt.timedelta(hours=31 * 24 + 1)
    assert Month(2026, 7).start() == at("2026-06-30T23:00:00+00:00")  # midnight BST
    assert Month(2026, 12).start() == at("2026-12-01T00:00:00+00:00")  # midnight GMT


def test_an_instant_belongs_to_its_london_month() -> None:
    assert Month.of(at("2026-06-30T23:30:00+00:00")) == Month(2026, 7)  # 00:30 BST, 1 July
    assert Month.of(at("2026-11-30T23:30:00+00:00")) == Month(2026, 11)  # 23:30 GMT


def test_a_duty_over_midnight_at_month_end_is_split_there() -> None:
    bst = split_by_month(at("2026-03-31T22:00:00+01:00"), at("2026-04-01T02:00:00+01:00"))
    assert [(m.key, d) for m, d in bst] == [
        ("2026-03", dt.timedelta(hours=2)),
        ("2026-04", dt.timedelta(hours=2)),
    ]
    gmt = split_by_month(at("2026-01-31T23:00:00+00:00"), at("2026-02-01T01:00:00+00:00"))
    assert [(m.key, d) for m, d in gmt] == [
        ("2026-01", dt.timedelta(hours=1)),
        ("2026-02", dt.timedelta(hours=1)),
    ]


def test_wall_clock_times_across_the_clock_changes() -> None:
    # 00:00 to 04:00 on the night the clocks go forward is three hours of duty...
    start, end = parse_instant("2026-03-29T00:00"), parse_instant("2026-03-29T04:00")
    assert end - start == dt.timedelta(hours=3)
    # ... and five hours on the night they go back.
    start, end = parse_instant("2026-10-25T00:00"), parse_instant("2026-10-25T04:00")
    assert end - start == dt.timedelta(hours=5)
    assert parse_instant("2026-07-01 09:00") == at("2026-07-01T08:00:00+00:00")
    assert parse_instant("2026-10-25T01:30+01:00") == at("2026-10-25T00:30:00+00:00")
    assert parse_instant("2026-10-25T01:30Z") == at("2026-10-25T01:30:00+00:00")
    assert london_iso(at("2026-07-01T08:00:00+00:00")) == "2026-07-01T09:00:00+01:00"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-03-29T01:30", "does not exist in UK time"),
        ("2026-10-25T01:30", "happens twice in UK time"),
        ("2026-13-01T09:00", "not a valid date and time"),
        ("14/03/2026 09:00", "not a date and time"),
        ("", "is empty"),
    ],
)
def test_unusable_times_are_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_instant(text)
    assert words in str(info.value)


def _span(start: str, end: str, esp: bool = False, kind: str = "patrol") -> DutySpan:
    return DutySpan(at(start).timestamp(), at(end).timestamp(), esp, kind)


def test_monthly_minimum_met_short_and_rolling_by_hand() -> None:
    spans = [
        # January: 10 h (short by 6).
        _span("2026-01-10T09:00:00+00:00", "2026-01-10T19:00:00+00:00"),
        # February: 20 h, of which 8 on ESP leave (met).
        _span("2026-02-03T08:00:00+00:00", "2026-02-03T20:00:00+00:00"),
        _span("2026-02-10T08:00:00+00:00", "2026-02-10T16:00:00+00:00", esp=True),
        # March: 14 h, plus 4 h of a duty running into April over midnight BST (18 h, met).
        _span("2026-03-07T08:00:00+00:00", "2026-03-07T22:00:00+00:00", kind="training"),
        _span("2026-03-31T20:00:00+01:00", "2026-04-01T04:00:00+01:00"),
        # April: the other 4 h of that duty (short by 12).
    ]
    totals = monthly_totals(spans, Month(2025, 12), Month(2026, 4))
    assert [t.minutes // 60 for t in totals] == [0, 10, 20, 18, 4]
    assert totals[2].esp_leave_minutes == 8 * 60 and totals[2].own_time_minutes == 12 * 60
    assert totals[3].training_minutes == 14 * 60
    assert [t.duties for t in totals] == [0, 1, 2, 2, 0]  # a duty counts where it starts
    status = minimum_status(totals, 16 * 60)
    jan, feb, mar, apr = status[1:]
    assert (jan.met, jan.short_by_minutes) == (False, 6 * 60)
    assert (feb.met, feb.short_by_minutes) == (True, 0)
    assert (mar.met, mar.short_by_minutes) == (True, 0)
    assert (apr.met, apr.short_by_minutes) == (False, 12 * 60)
    # Rolling three months: Dec-Feb 30 of 48 h; Jan-Mar 48 of 48; Feb-Apr 42 of 48.
    assert (feb.rolling_minutes, feb.rolling_met, feb.rolling_short_by_minutes) == (
        30 * 60,
        False,
        18 * 60,
    )
    assert (mar.rolling_minutes, mar.rolling_met) == (48 * 60, True)
    assert (apr.rolling_minutes, apr.rolling_short_by_minutes) == (42 * 60, 6 * 60)


def _hours_policy(rollover: int, amount: str = "4", starts_on: str = "2026-01-01") -> PolicyVersion:
    return PolicyVersion(
        1, "hours_per_month", Decimal(amount), True, rollover, 1, dt.date.fromisoformat(starts_on)
    )


EMPLOYED = [(dt.date(2020, 1, 6), None)]


def _used(month: str, hours: float, approved: bool = True) -> Usage:
    return Usage(Month.parse(month), int(hours * 60), approved)


def test_hours_per_month_with_two_months_roll_over_by_hand() -> None:
    balance = simulate(
        [_hours_policy(rollover=2)],
        EMPLOYED,
        [_used("2026-02", 6), _used("2026-04", 3), _used("2026-05", 2, approved=False)],
        today=dt.date(2026, 5, 15),
        until=Month(2026, 6),
    )
    assert balance is not None
    rows = {r.month.key: r for r in balance.months}
    hours = {
        k: (r.carried_in / 60, r.granted / 60, r.used / 60, r.available / 60)
        for k, r in rows.items()
    }
    assert hours["2026-01"] == (0, 4, 0, 4)
    # Feb uses 6: Jan's 4 (expires sooner) then 2 of Feb's.
    assert hours["2026-02"] == (4, 4, 6, 2)
    assert hours["2026-03"] == (2, 4, 0, 6)
    # Apr: Jan's grant has lapsed (used up anyway); 3 h come from Feb's 2 and Mar's 1.
    assert hours["2026-04"] == (6, 4, 3, 7)
    assert hours["2026-05"] == (7, 4, 0, 11)
    assert rows["2026-05"].pending == 2 * 60
    assert rows["2026-05"].expiring == 3 * 60  # what is left of March's grant
    assert hours["2026-06"] == (8, 4, 0, 12)


def test_unused_hours_lapse_after_the_roll_over_window() -> None:
    balance = simulate([_hours_policy(rollover=2)], EMPLOYED, [], today=dt.date(2026, 5, 1))
    assert balance is not None
    available = {r.month.key: r.available // 60 for r in balance.months}
    assert available == {"2026-01": 4, "2026-02": 8, "2026-03": 12, "2026-04": 12, "2026-05": 12}
    no_roll = simulate(
        [_hours_policy(rollover=0)], EMPLOYED, [_used("2026-03", 6)], today=dt.date(2026, 3, 31)
    )
    assert no_roll is not None
    march = no_roll.months[-1]
    assert (march.carried_in, march.available, march.over_allowance) == (0, 0, 2 * 60)


def test_days_per_year_from_april_with_three_months_roll_over_by_hand() -> None:
    policy = PolicyVersion(1, "days_per_year", Decimal("5"), False, 3, 4, dt.date(2025, 4, 1))
    half_days = [
        Usage(Month(2025, 7), 4, True),  # 2 days
        Usage(Month(2026, 5), 3, True),  # 1.5 days, from last year's remaining 3 days first
    ]
    balance = simulate([policy], EMPLOYED, half_days, today=dt.date(2026, 8, 1))
    assert balance is not None
    rows = {r.month.key: r for r in balance.months}
    assert rows["2025-04"].granted == 10 and rows["2025-04"].available == 10
    assert rows["2025-07"].available == 6
    assert rows["2026-03"].available == 6
    assert rows["2026-04"].carried_in == 6 and rows["2026-04"].granted == 10
    assert rows["2026-05"].available == 13  # 1.5 days left of the old year, 5 of the new
    assert rows["2026-06"].expiring == 3  # the old year's 1.5 days lapse at the end of June
    assert rows["2026-07"].available == 10
    year = balance.summary(Month(2026, 4), Month(2027, 3))
    assert year["granted"] == 10 and year["used"] == 3


def test_grants_start_with_the_employment_and_leave_is_charged_where_it_starts() -> None:
    balance = simulate(
        [_hours_policy(rollover=0)], [(dt.date(2026, 3, 10), None)], [], today=dt.date(2026, 4, 2)
    )
    assert balance is not None
    assert [r.month.key for r in balance.months] == ["2026-03", "2026-04"]
    # Leave from 00:30 BST on 1 April (23:30 UTC on 31 March) is April's.
    assert Month.of(parse_instant("2026-04-01T00:30")) == Month(2026, 4)
    assert (
        simulate(
            [_hours_policy(0, starts_on="2027-01-01")], EMPLOYED, [], today=dt.date(2026, 4, 2)
        )
        is None
    )


@pytest.mark.parametrize("unit", ["hours_per_month", "days_per_year"])
def test_starting_late_gives_the_same_balance_as_simulating_everything(unit: str) -> None:
    import random

    rng = random.Random(5)
    policies = [
        PolicyVersion(1, unit, Decimal("4"), True, 3, 4, dt.date(2019, 5, 1)),
        PolicyVersion(2, unit, Decimal("6"), True, 1, 4, dt.date(2022, 2, 1)),
    ]
    for _ in range(40):
        usages = [
            Usage(
                Month(2019 + rng.randint(0, 6), rng.randint(1, 12)),
                rng.randint(1, 12),
                rng.random() < 0.8,
            )
            for _ in range(rng.randint(0, 6))
        ]
        jobs = [(dt.date(2018 + rng.randint(0, 4), rng.randint(1, 12), 1), None)]
        today = dt.date(2026, rng.randint(1, 12), 15)
        keep = Month(2024 + rng.randint(0, 2), rng.randint(1, 12))
        full = simulate(policies, jobs, usages, today)
        late = simulate(policies, jobs, usages, today, keep_from=keep)
        assert full is not None and late is not None
        assert [r for r in full.months if r.month >= keep] == list(late.months)
