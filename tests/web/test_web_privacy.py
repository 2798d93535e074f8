"""The privacy notice as pages, and consent that stands on an older notice, in a browser.

Anyone reads the current notice in full (from the footer of every page) with what changed from
the version before, and every earlier version. A volunteer whose consent was given under notice
2025-04 (which 2026-11 changed for checking ESP leave) is told on their next visit and confirms it
again under the notice in force; the DPO sees how many consents stand on each version before and
after. Later notices (2026-12) did not change checking ESP leave, so confirming once is enough.
axe-core checks every page. Both databases.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from portal.vocabulary import notices
from tests.web.webharness import (
    Served,
    World,
    axe_check,
    seed_world,
    sign_in,
    totp_code,
    totp_secret,
)

LV = "esp.leave-verification"
#: The notice in force on the real clock the served app runs on.
TODAY = dt.datetime.now(dt.UTC).date()
CURRENT = notices().current(TODAY)


def test_read_the_notice_and_an_older_version(served: Served, page: Any) -> None:
    previous = notices().previous(CURRENT.version)
    assert previous is not None
    page.goto(served.url("/sign-in"))
    page.get_by_role("link", name="Privacy notice").click()
    assert page.url == served.url("/privacy")
    main = page.inner_text("main")
    assert CURRENT.title in main
    assert "Current version" in main
    assert f"What changed from version {previous.version}" in main
    assert CURRENT.changes[0] in main
    assert "The notice in full" in main and "Statistics about the site" in main
    axe_check(page, "privacy notice")

    page.goto(served.url("/privacy/2026-11"))
    main = page.inner_text("main")
    assert "ESP Portal privacy notice (November 2026)" in main
    assert "What changed from version 2025-04" in main
    assert "Consent is now given for each kind of data separately" in main
    page.get_by_role("link", name="Read version 2025-04").click()
    assert page.url == served.url("/privacy/2025-04")
    main = page.inner_text("main")
    assert "ESP Portal privacy notice (April 2025)" in main
    assert "This is an earlier version" in main and "first version of the notice" in main
    assert "Your consent covers all the data this purpose uses" in main
    axe_check(page, "older privacy notice")
    page.get_by_role("link", name=f"Read the current privacy notice ({CURRENT.version})").click()
    assert page.url == served.url(f"/privacy/{CURRENT.version}")

    missing = page.goto(served.url("/privacy/1999-01"))
    assert missing is not None and missing.status == 404


async def _consent_under_2025_04(served: Served, world: World) -> None:
    """A consent recorded as it was under the April 2025 notice: its ledger entry and rows."""
    from ledger.kinds import ConsentGivenDetails, ConsentGivenDraft
    from portal.consent.tables import ConsentEvent
    from portal.dbutil import write_transaction
    from portal.organisations.tables import Volunteer

    row = await Volunteer.select(Volunteer.subject).where(Volunteer.id == world.volunteer_id)
    subject = str(row[0]["subject"])
    now = dt.datetime.now(dt.UTC)
    expires = now + dt.timedelta(days=90)
    categories = ["identity", "status"]
    ids = [uuid.uuid4() for _ in categories]
    draft = ConsentGivenDraft(
        purpose=LV,
        lawful_basis="consent",
        subject=subject,
        recipient_org=world.employer_id,
        categories=tuple(categories),
        consent_ids=tuple(str(i) for i in ids),
        request_id="older-notice",
        channel="web",
        details=ConsentGivenDetails(notice_version="2025-04", expires_at=expires.isoformat()),
    )
    async with write_transaction(ConsentEvent):
        (receipt,) = await served.app.state.ledger.append_in_transaction([draft])
        await ConsentEvent.insert(
            *[
                ConsentEvent(
                    id=key,
                    volunteer=world.volunteer_id,
                    subject=subject,
                    employer=world.employer_id,
                    purpose=LV,
                    category=category,
                    state="given",
                    lawful_basis="consent",
                    notice_version="2025-04",
                    recorded_at=now - dt.timedelta(days=275),
                    expires_at=expires,
                    method="web",
                    ledger_index=receipt.index,
                )
                for key, category in zip(ids, categories, strict=True)
            ]
        )


def _versions_table(page: Any) -> dict[str, tuple[str, str]]:
    rows = page.locator("table tbody tr")
    out = {}
    for i in range(rows.count()):
        cells = [c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
        out[cells[0].split()[0]] = (cells[1], cells[2])
    return out


def _as_dpo(page: Any, served: Served, world: World, step: int = 0) -> dict[str, tuple[str, str]]:
    """The DPO's counts per notice version (``step``: a later code, as a code is used once)."""
    secret = served.run(totp_secret(world.dpo_id))
    sign_in(page, served, world.emails["dpo"], code=totp_code(secret, step))
    page.get_by_role("link", name="Consent by notice").click()
    axe_check(page, "consent by notice")
    table = _versions_table(page)
    page.get_by_role("button", name="Sign out").click()
    return table


def test_reconfirm_after_a_notice_change(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(_consent_under_2025_04(served, world))
    later = {n.version: ("0", "0") for n in notices().notices[1:] if n.published_on <= TODAY}
    assert _as_dpo(page, served, world) == {**later, "2025-04": ("2", "1")}

    # Next visit: the home page says the notice changed what the purpose means.
    sign_in(page, served, world.emails["volunteer"])
    banner = page.get_by_role("region", name="Important")
    assert "The privacy notice has changed what Checking ESP leave (Acme Logistics) means" in (
        banner.inner_text()
    )
    axe_check(page, "home asks to confirm")
    banner.get_by_role("link", name="Confirm or withdraw your consent").click()
    section = page.locator("section", has=page.get_by_role("heading", name="Acme Logistics"))
    text = section.inner_text()
    assert "Please confirm this consent again" in text
    assert "You gave it under privacy notice 2025-04" in text
    assert "Until you confirm, the force shares only what you agreed to then" in text
    axe_check(page, "sharing asks to confirm")
    # The form binds to the notice it links to.
    link = page.get_by_role("link", name="Read the privacy notice you are agreeing under, in full")
    assert link.get_attribute("href") == f"/privacy/{CURRENT.version}"

    section.get_by_role(
        "button", name=f"Confirm consent for Checking ESP leave under notice {CURRENT.version}"
    ).click()
    main = page.inner_text("main")
    assert "Consent confirmed for Checking ESP leave under the current privacy notice." in main
    assert "Please confirm this consent again" not in main
    axe_check(page, "consent confirmed")
    page.goto(served.url("/volunteer"))
    assert page.get_by_role("region", name="Important").count() == 0
    page.get_by_role("button", name="Sign out").click()

    confirmed = {**later, CURRENT.version: ("2", "1"), "2025-04": ("0", "0")}
    assert _as_dpo(page, served, world, 1) == confirmed
