"""An application in a browser: the coordinator records a vetting milestone by keyboard alone
(an empty form first, which names each missing answer), and the applicant follows it on their
own page. axe-core checks every page; focus is visible at every stop. Both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.web.webharness import (
    Served,
    axe_check,
    choose_option,
    no_horizontal_scroll,
    press_and_wait,
    seed_world,
    sign_in,
    sign_in_by_keyboard,
    sign_out_by_keyboard,
    tab_to,
    totp_code,
    totp_secret,
    type_date,
)


def test_the_coordinator_records_a_milestone_and_the_applicant_follows_it(
    served: Served, page: Any
) -> None:
    world = served.run(seed_world(served))
    code = totp_code(served.run(totp_secret(world.coordinator_id)))
    sign_in_by_keyboard(page, served, world.emails["coordinator"], code=code)
    page.goto(served.url(f"/coordinator/volunteers/{world.volunteer_id}"))
    tab_to(page, page.get_by_role("link", name="Application", exact=True))
    press_and_wait(page)
    assert "No milestone recorded yet" in page.inner_text("main")
    axe_check(page, "application, nothing yet")

    tab_to(page, page.get_by_role("button", name="Record milestone"))
    press_and_wait(page)
    main = page.inner_text("main")
    for message in (
        "Select which step it is",
        "Select where the step has got to",
        "Enter the date of this step",
    ):
        assert message in main
    axe_check(page, "milestone form with errors")

    tab_to(page, "#stage")
    choose_option(page, page.locator("#stage"), "Vetting")
    tab_to(page, "#outcome")  # the first radio; the arrow keys move through the group
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Passed", exact=True).is_checked()
    tab_to(page, "#occurred_on-day")
    type_date(page, dt.date(2026, 3, 10))
    tab_to(page, page.get_by_role("button", name="Record milestone"))
    press_and_wait(page)

    main = page.inner_text("main")
    assert "Milestone recorded." in main
    assert "Vetting" in main and "Passed, 10 March 2026" in main
    axe_check(page, "application, one milestone")
    sign_out_by_keyboard(page)

    sign_in(page, served, world.emails["volunteer"])
    page.get_by_role("link", name="See how your application is going").click()
    main = page.inner_text("main")
    assert "Vetting" in main and "Passed, 10 March 2026" in main
    axe_check(page, "applicant's own application")
    page.set_viewport_size({"width": 320, "height": 800})
    no_horizontal_scroll(page)
