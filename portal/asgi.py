"""ASGI entry points for servers: ``portal.asgi:application`` (a factory) or ``portal.asgi:app``.

``esp-portal serve`` runs uvicorn with the factory, so each worker process builds its own app
(its own engine and connection pool) from the one settings object. Other ASGI servers can import
``portal.asgi:app``; it is built on first access, not when this module is imported.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from portal.app import create_app
from portal.settings import get_settings

_app: Litestar | None = None


def application() -> Litestar:
    """A new app from the process-wide settings (the uvicorn factory)."""
    return create_app(get_settings())


def __getattr__(name: str) -> Any:
    global _app
    if name == "app":
        if _app is None:
            _app = application()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
