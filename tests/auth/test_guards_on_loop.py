"""No route guard runs in a worker thread.

Litestar runs a guard written as a plain function through a thread pool (``AsyncCallable``), a
thread hop on every guarded request for a check that only reads the resolved identity. Every
guard of the app is a coroutine function.
"""

from __future__ import annotations

import inspect

from litestar.utils.sync import AsyncCallable

from portal.app import create_app
from portal.settings import Settings


def test_every_guard_of_every_route_is_a_coroutine(settings: Settings) -> None:
    app = create_app(settings, configure_logs=False)
    checked = 0
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            for guard in handler.resolve_guards():
                original = guard.func if isinstance(guard, AsyncCallable) else guard
                assert not isinstance(guard, AsyncCallable), (
                    f"{route.path}: guard {getattr(original, '__name__', original)} is not async"
                )
                assert inspect.iscoroutinefunction(guard)
                checked += 1
    assert checked > 50  # the app's guarded routes were all seen
