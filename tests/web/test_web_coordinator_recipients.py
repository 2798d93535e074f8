"""The coordinator records another police force in a browser: the organisation, its
information sharing agreement, a user, and a volunteer's link with what it is for.

Each page passes axe-core at 1280 and 320 px without sideways scroll, errors included; a link
with no reason, or with a reason that is not a force's purpose (a crafted post), is refused
against the reasons boxes and nothing is linked. Both databases, real Chromium.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.web.webharness import (
    Served,
    axe_at_both_widths,
    seed_world,
    sign_in,
    totp_code,
    totp_secret,
)


def _date(page: Any, prefix: str, day: dt.date) -> None:
    page.locator(f"#{prefix}-day").fill(str(day.day))
    page.locator(f"#{prefix}-month").fill(str(day.month))
    page.locator(f"#{prefix}-year").fill(str(day.year))


def _error_summary(page: Any) -> str:
    return str(page.locator(".govuk-error-summary").inner_text())


def test_coordinator_records_a_force_its_agreement_a_user_and_a_reasoned_link(
    served: Served, page: Any
) -> None:
    world = served.run(seed_world(served))
    code = totp_code(served.run(totp_secret(world.coordinator_id)))
    sign_in(page, served, world.emails["coordinator"], code=code)
    page.get_by_role("link", name="Forces and partners").first.click()
    assert page.locator("h1").inner_text() == "Other police forces and partners"
    axe_at_both_widths(page, "organisations")

    # Nothing chosen: both fields named, the page as typed.
    page.get_by_label("Name", exact=True).fill("Eastshire Police")
    page.get_by_role("button", name="Record organisation").click()
    assert "Select whether it is another police force or a partner" in _error_summary(page)
    assert page.get_by_label("Name", exact=True).input_value() == "Eastshire Police"
    axe_at_both_widths(page, "organisations with an error")
    page.get_by_label("Another police force").check()
    page.get_by_role("button", name="Record organisation").click()
    assert page.locator("h1").inner_text() == "Eastshire Police"
    assert "Organisation recorded." in page.inner_text("main")
    assert "No information sharing agreement is recorded" in page.inner_text("main")
    axe_at_both_widths(page, "organisation")
    force_url = page.url.split("?")[0]

    # The information sharing agreement, through the one agreement path (ledgered).
    today = dt.date.today()
    transfer = page.locator("fieldset", has_text="Transferring their service: what may be shared")
    transfer.locator("input[value=identity]").check()
    _date(page, "starts_on", today - dt.timedelta(days=1))
    _date(page, "ends_on", today + dt.timedelta(days=365))
    page.get_by_label("Signed by").fill("Chief Constables of both forces")
    page.get_by_role("button", name="Record version 1").click()
    main = page.inner_text("main")
    assert "Information sharing agreement recorded in the ledger as entry" in main, main
    assert "Chief Constables of both forces" in main

    # A user of the force: the one-time activation link, once.
    page.get_by_label("Invite a user: their email address").fill("liaison@eastshire.example")
    page.get_by_role("button", name="Invite user").click()
    assert "liaison@eastshire.example" in page.inner_text("main")
    page.goto(force_url)
    assert "liaison@eastshire.example" in page.locator("#users ~ dl").first.inner_text()

    # A link says what it is for: none ticked, then a purpose no force may use, are refused.
    page.get_by_label("Volunteer id").fill(world.volunteer_id)
    _date(page, "link_starts_on", today)
    page.get_by_role("button", name="Link volunteer").click()
    assert "Select what the link is for" in _error_summary(page)
    axe_at_both_widths(page, "organisation with an error")
    page.get_by_label("Transferring their service").check()
    page.locator("input[name=reasons]:checked").evaluate(
        "box => { box.value = 'esp.programme-management'; }"
    )
    page.get_by_role("button", name="Link volunteer").click()
    summary = _error_summary(page)
    assert "not a purpose for a police force" in summary, summary
    assert page.locator("#reasons-error").count() == 1
    assert "No volunteer is linked to Eastshire Police" in page.inner_text("main")

    page.get_by_label("Transferring their service").check()
    page.get_by_role("button", name="Link volunteer").click()
    assert "Volunteer linked." in page.inner_text("main")
    links = page.locator("#links ~ dl").first.inner_text()
    assert "Sam Special" in links and "For: Transferring their service" in links, links
    assert "Their application to more than one force" not in links
    axe_at_both_widths(page, "organisation with a link")

    # The volunteer's own record names the force and what the link is for.
    page.locator("#links ~ dl").first.get_by_role("link", name="Sam Special").click()
    card = page.locator(".govuk-summary-card", has_text="Eastshire Police")
    assert "For: Transferring their service." in card.inner_text(), card.inner_text()
