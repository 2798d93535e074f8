"""The schedule applied to an instant (pure): each record kind's cutoff follows records.json,
periods count back by calendar (29 February to 28 February), and the two person rules take the
application's period and the longest service-record period."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.retention.erasing import ERASERS
from portal.retention.finding import Leaver, persons_due
from portal.retention.schedule import ROW_KINDS, before, instant_before, plan
from portal.vocabulary.records import records_held

NOW = dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("day", "period", "expected"),
    [
        (dt.date(2028, 2, 29), "P1Y", dt.date(2027, 2, 28)),
        (dt.date(2028, 2, 29), "P2Y", dt.date(2026, 2, 28)),
        (dt.date(2028, 2, 29), "P4Y", dt.date(2024, 2, 29)),
        (dt.date(2028, 3, 31), "P1M", dt.date(2028, 2, 29)),
        (dt.date(2028, 1, 15), "P12M", dt.date(2027, 1, 15)),
        (dt.date(2028, 1, 15), "P90D", dt.date(2027, 10, 17)),
    ],
)
def test_a_period_counts_back_by_the_calendar(day: dt.date, period: str, expected: dt.date) -> None:
    assert before(day, period) == expected


@pytest.mark.parametrize("period", ["", "P0Y", "P1W", "6Y", "P1Y2M"])
def test_a_period_the_schedule_cannot_hold_is_refused(period: str) -> None:
    with pytest.raises(ValueError, match="not a period"):
        before(dt.date(2028, 1, 1), period)


def test_each_kind_gets_the_cutoff_records_json_says() -> None:
    held = records_held()
    applied = plan(held, NOW)
    assert [k.code for k in applied.kinds] == [r.code for r in held.records]
    for record in held.records:
        kind = applied.kind(record.code)
        assert kind.reason == record.retention.reason and kind.in_words
        period = record.retention.period
        if period is None:
            assert (kind.handling, kind.cutoff) == ("kept", None)
        elif record.retention.counted_from in ("record", "decision"):
            assert kind.cutoff == instant_before(NOW, period)
        else:
            assert kind.cutoff_day == before(dt.date(2028, 2, 29), period)
    assert applied.kind("refusals").cutoff == dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)
    assert applied.kind("messages").cutoff == NOW - dt.timedelta(days=90)
    requests = applied.kind("erasure-requests")
    assert (requests.handling, requests.cutoff) == ("rows", applied.kind("refusals").cutoff)
    assert applied.not_taken_forward.rule == "application"
    assert applied.not_taken_forward.left_before == dt.date(2027, 2, 28)
    assert applied.served.left_before == dt.date(2022, 2, 28)


def test_every_row_kind_has_an_eraser_and_is_in_the_schedule() -> None:
    assert set(ERASERS) == set(ROW_KINDS)
    codes = {r.code for r in records_held().records}
    assert set(ROW_KINDS) <= codes


def test_persons_due_are_exactly_those_past_their_rule() -> None:
    applied = plan(records_held(), NOW)
    leavers = [
        Leaver("a", dt.date(2027, 2, 27), served=False),  # a day past 12 months
        Leaver("b", dt.date(2027, 2, 28), served=False),  # exactly 12 months: kept today
        Leaver("c", dt.date(2022, 2, 27), served=True),  # a day past six years
        Leaver("d", dt.date(2022, 2, 28), served=True),  # exactly six years: kept today
        Leaver("e", dt.date(2020, 1, 1), served=False),  # long gone, never served
    ]
    due = persons_due(applied, leavers)
    assert [(p.volunteer, p.rule) for p in due] == [
        ("a", "application"),
        ("c", "identity"),
        ("e", "application"),
    ]


def test_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(records_held(), dt.datetime(2028, 1, 1))
