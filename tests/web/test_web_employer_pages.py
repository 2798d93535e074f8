"""The employer's pages read as an HR contact would want: in a browser, at 1280 and 320 px.

A staff member who allows it all for checking ESP leave: the purpose choice says what the
employer will see in the employer's words; the staff list is a table of names, status and hours
in words; a staff member's page is a GOV.UK summary list (never "Esp leave hours: 38.0" or
"Minimum met every month: False") and a duty table that fits a phone; after the volunteer
withdraws their duty records, the notice names the person and the data in words, and the
employer acknowledges it with the keyboard. Every page passes axe-core at both widths and
scrolls no sideways at 320 px. Both databases.
"""

from __future__ import annotations

import re
from typing import Any

from tests.web.webharness import (
    Served,
    axe_check,
    no_horizontal_scroll,
    press_and_wait,
    seed_duties_and_policy,
    seed_world,
    sign_in,
    tab_to,
)

LEAVE = "esp.leave-verification"
#: What the old pages printed: field names, booleans, dictionaries, codes.
RAW = re.compile(r"Esp leave hours|Minimum met every month|True|False|\{|esp\.[a-z-]+|_hours")


def _both_widths(page: Any, label: str) -> None:
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 800})
        axe_check(page, f"{label} at {width} px")
        if width == 320:
            no_horizontal_scroll(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 900})


def _no_raw_values(page: Any) -> str:
    main = page.inner_text("main")
    found = RAW.search(main)
    assert found is None, f"raw value {found.group(0)!r} on {page.url}"
    return main


def test_staff_pages_and_a_named_notice(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(seed_duties_and_policy(world))
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    acme = page.locator("section", has=page.get_by_role("heading", name="Acme Logistics"))
    form = acme.locator("form", has=page.get_by_role("button", name="Give consent")).first
    for box in form.get_by_role("checkbox").all():
        box.check()
    form.get_by_role("button", name="Give consent").click()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, served, world.emails["employer"])
    page.get_by_role("link", name="Staff", exact=True).click()
    hint = page.locator(".govuk-radios__hint").first.inner_text()
    assert hint == (
        "You will see their name, Special Constable status, totals of duty hours and "
        "individual duty records."
    ), hint
    assert "Your name" not in page.inner_text("main")
    _both_widths(page, "choose a purpose")

    page.goto(served.url(f"/employer/staff?purpose={LEAVE}"))
    table = page.locator("main table")
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["Name", "Status", "Duty hours this year"], headers
    row = table.locator("tbody tr").first
    assert row.locator("th").inner_text() == "Sam Special"
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "Applicant" and re.fullmatch(r"\d+ hours, \d+ hours on ESP leave", cells[1])
    _no_raw_values(page)
    _both_widths(page, "staff list")

    row.get_by_role("link", name="Sam Special").click()
    assert page.locator("h1").inner_text() == "Sam Special"
    facts = page.locator("main .govuk-summary-list").first
    keys = facts.locator(".govuk-summary-list__key").all_inner_texts()
    year = keys[1][-4:]
    assert keys == [
        "Special Constable status",
        f"Duty hours in {year}",
        "Months with at least 16 hours",
        f"ESP leave in {year}",
    ], keys
    values = facts.locator(".govuk-summary-list__value").all_inner_texts()
    assert values[0] == "Applicant"
    assert re.fullmatch(r"\d+ hours: \d+ hours on ESP leave, \d+ hours in own time", values[1])
    assert re.fullmatch(r"Met in \d+ of \d+ months?", values[2]), values[2]
    leave = r"\d+(\.\d)? of \d+(\.\d)? hours used, \d+(\.\d)? hours available now"
    assert re.fullmatch(leave, values[3]), values[3]
    duties = page.locator("main table tbody tr")
    assert duties.count() >= 1
    assert duties.first.locator("td").last.inner_text() in {"Yes", "No, own time"}
    _no_raw_values(page)
    _both_widths(page, "staff member")
    page.get_by_role("button", name="Sign out").click()

    # The volunteer withdraws their duty records: the employer is told whose, and what.
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    acme.get_by_role(
        "button", name="Withdraw Your individual duty records only, for Checking ESP leave"
    ).click()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, served, world.emails["employer"])
    main = page.inner_text("main")
    assert "1 withdrawal notice to acknowledge" in main
    assert "Checking ESP leave: their name, Special Constable status, totals of duty hours" in main
    _both_widths(page, "employer home")
    page.get_by_role("link", name="Read the notices").click()
    card = page.locator(".govuk-summary-card").first
    assert card.locator("h2").inner_text() == "Sam Special withdrew consent"
    rows = dict(
        zip(
            card.locator(".govuk-summary-list__key").all_inner_texts(),
            card.locator(".govuk-summary-list__value").all_inner_texts(),
            strict=True,
        )
    )
    assert rows["Member of staff"] == "Sam Special"
    assert rows["Purpose"] == "Checking ESP leave"
    assert rows["Data to stop using"] == "Individual duty records"
    assert world.volunteer_id not in page.content()
    _no_raw_values(page)
    _both_widths(page, "withdrawal notices")
    tab_to(page, card.get_by_role("button", name=re.compile("We have stopped using this data")))
    press_and_wait(page)
    assert "Notice acknowledged" in page.inner_text("main")
    assert "Sam Special" not in page.inner_text("main")
    _both_widths(page, "acknowledged notice")


def test_reports_page_without_an_agreement(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    sign_in(page, served, world.emails["other_employer"])
    _both_widths(page, "employer home without an agreement")
    page.get_by_role("link", name="Reports").click()
    main = page.inner_text("main")
    assert "no data sharing agreement in force" in main
    assert "does not include" not in main
    _both_widths(page, "reports without an agreement")
