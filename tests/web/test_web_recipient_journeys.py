"""Another police force's and a partner's users in a browser, and what their volunteer sees.

The applicant is linked to a second force (they applied there too) and to a partner that
assesses applicants. They consent, on their sharing page, to the second force hearing how their
application is going; the force's user then reads them on the force's pages, the partner's user
on the partner's pages, each page passing axe-core at 1280 and 320 px without sideways scroll;
and the applicant's own disclosures page names each recipient and its kind. Both databases.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.web.webharness import (
    Served,
    World,
    axe_at_both_widths,
    make_user,
    seed_world,
    sign_in,
)

MULTI = "force.multi-force-application"
PROCESSING = "partner.application-processing"
FORCE_EMAIL = "liaison@southshire.example"
PARTNER_EMAIL = "assessor@beacon.example"
RAW = re.compile(r"\{|esp\.[a-z-]+|force\.[a-z-]+|partner\.[a-z-]+|_stage|police_force")


async def _recipients(served: Served, world: World) -> None:
    """A second force and a partner, each with its agreement, a user and a link to Sam."""
    from portal.agreements.schemas import AgreementCreate
    from portal.agreements.services import AgreementService
    from portal.organisations.schemas import EmployerCreate, EmploymentCreate
    from portal.organisations.services import OrganisationService

    organisations = OrganisationService()
    agreements = AgreementService(served.app.state.ledger)
    today = dt.datetime.now(dt.UTC).date()
    made = [
        (
            "Southshire Police",
            "police_force",
            FORCE_EMAIL,
            {MULTI: ["identity", "status", "application"], "force.service-transfer": ["status"]},
            [MULTI],  # Sam applied there too: the link is for that, not a transfer
        ),
        (
            "Beacon Assessment",
            "partner",
            PARTNER_EMAIL,
            {PROCESSING: ["identity", "application"]},
            [PROCESSING],
        ),
    ]
    for name, kind, email, purposes, reasons in made:
        org = await organisations.create_employer(
            EmployerCreate.model_validate({"name": name, "kind": kind})
        )
        await agreements.record(
            AgreementCreate.model_validate(
                {
                    "employer_id": org.id,
                    "version": 1,
                    "purposes": purposes,
                    "starts_on": today - dt.timedelta(days=10),
                    "ends_on": today + dt.timedelta(days=300),
                    "signed_by": f"Signatories of {name} and the force",
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
                    "employer_id": org.id,
                    "starts_on": today,
                    "reasons": reasons,
                }
            )
        )
        await make_user(served.settings, email, kind, organisation_id=org.id)


def _read_the_applicant(page: Any, purpose_words: str, list_caption: str) -> None:
    """From the role's home: choose the purpose, see the list, open the applicant's page."""
    axe_at_both_widths(page, "home")
    page.get_by_role("link", name=purpose_words).click()
    table = page.locator("main table")
    assert table.locator("caption").inner_text() == list_caption
    row = table.locator("tbody tr").first
    assert row.locator("th").inner_text() == "Sam Special"
    assert "Application in progress" in row.locator("td").all_inner_texts()
    assert RAW.search(page.inner_text("main")) is None, page.inner_text("main")
    axe_at_both_widths(page, "list")
    row.get_by_role("link", name="Sam Special").click()
    assert page.locator("h1").inner_text() == "Sam Special"
    facts = page.locator("main .govuk-summary-list").first
    shown = dict(
        zip(
            facts.locator(".govuk-summary-list__key").all_inner_texts(),
            facts.locator(".govuk-summary-list__value").all_inner_texts(),
            strict=True,
        )
    )
    assert shown["Application progress"] == "Application in progress", shown
    assert "recorded in the ledger" in page.inner_text("main")
    assert RAW.search(page.inner_text("main")) is None, page.inner_text("main")
    axe_at_both_widths(page, "person")
    page.get_by_role("button", name="Sign out").click()


def _disclosure_card(page: Any, served: Served, world: World, name: str) -> dict[str, str]:
    """The volunteer's newest disclosure to ``name``, as their disclosures page shows it."""
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/disclosures"))
    heading = page.get_by_role("heading", name=re.compile(name))
    cards = page.locator(".govuk-summary-card", has=heading)
    assert cards.count() == 2, page.inner_text("main")  # the list, then the person's page
    card = cards.first
    rows = dict(
        zip(
            card.locator(".govuk-summary-list__key").all_inner_texts(),
            card.locator(".govuk-summary-list__value").all_inner_texts(),
            strict=True,
        )
    )
    axe_at_both_widths(page, "disclosures")
    page.get_by_role("button", name="Sign out").click()
    return rows


def test_another_forces_user_reads_an_applicant_who_consented(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(_recipients(served, world))

    # Before consent the force's list is empty; the volunteer then consents on their page.
    sign_in(page, served, FORCE_EMAIL)
    assert page.locator("h1").inner_text() == "Specials and applicants shared with your force"
    page.goto(served.url(f"/police-force/people?purpose={MULTI}"))
    assert "No person may be shown to you" in page.inner_text("main")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    force = page.locator("section", has=page.get_by_role("heading", name="Southshire Police"))
    assert "Information sharing agreement version 1" in force.inner_text()
    assert "Your applications to more than one force" in force.inner_text()
    form = force.locator("form", has=page.get_by_role("button", name="Give consent")).first
    for box in form.get_by_role("checkbox").all():
        box.check()
    form.get_by_role("button", name="Give consent").click()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, served, FORCE_EMAIL)
    _read_the_applicant(page, "Their application to more than one force", "1 person")

    rows = _disclosure_card(page, served, world, "Southshire Police")
    assert rows["Who received it"] == "Another police force"
    assert rows["Why"] == "Your applications to more than one force"
    assert rows["Lawful basis"].startswith("Your consent")


def test_a_partners_user_reads_the_applicant_it_assesses(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(_recipients(served, world))

    sign_in(page, served, PARTNER_EMAIL)
    assert page.locator("h1").inner_text() == "Applicants whose application you process"
    assert "processing contract" in page.inner_text("main")
    _read_the_applicant(page, "Processing their application", "1 applicant")

    # The partner's pages are closed to the force's user and the other way round.
    sign_in(page, served, FORCE_EMAIL)
    response = page.goto(served.url("/partner/applicants"))
    assert response is not None and response.status == 403
    page.goto(served.url("/police-force"))
    page.get_by_role("button", name="Sign out").click()

    rows = _disclosure_card(page, served, world, "Beacon Assessment")
    assert rows["Who received it"] == "Partner processing applications"
    assert rows["Why"] == "Processing your application"
    assert rows["Lawful basis"].startswith("The force's public task")
