"""Hours fill their categories through a source registered on the gate, not through callers.

Before, every caller of the gate had to pass the hours provider, and one that forgot silently
released no hours. Now the gate is built once (``portal.gates.build_gate``) with hours
registered, so a plain ``disclose_one`` / ``disclose_staff`` releases them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ledger import Ledger
from portal.app import create_app
from portal.clock import utcnow
from portal.disclosure.gate import Recipient
from portal.disclosure.sources import CategorySources
from portal.gates import build_gate
from portal.hours.imports import import_csv
from portal.hours.staff_fields import HOURS_FIELDS
from portal.ledgering import build_ledger
from portal.settings import Settings
from tests.hours import hours_world as w

CATEGORIES = ["identity", "hours.summary", "hours.detail"]


@pytest.fixture
async def ledger(settings: Settings, engine: Any) -> AsyncIterator[Ledger]:
    instance = build_ledger(settings, engine)
    await instance.start()
    try:
        yield instance
    finally:
        await instance.close()


def _duty_day() -> dt.date:
    today = utcnow().date()
    return max(dt.date(today.year, 1, 1), today - dt.timedelta(days=1))


async def _staff_with_a_duty() -> tuple[str, w.Person]:
    org = await w.employer()
    await w.agreement(org, {w.LEAVE: CATEGORIES})
    person = await w.volunteer("Sourced Person")
    await w.employ([person], org)
    await w.consent([person], org, CATEGORIES)
    day = _duty_day()
    line = w.duty_line(person, f"{day}T09:00Z", f"{day}T12:00Z", esp="yes")
    await import_csv(io.BytesIO(w.csv_text([line])), created_by="test")
    return org, person


async def test_a_built_gate_releases_hours_without_a_caller_provider(
    settings: Settings, ledger: Ledger
) -> None:
    org, person = await _staff_with_a_duty()
    gate = build_gate(ledger, settings)
    recipient = Recipient("employer", org, "user-hr", "api")
    one = await gate.disclose_one(recipient, w.LEAVE, person.id, request_id="one")
    page = await gate.disclose_staff(recipient, w.LEAVE, request_id="list", limit=10)
    for released in (one, *page.items):
        assert sorted(released.categories) == sorted(CATEGORIES)
        assert released.data["hours_summary"]["total_hours"] == 3.0
        (duty,) = released.data["hours_detail"]["duties"]
        assert duty["hours"] == 3.0


async def test_the_force_gets_no_hours_from_the_employer_source(
    settings: Settings, ledger: Ledger
) -> None:
    """The DPO's own read never had hours filled; registering hours did not change that."""
    _org, person = await _staff_with_a_duty()
    gate = build_gate(ledger, settings)
    released = await gate.disclose_to_force(
        Recipient("force", "force", "user-dpo", "web"), person.id, request_id="dpo"
    )
    assert "hours_summary" not in released.data and "hours_detail" not in released.data
    assert released.data["display_name"] == "Sourced Person"


def test_the_app_gate_has_the_hours_source(settings: Settings) -> None:
    app = create_app(settings, configure_logs=False)
    # Hours are among the app gate's sources (awards and milestones register their own).
    assert frozenset(HOURS_FIELDS) <= app.state.gate.sources.provided_fields
    assert app.state.gate.ledger is app.state.ledger


def test_a_field_has_one_source_only() -> None:
    sources = CategorySources()
    sources.register(["training"], lambda recipient, today: None)
    with pytest.raises(ValueError, match="training"):
        sources.register(["training"], lambda recipient, today: None)
    with pytest.raises(ValueError, match="display_name"):
        sources.register(["display_name"], lambda recipient, today: None)
