"""Fixtures of the web tests: a served portal per test database, Chromium (one per worker, in a
thread of its own), a fresh page."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TestDatabase, make_settings
from tests.web.browser import BrowserThread
from tests.web.webharness import Served, require_browser, serve_app


@pytest.fixture
def served(database: TestDatabase, tmp_path: Path) -> Iterator[Served]:
    """The portal on this test's own database, served on 127.0.0.1 at a random port."""

    def settings_for(base_url: str) -> Any:
        return make_settings(database, tmp_path / "data", base_url=base_url)

    yield from serve_app(settings_for)


@pytest.fixture(scope="session")
def shared_browser() -> Iterator[BrowserThread]:
    """One Playwright driver and one Chromium for this xdist worker, started on first use.

    Starting them costs several seconds of CPU (the driver alone takes 1-3 s) against well
    under a second for the fresh context each test gets, so the worker keeps them, in a thread
    of their own (:mod:`tests.web.browser`), so the rest of the suite can run event loops in the
    main thread."""
    require_browser()
    shared = BrowserThread()
    try:
        yield shared
    finally:
        shared.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run the body of a (plain, not async) test that uses the browser in the browser thread,
    the only thread Playwright's sync objects may be used from."""
    if "shared_browser" not in pyfuncitem.fixturenames or inspect.iscoroutinefunction(
        pyfuncitem.obj
    ):
        return None
    shared: BrowserThread = pyfuncitem.funcargs["shared_browser"]
    # The test's own parameters (fixtures and parametrised values), as pytest would pass them.
    wanted = inspect.signature(pyfuncitem.obj).parameters
    arguments = {name: value for name, value in pyfuncitem.funcargs.items() if name in wanted}
    shared.call(pyfuncitem.obj, **arguments)
    return True


@pytest.fixture
def chromium(served: Served, shared_browser: BrowserThread) -> Iterator[Any]:
    """Chromium for one test: the worker's shared browser, lent after the test's database and
    server are set up (and given back before they are torn down). Every context the test
    opened is closed when it ends, so no test sees another's cookies or pages."""
    with shared_browser.use() as browser:
        yield browser


def _open_page(browser: Any, errors: list[str]) -> tuple[Any, Any]:
    """A new 1280 px context and page whose script errors, CSP violations, missing assets and
    server errors land in ``errors`` (in the browser thread)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()

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
    return context, page


@pytest.fixture
def page(chromium: Any, shared_browser: BrowserThread) -> Iterator[Any]:
    """A fresh 1280 px page that fails the test on any script error, CSP violation, missing
    asset or server error."""
    errors: list[str] = []
    context, page = shared_browser.call(_open_page, chromium, errors)
    try:
        yield page
    finally:
        shared_browser.call(context.close)
    # No script error, no CSP violation and no missing asset on any page the test visited.
    assert not errors, f"browser errors: {errors}"
