"""Volume alerts in a browser (Debian's Chromium), both databases: the DPO signs in and sees the
alert on the home page, follows it, acknowledges it with the keyboard only (focus visible at every
stop), and reads the volume tables. axe-core finds no violation on any of these pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.alerts.services import VolumeService
from portal.clock import local_date, utcnow
from tests.support.volume_history import daily, disclosures_at
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

LV = "esp.leave-verification"


async def _busy_day(served: Served, employer_id: str) -> int:
    today = local_date(utcnow())
    await daily(employer_id, LV, {today - dt.timedelta(days=n): 4 for n in range(1, 29)})
    await disclosures_at(employer_id, LV, [utcnow() - dt.timedelta(minutes=2)] * 33)
    return await VolumeService(served.settings).check()


def test_the_dpo_sees_and_acknowledges_a_volume_alert_by_keyboard(
    served: Served, page: Any
) -> None:
    world = served.run(seed_world(served))
    assert served.run(_busy_day(served, world.employer_id)) == 1
    secret = served.run(totp_secret(world.dpo_id))
    sign_in_by_keyboard(page, served, world.emails["dpo"], code=totp_code(secret))

    main = page.inner_text("main")
    assert "Volume alerts to acknowledge" in main
    assert "Acme Logistics: 33 disclosures" in main and "usually 4 a day" in main
    axe_check(page, "DPO home with an alert")

    follow_link_by_keyboard(page, "Review and acknowledge 1 volume alert")
    assert page.url.endswith("/dpo/alerts")
    axe_check(page, "volume alerts")
    tab_to(page, page.get_by_role("button", name="Acknowledge"))
    press_and_wait(page)
    main = page.inner_text("main")
    assert "Alert acknowledged. Recorded in the ledger as entry" in main
    assert "No volume alert is waiting." in main
    axe_check(page, "alert acknowledged")

    page.goto(served.url("/dpo"))
    assert "Review and acknowledge" not in page.inner_text("main")
    page.goto(served.url("/dpo/volume"))
    assert "Acme Logistics" in page.inner_text("main")
    axe_check(page, "disclosure volumes")
    follow_link_by_keyboard(page, "Acme Logistics: Checking ESP leave")
    main = page.inner_text("main")
    assert "Disclosures for" in main and "Alert" in main
    axe_check(page, "one employer and purpose")
    for path in ("/dpo/alerts", "/dpo/volume", page.url.removeprefix(served.base_url)):
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(served.url(path))
        no_horizontal_scroll(page)
