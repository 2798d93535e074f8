"""The cookie statement lists exactly the cookies the portal sets, with their lifetimes.

Every ``Set-Cookie`` header the browser receives during a journey of every role (anonymous
visitor, volunteer, employer, DPO and coordinator, the staff with their code step) is collected
and compared with the statement's table: the same names, and each cookie's Max-Age as stated
(none for a cookie kept until the browser closes). On the way, the DPO and the coordinator read
the site statistics (counted without any cookie), small counts shown as "fewer than 5". Both
databases.
"""

from __future__ import annotations

from typing import Any

from tests.web.webharness import Served, axe_check, seed_world, sign_in, totp_code, totp_secret


def _set_cookies(response: Any) -> list[tuple[str, str, int | None]]:
    """(name, value, Max-Age) for every Set-Cookie header of a response."""
    found = []
    for header in response.headers_array():
        if header["name"].lower() != "set-cookie":
            continue
        first, *attributes = [part.strip() for part in header["value"].split(";")]
        name, _, value = first.partition("=")
        max_age = None
        for attribute in attributes:
            key, _, raw = attribute.partition("=")
            if key.lower() == "max-age":
                max_age = int(raw)
        found.append((name, value.strip('"'), max_age))
    return found


def test_the_cookie_statement_matches_the_cookies_set(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    seen: dict[str, set[int | None]] = {}

    def record(response: Any) -> None:
        for name, value, max_age in _set_cookies(response):
            if value and max_age != 0:  # a cleared cookie is not a cookie set
                seen.setdefault(name, set()).add(max_age)

    page.on("response", record)

    def sign_out() -> None:
        page.get_by_role("button", name="Sign out").click()

    page.goto(served.url("/privacy"))
    page.goto(served.url("/sign-in"))
    sign_in(page, served, world.emails["volunteer"])
    for path in ("/volunteer/sharing", "/volunteer/leave", "/volunteer/contact"):
        page.goto(served.url(path))
    sign_out()
    sign_in(page, served, world.emails["employer"])
    page.goto(served.url("/employer/staff"))
    sign_out()
    for role, user_id in (("dpo", world.dpo_id), ("coordinator", world.coordinator_id)):
        sign_in(page, served, world.emails[role], code=totp_code(served.run(totp_secret(user_id))))
        page.goto(served.url(f"/{role}"))
        # Site statistics, counted without any cookie: a chart, and small counts suppressed.
        page.get_by_role("link", name="Site statistics").click()
        assert page.locator("svg#usage-chart").get_attribute("role") == "img"
        table = page.inner_text("#usage-table")
        assert "/volunteer/sharing" in table and "fewer than 5" in table
        axe_check(page, f"{role} site statistics")
        sign_out()

    page.goto(served.url("/sign-in"))
    page.get_by_role("link", name="Cookies").click()
    assert page.url == served.url("/cookies")
    axe_check(page, "cookie statement")
    rows = page.locator("#cookie-table tbody tr")
    stated = {
        rows.nth(i).get_attribute("data-cookie"): rows.nth(i).get_attribute("data-max-age")
        for i in range(rows.count())
    }
    assert set(seen) == set(stated), (seen, stated)
    for name, ages in seen.items():
        expected = int(stated[name]) if stated[name] else None
        assert ages == {expected}, (name, ages, expected)
    assert "12 hours" in page.inner_text("#cookie-table")
    assert "Until you close your browser" in page.inner_text("#cookie-table")
