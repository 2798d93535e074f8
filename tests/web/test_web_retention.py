"""Retention in a browser (Debian's Chromium), both databases: the privacy notice shows the
retention schedule with every reason; the DPO starts a dry run, reads the counts per kind of
record, approves it with the keyboard, and the old refused attempt is gone while the young one
stays. axe-core finds no violation on any of these pages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from portal.clock import utcnow
from portal.vocabulary.records import records_held
from tests.web.webharness import (
    Served,
    axe_check,
    follow_link_by_keyboard,
    no_horizontal_scroll,
    press_and_wait,
    seed_world,
    sign_in_by_keyboard,
    tab_to,
    totp_code,
    totp_secret,
)


async def _refusals(ages_in_days: list[int]) -> None:
    from portal.disclosure.tables import DisclosureRefusal

    for age in ages_in_days:
        await DisclosureRefusal.insert(
            DisclosureRefusal(
                id=uuid.uuid4(),
                occurred_at=utcnow() - dt.timedelta(days=age),
                reason="no_consent",
                purpose="esp.leave-verification",
            )
        )


async def _refusal_count() -> int:
    from portal.disclosure.tables import DisclosureRefusal

    return int(await DisclosureRefusal.count())


def test_the_privacy_notice_shows_the_retention_schedule_with_its_reasons(
    served: Served, page: Any
) -> None:
    page.goto(served.url("/privacy"))
    schedule = page.locator("#retention-schedule")
    text = schedule.inner_text()
    for record in records_held().records:
        assert record.label in text and record.retention.reason in text, record.code
    assert "6 years after the person leaves" in text
    assert "2 years after the record is made" in text
    axe_check(page, "privacy notice with the retention schedule")
    no_horizontal_scroll(page)


def test_the_dpo_dry_runs_and_approves_retention_by_keyboard(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    served.run(_refusals([3 * 365, 30]))
    secret = served.run(totp_secret(world.dpo_id))
    sign_in_by_keyboard(page, served, world.emails["dpo"], code=totp_code(secret))

    follow_link_by_keyboard(page, "Retention")
    assert page.url.endswith("/dpo/retention")
    assert "No retention run yet." in page.inner_text("main")
    assert "How long each kind of record is kept" in page.inner_text("main")
    axe_check(page, "retention runs")

    tab_to(page, page.get_by_role("button", name="Start a dry run"))
    press_and_wait(page)
    assert "/dpo/retention/runs/" in page.url
    main = page.inner_text("main")
    assert "Dry run: what would be erased" in main
    row = page.get_by_role("row", name="Refused attempts")
    assert row.inner_text().split("\t")[-2:] == ["1", "Not yet"]
    axe_check(page, "retention dry run")
    no_horizontal_scroll(page)
    assert served.run(_refusal_count()) == 2  # a dry run erases nothing

    tab_to(page, page.get_by_role("button", name="Approve and erase"))
    press_and_wait(page)
    main = page.inner_text("main")
    assert "Approved. What the run found is erased; recorded in the ledger as entry" in main
    assert page.get_by_role("row", name="Refused attempts").inner_text().split("\t")[-2:] == [
        "1",
        "1",
    ]
    assert page.get_by_role("button", name="Approve and erase").count() == 0
    axe_check(page, "retention run approved")
    assert served.run(_refusal_count()) == 1

    follow_link_by_keyboard(page, "All retention runs")
    assert "Approved" in page.inner_text("main")

    # a run that does not exist, or an id that is not one: the service's errors as the site's
    # plain error pages (which say nothing about what exists), never a server error
    missing = page.goto(served.url("/dpo/retention/runs/6f1c1d2e-0000-4000-8000-000000000000"))
    assert missing is not None and missing.status == 404
    assert "Page not found" in page.inner_text("main")
    malformed = page.goto(served.url("/dpo/retention/runs/not-a-run"))
    assert malformed is not None and malformed.status == 422
    axe_check(page, "retention run id not valid")
