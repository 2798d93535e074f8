"""The heart of the product in a browser: a volunteer gives consent, the employer sees them, the
volunteer withdraws, the employer is refused; the volunteer sees each disclosure with its
receipt. Every page passes axe-core. Both databases."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.web.webharness import (
    Served,
    axe_check,
    no_horizontal_scroll,
    seed_world,
    sign_in,
    tab_to,
)


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_give_consent_employer_sees_withdraw_employer_refused(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))

    # The employer sees nobody for leave verification yet (consent is needed).
    sign_in(page, served, world.emails["employer"])
    axe_check(page, "employer home")
    page.get_by_role("link", name="Checking ESP leave").first.click()
    assert "No staff member allows you" in page.inner_text("main")
    axe_check(page, "employer staff, empty")
    # ...but programme management needs no consent (public task): the person is listed.
    page.goto(served.url("/employer/staff"))
    axe_check(page, "choose purpose")
    page.get_by_label("Running the ESP scheme").check()
    page.get_by_role("button", name="Continue").click()
    assert "Sam Special" in page.inner_text("main")
    axe_check(page, "employer staff, programme management")
    _sign_out(page)

    # The volunteer gives consent for leave verification, in one step.
    sign_in(page, served, world.emails["volunteer"])
    axe_check(page, "volunteer home")
    page.get_by_role("link", name="Who can see my data").first.click()
    axe_check(page, "who can see my data")
    section = page.locator("section", has=page.get_by_role("heading", name="Acme Logistics"))
    assert "Your consent (UK GDPR Art. 6(1)(a))" in section.inner_text()
    for box in section.get_by_role("checkbox").all():  # nothing is ticked for the volunteer
        assert not box.is_checked()
        box.check()
    section.get_by_role("button", name="Give consent").click()
    assert "Consent given for Checking ESP leave." in page.inner_text("main")
    axe_check(page, "consent given")
    _sign_out(page)

    # The employer now sees the volunteer, and their page (each view is a disclosure).
    sign_in(page, served, world.emails["employer"])
    page.goto(served.url("/employer/staff?purpose=esp.leave-verification"))
    assert "Sam Special" in page.inner_text("main")
    page.get_by_role("link", name="Sam Special", exact=True).click()
    expect(page.get_by_role("heading", name="Sam Special")).to_be_visible()
    member_url = page.url
    axe_check(page, "staff member")
    _sign_out(page)

    # The volunteer sees those disclosures, each with its receipt, and withdraws.
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/disclosures"))
    main = page.inner_text("main")
    assert "Acme Logistics" in main and "Checking ESP leave" in main
    page.locator("details summary").first.click()
    assert "Signed checkpoint" in page.locator("details").first.inner_text()
    axe_check(page, "disclosures")
    page.goto(served.url("/volunteer/sharing"))
    page.get_by_role("button", name="Withdraw consent for Checking ESP leave").click()
    assert "Your employer can no longer see this data" in page.inner_text("main")
    axe_check(page, "consent withdrawn")
    page.goto(served.url("/volunteer/sharing/history"))
    assert page.inner_text("main").count("Withdrawn") >= 1
    axe_check(page, "history")
    _sign_out(page)

    # The employer is refused at once: gone from the list, the page is a 404, and a notice waits.
    sign_in(page, served, world.emails["employer"])
    page.goto(served.url("/employer/staff?purpose=esp.leave-verification"))
    assert "Sam Special" not in page.inner_text("main")
    response = page.goto(member_url)
    assert response is not None and response.status == 404
    page.goto(served.url("/employer"))
    assert "withdrawal notice" in page.inner_text("main")
    page.goto(served.url("/employer/notices"))
    axe_check(page, "notices")
    page.get_by_role("button", name="We have stopped using this data").click()
    assert "Notice acknowledged" in page.inner_text("main")
    axe_check(page, "notice acknowledged")


def test_another_employer_cannot_see_the_volunteer(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    sign_in(page, served, world.emails["other_employer"])
    assert "no data sharing agreement" in page.inner_text("main")
    response = page.goto(
        served.url(f"/employer/staff/{world.volunteer_id}?purpose=esp.programme-management")
    )
    # No agreement: the purpose cannot even be chosen; guessing ids reveals nothing.
    assert response is not None and response.status in {400, 404}
    assert "Sam Special" not in page.content()


def test_volunteer_pages_at_320_px(served: Served, chromium: Any) -> None:
    world = served.run(seed_world(served))
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        sign_in(page, served, world.emails["volunteer"])
        for path in (
            "/volunteer",
            "/volunteer/sharing",
            "/volunteer/disclosures",
            "/volunteer/contact",
        ):
            page.goto(served.url(path))
            no_horizontal_scroll(page)
            axe_check(page, f"{path} at 320 px")
        page.get_by_label("Text message").check()
        page.get_by_role("button", name="Save preferences").click()
        assert "Your contact preferences are saved" in page.inner_text("main")
        assert page.get_by_label("Text message").is_checked()
    finally:
        context.close()


def test_the_consent_journey_by_keyboard_alone(served: Served, page: Any) -> None:
    """Give consent, the employer chooses a purpose and opens the person, withdraw: Tab, Space
    and Enter only (no clicks), with focus visible at every stop."""
    world = served.run(seed_world(served))
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    section = page.locator("section", has=page.get_by_role("heading", name="Acme Logistics"))
    for box in section.get_by_role("checkbox").all():  # nothing is ticked for the volunteer
        assert not box.is_checked()
        tab_to(page, box)
        page.keyboard.press("Space")
    tab_to(page, section.get_by_role("button", name="Give consent"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Consent given for Checking ESP leave." in page.inner_text("main")
    tab_to(page, "button.app-header__button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign-in?signed_out=1")

    sign_in(page, served, world.emails["employer"])
    page.goto(served.url("/employer/staff"))
    tab_to(page, "input[type=radio]")
    radio = page.get_by_label("Checking ESP leave")
    for _ in range(10):  # arrow keys move between the radios of one group
        if radio.is_checked():
            break
        page.keyboard.press("ArrowDown")
    assert radio.is_checked()
    tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/employer/staff?purpose=esp.leave-verification*")
    assert "Sam Special" in page.inner_text("main")
    tab_to(page, page.get_by_role("link", name="Sam Special", exact=True))
    page.keyboard.press("Enter")
    page.wait_for_url("**/employer/staff/*")
    expect(page.get_by_role("heading", name="Sam Special")).to_be_visible()
    tab_to(page, "button.app-header__button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign-in?signed_out=1")

    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    tab_to(page, page.get_by_role("button", name="Withdraw consent for Checking ESP leave"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Your employer can no longer see this data" in page.inner_text("main")
