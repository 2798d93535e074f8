"""The coordinator administers accounts in a browser (both databases, axe on every page):
disables and re-enables an employer contact, resets a volunteer's password (the old one stops
working at once; the person chooses a new one through the one-time link, by keyboard only) and
resets the DPO's lost authenticator (the old codes stop working; the link shows a new secret)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.web.webharness import (
    PASSWORD,
    Served,
    axe_check,
    press_and_wait,
    seed_world,
    sign_in,
    tab_to,
    totp_code,
    totp_secret,
)

NEW_PASSWORD = "a brand new and unusual passphrase"


def _act(page: Any, label: str, email: str) -> None:
    """Press a row's button by keyboard (focus it, Enter) and wait for the next page."""
    page.get_by_role("button", name=f"{label} for {email}").focus()
    press_and_wait(page)


def _link(page: Any) -> str:
    link = page.locator("#activation-link").inner_text().strip()
    return link[link.index("/activate") :]


def _cannot_sign_in(chromium: Any, served: Served, email: str, password: str) -> None:
    context = chromium.new_context()
    try:
        other = context.new_page()
        other.goto(served.url("/sign-in"))
        other.get_by_label("Email address").fill(email)
        other.get_by_label("Password", exact=True).fill(password)
        other.get_by_role("button", name="Continue").click()
        assert other.url.startswith(served.url("/sign-in")), other.url
        expect(other.locator(".govuk-error-summary")).to_be_visible()
    finally:
        context.close()


def _choose_password_by_keyboard(chromium: Any, served: Served, path: str) -> str:
    context = chromium.new_context()
    try:
        person = context.new_page()
        person.goto(served.url(path))
        tab_to(person, "#password")
        person.keyboard.type(NEW_PASSWORD)
        tab_to(person, "#confirm")
        person.keyboard.type(NEW_PASSWORD)
        tab_to(person, person.get_by_role("button", name="Save password"))
        press_and_wait(person)
        assert "Your account is ready" in person.inner_text("main")
        axe_check(person, "password chosen after a reset")
        return person.inner_text("main")
    finally:
        context.close()


def test_coordinator_administers_accounts(served: Served, page: Any, chromium: Any) -> None:
    world = served.run(seed_world(served))
    secret = served.run(totp_secret(world.coordinator_id))
    sign_in(page, served, world.emails["coordinator"], code=totp_code(secret))
    page.get_by_role("link", name="Users", exact=True).click()
    axe_check(page, "users with account actions")
    mine = page.locator("#accounts tr", has_text=world.emails["coordinator"])
    assert "Your account" in mine.inner_text()

    # Disable an employer contact: it cannot sign in; enable it again.
    hr = world.emails["employer"]
    _act(page, "Disable", hr)
    assert "Account disabled" in page.inner_text("main")
    assert "Disabled" in page.locator("#accounts tr", has_text=hr).inner_text()
    axe_check(page, "account disabled")
    _cannot_sign_in(chromium, served, hr, PASSWORD)
    _act(page, "Enable", hr)
    assert "Account enabled again" in page.inner_text("main")

    # Reset a volunteer's password: the old one stops working at once.
    volunteer = world.emails["volunteer"]
    _act(page, "Reset password", volunteer)
    assert "Password reset" in page.inner_text("main")
    path = _link(page)
    axe_check(page, "password reset link")
    _cannot_sign_in(chromium, served, volunteer, PASSWORD)
    shown = _choose_password_by_keyboard(chromium, served, path)
    assert "otpauth://" not in shown

    # Reset the DPO's lost authenticator: a new secret, shown once through the link.
    old = served.run(totp_secret(world.dpo_id))
    page.goto(served.url("/coordinator/users"))
    _act(page, "Reset authenticator", world.emails["dpo"])
    assert "Authenticator reset" in page.inner_text("main")
    path = _link(page)
    shown = _choose_password_by_keyboard(chromium, served, path)
    new = re.search(r"secret=([A-Z2-7]+)", shown)
    assert new is not None and new.group(1) != old
    assert served.run(totp_secret(world.dpo_id)) == new.group(1)

    # Each action is on record, newest first, with who did it.
    page.goto(served.url("/coordinator/users"))
    rows = page.locator("#account-actions tbody tr")
    recorded = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert [r.split("\t")[1] for r in recorded] == [
        "Authenticator reset",
        "Password reset",
        "Enabled",
        "Disabled",
    ]
    assert world.emails["dpo"] in recorded[0] and hr in recorded[3]
    assert all(world.emails["coordinator"] in r for r in recorded)
    axe_check(page, "users with recent account changes")
