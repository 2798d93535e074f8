"""Gate cases for consent standing on an older privacy notice.

Notice 2026-11 changed what ``esp.leave-verification`` means. A consent given under 2025-04 still
stands, for exactly the categories recorded then, until the volunteer confirms it again: the gate
releases those and nothing the agreement names beyond them; the volunteer is told to confirm; a
confirmation under the current notice ends the request to confirm, and the gate still releases
the same categories.
"""

from __future__ import annotations

from typing import Any

from portal.consent.reconfirm import needs_confirming
from portal.consent.schemas import ConsentCurrent
from portal.consent.tables import ConsentEvent
from portal.disclosure.gate import DisclosureGate, Recipient
from portal.disclosure.sources import CategorySources
from portal.vocabulary import notices
from tests.support import disclosure_world as world

LV = "esp.leave-verification"


async def _current(person: world.Person, employer_id: str) -> list[ConsentCurrent]:
    rows = (
        await ConsentEvent.select()
        .where(ConsentEvent.volunteer == person.id)
        .order_by(ConsentEvent.ledger_index)
    )
    latest = {r["category"]: r for r in rows}
    return [
        ConsentCurrent(
            employer_id=employer_id,
            employer_name=None,
            purpose=LV,
            purpose_label=None,
            category=category,
            state=row["state"],
            since=row["recorded_at"],
            expires_at=row["expires_at"],
            notice_version=row["notice_version"],
            consent_id=str(row["id"]),
        )
        for category, row in latest.items()
    ]


async def test_consent_on_an_older_notice_releases_only_what_was_agreed(
    engine: Any, ledger: Any
) -> None:
    assert notices().changed_since("2025-04", LV, world.TODAY) is not None
    employer_id = await world.employer("Older Notice Ltd")
    await world.agreement(ledger, employer_id, {LV: ["identity", "status", "hours.summary"]})
    person = await world.volunteer("Olly Older")
    await world.employ(person, employer_id)
    await world.consent_event(person, employer_id, LV, ["identity"], notice_version="2025-04")
    gate = DisclosureGate(ledger, CategorySources())
    recipient = Recipient("employer", employer_id, "user-hr", "web")

    released = await gate.disclose_one(recipient, LV, person.id, request_id="older")
    assert released.categories == ("identity",)
    assert released.data == {"display_name": "Olly Older"}
    stale = needs_confirming(LV, await _current(person, employer_id), world.TODAY)
    assert stale is not None
    assert stale.agreed_under == "2025-04" and stale.changed_in.version == "2026-11"
    assert stale.categories == ("identity",)

    # Confirmed under the current notice: nothing more to confirm, the same release.
    await world.consent_event(person, employer_id, LV, ["identity"], notice_version="2026-11")
    assert needs_confirming(LV, await _current(person, employer_id), world.TODAY) is None
    again = await gate.disclose_one(recipient, LV, person.id, request_id="confirmed")
    assert again.categories == ("identity",)


async def test_a_notice_that_did_not_change_the_purpose_asks_nothing(
    engine: Any, ledger: Any
) -> None:
    """Programme management and application progress were not changed by 2026-11."""
    assert notices().changed_since("2025-04", "esp.programme-management", world.TODAY) is None
    assert notices().changed_since("2026-11", LV, world.TODAY) is None
    assert notices().changed_since("no-such-version", LV, world.TODAY) is None
