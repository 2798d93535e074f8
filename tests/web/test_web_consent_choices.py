"""Consent as the regulator reads it, in a browser: nothing is ticked for the volunteer, giving
without a tick is refused, and one category is withdrawn in one step (no API needed). axe-core
checks every page. Both databases."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.web.webharness import Served, axe_check, seed_world, sign_in


def _acme(page: Any) -> Any:
    return page.locator("section", has=page.get_by_role("heading", name="Acme Logistics"))


def test_give_with_nothing_ticked_then_withdraw_one_category(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    boxes = _acme(page).get_by_role("checkbox")
    assert boxes.count() == 4
    assert not any(box.is_checked() for box in boxes.all())
    assert "Nothing is ticked for you" in _acme(page).inner_text()

    # Pressing the button without a tick gives nothing: the page says what to do.
    _acme(page).get_by_role("button", name="Give consent").click()
    assert "Select what the force may share" in page.inner_text("main")
    expect(page.get_by_role("link", name="Select what the force may share")).to_be_visible()
    axe_check(page, "give refused without a tick")
    assert "Given" not in _acme(page).inner_text()

    # Tick two categories: exactly those two are given.
    _acme(page).get_by_label("Your name").check()
    _acme(page).get_by_label("Totals of your duty hours").check()
    _acme(page).get_by_role("button", name="Give consent").click()
    assert "Consent given for Checking ESP leave." in page.inner_text("main")
    for label in ("Your name", "Totals of your duty hours"):
        own = f"Withdraw {label} only, for Checking ESP leave"
        expect(_acme(page).get_by_role("button", name=own)).to_be_visible()
    assert _acme(page).get_by_role("button", name="Withdraw", exact=False).count() == 3
    axe_check(page, "two categories given")
    # The two not given can still be ticked; nothing else is pre-ticked.
    remaining = _acme(page).get_by_role("checkbox")
    assert remaining.count() == 2
    assert not any(box.is_checked() for box in remaining.all())

    # Withdraw one category with one press of its own button.
    _acme(page).get_by_role(
        "button", name="Withdraw Totals of your duty hours only, for Checking ESP leave"
    ).click()
    main = page.inner_text("main")
    assert "Consent withdrawn for Totals of your duty hours (Checking ESP leave)." in main
    axe_check(page, "one category withdrawn")
    section = _acme(page).inner_text()
    assert "Totals of your duty hours: withdrawn" in section
    # The name is still shared: its own withdraw button is still there.
    expect(
        _acme(page).get_by_role("button", name="Withdraw Your name only, for Checking ESP leave")
    ).to_be_visible()
    page.goto(served.url("/volunteer/sharing/history"))
    history = page.inner_text("main")
    assert history.count("Withdrawn") == 1 and history.count("Given") >= 2
