"""A staff view's hours fields are computed once per distinct set of inputs, never reused for
different ones.

``portal.hours.staff_fields`` remembers one person's hours fields (summary, training, duty
records) keyed on everything the computation reads from what the request read: their current
duty versions, their jobs with the employer, their leave balance, which fields, the window.
Reading the same person again with nothing changed reuses the answer; a new, corrected or
cancelled duty, or a job that ended, is a new key and is computed afresh, so released hours
are never older than the request.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from portal.hours import staff_fields
from portal.hours.aggregate import monthly_totals
from portal.hours.periods import Month
from portal.hours.staff_fields import _person_fields, _Window
from portal.jsonedge import EncodedJSON

ANNE = "0190d9a0-0000-7000-8000-00000000000a"
WINDOW = _Window(Month(2026, 1), Month(2026, 11), 8 * 60)
ALL = (True, True, True)
JOB = ((dt.date(2025, 3, 1), None),)
JUNE_1 = int(dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC).timestamp())  # 09:00 in London


def _duty(day: int, hours: int, *, cancelled: bool = False, version: int = 1) -> list[Any]:
    """One duty row as the facts statement sends it (``_DUTY_COLUMNS``)."""
    start = JUNE_1 + day * 86400
    return [start, start + hours * 3600, hours * 60, "patrol", True, cancelled, version]


def _rows(*duties: list[Any]) -> str:
    return json.dumps(list(duties))


D1, D2, D3 = _duty(0, 6), _duty(3, 4), _duty(10, 8)
DUTIES = _rows(D1, D2, D3)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the computations actually run (the cache is emptied first)."""
    calls: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return monthly_totals(*args, **kwargs)

    monkeypatch.setattr(staff_fields, "monthly_totals", counting)
    staff_fields._FIELDS.clear()
    return calls


def _direct(*args: Any) -> dict[str, Any]:
    """The fields computed without any reuse."""
    staff_fields._FIELDS.clear()
    return _person_fields(*args)


def _records(fields: dict[str, Any]) -> list[dict[str, Any]]:
    duties = fields["hours_detail"]["duties"]
    assert isinstance(duties, EncodedJSON)
    return list(duties)


def test_same_inputs_are_computed_once(counted: list[int]) -> None:
    first = _person_fields(DUTIES, JOB, None, ALL, WINDOW)
    again = _person_fields(
        _rows(D1, D2, D3), tuple(JOB), None, ALL, _Window(*vars(WINDOW).values())
    )
    assert again is first
    assert len(counted) == 1
    # Rows sent in another order are another key, computed afresh to the same answer.
    assert _person_fields(_rows(D3, D1, D2), JOB, None, ALL, WINDOW) == first
    assert len(counted) == 2
    assert first["hours_summary"]["total_hours"] == 18.0
    assert [r["hours"] for r in _records(first)] == [6.0, 4.0, 8.0]
    # Asking for different fields is a different answer, not a part of the first one.
    summary_only = _person_fields(DUTIES, JOB, None, (True, False, False), WINDOW)
    assert set(summary_only) == {"hours_summary"}
    assert len(counted) == 3


@pytest.mark.parametrize(
    ("duties", "job", "total", "records"),
    [
        (_rows(D1, D2, D3, _duty(20, 2)), JOB, 20.0, [6.0, 4.0, 8.0, 2.0]),
        (_rows(D1, _duty(3, 3, version=2), D3), JOB, 17.0, [6.0, 3.0, 8.0]),
        (_rows(D1, _duty(3, 4, cancelled=True, version=2), D3), JOB, 14.0, [6.0, 8.0]),
        (DUTIES, ((dt.date(2025, 3, 1), dt.date(2026, 6, 5)),), 10.0, [6.0, 4.0]),
    ],
    ids=["new duty", "corrected duty", "cancelled duty", "job ended"],
)
def test_changed_inputs_are_computed_afresh(
    counted: list[int],
    duties: str,
    job: tuple[tuple[dt.date, dt.date | None], ...],
    total: float,
    records: list[float],
) -> None:
    before = _person_fields(DUTIES, JOB, None, ALL, WINDOW)
    after = _person_fields(duties, job, None, ALL, WINDOW)
    assert len(counted) == 2
    assert after["hours_summary"]["total_hours"] == total != before["hours_summary"]["total_hours"]
    assert [r["hours"] for r in _records(after)] == records
    assert after == _direct(duties, job, None, ALL, WINDOW)
