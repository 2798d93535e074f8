"""Fixtures of the web tests: a served portal per test database, Chromium (one per worker), a
fresh page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TestDatabase, make_settings
from tests.web.browser import SharedBrowser
from tests.web.webharness import Served, require_browser, serve_app


@pytest.fixture
def served(database: TestDatabase, tmp_path: Path) -> Iterator[Served]:
    """The portal on this test's own database, served on 127.0.0.1 at a random port."""

    def settings_for(base_url: str) -> Any:
        return make_settings(database, tmp_path / "data", base_url=base_url)

    yield from serve_app(settings_for)


@pytest.fixture(scope="session")
def shared_browser() -> Iterator[SharedBrowser]:
    """One Playwright driver and one Chromium for this xdist worker, started on first use.

    Starting them costs several seconds of CPU (the driver alone takes 1-3 s) against well
    under a second for the fresh context each test gets, so the worker keeps them. Between
    tests they are parked (:meth:`SharedBrowser.use`), so the rest of the suite can run event
    loops in this thread."""
    require_browser()
    shared = SharedBrowser()
    try:
        yield shared
    finally:
        shared.stop()


@pytest.fixture
def chromium(served: Served, shared_browser: SharedBrowser) -> Iterator[Any]:
    """Chromium for one test: the worker's shared browser, lent after (and parked before) the
    test's database and server are set up and torn down. Every context the test opened is
    closed when it ends, so no test sees another's cookies or pages."""
    with shared_browser.use() as browser:
        yield browser


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
