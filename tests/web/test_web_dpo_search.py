"""The DPO finds a person on the web by keyboard alone: from the home page's search box to the
results, to the person's subject access report; a blank or unusable query is a GOV.UK error.
axe-core finds nothing at 1280 px or 320 px, and nothing scrolls sideways at 320 px. Both
databases, Debian's Chromium."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from tests.web.webharness import (
    Served,
    axe_check,
    follow_link_by_keyboard,
    no_horizontal_scroll,
    press_and_wait,
    seed_world,
    sign_in,
    sign_in_by_keyboard,
    tab_to,
    totp_code,
    totp_secret,
)


async def _another_person() -> str:
    from portal.organisations.schemas import VolunteerCreate
    from portal.organisations.services import OrganisationService

    created = await OrganisationService().create_volunteer(
        VolunteerCreate(display_name="Siobhán Ní Bhriain", email="siobhan@example.org")
    )
    return created.id


async def _audit_entries() -> list[dict[str, Any]]:
    from ledger.tables import LedgerEntry

    rows = await (
        LedgerEntry.select(LedgerEntry.body)
        .where(LedgerEntry.purpose == "dpo.audit")
        .order_by(LedgerEntry.idx)
    )
    return [json.loads(bytes(r["body"])) for r in rows]


def _search_by_keyboard(page: Any, typed: str) -> None:
    tab_to(page, "#q")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(typed)
    tab_to(page, page.get_by_role("button", name="Search"))
    press_and_wait(page)


def test_the_dpo_finds_a_person_and_opens_their_report_by_keyboard(
    served: Served, page: Any
) -> None:
    world = served.run(seed_world(served))
    siobhan = served.run(_another_person())
    code = totp_code(served.run(totp_secret(world.dpo_id)))
    sign_in_by_keyboard(page, served, world.emails["dpo"], code=code)
    assert page.url == served.url("/dpo")

    _search_by_keyboard(page, "Sam Specail")
    assert page.url == served.url("/dpo/search")
    main = page.inner_text("main")
    assert "1 person found" in main and "Sam Special" in main
    card = page.locator(".govuk-summary-card", has_text="Sam Special")
    assert "Acme Logistics" in card.inner_text() and world.volunteer_id in card.inner_text()
    assert page.input_value("#q") == "Sam Specail"  # the query stays in the box as typed
    axe_check(page, "search results")

    entries = served.run(_audit_entries())
    assert [(e["channel"], e["categories"]) for e in entries] == [("web", ["identity", "status"])]
    assert entries[0]["recipient_user"] == world.dpo_id

    follow_link_by_keyboard(page, "Subject access report for Sam Special")
    assert page.url == served.url(f"/dpo/subjects?volunteer={world.volunteer_id}")
    assert "Sam Special" in page.inner_text("main")

    follow_link_by_keyboard(page, "Find a person")
    axe_check(page, "search form")
    _search_by_keyboard(page, "siobhan ni bhriain")
    card = page.locator(".govuk-summary-card").first
    assert "Siobhán Ní Bhriain" in card.inner_text() and siobhan in card.inner_text()

    for typed, message in (
        ("", "Enter a name, email address, volunteer id or subject id"),
        ("x", "Enter at least 2 letters of the name"),
        ("sub_12", "A subject id is sub_ followed by at least 8"),
    ):
        _search_by_keyboard(page, typed)
        summary = page.locator(".govuk-error-summary")
        assert message in summary.inner_text(), summary.inner_text()
        expect(summary.locator("a[href='#q']")).to_be_visible()
        assert message in page.locator("#q-error").inner_text()
        axe_check(page, f"search error for {typed!r}")

    _search_by_keyboard(page, "Xavier Quorn")
    assert "No one found" in page.inner_text("main")
    axe_check(page, "no one found")


def test_the_search_pages_fit_320_px(served: Served, chromium: Any) -> None:
    world = served.run(seed_world(served))
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        sign_in(
            page,
            served,
            world.emails["dpo"],
            code=totp_code(served.run(totp_secret(world.dpo_id))),
        )
        no_horizontal_scroll(page)
        axe_check(page, "dpo home at 320 px")
        page.get_by_label("Find a person").fill("Sam Special")
        page.get_by_role("button", name="Search").click()
        assert "Sam Special" in page.inner_text("main")
        no_horizontal_scroll(page)
        axe_check(page, "search results at 320 px")
    finally:
        context.close()
