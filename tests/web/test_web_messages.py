"""Messages in a browser, both databases: the volunteer chooses texts, calls and the daily
summary; an employer's decision reaches them through the in-process worker and the file
transport; they see the message, and on their disclosures page that their email address and
mobile number were given to the messaging provider, each with a receipt; the coordinator ticks
off the call; the DPO sees the counts. axe-core checks every page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TestDatabase, make_settings
from tests.web.webharness import (
    Served,
    World,
    axe_check,
    seed_duties_and_policy,
    seed_world,
    serve_app,
    sign_in,
    totp_code,
    totp_secret,
)

PROVIDER = "ESP Portal message folder (demo file transport)"
PHONE = "07700 900456"


@pytest.fixture
def served(database: TestDatabase, tmp_path: Path) -> Iterator[Served]:
    """The portal with its delivery worker running in process."""

    def settings_for(base_url: str) -> Any:
        return make_settings(
            database,
            tmp_path / "data",
            base_url=base_url,
            messages_in_process=True,
            messages_poll_seconds=0.05,
        )

    yield from serve_app(settings_for)


async def _consent_and_decide(served: Served, world: World) -> None:
    """The volunteer consents to leave checks, asks for leave, and the employer approves."""
    import datetime as dt

    from portal.consent.tables import ConsentEvent
    from portal.disclosure.recipient import Recipient
    from portal.hours import leave
    from portal.hours.schemas import LeaveRequestIn
    from portal.organisations.tables import Volunteer
    from portal.vocabulary import notices

    person = (
        await Volunteer.select(Volunteer.subject).where(Volunteer.id == world.volunteer_id).first()
    )
    assert person is not None
    now = dt.datetime.now(dt.UTC)
    await ConsentEvent.insert(
        *[
            ConsentEvent(
                volunteer=world.volunteer_id,
                subject=person["subject"],
                employer=world.employer_id,
                purpose="esp.leave-verification",
                category=category,
                state="given",
                notice_version=notices().current(now.date()).version,
                recorded_at=now,
                expires_at=now + dt.timedelta(days=300),
                ledger_index=3_000_000,
            )
            for category in ("identity", "status", "hours.detail")
        ]
    )
    today = now.date()
    start = dt.datetime(today.year, today.month, 2, 9, tzinfo=dt.UTC)
    made = await leave.create_request(
        world.volunteer_id,
        LeaveRequestIn(
            employer_id=world.employer_id,
            starts_at=start.isoformat(),
            ends_at=(start + dt.timedelta(hours=2)).isoformat(),
        ),
        "volunteer",
        today,
        served.settings,
    )
    hr = Recipient("employer", world.employer_id, "hr", "web")
    await leave.approve_request(
        served.app.state.gate, hr, made.id, "", "browser-test", served.settings
    )


async def _set_phone(world: World) -> None:
    from portal.organisations.tables import Volunteer

    await Volunteer.update({Volunteer.phone: PHONE}).where(Volunteer.id == world.volunteer_id)


async def _sent(count: int) -> bool:
    from portal.messages.tables import OutboxMessage

    return await OutboxMessage.count().where(OutboxMessage.status == "sent") >= count


def test_messages_from_preferences_to_receipts(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(seed_duties_and_policy(world))
    served.run(_set_phone(world))

    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/contact"))
    page.get_by_label("Text message").check()
    page.get_by_label("Phone call").check()
    page.get_by_label("Send me a daily summary").check()
    axe_check(page, "contact preferences")
    page.get_by_role("button", name="Save preferences").click()
    assert "Your contact preferences are saved" in page.inner_text("main")
    assert page.get_by_label("Send me a daily summary").is_checked()

    served.run(_consent_and_decide(served, world))
    deadline = time.monotonic() + 30
    while not served.run(_sent(3)):  # the employer's email, the volunteer's email and text
        assert time.monotonic() < deadline, "the in-process worker sent nothing"
        time.sleep(0.1)
    files = sorted(p.name for p in served.settings.outbox_files_dir.iterdir())
    assert sum(name.endswith(".eml") for name in files) == 2
    assert sum(name.endswith(".sms.txt") for name in files) == 1

    page.get_by_role("link", name="Messages sent to you", exact=True).click()
    main = page.inner_text("main")
    assert main.count("Your ESP leave decision") == 3  # email, text, and a call to be made
    assert "Text message" in main and "Phone call" in main and "To be called" in main
    assert PROVIDER in main and "Your ESP leave request has been approved" in main
    axe_check(page, "messages sent to you")

    page.goto(served.url("/volunteer/disclosures?purpose=communication.notification"))
    main = page.inner_text("main")
    for what in ("email address", "phone number"):
        assert (
            f"Your {what} was given to {PROVIDER} to send you the decision on your ESP leave "
            "request" in main
        ), main
    assert main.count("Receipt") >= 2 or main.count("receipt") >= 2
    axe_check(page, "disclosures of contact details")
    page.get_by_role("button", name="Sign out").click()

    secret = served.run(totp_secret(world.coordinator_id))
    sign_in(page, served, world.emails["coordinator"], code=totp_code(secret))
    page.get_by_role("link", name="People to call").click()
    row = page.get_by_role("row", name="Sam Special")
    assert PHONE in row.inner_text() and "approved" in row.inner_text()
    axe_check(page, "people to call")
    row.get_by_role("button", name="Called Sam Special").click()
    assert "Call ticked off" in page.inner_text("main")
    assert "Nobody to call" in page.inner_text("main")
    axe_check(page, "nobody to call")
    page.get_by_role("button", name="Sign out").click()

    secret = served.run(totp_secret(world.dpo_id))
    sign_in(page, served, world.emails["dpo"], code=totp_code(secret))
    page.get_by_role("link", name="Messages").click()
    main = page.inner_text("main")
    assert "Your ESP leave decision" in main and "A new ESP leave request" in main
    assert PHONE not in main and "sam.special@example.org" not in main
    axe_check(page, "dpo messages")
