"""One Playwright driver and Chromium per test worker, in a thread of their own.

Playwright's sync API runs its event loop in a greenlet of the thread that started it and marks
that loop as the thread's running loop for as long as the driver is up (see
``playwright/_impl/_greenlets.py``, ``wait_for_future``). While the mark is set, ``asyncio.run``
and pytest-asyncio refuse to start a loop in that thread. The mark is per thread, so the driver
gets a thread of its own (:class:`BrowserThread`): the main thread, where fixtures and the rest
of the suite run their event loops, never carries it, and no private asyncio call is needed to
clear it.

Greenlets cannot switch across threads, so every Playwright call of a browser test must be made
in the browser thread: the ``page`` fixture makes and closes its page there
(:meth:`BrowserThread.call`), and ``tests/web/conftest.py`` runs the body of every test that uses
the browser there too (``pytest_pyfunc_call``). Starting the driver and the browser costs
several seconds of CPU on a loaded 2-core machine, against well under a second for the fresh
context each test gets, so they live as long as the worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from tests.web.webharness import CHROMIUM, CHROMIUM_ARGS

T = TypeVar("T")


class BrowserThread:
    """The worker's Playwright and Chromium, owned by one thread and started on first use."""

    def __init__(self) -> None:
        # One thread: the greenlets of Playwright's sync API live in the thread that started it.
        self._thread = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="playwright", initializer=self._remember_thread
        )
        self._ident: int | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._lent = False

    def call(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``work(*args, **kwargs)`` in the browser thread and return (or raise) what it
        does. Called from the browser thread itself (a test body), it simply runs it."""
        if self.in_thread():
            return work(*args, **kwargs)
        return self._thread.submit(work, *args, **kwargs).result()

    def in_thread(self) -> bool:
        """Whether the caller is the browser thread."""
        return threading.get_ident() == self._ident

    def lend(self) -> Any:
        """The browser, for one test at a time (started on first use)."""
        assert not self._lent, "the shared browser is already lent to a test"
        browser = self.call(self._started_browser)
        self._lent = True
        return browser

    def give_back(self) -> None:
        """Close every context the test left open, so no test sees another's cookies or pages."""
        try:
            self.call(self._close_contexts)
        finally:
            self._lent = False

    @contextmanager
    def use(self) -> Iterator[Any]:
        """:meth:`lend` and :meth:`give_back` around a block."""
        browser = self.lend()
        try:
            yield browser
        finally:
            self.give_back()

    def stop(self) -> None:
        """Close the browser and the driver (end of the worker's session), then the thread."""
        try:
            if self._ident is not None:
                self.call(self._stop_driver)
        finally:
            self._thread.shutdown(wait=True)

    def _remember_thread(self) -> None:
        self._ident = threading.get_ident()

    def _close_contexts(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            for context in list(self._browser.contexts):
                context.close()

    def _stop_driver(self) -> None:
        if self._playwright is None:
            return
        try:
            if self._browser is not None and self._browser.is_connected():
                self._browser.close()
        finally:
            self._playwright.stop()
            self._playwright = self._browser = None

    def _started_browser(self) -> Any:
        if self._playwright is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
        if self._browser is None or not self._browser.is_connected():
            # First use, or the browser died under an earlier test: a new one, not a failure
            # of every later test.
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        return self._browser
