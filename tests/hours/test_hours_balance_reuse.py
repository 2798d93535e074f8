"""The staff views' leave balance is simulated once per distinct set of inputs, never reused
for different ones.

``portal.hours.staff_fields`` remembers ``simulate``'s answer keyed on every input it reads
from committed state (policy versions, the person's jobs, their leave, today, the window). A
second read of the same person with nothing changed reuses the answer; a new leave request,
a changed job or a new policy version is a new key and is simulated afresh, so a released
balance is never older than the request.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from portal.hours import staff_fields
from portal.hours.allowance import simulate
from portal.hours.periods import Month
from portal.hours.staff_fields import _balances, _Facts

ANNE = "0190d9a0-0000-7000-8000-00000000000a"
BOB = "0190d9a0-0000-7000-8000-00000000000b"
TODAY = dt.date(2026, 11, 20)
FIRST, LAST = Month(2026, 1), Month(2026, 11)


def _policy(version: int, amount: str, starts_on: str) -> list[Any]:
    return [f"p{version}", version, "hours_per_month", amount, True, 3, 4, starts_on, None]


def _facts(
    jobs: list[list[Any]], leave: list[list[Any]], policies: list[list[Any]] | None = None
) -> _Facts:
    row = {
        "jobs": json.dumps(jobs),
        "duties": "[]",
        "policies": json.dumps(policies or [_policy(1, "8", "2025-01-01")]),
        "leave": json.dumps(leave),
    }
    return _Facts(row, [ANNE, BOB])


JOBS = [[ANNE, "2025-03-01", None], [BOB, "2025-03-01", None]]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the simulations actually run (the cache is emptied first)."""
    calls: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return simulate(*args, **kwargs)

    monkeypatch.setattr(staff_fields, "simulate", counting)
    staff_fields._BALANCES.clear()
    return calls


def _direct(facts: _Facts, volunteer: str) -> Any:
    """The balance computed without any reuse, as ``portal.hours.leave.balances`` does."""
    staff_fields._BALANCES.clear()
    return _balances(facts, [volunteer], TODAY, FIRST, LAST).get(volunteer)


def test_same_inputs_are_simulated_once(counted: list[int]) -> None:
    facts = _facts(JOBS, [])
    first = _balances(facts, [ANNE, BOB], TODAY, FIRST, LAST)
    again = _balances(_facts(JOBS, []), [ANNE, BOB], TODAY, FIRST, LAST)
    assert first == again
    assert first[ANNE].months  # a real balance, month by month
    # Anne and Bob have the same job and no leave: one simulation serves both, then both again.
    assert len(counted) == 1


def test_new_leave_is_a_new_simulation(counted: list[int]) -> None:
    before = _balances(_facts(JOBS, []), [ANNE], TODAY, FIRST, LAST)[ANNE]
    leave = [[ANNE, "2026-06-10T09:00:00+00:00", "4", "approved", "hours_per_month"]]
    after_facts = _facts(JOBS, leave)
    after = _balances(after_facts, [ANNE], TODAY, FIRST, LAST)[ANNE]
    assert len(counted) == 2
    june = Month(2026, 6)
    used_before = before.month(june)
    used_after = after.month(june)
    assert used_before is not None and used_after is not None
    assert used_before.used == 0
    assert used_after.used == 4 * 60
    assert after == _direct(after_facts, ANNE)


@pytest.mark.parametrize(
    ("jobs", "policies"),
    [
        ([[ANNE, "2025-03-01", "2026-08-31"], [BOB, "2025-03-01", None]], None),
        (JOBS, [_policy(1, "8", "2025-01-01"), _policy(2, "10", "2026-05-01")]),
    ],
    ids=["job ended", "new policy version"],
)
def test_changed_job_or_policy_is_a_new_simulation(
    counted: list[int], jobs: list[list[Any]], policies: list[list[Any]] | None
) -> None:
    before = _balances(_facts(JOBS, []), [ANNE], TODAY, FIRST, LAST)[ANNE]
    changed = _facts(jobs, [], policies)
    after = _balances(changed, [ANNE], TODAY, FIRST, LAST)[ANNE]
    assert len(counted) == 2
    assert after != before
    assert after == _direct(changed, ANNE)
    assert Decimal(str(after.policy.amount)) == Decimal(policies[-1][3] if policies else "8")
