"""The DPO's and the coordinator's pages in a browser, signed in with the code step: every page
passes axe-core; the coordinator onboards an employer, records an agreement, adds and links a
volunteer, invites a user (who activates), issues and revokes a token, and imports duties (a
file with a bad line is rejected with that line named). Both databases."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.webharness import (
    PASSWORD,
    Served,
    World,
    axe_check,
    fill_date,
    no_horizontal_scroll,
    seed_world,
    sign_in,
    totp_code,
    totp_secret,
)


def _sign_in_with_code(page: Any, served: Served, email: str, user_id: str) -> None:
    secret = served.run(totp_secret(user_id))
    sign_in(page, served, email, code=totp_code(secret))


def _give_consent_as_volunteer(page: Any, served: Served, world: World) -> None:
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    form = page.locator("form", has=page.get_by_role("button", name="Give consent")).first
    for box in form.get_by_role("checkbox").all():
        box.check()
    form.get_by_role("button", name="Give consent").click()
    page.get_by_role("button", name="Sign out").click()


def test_dpo_pages(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    _give_consent_as_volunteer(page, served, world)
    # An employer outside the agreement tries a volunteer's id: a refusal for the DPO.
    sign_in(page, served, world.emails["other_employer"])
    page.goto(served.url(f"/employer/staff/{world.volunteer_id}?purpose=esp.leave-verification"))
    page.goto(served.url("/employer"))
    page.get_by_role("button", name="Sign out").click()

    _sign_in_with_code(page, served, world.emails["dpo"], world.dpo_id)
    assert page.url == served.url("/dpo")
    axe_check(page, "dpo home")
    page.get_by_role("link", name="Ledger", exact=True).click()
    axe_check(page, "ledger search")
    rows = page.locator("table tbody tr")
    assert rows.count() >= 2  # the agreement and the consent
    page.get_by_label("Kind of entry").select_option("consent.given")
    page.get_by_role("button", name="Search").click()
    assert "consent.given" in page.url
    assert page.locator("table tbody tr").count() == 1
    csv_link = page.get_by_role("link", name="CSV")
    with page.expect_download() as download:
        csv_link.click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "consent.given" in exported
    fill_date(page, "since", dt.date(2020, 2, 1))
    page.fill("#since-day", "30")  # 30 February
    page.get_by_role("button", name="Search").click()
    summary = page.locator(".govuk-error-summary")
    assert "The start date must be a real date" in summary.inner_text()
    expect(summary.locator("a[href='#since-day']")).to_be_visible()
    assert page.input_value("#since-day") == "30" and page.input_value("#since-year") == "2020"
    axe_check(page, "ledger search with an error")
    page.goto(served.url("/dpo/ledger?since=not-a-date"))
    assert "The start date must be a real date" in page.locator(".govuk-error-summary").inner_text()

    page.get_by_role("link", name="Subject reports").click()
    axe_check(page, "subject form")
    page.get_by_label("Whose report do you need?").fill(world.volunteer_id)
    page.get_by_role("button", name="Produce the report").click()
    main = page.inner_text("main")
    assert "Sam Special" in main and "Consent history" in main
    axe_check(page, "subject report")

    page.get_by_role("link", name="Refusals").click()
    assert "Outside the organisation" in page.inner_text(
        "main"
    ) or "No data sharing agreement" in page.inner_text("main")
    axe_check(page, "refusals")
    page.get_by_role("link", name="Agreements ending").click()
    axe_check(page, "agreements ending")
    page.get_by_role("link", name="Integrity").click()
    assert "Not since this server started" in page.inner_text("main")
    page.get_by_role("button", name="Verify the whole ledger now").click()
    assert "Intact" in page.inner_text("main")
    assert page.locator("#checkpoint").inner_text().startswith("esp-portal.local/ledger")
    axe_check(page, "integrity")


def test_coordinator_journeys(served: Served, page: Any, chromium: Any, tmp_path: Path) -> None:
    world = served.run(seed_world(served))
    _sign_in_with_code(page, served, world.emails["coordinator"], world.coordinator_id)
    assert page.url == served.url("/coordinator")
    axe_check(page, "coordinator home")

    # Employers: an error the GOV.UK way, then a new employer and its first agreement.
    page.get_by_role("link", name="Employers", exact=True).click()
    axe_check(page, "employers")
    page.get_by_role("button", name="Add employer").click()
    expect(page.locator(".govuk-error-summary a[href='#name']")).to_be_visible()
    axe_check(page, "employers with an error")
    page.get_by_label("Name", exact=True).fill("Northern Rail")
    page.get_by_label("Sector (optional)").fill("Transport")
    page.get_by_role("button", name="Add employer").click()
    assert "Employer added" in page.inner_text("main")
    axe_check(page, "employer")
    page.get_by_role("button", name="Record version 1").click()
    expect(page.locator(".govuk-error-summary a[href='#starts_on-day']")).to_be_visible()
    page.locator("input[name='purpose:esp.programme-management'][value='identity']").check()
    page.locator("input[name='purpose:esp.programme-management'][value='status']").check()
    today = dt.date.today()
    fill_date(page, "starts_on", today)
    page.fill("#ends_on-day", "1")
    page.fill("#ends_on-year", str(today.year + 1))
    page.get_by_label("Signed by").fill("R. Manager and C. Constable")
    page.get_by_role("button", name="Record version 1").click()
    summary = page.locator(".govuk-error-summary")
    assert "The date the agreement ends must include a month" in summary.inner_text()
    expect(summary.locator("a[href='#ends_on-month']")).to_be_visible()
    assert page.input_value("#ends_on-day") == "1" and page.input_value("#starts_on-day") == str(
        today.day
    )
    axe_check(page, "agreement form with a date error")
    fill_date(page, "ends_on", today + dt.timedelta(days=365))
    page.get_by_role("button", name="Record version 1").click()
    assert "Agreement recorded in the ledger" in page.inner_text("main")
    assert "Version 1" in page.inner_text("table")
    axe_check(page, "employer with an agreement")

    # Volunteers and an employment link.
    page.get_by_role("link", name="Volunteers", exact=True).click()
    axe_check(page, "volunteers")
    page.get_by_label("Full name").fill("Robin Reserve")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_role("button", name="Add volunteer").click()
    expect(page.locator(".govuk-error-summary a[href='#email']")).to_be_visible()
    assert page.get_by_label("Full name").input_value() == "Robin Reserve"
    page.get_by_label("Email address").fill("robin.reserve@example.org")
    page.get_by_role("button", name="Add volunteer").click()
    assert "Volunteer added" in page.inner_text("main")
    volunteer_id = page.locator("#volunteer-id").inner_text().strip()
    page.get_by_label("Employer").select_option(label="Northern Rail")
    fill_date(page, "link_starts_on", today - dt.timedelta(days=30))
    page.get_by_role("button", name="Add link").click()
    assert "Employment link added" in page.inner_text("main")
    axe_check(page, "volunteer")
    # End the link (on a future last day, so the job still counts for the rest of the journey):
    # a date without its year is refused with the pattern's message, in that link's own boxes.
    card = page.locator(".govuk-summary-card", has_text="Northern Rail")
    box = card.locator("input[name='ends_on-day']").get_attribute("id") or ""
    prefix = box.removesuffix("-day")
    assert prefix.startswith("ends_on-")
    last_day = today + dt.timedelta(days=100)
    page.fill(f"#{prefix}-day", str(last_day.day))
    page.fill(f"#{prefix}-month", str(last_day.month))
    card.get_by_role("button", name="End the link with Northern Rail").click()
    summary = page.locator(".govuk-error-summary")
    assert "The last day of the job must include a year" in summary.inner_text()
    expect(summary.locator(f"a[href='#{prefix}-year']")).to_be_visible()
    assert page.input_value(f"#{prefix}-day") == str(last_day.day)
    axe_check(page, "volunteer with a date error")
    fill_date(page, prefix, last_day)
    card.get_by_role("button", name="End the link with Northern Rail").click()
    ended = page.locator(".govuk-summary-card", has_text="Northern Rail").inner_text()
    assert f"to {last_day.day} {last_day:%B %Y}" in ended, ended

    # Users: an activation link, shown once, that the person then uses.
    page.get_by_role("link", name="Users", exact=True).click()
    axe_check(page, "users")
    page.get_by_label("Email address").fill("robin@example.org")
    page.get_by_role("radio", name="A volunteer").check()
    page.get_by_label("Volunteer id (for a volunteer)").fill(volunteer_id)
    page.get_by_role("button", name="Create the account").click()
    link = page.locator("#activation-link").inner_text().strip()
    assert "/activate?token=" in link
    axe_check(page, "invitation")
    other = chromium.new_context()
    try:
        person = other.new_page()
        person.goto(served.url(link[link.index("/activate") :]))
        person.get_by_label("Password", exact=True).fill(PASSWORD)
        person.get_by_label("Type your password again").fill(PASSWORD)
        person.get_by_role("button", name="Save password").click()
        assert "Your account is ready" in person.inner_text("main")
    finally:
        other.close()

    # Integration tokens: shown once, then revoked.
    page.goto(served.url("/coordinator/tokens"))
    axe_check(page, "tokens")
    page.get_by_label("Name").fill("Duty system")
    page.get_by_label("Send duty records").check()
    page.get_by_role("button", name="Make the token").click()
    token = page.locator("#token").inner_text().strip()
    assert len(token) > 20
    axe_check(page, "token made")
    page.goto(served.url("/coordinator/tokens"))
    assert token not in page.content()
    page.get_by_role("button", name="Revoke Duty system").click()
    assert "Token revoked" in page.inner_text("main")

    # Duty import: a file with a bad line is rejected whole, with the line named.
    page.get_by_role("link", name="Duty import").click()
    axe_check(page, "duty import")
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    good = [
        f"{world.volunteer_id},{(start + dt.timedelta(days=d)).isoformat()},"
        f"{(start + dt.timedelta(days=d, hours=4)).isoformat()},patrol,yes"
        for d in range(5)
    ]
    bad_file = tmp_path / "duties-bad.csv"
    bad_file.write_text(
        "volunteer_id,start,end,duty_type,esp_leave\n"
        + "\n".join(
            [
                *good[:3],
                f"{world.volunteer_id},2026-03-09T09:00+00:00,2026-03-09T08:00+00:00,patrol,yes",
                *good[3:],
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    page.get_by_label("CSV file").set_input_files(str(bad_file))
    page.get_by_role("button", name="Upload and check").click()
    table = page.locator("#bad-lines").inner_text()
    assert re.search(r"\b5\b", table), table  # the header is line 1: the bad duty is line 5
    assert "nothing was imported" in page.locator(".govuk-error-summary").inner_text()
    axe_check(page, "duty import rejected")
    good_file = tmp_path / "duties.csv"
    good_file.write_text(
        "volunteer_id,start,end,duty_type,esp_leave\n" + "\n".join(good) + "\n", encoding="utf-8"
    )
    page.get_by_label("CSV file").set_input_files(str(good_file))
    page.get_by_role("button", name="Upload and check").click()
    assert "Duty records imported" in page.inner_text("main")
    assert "5 added" in page.inner_text("main")
    axe_check(page, "duty import done")


def test_staff_pages_fit_320_px(served: Served, chromium: Any) -> None:
    world = served.run(seed_world(served))
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        _sign_in_with_code(page, served, world.emails["coordinator"], world.coordinator_id)
        for path in (
            "/coordinator",
            "/coordinator/employers",
            f"/coordinator/employers/{world.employer_id}",
            "/coordinator/volunteers",
            f"/coordinator/volunteers/{world.volunteer_id}",
            "/coordinator/users",
            "/coordinator/tokens",
            "/coordinator/duties/import",
        ):
            page.goto(served.url(path))
            no_horizontal_scroll(page)
            axe_check(page, f"{path} at 320 px")
        page.get_by_role("button", name="Sign out").click()
        secret = served.run(totp_secret(world.dpo_id))
        sign_in(page, served, world.emails["dpo"], code=totp_code(secret))
        for path in ("/dpo", "/dpo/ledger", "/dpo/subjects", "/dpo/refusals", "/dpo/integrity"):
            page.goto(served.url(path))
            no_horizontal_scroll(page)
            axe_check(page, f"{path} at 320 px")
    finally:
        context.close()
