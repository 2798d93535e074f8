"""Fixtures of the web tests: a served portal per test database, Chromium, a fresh page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TestDatabase, make_settings
from tests.web.webharness import CHROMIUM, CHROMIUM_ARGS, Served, require_browser, serve_app


@pytest.fixture
def served(database: TestDatabase, tmp_path: Path) -> Iterator[Served]:
    """The portal on this test's own database, served on 127.0.0.1 at a random port."""

    def settings_for(base_url: str) -> Any:
        return make_settings(database, tmp_path / "data", base_url=base_url)

    yield from serve_app(settings_for)


@pytest.fixture
def chromium(served: Served) -> Iterator[Any]:
    """Chromium for one test, started after (and stopped before) the test's database and
    server: Playwright's sync API marks an event loop as running in this thread while it is up,
    and the database fixtures need ``asyncio.run``."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh 1280 px page that fails the test on any script error, CSP violation, missing
    asset or server error."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: Any) -> None:
        # A page answered with 4xx (a form with errors, a 404 page) is logged by Chromium as
        # "Failed to load resource"; failed sub-resources are caught by on_response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Any) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            errors.append(f"{response.status} for {response.url}")
        elif response.status >= 500:
            errors.append(f"page {response.url} answered {response.status}")

    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", on_console)
    page.on("response", on_response)
    try:
        yield page
    finally:
        context.close()
    # No script error, no CSP violation and no missing asset on any page the test visited.
    assert not errors, f"browser errors: {errors}"
