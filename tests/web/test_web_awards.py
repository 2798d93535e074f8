"""Awards in a browser: the coordinator records one by keyboard alone (an empty form first, which
names each missing answer), and the volunteer then reads it on their own page. axe-core checks
every page; focus is visible at every stop. Both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.web.webharness import (
    Served,
    axe_check,
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


def test_the_coordinator_records_an_award_and_the_volunteer_sees_it(
    served: Served, page: Any
) -> None:
    world = served.run(seed_world(served))
    code = totp_code(served.run(totp_secret(world.coordinator_id)))
    sign_in_by_keyboard(page, served, world.emails["coordinator"], code=code)
    page.goto(served.url(f"/coordinator/volunteers/{world.volunteer_id}"))
    tab_to(page, page.get_by_role("link", name="Awards and recognition"))
    press_and_wait(page)
    assert page.url.endswith(f"/coordinator/volunteers/{world.volunteer_id}/awards"), page.url
    assert "No awards recorded yet" in page.inner_text("main")
    axe_check(page, "awards, none yet")

    tab_to(page, page.get_by_role("button", name="Record award"))
    press_and_wait(page)
    main = page.inner_text("main")
    for message in (
        "Select what kind of recognition it is",
        "Enter what the award is",
        "Enter the date it was awarded",
    ):
        assert message in main
    axe_check(page, "award form with errors")

    tab_to(page, "#kind")  # the first radio; the arrow keys move through the group
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Long-service award").is_checked()
    tab_to(page, "#title")
    page.keyboard.type("Five years' service")
    tab_to(page, "#awarded_on-day")
    type_date(page, dt.date(2025, 6, 30))
    tab_to(page, page.get_by_role("button", name="Record award"))
    press_and_wait(page)

    main = page.inner_text("main")
    assert "Award recorded." in main
    assert "Five years' service" in main and "Long-service award" in main
    assert "30 June 2025" in main
    axe_check(page, "awards, one recorded")
    sign_out_by_keyboard(page)

    sign_in(page, served, world.emails["volunteer"])
    page.get_by_role("link", name="See your awards").click()
    main = page.inner_text("main")
    assert "Five years' service" in main and "30 June 2025" in main
    axe_check(page, "volunteer's awards")
    page.set_viewport_size({"width": 320, "height": 800})
    no_horizontal_scroll(page)
