"""The real 500 page in a real browser: axe-core finds nothing at WCAG 2.2 A and AA, it fits
320 px, and it shows the request id and nothing else. Both databases.

The served app is the one ``create_app`` builds, with one test-only router registered on that
app alone (``serve_app(extra_routes=...)``): a page that fails, behind the same exception
handlers as every real page (``PAGE_EXCEPTION_HANDLERS``). Nothing global is patched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Router, get
from playwright.sync_api import expect

from portal.web.errors import PAGE_EXCEPTION_HANDLERS
from tests.conftest import TestDatabase, make_settings
from tests.web.webharness import (
    Served,
    axe_check,
    no_horizontal_scroll,
    seed_world,
    sign_in,
)

SECRET = "sam.special@example.org owes 12 hours"


@get("/fault", sync_to_thread=False)
def fault() -> None:
    """Fails the way a bug would, with personal data in the exception's message."""
    raise RuntimeError(SECRET)


FAULT_ROUTER = Router(
    path="/test-only",
    route_handlers=[fault],
    exception_handlers=PAGE_EXCEPTION_HANDLERS,
    include_in_schema=False,
)


@pytest.fixture
def served(database: TestDatabase, tmp_path: Path) -> Iterator[Served]:
    """This module's portal: the real app plus the failing test-only page."""
    from tests.web.webharness import serve_app

    def settings_for(base_url: str) -> Any:
        return make_settings(database, tmp_path / "data", base_url=base_url)

    yield from serve_app(settings_for, extra_routes=[FAULT_ROUTER])


def _watch(page: Any) -> list[str]:
    """Script errors, CSP violations and failed assets (the 500 of the page itself is expected:
    the ``page`` fixture would count it as a failure, so this test watches the rest itself)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} for {r.url}")
            if r.request.resource_type != "document" and r.status >= 400
            else None
        ),
    )
    return errors


def _check_500(page: Any, served: Served, label: str) -> None:
    response = page.goto(served.url("/test-only/fault"))
    assert response is not None and response.status == 500
    assert response.headers["content-type"].startswith("text/html")
    assert page.title().startswith("Sorry, there is a problem with the service")
    main = page.inner_text("main")
    assert "Try again later" in main
    # Only the request id, so the user can quote it; no detail of the failure.
    request_id = response.headers["x-request-id"]
    assert request_id and request_id in main, main
    content = page.content()
    assert "sam.special" not in content and "RuntimeError" not in content
    assert "Traceback" not in content and "12 hours" not in content
    # The stylesheet loaded: a GOV.UK page, not a bare one.
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontWeight")
    assert font == "700", font
    axe_check(page, label)


def test_500_page_passes_axe_signed_out_and_in(served: Served, chromium: Any) -> None:
    world = served.run(seed_world(served))
    for width in (1280, 320):
        context = chromium.new_context(viewport={"width": width, "height": 800}, locale="en-GB")
        try:
            page = context.new_page()
            errors = _watch(page)
            _check_500(page, served, f"500 page, signed out, {width} px")
            no_horizontal_scroll(page)
            sign_in(page, served, world.emails["volunteer"])
            _check_500(page, served, f"500 page, signed in, {width} px")
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
            no_horizontal_scroll(page)
            assert not errors, errors
        finally:
            context.close()
