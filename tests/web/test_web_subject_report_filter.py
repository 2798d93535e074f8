"""The DPO narrows the Art. 15 report page to one kind of recipient, as the API and CSV can.

A GOV.UK select (all recipients, or each kind of recipient the vocabulary's purposes name, the
force itself included: its DPO's looks are disclosures in the report too) filters the recipients
and disclosures; the CSV and JSON links keep the chosen kind; an unknown kind in the address is
an error summary naming the field, with nothing reported. axe-core at 1280 and 320 px, no
sideways scrolling. Both databases.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from portal.dpo.report_csv import REPORT_CSV_COLUMNS
from tests.web.webharness import (
    Served,
    World,
    axe_at_both_widths,
    seed_world,
    sign_in_as_dpo,
)

LEAVE = "esp.leave-verification"
TRANSFER = "force.service-transfer"


async def _read_by_two_kinds(served: Served, world: World) -> None:
    """Sam's data goes to Acme (an employer, with consent) and to Southshire Police (another
    force Sam is transferring to, its public task): one disclosure each."""
    from portal.accounts.tables import UserAccount
    from portal.agreements.schemas import AgreementCreate
    from portal.agreements.services import AgreementService
    from portal.auth.identity import Identity
    from portal.consent.schemas import ConsentGive
    from portal.consent.services import ConsentService
    from portal.disclosure.gate import Recipient
    from portal.gates import build_gate
    from portal.organisations.schemas import EmployerCreate, EmploymentCreate
    from portal.organisations.services import OrganisationService
    from portal.vocabulary import notices

    ledger = served.app.state.ledger
    today = dt.datetime.now(dt.UTC).date()
    organisations = OrganisationService()
    force = await organisations.create_employer(
        EmployerCreate.model_validate({"name": "Southshire Police", "kind": "police_force"})
    )
    await AgreementService(ledger).record(
        AgreementCreate.model_validate(
            {
                "employer_id": force.id,
                "version": 1,
                "purposes": {TRANSFER: ["identity", "status"]},
                "starts_on": today - dt.timedelta(days=10),
                "ends_on": today + dt.timedelta(days=300),
                "signed_by": "Signatories of Southshire Police and the force",
            }
        ),
        recorded_by=world.coordinator_id,
        request_id="seed",
        channel="web",
    )
    await organisations.create_employment(
        EmploymentCreate.model_validate(
            {
                "volunteer_id": world.volunteer_id,
                "employer_id": force.id,
                "starts_on": today,
                "reasons": [TRANSFER],
            }
        )
    )
    account = (
        await UserAccount.select(UserAccount.id)
        .where(UserAccount.email == world.emails["volunteer"])
        .first()
    )
    assert account is not None
    await ConsentService(ledger).give(
        Identity(
            user_id=str(account["id"]), role=None, via="session", volunteer_id=world.volunteer_id
        ),
        ConsentGive.model_validate(
            {
                "employer_id": world.employer_id,
                "purpose": LEAVE,
                "categories": ["identity", "status"],
                "notice_version": notices().current(today).version,
            }
        ),
        request_id="seed",
        channel="web",
    )
    gate = build_gate(ledger, served.settings)
    for recipient, purpose in (
        (Recipient("employer", world.employer_id, "hr-user", "web"), LEAVE),
        (Recipient("police_force", force.id, "liaison-user", "web"), TRANSFER),
    ):
        await gate.disclose_one(recipient, purpose, world.volunteer_id, request_id="seed")


def _recipient_names(page: Any) -> list[str]:
    table = page.locator("#recipients ~ .app-table-scroll").first
    return table.locator("tbody tr td:first-child").all_inner_texts()


def _disclosure_recipients(page: Any) -> list[str]:
    table = page.locator("#disclosures ~ .app-table-scroll").first
    return table.locator("tbody tr td:nth-child(3)").all_inner_texts()


def test_the_report_page_filters_by_kind_of_recipient(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(_read_by_two_kinds(served, world))
    sign_in_as_dpo(page, served, world)
    page.goto(served.url(f"/dpo/subjects?volunteer={world.volunteer_id}"))
    assert sorted(_recipient_names(page)) == ["Acme Logistics", "Southshire Police", "The force"]

    select = page.get_by_label("Kind of recipient")
    assert select.locator("option").all_inner_texts() == [
        "All recipients",
        "Employer",
        "Another police force",
        "Partner processing applications",
        "The force",
        "Messaging provider",
    ]
    assert select.input_value() == ""
    axe_at_both_widths(page, "report, all recipients")

    select.select_option(label="Another police force")
    page.get_by_role("button", name="Show report").click()
    page.wait_for_load_state("load")
    assert parse_qs(urlparse(page.url).query)["recipient_kind"] == ["police_force"]
    assert page.get_by_label("Kind of recipient").input_value() == "police_force"
    assert "Showing recipients and disclosures of one kind only" in page.inner_text("main")
    assert _recipient_names(page) == ["Southshire Police"]
    assert _disclosure_recipients(page) == ["Southshire Police"]
    csv_link = page.get_by_role("link", name="CSV", exact=True)
    json_link = page.get_by_role("link", name="JSON", exact=True)
    for link in (csv_link, json_link):
        href = link.get_attribute("href") or ""
        assert parse_qs(urlparse(href).query) == {"recipient_kind": ["police_force"]}, href
    axe_at_both_widths(page, "report, another police force only")

    with page.expect_download() as download:
        csv_link.click()
    header, *rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert tuple(header) == REPORT_CSV_COLUMNS
    kind_at, name_at = header.index("recipient_kind"), header.index("recipient_name")
    disclosed = [r for r in rows if r[0] == "disclosure"]
    assert [(r[kind_at], r[name_at]) for r in disclosed] == [("police_force", "Southshire Police")]

    # All recipients again: both are back.
    page.get_by_label("Kind of recipient").select_option(label="All recipients")
    page.get_by_role("button", name="Show report").click()
    page.wait_for_load_state("load")
    assert sorted(_recipient_names(page)) == ["Acme Logistics", "Southshire Police", "The force"]

    # An unknown kind in the address: an error summary naming the field, nothing reported.
    response = page.goto(
        served.url(f"/dpo/subjects?volunteer={world.volunteer_id}&recipient_kind=martians")
    )
    assert response is not None and response.status == 400
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    link = summary.get_by_role("link", name="Choose a kind of recipient from the list")
    assert link.get_attribute("href") == "#recipient_kind"
    assert "martians is not one" in summary.inner_text()
    assert page.title().startswith("Error: ")
    expect(page.locator("#recipient_kind-error")).to_be_visible()
    assert page.locator("#recipients").count() == 0
    assert page.locator("#disclosures").count() == 0
    axe_at_both_widths(page, "report, unknown kind")
    link.click()
    expect(page.get_by_label("Kind of recipient")).to_be_focused()
