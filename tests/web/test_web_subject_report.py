"""The DPO's Art. 15 report in Debian's Chromium: every category of data held on one page, axe
0 violations at 1280 px and 320 px (no sideways scrolling), the CSV download lines up, and the
print stylesheet leaves only the report. Both databases."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from portal.dpo.report_csv import REPORT_CSV_COLUMNS
from portal.vocabulary.records import records_held
from tests.web.webharness import (
    Served,
    axe_check,
    no_horizontal_scroll,
    press_and_wait,
    seed_duties_and_policy,
    seed_world,
    sign_in,
    totp_code,
    totp_secret,
)


def _subject_of(served: Served, volunteer_id: str) -> str:
    async def read() -> str:
        from portal.organisations.services import OrganisationService

        return (await OrganisationService().get_volunteer(volunteer_id)).subject

    return served.run(read())


async def _refused_read(served: Served, employer_id: str, volunteer_id: str) -> None:
    """The employer asks for a purpose its agreement does not name: refused and recorded."""
    from portal.disclosure.gate import Recipient
    from portal.errors import NotFound
    from portal.gates import build_gate

    gate = build_gate(served.app.state.ledger, served.settings)
    try:
        await gate.disclose_one(
            Recipient("employer", employer_id, "hr-user", "web"),
            "esp.recognition",
            volunteer_id,
            request_id="test",
        )
    except NotFound:
        return
    raise AssertionError("the read was not refused")


def _as_dpo(page: Any, served: Served, dpo_id: str, email: str, step: int = 0) -> None:
    sign_in(page, served, email, code=totp_code(served.run(totp_secret(dpo_id)), step))


def test_subject_access_report_page(served: Served, page: Any, chromium: Any) -> None:
    world = served.run(seed_world(served))
    served.run(seed_duties_and_policy(world))
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    form = page.locator("form", has=page.get_by_role("button", name="Give consent")).first
    for box in form.get_by_role("checkbox").all():
        box.check()
    form.get_by_role("button", name="Give consent").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, served, world.emails["employer"])
    page.goto(served.url(f"/employer/staff/{world.volunteer_id}?purpose=esp.leave-verification"))
    page.get_by_role("button", name="Sign out").click()
    served.run(_refused_read(served, world.employer_id, world.volunteer_id))

    _as_dpo(page, served, world.dpo_id, world.emails["dpo"])
    page.get_by_role("link", name="Subject reports").click()
    subject = _subject_of(served, world.volunteer_id)
    page.get_by_label("Whose report do you need?").focus()
    page.keyboard.type(subject)
    press_and_wait(page, "Enter")
    main = page.inner_text("main")
    assert "Subject access report: Sam Special" in main
    for record in records_held().records:
        expect(page.locator(f"#category-{record.code}"), record.code).to_be_visible()
        assert record.label in main
    for words in ("sam.special@example.org", "Acme Logistics", "Legal obligation", "patrol"):
        assert words in main, words
    assert "Purpose not in the agreement" in page.inner_text("#refusals ~ .app-table-scroll")
    assert page.locator("#disclosures ~ .app-table-scroll tbody tr").count() >= 2
    axe_check(page, "subject access report")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    header, *rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert tuple(header) == REPORT_CSV_COLUMNS and all(len(r) == len(header) for r in rows)
    assert {r[0] for r in rows} >= {"report", "category", "held", "disclosure", "refusal"}

    page.emulate_media(media="print")
    expect(page.locator(".govuk-template__header")).not_to_be_visible()
    expect(page.locator(".govuk-template__footer")).not_to_be_visible()
    expect(page.get_by_role("link", name="Another report")).not_to_be_visible()
    expect(page.locator("#category-duties")).to_be_visible()
    page.emulate_media(media="screen")
    report_url = page.url
    page.get_by_role("button", name="Sign out").click()

    context = chromium.new_context(viewport={"width": 320, "height": 640}, locale="en-GB")
    try:
        small = context.new_page()
        _as_dpo(small, served, world.dpo_id, world.emails["dpo"], step=1)
        small.goto(report_url)
        assert "Subject access report: Sam Special" in small.inner_text("main")
        no_horizontal_scroll(small)
        axe_check(small, "subject access report at 320 px")
    finally:
        context.close()
