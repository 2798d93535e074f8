"""Hours and ESP leave in a browser: the volunteer's hours against the minimum (an SVG chart and
its table), a leave request that the employer approves, and the employer's report. Every page
passes axe-core and fits 320 px. Both databases."""

from __future__ import annotations

from typing import Any

from tests.web.webharness import (
    Served,
    axe_check,
    no_horizontal_scroll,
    seed_duties_and_policy,
    seed_world,
    sign_in,
)


def test_hours_leave_and_reports(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(seed_duties_and_policy(world))

    sign_in(page, served, world.emails["volunteer"])
    assert "of the 16 hours minimum" in page.locator("#this-month-hours").inner_text()
    page.get_by_role("link", name="Hours", exact=True).click()
    chart = page.locator("svg#hours-chart")
    assert chart.get_attribute("role") == "img"
    assert "monthly minimum of 16 hours" in (chart.locator("desc").text_content() or "")
    assert page.locator("#hours-table tbody tr").count() == 12
    axe_check(page, "volunteer hours")

    # Consent to leave verification, then ask for leave for the first duty listed.
    page.goto(served.url("/volunteer/sharing"))
    page.get_by_role("button", name="Give consent").first.click()
    page.get_by_role("link", name="ESP leave").click()
    axe_check(page, "volunteer leave")
    page.get_by_role("button", name="Send the request").click()
    assert page.locator(".govuk-error-summary a[href='#duty_id']").is_visible()
    page.get_by_label("Which duty is the leave for?").select_option(index=1)
    page.get_by_role("button", name="Send the request").click()
    assert "Leave request sent" in page.inner_text("main")
    assert "Pending" in page.inner_text("main")
    axe_check(page, "leave requested")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, served, world.emails["employer"])
    page.get_by_role("link", name="Leave requests").click()
    assert "Sam Special" in page.inner_text("main")
    axe_check(page, "employer leave requests")
    page.get_by_role("button", name="Approve").first.click()
    assert "Leave request approved" in page.inner_text("main")

    page.get_by_role("link", name="Reports").click()
    main = page.inner_text("main")
    assert "Sam Special" in main
    # One person is fewer than the threshold: no organisation figure is shown.
    assert "Not shown" in main
    axe_check(page, "employer report")
    page.goto(served.url("/employer/reports?period=not-a-period"))
    assert "Enter a year like" in page.inner_text("main")
    axe_check(page, "employer report with an error")


def test_hours_pages_at_320_px(served: Served, chromium: Any) -> None:
    world = served.run(seed_world(served))
    served.run(seed_duties_and_policy(world))
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        sign_in(page, served, world.emails["volunteer"])
        for path in ("/volunteer", "/volunteer/hours", "/volunteer/leave"):
            page.goto(served.url(path))
            no_horizontal_scroll(page)
            axe_check(page, f"{path} at 320 px")
        page.get_by_role("button", name="Sign out").click()
        sign_in(page, served, world.emails["employer"])
        for path in ("/employer", "/employer/staff", "/employer/leave", "/employer/reports"):
            page.goto(served.url(path))
            no_horizontal_scroll(page)
            axe_check(page, f"{path} at 320 px")
    finally:
        context.close()
