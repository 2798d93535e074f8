"""Objecting where consent is not the basis, in a browser: the volunteer objects to programme
management with reasons, the DPO rejects it with reasons the volunteer reads, the volunteer objects
again and the DPO upholds it; the employer then no longer sees the volunteer for that purpose.
axe-core checks every page. Both databases."""

from __future__ import annotations

from typing import Any

from tests.web.webharness import (
    Served,
    World,
    axe_check,
    seed_world,
    sign_in,
    totp_code,
    totp_secret,
)

REASONS = "My employer does not need to know whether I am still serving."


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()


def _dpo_decides(
    page: Any, served: Served, world: World, step: int, outcome: str, why: str
) -> None:
    secret = served.run(totp_secret(world.dpo_id))
    sign_in(page, served, world.emails["dpo"], code=totp_code(secret, step))
    page.get_by_role("link", name="Objections").click()
    card = page.locator("section.govuk-summary-card").first
    assert REASONS[:30] in card.inner_text()
    axe_check(page, "objection queue")
    # Nothing chosen: the page says what is missing and keeps the reasons typed.
    card.get_by_label("Reasons the volunteer will read").fill(why)
    card.get_by_role("button", name="Record the decision").click()
    assert "Select whether you uphold or reject the objection" in page.inner_text("main")
    card = page.locator("section.govuk-summary-card").first
    assert card.get_by_label("Reasons the volunteer will read").input_value() == why
    axe_check(page, "decision with an error")
    card.get_by_label(outcome).check()
    card.get_by_role("button", name="Record the decision").click()
    assert "No objection is waiting" in page.inner_text("main")
    _sign_out(page)


def test_object_and_see_the_dpo_decision(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/sharing"))
    page.get_by_role("link", name="You can object to Running the ESP scheme").first.click()
    assert page.get_by_label("Running the ESP scheme").is_checked()
    axe_check(page, "objection form")
    page.get_by_role("button", name="Send my objection").click()
    assert "Give your reasons" in page.inner_text("main")
    axe_check(page, "objection without reasons")
    page.get_by_label("Why do you object?").fill(REASONS)
    page.get_by_role("button", name="Send my objection").click()
    assert "Your objection is recorded" in page.inner_text("main")
    assert "Waiting for a decision" in page.inner_text("main")
    axe_check(page, "objection recorded")
    _sign_out(page)

    _dpo_decides(page, served, world, 0, "Reject", "The scheme needs to know who is serving.")

    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/objections"))
    main = page.inner_text("main")
    assert "Rejected" in main and "The scheme needs to know who is serving." in main
    axe_check(page, "objection rejected")
    page.get_by_label("Running the ESP scheme").check()
    page.get_by_label("Why do you object?").fill(REASONS + " It puts me at risk at work.")
    page.get_by_role("button", name="Send my objection").click()
    _sign_out(page)

    _dpo_decides(page, served, world, 1, "Uphold", "The risk you describe outweighs the need.")

    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/objections"))
    main = page.inner_text("main")
    assert "Upheld" in main and "The risk you describe outweighs the need." in main
    assert "The force no longer shares this for you" in main
    axe_check(page, "objection upheld")
    _sign_out(page)

    sign_in(page, served, world.emails["employer"])
    page.goto(served.url("/employer/staff?purpose=esp.programme-management"))
    assert "Sam Special" not in page.inner_text("main")
