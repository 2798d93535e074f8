"""The volunteer's sharing page offers consent only for what a link was made for.

A link to another police force or a partner records its reasons; the gate releases nothing
through it for any other purpose. So the page lists, for such a link, only the agreement's
purposes that are reasons of the link: no consent is offered that could never release anything.
A consent given earlier for a purpose the current link was not made for stays listed, with a
note, so it can still be withdrawn. axe-core checks each state at 1280 and 320 px. Both
databases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.web.webharness import (
    Served,
    World,
    axe_at_both_widths,
    seed_world,
    sign_in,
)

MULTI = "force.multi-force-application"
TRANSFER = "force.service-transfer"
MULTI_LABEL = "Your applications to more than one force"
TRANSFER_LABEL = "Transferring your service to or from another force"


async def _forces(served: Served, world: World) -> None:
    """Eastshire: Sam transfers there (the link's only reason), never consented. Westshire:
    Sam applied there and consented; that link ended, and the new one is for a transfer."""
    from portal.accounts.tables import UserAccount
    from portal.agreements.schemas import AgreementCreate
    from portal.agreements.services import AgreementService
    from portal.auth.identity import Identity
    from portal.consent.schemas import ConsentGive
    from portal.consent.services import ConsentService
    from portal.organisations.schemas import EmployerCreate, EmploymentCreate
    from portal.organisations.services import OrganisationService
    from portal.organisations.tables import Employment
    from portal.vocabulary import notices

    organisations = OrganisationService()
    ledger = served.app.state.ledger
    today = dt.datetime.now(dt.UTC).date()
    ids = {}
    for name in ("Eastshire Police", "Westshire Police"):
        org = await organisations.create_employer(
            EmployerCreate.model_validate({"name": name, "kind": "police_force"})
        )
        ids[name] = org.id
        await AgreementService(ledger).record(
            AgreementCreate.model_validate(
                {
                    "employer_id": org.id,
                    "version": 1,
                    "purposes": {MULTI: ["identity", "application"], TRANSFER: ["status"]},
                    "starts_on": today - dt.timedelta(days=60),
                    "ends_on": today + dt.timedelta(days=300),
                    "signed_by": f"Signatories of {name} and the force",
                }
            ),
            recorded_by=world.coordinator_id,
            request_id="seed",
            channel="web",
        )

    async def link(org_id: str, starts_on: dt.date, reasons: list[str]) -> str:
        made = await organisations.create_employment(
            EmploymentCreate.model_validate(
                {
                    "volunteer_id": world.volunteer_id,
                    "employer_id": org_id,
                    "starts_on": starts_on,
                    "reasons": reasons,
                }
            )
        )
        return made.id

    await link(ids["Eastshire Police"], today, [TRANSFER])
    applied = await link(ids["Westshire Police"], today - dt.timedelta(days=30), [MULTI])
    account = (
        await UserAccount.select(UserAccount.id)
        .where(UserAccount.email == world.emails["volunteer"])
        .first()
    )
    assert account is not None
    await ConsentService(ledger).give(
        Identity(
            user_id=str(account["id"]),
            role=None,
            via="session",
            volunteer_id=world.volunteer_id,
        ),
        ConsentGive.model_validate(
            {
                "employer_id": ids["Westshire Police"],
                "purpose": MULTI,
                "categories": ["identity", "application"],
                "notice_version": notices().current(today).version,
            }
        ),
        request_id="seed",
        channel="web",
    )
    await Employment.update({Employment.ends_on: today - dt.timedelta(days=1)}).where(
        Employment.id == applied
    )
    await link(ids["Westshire Police"], today, [TRANSFER])


def _section(page: Any, name: str) -> Any:
    return page.locator("section", has=page.get_by_role("heading", name=name, exact=True))


def test_the_sharing_page_offers_only_the_links_reasons(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(_forces(served, world))
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))

    east = _section(page, "Eastshire Police")
    text = east.inner_text()
    assert TRANSFER_LABEL in text and MULTI_LABEL not in text, text
    assert east.get_by_role("checkbox").count() == 0
    assert east.get_by_role("button", name="Give consent").count() == 0
    # The employer's purposes are as before: its job takes no reasons.
    acme = _section(page, "Acme Logistics")
    assert acme.get_by_role("button", name="Give consent").count() == 1
    assert acme.get_by_role("checkbox").count() == 4

    west = _section(page, "Westshire Police")
    note = west.locator(".app-outside-link")
    assert note.count() == 1
    assert "was not made for this purpose" in note.inner_text()
    assert MULTI_LABEL in west.inner_text()
    assert west.get_by_role("checkbox").count() == 0
    assert west.get_by_role("button", name="Give consent").count() == 0
    axe_at_both_widths(page, "sharing page with links to two forces")

    # The earlier consent is withdrawn in one step; then nothing for it is offered at all.
    west.get_by_role("button", name=f"Withdraw consent for {MULTI_LABEL}").click()
    assert f"Consent withdrawn for {MULTI_LABEL}." in page.inner_text("main")
    west = _section(page, "Westshire Police")
    assert MULTI_LABEL not in west.inner_text()
    assert west.locator(".app-outside-link").count() == 0
    assert TRANSFER_LABEL in west.inner_text()
    axe_at_both_widths(page, "after withdrawing")
