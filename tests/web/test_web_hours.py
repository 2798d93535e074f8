"""Hours and ESP leave in a browser: the volunteer's hours against the minimum (an SVG chart and
its table), a leave request that the employer approves, and the employer's report. Every page
passes axe-core and fits 320 px. Both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from playwright.sync_api import expect

from tests.web.webharness import (
    Served,
    World,
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
    form = page.locator("form", has=page.get_by_role("button", name="Give consent")).first
    for box in form.get_by_role("checkbox").all():
        box.check()
    form.get_by_role("button", name="Give consent").click()
    page.get_by_role("link", name="ESP leave").click()
    axe_check(page, "volunteer leave")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".govuk-error-summary a[href='#duty_id']")).to_be_visible()
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


async def _consenting_staff(served: Served, world: World, extra: int) -> None:
    """``extra`` more volunteers at the employer besides the world's one, every one consenting
    to leave verification with their hours summary, each with duties in the last two months."""
    import io

    from portal.accounts.tables import Role
    from portal.auth.identity import Identity
    from portal.consent.schemas import ConsentGive
    from portal.consent.services import ConsentService
    from portal.hours.imports import import_csv
    from portal.organisations.schemas import EmploymentCreate, VolunteerCreate
    from portal.organisations.services import OrganisationService
    from portal.vocabulary import notices

    organisations = OrganisationService()
    today = dt.datetime.now(dt.UTC).date()
    ids = [world.volunteer_id]
    for n in range(extra):
        volunteer = await organisations.create_volunteer(
            VolunteerCreate(display_name=f"Special {n + 2}", email=f"special{n + 2}@example.org")
        )
        await organisations.create_employment(
            EmploymentCreate.model_validate(
                {
                    "volunteer_id": volunteer.id,
                    "employer_id": world.employer_id,
                    "starts_on": today - dt.timedelta(days=400),
                }
            )
        )
        ids.append(volunteer.id)
    consents = ConsentService(served.app.state.ledger)
    version = notices().current(today).version
    for volunteer_id in ids:
        await consents.give(
            Identity(user_id="seed", role=Role.VOLUNTEER, via="session", volunteer_id=volunteer_id),
            ConsentGive.model_validate(
                {
                    "employer_id": world.employer_id,
                    "purpose": "esp.leave-verification",
                    "categories": ["identity", "status", "hours.summary"],
                    "notice_version": version,
                }
            ),
            request_id="seed",
            channel="web",
        )
    lines = ["volunteer_id,start,end,duty_type,esp_leave"]
    first_of_month = dt.datetime.combine(today.replace(day=1), dt.time(9), tzinfo=dt.UTC)
    for n, volunteer_id in enumerate(ids):
        for back in (3, 20, 35):
            begin = first_of_month - dt.timedelta(days=back)
            lines.append(
                f"{volunteer_id},{begin.isoformat()},"
                f"{(begin + dt.timedelta(hours=4 + n)).isoformat()},patrol,no"
            )
    await import_csv(
        io.BytesIO(("\n".join(lines) + "\n").encode()), created_by=world.coordinator_id
    )


def test_employer_reports_with_charts_shown(served: Served, chromium: Any) -> None:
    """With as many consenting staff as the suppression threshold, the yearly and the monthly
    report show the organisation's figures: an SVG chart with an accessible name and its data
    table, axe-clean at 1280 and 320 px, no sideways scroll at 320 px."""
    world = served.run(seed_world(served))
    threshold = served.settings.suppression_threshold
    served.run(_consenting_staff(served, world, extra=threshold - 1))
    last_month = dt.datetime.now(dt.UTC).date().replace(day=1) - dt.timedelta(days=1)
    chart_name = "Hours of Special Constabulary duty by your staff, per month"
    for period, months in ((str(last_month.year), None), (f"{last_month:%Y-%m}", 1)):
        for width in (1280, 320):
            context = chromium.new_context(viewport={"width": width, "height": 900})
            try:
                page = context.new_page()
                sign_in(page, served, world.emails["employer"])
                page.goto(
                    served.url(f"/employer/reports?purpose=esp.leave-verification&period={period}")
                )
                main = page.inner_text("main")
                assert "Not shown" not in main, main
                staff = page.locator("dl .govuk-summary-list__row", has_text="Staff")
                assert staff.locator("dd").inner_text().strip() == str(threshold)
                chart = page.get_by_role("img", name=chart_name)
                assert chart.count() == 1 and chart.evaluate("(e) => e.tagName") == "svg"
                # The data table alternative: one row per month, the last month's hours summed
                # over every consenting person (each did two duties of 4 + n hours).
                # Each cell as a screen reader reads it (on a phone a stacked cell also shows
                # its column's name, hidden from assistive technology).
                table = page.get_by_role("table", name="Organisation figures per month")
                rows = table.locator("tbody tr").evaluate_all(
                    """(rows) => rows.map((row) => [...row.querySelectorAll('th, td')].map((c) => {
                        const copy = c.cloneNode(true);
                        copy.querySelectorAll('[aria-hidden=true]').forEach((x) => x.remove());
                        return copy.textContent.trim();
                    }))"""
                )
                assert rows, "no monthly table"
                if months is not None:
                    assert len(rows) == months, rows
                figures = {r[0].strip(): float(r[2]) for r in rows if "Not shown" not in r[1]}
                expected = float(sum(2 * (4 + n) for n in range(threshold)))
                assert figures[f"{last_month:%B %Y}"] == expected, figures
                # One bar per month shown, as tall as its figure relative to the others.
                bars = chart.locator("rect.app-chart__bar")
                heights = [
                    float(h)
                    for h in bars.evaluate_all("(b) => b.map((r) => r.getAttribute('height'))")
                ]
                assert len(heights) == len(figures), (heights, figures)
                top, most = max(heights), max(figures.values())
                assert top > 0
                for height, value in zip(heights, figures.values(), strict=True):
                    assert abs(height / top - value / most) < 0.02, (heights, figures)
                desc = chart.locator("desc").text_content() or ""
                assert f"{sum(figures.values()):g} hours in all" in desc, desc
                assert "table below gives every figure" in desc
                assert chart.bounding_box()["width"] <= width
                axe_check(page, f"employer report {period} at {width} px")
                if width == 320:
                    no_horizontal_scroll(page)
            finally:
                context.close()
