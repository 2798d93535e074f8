"""The coordinator imports application milestones from a CSV file in a browser, by keyboard
only, axe on every page (both databases): a file with bad lines (and one carrying a finding) is
refused whole with every bad line named, then the good file is imported and its steps show on
the applicant's application page."""

from __future__ import annotations

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
)

HEADER = "volunteer,stage,outcome,occurred_on\n"


def _upload(page: Any, path: Path) -> None:
    choose_file_by_keyboard(page, path)
    tab_to(page, page.get_by_role("button", name="Upload and check"))
    press_and_wait(page)


def _bad_lines(page: Any) -> list[tuple[str, str]]:
    rows = [
        [cell.strip() for cell in row.split("\t")]
        for row in page.locator("#bad-lines tbody tr").all_inner_texts()
    ]
    return [(r[0], r[1]) for r in rows]


def test_coordinator_imports_milestones_by_keyboard(
    served: Served, page: Any, tmp_path: Path
) -> None:
    world = served.run(seed_world(served))
    code = totp_code(served.run(totp_secret(world.coordinator_id)))
    sign_in_by_keyboard(page, served, world.emails["coordinator"], code=code)
    follow_link_by_keyboard(page, "Import application milestones")
    axe_check(page, "milestone import")

    bad = tmp_path / "milestones-bad.csv"
    bad.write_text(
        HEADER + "sam.special@example.org,vetting,passed,2026-03-10\n"
        "nobody@example.org,received,passed,2026-01-05\n"
        "sam.special@example.org,medical,failed,2026-03-12\n",
        encoding="utf-8",
    )
    _upload(page, bad)
    summary = page.inner_text(".govuk-error-summary")
    assert "nothing was imported: 2 lines with problems" in summary
    assert _bad_lines(page) == [("3", "volunteer"), ("4", "outcome")]
    axe_check(page, "milestone import with bad lines")

    finding = tmp_path / "milestones-finding.csv"
    finding.write_text(
        HEADER.strip() + ",finding\nsam.special@example.org,vetting,passed,2026-03-10,none\n",
        encoding="utf-8",
    )
    _upload(page, finding)
    assert _bad_lines(page) == [("1", "finding")]
    assert "no finding of vetting or a medical" in page.inner_text("#bad-lines")

    good = tmp_path / "milestones.csv"
    good.write_text(
        HEADER + "sam.special@example.org,received,passed,2026-01-05\n"
        "SAM.SPECIAL@example.org,vetting,passed,2026-03-10\n",
        encoding="utf-8",
    )
    _upload(page, good)
    assert "Milestones imported" in page.inner_text("main")
    result = page.locator("#import-result").inner_text()
    assert "Milestones added\t2" in result, result
    axe_check(page, "milestones imported")

    page.goto(served.url(f"/coordinator/volunteers/{world.volunteer_id}/application"))
    main = page.inner_text("main")
    assert "Application received" in main and "Passed, 5 January 2026" in main
    assert "Vetting" in main and "Passed, 10 March 2026" in main
