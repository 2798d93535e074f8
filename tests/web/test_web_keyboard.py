"""The remaining journeys by keyboard alone: Tab, Shift+Tab, Space, Enter, the arrow keys and
typing into the focused field; no clicks and no ``fill``. Focus must be visible at every stop
(``tab_to`` checks each one). A journey that cannot be finished this way is a product bug: the
page is fixed, not the test. Both databases."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.webharness import (
    Served,
    World,
    choose_file_by_keyboard,
    choose_option,
    focus_is_visible,
    follow_link_by_keyboard,
    open_file_chooser_by_keyboard,
    press_and_wait,
    seed_duties_and_policy,
    seed_world,
    sign_in_by_keyboard,
    sign_out_by_keyboard,
    tab_to,
    totp_code,
    totp_secret,
    type_date,
)


def _code_for(served: Served, user_id: str) -> str:
    return totp_code(served.run(totp_secret(user_id)))


def test_leave_requested_approved_and_declined_by_keyboard(served: Served, page: Any) -> None:
    """The volunteer consents and asks for leave for two duties; the employer approves one and
    declines the other; both see the outcome."""
    world = served.run(seed_world(served))
    served.run(seed_duties_and_policy(world))

    sign_in_by_keyboard(page, served, world.emails["volunteer"])
    follow_link_by_keyboard(page, "Who can see my data")
    section = page.locator("section", has=page.get_by_role("heading", name="Acme Logistics"))
    for box in section.get_by_role("checkbox").all():  # nothing is ticked for the volunteer
        assert not box.is_checked()
        tab_to(page, box)
        page.keyboard.press("Space")
    tab_to(page, section.get_by_role("button", name="Give consent"))
    press_and_wait(page)
    assert "Consent given for Checking ESP leave." in page.inner_text("main")

    follow_link_by_keyboard(page, "ESP leave")
    duty = page.locator("#duty_id")
    options = duty.evaluate("(s) => [...s.options].slice(1).map((o) => o.text.trim())")
    assert len(options) >= 2, options
    asked = []
    for wanted in options[:2]:
        # The only employer's radio is already chosen; Tab passes it to the duty list.
        tab_to(page, "#duty_id")
        choose_option(page, duty, wanted)
        tab_to(page, page.get_by_role("button", name="Send the request"))
        press_and_wait(page)
        assert "Leave request sent" in page.inner_text("main")
        asked.append(wanted)
    requests = page.locator("table").last.inner_text()
    assert requests.count("Pending") == 2, requests
    sign_out_by_keyboard(page)

    sign_in_by_keyboard(page, served, world.emails["employer"])
    follow_link_by_keyboard(page, "Leave requests")
    assert page.locator(".govuk-summary-card").count() == 2
    tab_to(page, page.get_by_role("button", name=re.compile(r"^Approve")).first)
    press_and_wait(page)
    assert "Leave request approved" in page.inner_text("main")
    # Space presses a button as well as Enter does.
    tab_to(page, page.get_by_role("button", name=re.compile(r"^Decline")).first)
    press_and_wait(page, " ")
    assert "Leave request declined" in page.inner_text("main")
    tab_to(page, "#status")
    choose_option(page, page.locator("#status"), "All")
    tab_to(page, page.get_by_role("button", name="Show", exact=True))
    press_and_wait(page)
    tags = page.locator(".govuk-summary-card .govuk-tag").all_inner_texts()
    assert sorted(t.strip() for t in tags) == ["Approved", "Declined"], tags
    assert not page.get_by_role("button", name=re.compile(r"^(Approve|Decline)")).count()
    sign_out_by_keyboard(page)

    sign_in_by_keyboard(page, served, world.emails["volunteer"])
    follow_link_by_keyboard(page, "ESP leave")
    mine = page.locator("table").last.inner_text()
    assert "Approved" in mine and "Declined" in mine and "Pending" not in mine, mine


def _duty_lines(volunteer_id: str, bad_line_at: int | None = None) -> str:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    lines = [
        f"{volunteer_id},{(start + dt.timedelta(days=d)).isoformat()},"
        f"{(start + dt.timedelta(days=d, hours=4)).isoformat()},patrol,yes"
        for d in range(5)
    ]
    if bad_line_at is not None:
        # The end before the start, and a duty type nobody knows.
        lines.insert(
            bad_line_at - 2,
            f"{volunteer_id},2026-03-09T09:00+00:00,2026-03-09T08:00+00:00,patrol,yes",
        )
        lines.append(f"{volunteer_id},2026-03-20T09:00+00:00,2026-03-20T12:00+00:00,juggling,no")
    return "volunteer_id,start,end,duty_type,esp_leave\n" + "\n".join(lines) + "\n"


def test_duty_import_by_keyboard(served: Served, page: Any, tmp_path: Path) -> None:
    world = served.run(seed_world(served))
    sign_in_by_keyboard(
        page, served, world.emails["coordinator"], code=_code_for(served, world.coordinator_id)
    )
    follow_link_by_keyboard(page, "Duty import")

    bad = tmp_path / "duties-bad.csv"
    bad.write_text(_duty_lines(world.volunteer_id, bad_line_at=5), encoding="utf-8")
    choose_file_by_keyboard(page, bad)
    tab_to(page, page.get_by_role("button", name="Upload and check"))
    press_and_wait(page)
    summary = page.locator(".govuk-error-summary")
    assert "nothing was imported" in summary.inner_text()
    # The table of bad lines is a scrollable region: it takes focus, visibly.
    tab_to(page, "[role=region][aria-label='Lines to fix']")
    rows = [
        [cell.strip() for cell in row.split("\t")]
        for row in page.locator("#bad-lines tbody tr").all_inner_texts()
    ]
    lines = [row[0] for row in rows]
    assert lines == ["5", "8"], rows  # the header is line 1
    assert all(row[2] for row in rows), rows  # every line says what is wrong
    assert "duty_type" in rows[1][1] or "duty_type" in rows[1][2], rows

    good = tmp_path / "duties.csv"
    good.write_text(_duty_lines(world.volunteer_id), encoding="utf-8")
    # Back up with Shift+Tab to the error summary; its link takes focus to the file input.
    tab_to(page, summary.get_by_role("link").first, backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'file'")
    assert focus_is_visible(page), "focus not visible on the file input"
    open_file_chooser_by_keyboard(page, good)
    tab_to(page, page.get_by_role("button", name="Upload and check"))
    press_and_wait(page)
    main = page.inner_text("main")
    assert "Duty records imported" in main and "5 added" in main, main


async def _consent_history(served: Served, world: World, rounds: int) -> None:
    """``rounds`` times give and withdraw consent: 2 x rounds ledger entries for the volunteer."""
    from portal.accounts.tables import Role
    from portal.auth.identity import Identity
    from portal.consent.schemas import ConsentGive, ConsentWithdraw
    from portal.consent.services import ConsentService
    from portal.vocabulary import notices

    identity = Identity(
        user_id="seed", role=Role.VOLUNTEER, via="session", volunteer_id=world.volunteer_id
    )
    service = ConsentService(served.app.state.ledger)
    version = notices().current(dt.datetime.now(dt.UTC).date()).version
    for _ in range(rounds):
        await service.give(
            identity,
            ConsentGive.model_validate(
                {
                    "employer_id": world.employer_id,
                    "purpose": "esp.leave-verification",
                    "categories": ["identity", "status"],
                    "notice_version": version,
                }
            ),
            request_id="seed",
            channel="web",
        )
        await service.withdraw(
            identity,
            ConsentWithdraw.model_validate(
                {"employer_id": world.employer_id, "purpose": "esp.leave-verification"}
            ),
            request_id="seed",
            channel="web",
        )


def _entry_indexes(page: Any) -> list[int]:
    return [int(t.split()[0]) for t in page.locator("tbody tr td:first-child").all_inner_texts()]


def test_dpo_ledger_search_by_keyboard(served: Served, page: Any) -> None:
    """Filters (date, purpose, kind), the next and first pages, and the CSV export link."""
    world = served.run(seed_world(served))
    served.run(_consent_history(served, world, rounds=28))  # 56 entries: more than one page
    sign_in_by_keyboard(page, served, world.emails["dpo"], code=_code_for(served, world.dpo_id))
    follow_link_by_keyboard(page, "Ledger")

    today = dt.datetime.now(dt.UTC).date()
    tab_to(page, "#since-day")
    type_date(page, today - dt.timedelta(days=1))
    tab_to(page, "#purpose")
    choose_option(page, page.locator("#purpose"), "Checking ESP leave")
    tab_to(page, page.get_by_role("button", name="Search"))
    press_and_wait(page)
    assert "purpose=esp.leave-verification" in page.url
    yesterday = today - dt.timedelta(days=1)
    assert f"since-day={yesterday.day}&since-month={yesterday.month}" in page.url
    first = _entry_indexes(page)
    assert len(first) == 50 and first == sorted(first, reverse=True)

    tab_to(page, page.get_by_role("link", name="Older"), limit=200)
    press_and_wait(page)
    second = _entry_indexes(page)
    assert len(second) == 6 and max(second) < min(first), (first, second)
    assert "purpose=esp.leave-verification" in page.url  # the filters stay on the next page
    tab_to(page, page.get_by_role("link", name="Newest"), limit=200)
    press_and_wait(page)
    assert _entry_indexes(page) == first

    tab_to(page, "#kind")
    choose_option(page, page.locator("#kind"), "Consent withdrawn")
    tab_to(page, page.get_by_role("button", name="Search"))
    press_and_wait(page)
    kinds = page.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert len(kinds) == 28 and set(kinds) == {"Consent withdrawn"}, kinds
    assert not page.get_by_role("link", name="Older").count()

    tab_to(page, page.get_by_role("link", name="CSV", exact=True))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    exported = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(exported) == 1 + 28, exported[:3]
    assert all("consent.withdrawn" in line for line in exported[1:])


def test_coordinator_onboarding_by_keyboard(served: Served, page: Any) -> None:
    """Add an employer, record its agreement, add a volunteer and link them, invite them, and
    make an integration token that is shown once."""
    world = served.run(seed_world(served))
    today = dt.datetime.now(dt.UTC).date()
    sign_in_by_keyboard(
        page, served, world.emails["coordinator"], code=_code_for(served, world.coordinator_id)
    )

    follow_link_by_keyboard(page, "Employers")
    tab_to(page, "#name")
    page.keyboard.type("Northern Rail")
    tab_to(page, "#sector")
    page.keyboard.type("Transport")
    tab_to(page, "#size_band")
    choose_option(page, page.locator("#size_band"), "Large")
    tab_to(page, page.get_by_role("button", name="Add employer"))
    press_and_wait(page)
    assert "Employer added" in page.inner_text("main")
    expect(page.get_by_role("heading", name="Northern Rail")).to_be_visible()

    for category in ("identity", "status"):
        tab_to(page, f"input[name='purpose:esp.programme-management'][value='{category}']")
        page.keyboard.press("Space")
    tab_to(page, "#starts_on-day")
    type_date(page, today)
    tab_to(page, "#ends_on-day")
    type_date(page, today + dt.timedelta(days=365))
    tab_to(page, "#signed_by")
    page.keyboard.type("R. Manager and C. Constable")
    tab_to(page, page.get_by_role("button", name="Record version 1"))
    press_and_wait(page)
    assert "Agreement recorded in the ledger" in page.inner_text("main")
    agreement = page.locator("table").inner_text()
    assert "Running the ESP scheme\tYour name, Your Special Constable status" in agreement
    ends = today + dt.timedelta(days=365)
    assert f"{today.day} {today:%B %Y} to {ends.day} {ends:%B %Y}" in agreement, agreement

    follow_link_by_keyboard(page, "Volunteers")
    tab_to(page, "#display_name")
    page.keyboard.type("Robin Reserve")
    tab_to(page, "#email")
    page.keyboard.type("robin.reserve@example.org")
    tab_to(page, page.get_by_role("button", name="Add volunteer"))
    press_and_wait(page)
    assert "Volunteer added" in page.inner_text("main")
    volunteer_id = page.locator("#volunteer-id").inner_text().strip()
    tab_to(page, "#employer_id")
    choose_option(page, page.locator("#employer_id"), "Northern Rail")
    tab_to(page, "#link_starts_on-day")
    type_date(page, today - dt.timedelta(days=30))
    tab_to(page, page.get_by_role("button", name="Add link"))
    press_and_wait(page)
    assert "Employment link added" in page.inner_text("main")
    card = page.locator(".govuk-summary-card", has_text="Northern Rail")
    assert "ongoing" in card.inner_text()

    follow_link_by_keyboard(page, "Users")
    tab_to(page, "#email")
    page.keyboard.type("robin@example.org")
    tab_to(page, "input[name=role]")
    volunteer_radio = page.get_by_role("radio", name="A volunteer")
    for _ in range(4):  # the arrow keys move between the radios of one group
        if volunteer_radio.is_checked():
            break
        page.keyboard.press("ArrowDown")
    assert volunteer_radio.is_checked() and focus_is_visible(page)
    tab_to(page, "#volunteer_id")
    page.keyboard.type(volunteer_id)
    tab_to(page, page.get_by_role("button", name="Create the account"))
    press_and_wait(page)
    link = page.locator("#activation-link").inner_text().strip()
    assert "/activate?token=" in link and "robin@example.org" in page.inner_text("main")

    follow_link_by_keyboard(page, "Integration tokens")
    tab_to(page, "#name")
    page.keyboard.type("Duty system")
    tab_to(page, "input[name=scopes][value='duties:write']")
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Make the token"))
    press_and_wait(page)
    token = page.locator("#token").inner_text().strip()
    assert len(token) > 20 and "duties:write" in page.inner_text("main")
    follow_link_by_keyboard(page, "Back to integration tokens")
    assert token not in page.content()  # shown once
    assert "Duty system" in page.locator("table").inner_text()
