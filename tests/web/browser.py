"""One Playwright driver and Chromium per test worker, lent to one test at a time.

Playwright's sync API runs its event loop in a greenlet of the calling thread and marks that
loop as the thread's running loop for as long as the driver is up (see
``playwright/_impl/_greenlets.py``, ``wait_for_future``). While the mark is set, ``asyncio.run``
and pytest-asyncio refuse to start a loop in this thread, which is why the browser used to be
started and stopped around every single test (5-6 s of CPU each on a loaded 2-core machine:
the Node driver, the browser, its first page).

:class:`SharedBrowser` keeps them for the whole worker instead and *parks* the driver between
tests: :meth:`SharedBrowser.use` sets the running-loop mark to Playwright's loop while a test
holds the browser (exactly the state Playwright itself leaves after each call) and clears it
when the test gives it back, after closing every context the test opened. No Playwright call is
made while it is parked: the driver's loop only runs inside a sync call, so it simply waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.web.webharness import CHROMIUM, CHROMIUM_ARGS


class SharedBrowser:
    """The worker's Playwright and Chromium, started on first :meth:`use`."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._browser: Any = None
        self._lent = False

    @contextmanager
    def use(self) -> Iterator[Any]:
        """Lend the browser to one test; close what the test left open and park afterwards."""
        assert not self._lent, "the shared browser is already lent to a test"
        self._lent = True
        self._unpark()
        try:
            yield self._started_browser()
        finally:
            try:
                if self._browser is not None and self._browser.is_connected():
                    for context in list(self._browser.contexts):
                        context.close()
            finally:
                self._park()
                self._lent = False

    def stop(self) -> None:
        """Close the browser and the driver (end of the worker's session)."""
        if self._playwright is None:
            return
        self._unpark()
        try:
            if self._browser is not None and self._browser.is_connected():
                self._browser.close()
        finally:
            self._playwright.stop()  # runs the driver's loop to its end, which clears the mark
            self._playwright = self._loop = self._browser = None

    def _started_browser(self) -> Any:
        if self._playwright is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            # The loop Playwright marked as running in this thread: its own, for the driver.
            self._loop = asyncio.get_running_loop()
        if self._browser is None or not self._browser.is_connected():
            # First use, or the browser died under an earlier test: a new one, not a failure
            # of every later test.
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        return self._browser

    def _unpark(self) -> None:
        if self._loop is not None:
            asyncio._set_running_loop(self._loop)

    def _park(self) -> None:
        if self._loop is not None:
            asyncio._set_running_loop(None)
