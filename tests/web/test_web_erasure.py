"""Asking for erasure in a browser: the volunteer asks, the DPO refuses (first without an
explanation, which the page names), the volunteer reads why and asks again, the DPO approves;
the volunteer is told by email and their account is gone. axe-core checks each page at 1280 and
320 px. Both databases."""

from __future__ import annotations

from typing import Any

from tests.web.webharness import (
    Served,
    World,
    axe_at_both_widths,
    seed_world,
    sign_in,
    sign_in_as_dpo,
)

WHY = "Your duty records are evidence in an open claim against the force."


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()


def _dpo_page(page: Any, served: Served, world: World, step: int) -> Any:
    sign_in_as_dpo(page, served, world, step)
    page.get_by_role("link", name="Erasure requests").click()
    return page.locator("section.govuk-summary-card").first


def test_ask_for_erasure_be_refused_then_approved(served: Served, page: Any) -> None:
    world = served.run(seed_world(served))
    sign_in(page, served, world.emails["volunteer"])
    page.get_by_role("link", name="Ask for your data to be erased").click()
    axe_at_both_widths(page, "erasure form")
    page.get_by_label("Anything you want the officer to know (optional)").fill("Please erase me.")
    page.get_by_role("button", name="Ask for my data to be erased").click()
    main = page.inner_text("main")
    assert "Your request is recorded" in main and "Waiting for a decision" in main
    assert "Answer due by" in main
    axe_at_both_widths(page, "erasure request waiting")
    _sign_out(page)

    card = _dpo_page(page, served, world, 0)
    assert "Please erase me." in card.inner_text() and "Due by" in card.inner_text()
    axe_at_both_widths(page, "erasure queue")
    card.get_by_label("Refuse: keep the data").check()
    card.get_by_role("button", name="Record the decision").click()
    main = page.inner_text("main")
    assert "choose the legal ground of the refusal" in main.lower()
    assert "explain the refusal to the volunteer" in main.lower()
    axe_at_both_widths(page, "refusal without an explanation")
    card = page.locator("section.govuk-summary-card").first
    card.get_by_label("Refuse: keep the data").check()
    card.get_by_label("Legal ground for a refusal").select_option("legal_claims")
    card.get_by_label("Explanation the volunteer will read (for a refusal)").fill(WHY)
    card.get_by_role("button", name="Record the decision").click()
    main = page.inner_text("main")
    assert "Request refused" in main and "No erasure request is waiting" in main
    axe_at_both_widths(page, "erasure refused")
    _sign_out(page)

    sign_in(page, served, world.emails["volunteer"])
    page.goto(served.url("/volunteer/erasure"))
    main = page.inner_text("main")
    assert "Refused" in main and WHY in main and "Article 17(3)(e)" in main
    axe_at_both_widths(page, "refusal read by the volunteer")
    page.get_by_role("button", name="Ask for my data to be erased").click()
    assert "Waiting for a decision" in page.inner_text("main")
    _sign_out(page)

    card = _dpo_page(page, served, world, 1)
    card.get_by_label("Approve: tell the volunteer, then erase their data").check()
    card.get_by_role("button", name="Record the decision").click()
    main = page.inner_text("main")
    assert "The volunteer was told, and their data is erased" in main
    assert "Approved and erased" in main and "Yes, before the erasure" in main
    axe_at_both_widths(page, "erasure done")
    _sign_out(page)

    mails = [p.read_text() for p in served.settings.outbox_files_dir.glob("*.eml")]
    assert any("Your data is being erased" in m and "special@example.org" in m for m in mails)
    sign_in(page, served, world.emails["volunteer"])  # the account went with the rest
    assert "/volunteer" not in page.url
