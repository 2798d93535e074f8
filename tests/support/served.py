"""Serve the real app to a test on the test's own event loop.

Litestar's ``AsyncTestClient`` runs the app in a blocking portal on another thread and loop, so
the PostgreSQL pool and the ledger's writer task would live on a different loop from the test.
Here the app's lifespan runs on the test's loop and httpx talks to it through ``ASGITransport``:
one loop, real commits, real cookies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar

from portal.app import create_app
from portal.settings import Settings

BASE_URL = "http://portal.test"


@asynccontextmanager
async def serve_app(app: Litestar, base_url: str = BASE_URL) -> AsyncIterator[httpx.AsyncClient]:
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url=base_url, follow_redirects=False
        ) as client:
            yield client


@asynccontextmanager
async def serve(settings: Settings, base_url: str = BASE_URL) -> AsyncIterator[httpx.AsyncClient]:
    """``create_app(settings)`` started and served to an httpx client on this loop."""
    async with serve_app(create_app(settings), base_url) as client:
        yield client
