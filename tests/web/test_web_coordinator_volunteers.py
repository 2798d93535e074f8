"""The coordinator's volunteer jobs in a browser, by keyboard only, axe on every page (both
databases): page through many volunteers, find one by name (accents and capitals ignored), see
their contact preferences, change their status with its date (a refused move is explained),
and import volunteers with their employment links from a CSV file (every bad line named first,
then the good file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.web.webharness import (
    Served,
    axe_check,
    choose_file_by_keyboard,
    follow_link_by_keyboard,
    press_and_wait,
    seed_world,
    sign_in_by_keyboard,
    tab_to,
    totp_code,
    totp_secret,
    type_date,
)

EXTRA = 60  # with the world's one: 61 volunteers, three pages of 25


async def _many_volunteers() -> None:
    from portal.organisations.schemas import VolunteerCreate
    from portal.organisations.services import OrganisationService

    service = OrganisationService()
    for n in range(EXTRA - 1):
        await service.create_volunteer(
            VolunteerCreate(display_name=f"Volunteer {n:02d}", email=f"v{n}@example.org")
        )
    await service.create_volunteer(
        VolunteerCreate(
            display_name="Siobhán O'Connor",
            email="siobhan@example.org",
            contact_by_email=False,
            contact_by_sms=True,
        )
    )


def _names(page: Any) -> list[str]:
    return [n.strip() for n in page.locator("tbody tr td:first-child").all_inner_texts()]


def _search_by_keyboard(page: Any, text: str) -> None:
    tab_to(page, "#name-search")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    tab_to(page, page.get_by_role("button", name="Search"))
    press_and_wait(page)


def test_coordinator_finds_pages_and_changes_a_volunteer(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(_many_volunteers())
    code = totp_code(served.run(totp_secret(world.coordinator_id)))
    sign_in_by_keyboard(page, served, world.emails["coordinator"], code=code)
    follow_link_by_keyboard(page, "Volunteers")
    assert "61 volunteers" in page.inner_text("main")
    assert page.locator("#page-position").inner_text() == "Page 1 of 3"
    first = _names(page)
    assert len(first) == 25
    axe_check(page, "volunteers, page 1")
    follow_link_by_keyboard(page, "Page 3")
    assert page.locator("#page-position").inner_text() == "Page 3 of 3"
    last = _names(page)
    assert len(last) == 11 and not set(last) & set(first)
    tab_to(page, page.get_by_role("link", name="Previous"))
    press_and_wait(page)
    middle = _names(page)
    assert len(middle) == 25 and not set(middle) & (set(first) | set(last))
    axe_check(page, "volunteers, page 2")

    _search_by_keyboard(page, "SIOBHAN oconnor")
    assert _names(page) == ["Siobhán O'Connor"]
    assert "1 volunteer found" in page.inner_text("main")
    axe_check(page, "volunteers found by name")
    _search_by_keyboard(page, "nobody like this")
    assert "No volunteers whose name contains" in page.inner_text("main")

    _search_by_keyboard(page, "siobhán")
    follow_link_by_keyboard(page, "Siobhán O'Connor")
    assert page.locator("#contact-preferences").inner_text().strip() == "Text message"
    assert page.locator("#current-status").inner_text().strip() == "Applicant"
    axe_check(page, "a volunteer with contact preferences and status")

    # Accepted into training three days ago, by keyboard: a radio, then the date boxes.
    started = dt.date.today() - dt.timedelta(days=3)
    tab_to(page, "#status")
    page.keyboard.press("Space")
    tab_to(page, "#effective_on-day")
    type_date(page, started)
    tab_to(page, page.get_by_role("button", name="Change status"))
    press_and_wait(page)
    assert "Status changed" in page.inner_text("main")
    assert page.locator("#current-status").inner_text().strip().startswith("In training since")
    history = page.locator("#status-history tbody tr").all_inner_texts()
    assert len(history) == 1 and "Applicant" in history[0] and "In training" in history[0]
    axe_check(page, "a volunteer's status changed")

    # Serving from a day before training began: refused, the date named, nothing kept.
    tab_to(page, "#status")  # now the choices are Serving and Left
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.value") == "active"
    tab_to(page, "#effective_on-day")
    type_date(page, started - dt.timedelta(days=1))
    tab_to(page, page.get_by_role("button", name="Change status"))
    press_and_wait(page)
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "The date of the change must not be before the previous change of status" in summary
    assert len(page.locator("#status-history tbody tr").all_inner_texts()) == 1
    axe_check(page, "a refused change of status")


GOOD = (
    "email,display_name,status,employer,starts_on\n"
    "una@example.org,Una Upton,active,Acme Logistics,2024-01-08\n"
    "una@example.org,Una Upton,active,Borough Council,2019-03-01\n"
    "vic@example.org,Vic Vale,,,\n"
)
BAD = (
    "email,display_name,status,employer,starts_on\n"
    "una@example.org,Una Upton,active,Acme Logistics,2024-01-08\n"
    "vic@example.org,,,,\n"
    "wyn@example.org,Wyn Wu,,Nowhere Ltd,2024-01-01\n"
)


def test_coordinator_imports_volunteers_by_keyboard(
    served: Served, page: Any, tmp_path: Path
) -> None:
    world = served.run(seed_world(served))
    code = totp_code(served.run(totp_secret(world.coordinator_id)))
    sign_in_by_keyboard(page, served, world.emails["coordinator"], code=code)
    follow_link_by_keyboard(page, "Volunteers")
    follow_link_by_keyboard(page, "Import volunteers and employment links from a CSV file")
    axe_check(page, "volunteer import")

    bad = tmp_path / "volunteers-bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    choose_file_by_keyboard(page, bad)
    tab_to(page, page.get_by_role("button", name="Upload and check"))
    press_and_wait(page)
    assert "nothing was imported: 2 lines with problems" in page.inner_text(".govuk-error-summary")
    rows = [
        [cell.strip() for cell in row.split("\t")]
        for row in page.locator("#bad-lines tbody tr").all_inner_texts()
    ]
    assert [(r[0], r[1]) for r in rows] == [("3", "display_name"), ("4", "employer")], rows
    axe_check(page, "volunteer import with bad lines")

    good = tmp_path / "volunteers.csv"
    good.write_text(GOOD, encoding="utf-8")
    choose_file_by_keyboard(page, good)
    tab_to(page, page.get_by_role("button", name="Upload and check"))
    press_and_wait(page)
    result = page.locator("#import-result").inner_text()
    assert "Volunteers imported" in page.inner_text("main")
    assert "Volunteers added\t2" in result and "Employment links added\t2" in result, result
    axe_check(page, "volunteers imported")
    follow_link_by_keyboard(page, "Go to the volunteers")
    assert "3 volunteers" in page.inner_text("main")
