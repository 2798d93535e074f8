"""A person's computed hours leave this process's memory: at an erasure here, and by age.

``portal.hours.staff_fields`` remembers each person's hours fields and leave balance between
reads (``portal.memo``). After a real erasure through the erasure service nothing derived from
the erased person is held; an entry older than the age limit is never served, and is gone from
memory, whichever process holds it. The clock is replaced, not waited for. Both databases.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid
from collections.abc import Hashable, Iterator

import pytest

from ledger import Ledger
from portal import memo
from portal.clock import utcnow
from portal.disclosure.gate import Recipient
from portal.erasure.service import erase_person
from portal.gates import build_gate
from portal.hours import staff_fields
from portal.hours.imports import import_csv
from portal.hours.leave import record_policy
from portal.hours.schemas import LeavePolicyIn
from portal.memo import PersonalMemo
from portal.settings import Settings
from tests.hours import hours_world as w

CATEGORIES = ["identity", "hours.summary", "hours.detail", "training"]
#: Each person's job starts on its own day: a remembered balance's key names its person by it.
JOB_STARTS = {"Erased Person": dt.date(2021, 3, 17), "Kept Person": dt.date(2022, 5, 9)}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def empty_memos() -> Iterator[None]:
    for remembered in (staff_fields._FIELDS, staff_fields._BALANCES):
        remembered.clear()
    yield
    for remembered in (staff_fields._FIELDS, staff_fields._BALANCES):
        remembered.clear()


def _duty_day() -> dt.date:
    today = utcnow().date()
    return max(dt.date(today.year, 1, 1), today - dt.timedelta(days=1))


async def _two_staff() -> tuple[str, dict[str, w.Person]]:
    """Two people employed by one employer (with a leave policy), each with a duty at their own
    hour. Returns the employer and the people by name."""
    org = await w.employer()
    await w.agreement(org, {w.LEAVE: CATEGORIES})
    await record_policy(
        LeavePolicyIn(
            employer_id=org,
            unit="hours_per_month",
            amount=7.5,
            rollover_months=0,
            starts_on=dt.date(2020, 1, 1),
        ),
        "test",
    )
    people = {}
    lines = []
    day = _duty_day()
    for hour, (name, starts_on) in enumerate(JOB_STARTS.items(), start=9):
        person = await w.volunteer(name)
        await w.employ([person], org, starts_on=starts_on)
        await w.consent([person], org, CATEGORIES)
        lines.append(w.duty_line(person, f"{day}T{hour:02d}:00Z", f"{day}T{hour:02d}:30Z"))
        people[name] = person
    await import_csv(io.BytesIO(w.csv_text(lines)), created_by="test")
    return org, people


def _held(name: str, starts_at: str) -> list[Hashable]:
    """What the memos hold that was derived from ``name``: fields whose duty records include
    their duty, balances computed from their job."""
    fields = [
        key
        for key, value in staff_fields._FIELDS.items()
        if "hours_detail" in value and starts_at in value["hours_detail"]["duties"].text
    ]
    balances = [
        key
        for key, _value in staff_fields._BALANCES.items()
        if any(start == JOB_STARTS[name] for start, _end in key[1])  # type: ignore[index]
    ]
    return fields + balances


@pytest.mark.usefixtures("empty_memos")
async def test_an_erasure_leaves_nothing_of_the_person_remembered(
    settings: Settings, ledger: Ledger
) -> None:
    org, people = await _two_staff()
    gate = build_gate(ledger, settings)
    recipient = Recipient("employer", org, "user-hr", "api")
    starts = {}
    for name, person in people.items():
        released = await gate.disclose_one(recipient, w.LEAVE, person.id, request_id=name)
        (duty,) = released.data["hours_detail"]["duties"]
        starts[name] = duty["starts_at"]
        assert _held(name, starts[name]), f"{name}'s hours are remembered after a read"

    await erase_person(
        uuid.UUID(people["Erased Person"].id),
        reason="Art. 17(1)(a)",
        decided_by=None,
        ledger=ledger,
    )
    assert _held("Erased Person", starts["Erased Person"]) == []
    # The one still employed is read (and remembered) again as before.
    again = await gate.disclose_one(
        recipient, w.LEAVE, people["Kept Person"].id, request_id="again"
    )
    assert again.data["hours_detail"]["duties"][0]["starts_at"] == starts["Kept Person"]
    assert _held("Kept Person", starts["Kept Person"])
    assert _held("Erased Person", starts["Erased Person"]) == []


def test_an_entry_older_than_the_limit_is_not_served_and_is_gone() -> None:
    clock = Clock()
    remembered: PersonalMemo[int] = PersonalMemo(maxsize=10, ttl=600, clock=clock)
    computed: list[str] = []

    @remembered.remember
    def length(text: str) -> int:
        computed.append(text)
        return len(text)

    assert length("anne") == 4
    clock.now += 599
    assert length("anne") == 4
    assert computed == ["anne"], "served while younger than the limit"
    assert length("bob") == 3
    clock.now += 1  # "anne" is now 600 s old, "bob" 1 s
    assert length("bob") == 3  # any read drops what has expired from memory
    assert [key for key, _ in remembered.items()] == [("bob",)]
    assert length("anne") == 4
    assert computed == ["anne", "bob", "anne"], "recomputed, not served"


def test_the_staff_fields_are_recomputed_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(staff_fields._FIELDS, "clock", clock)
    staff_fields._FIELDS.clear()
    window = staff_fields._Window(staff_fields.Month(2026, 1), staff_fields.Month(2026, 11), 8 * 60)
    args = ("[]", ((dt.date(2025, 3, 1), None),), None, (True, True, True), window)
    first = staff_fields._person_fields(*args)
    assert staff_fields._person_fields(*args) is first
    clock.now += staff_fields.REMEMBER_FOR
    again = staff_fields._person_fields(*args)
    assert again is not first and again == first
    staff_fields._FIELDS.clear()


def test_an_erasure_during_a_read_is_caught_after_it() -> None:
    """A read that began before an erasure and remembered after it forgets again."""
    remembered: PersonalMemo[str] = PersonalMemo(maxsize=10, ttl=600)
    seen = memo.erasures()
    memo.forget_everything()  # an erasure commits while the read waits for the database
    remembered.put("rows read before the erasure", "their fields")
    memo.forget_if_erased_since(seen)
    assert remembered.items() == []
    seen = memo.erasures()
    remembered.put("rows", "fields")
    memo.forget_if_erased_since(seen)  # no erasure meanwhile: kept
    assert len(remembered) == 1


async def test_an_idle_process_drops_expired_entries() -> None:
    clock = Clock()
    remembered: PersonalMemo[str] = PersonalMemo(maxsize=10, ttl=600, clock=clock)
    remembered.put("rows", "fields")
    async with memo.sweeping(every=0.01):
        await asyncio.sleep(0.05)
        assert len(remembered) == 1
        clock.now += 600
        for _ in range(200):
            if not len(remembered):
                break
            await asyncio.sleep(0.01)
    assert len(remembered) == 0
