"""After a withdrawal the volunteer is kept informed, in a browser: a pending leave request the
employer can no longer see says so (not "Pending"), and the withdrawal notice sent to the
employer shows when the employer acknowledged it. axe-core checks every page. Both databases."""

from __future__ import annotations

from typing import Any

from tests.web.webharness import Served, axe_check, seed_duties_and_policy, seed_world, sign_in

DETAIL = "Withdraw Your individual duty records only, for Checking ESP leave"


def _acme(page: Any) -> Any:
    return page.locator("section", has=page.get_by_role("heading", name="Acme Logistics"))


def test_hidden_leave_request_and_acknowledged_notice(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(seed_duties_and_policy(world))

    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    for box in _acme(page).get_by_role("checkbox").all():
        box.check()
    _acme(page).get_by_role("button", name="Give consent").click()
    page.get_by_role("link", name="ESP leave").click()
    page.get_by_label("Which duty is the leave for?").select_option(index=1)
    page.get_by_role("button", name="Send the request").click()
    assert "Pending" in page.inner_text("main")
    assert "Hidden from employer" not in page.inner_text("main")
    page.get_by_role("button", name="Sign out").click()

    # The employer sees the request (a disclosure of the duty records).
    sign_in(page, served, world.emails["employer"])
    page.get_by_role("link", name="Leave requests").click()
    assert "Sam Special" in page.inner_text("main")
    page.get_by_role("button", name="Sign out").click()

    # The volunteer withdraws the duty records only: the request is hidden from the employer.
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    _acme(page).get_by_role("button", name=DETAIL).click()
    notices = _acme(page).locator(".app-sent-notices").inner_text()
    assert "Your individual duty records" in notices and "not acknowledged yet" in notices
    axe_check(page, "notice not yet acknowledged")
    page.get_by_role("link", name="ESP leave").click()
    main = page.inner_text("main")
    assert "Hidden from employer" in main and "Acme Logistics cannot see this request" in main
    assert "Pending" not in main
    axe_check(page, "leave hidden from employer")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, served, world.emails["employer"])
    page.get_by_role("link", name="Leave requests").click()
    assert "Sam Special" not in page.inner_text("main")
    page.goto(served.url("/employer/notices"))
    page.get_by_role("button", name="We have stopped using this data").click()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    notices = _acme(page).locator(".app-sent-notices").inner_text()
    assert "acknowledged" in notices and "not acknowledged yet" not in notices
    axe_check(page, "notice acknowledged")
