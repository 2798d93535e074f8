"""Test helpers: users, fresh TOTP codes, and signing in to the served app with CSRF.

Import as ``from tests.support.auth import ...`` (pytest runs from the repository root with
``pythonpath = ["."]``; ``tests`` and ``tests.support`` are namespace packages).

The app served by ``litestar.testing.AsyncTestClient`` runs on the client's own event loop (a
portal thread), and on PostgreSQL its connection pool belongs to that loop. Database work a test
does while the app is up therefore goes through :func:`in_app`, which runs it on that loop.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pyotp
from litestar.testing import AsyncTestClient

from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import AccountService
from portal.accounts.tables import Role, UserAccount
from portal.app import create_app
from portal.settings import Settings

T = TypeVar("T")

BASE_URL = "http://portal.test"
PASSWORD = "correct horse battery staple"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class TestUser:
    """An account made for a test (not a test class: pytest must not try to collect it)."""

    __test__ = False

    id: str
    email: str
    role: Role
    password: str
    totp_secret: str | None = None


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """The real app for ``settings``, started (lifespan) and served to a test client."""
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url=BASE_URL) as client:
        yield client


async def in_app(client: AsyncTestClient[Any], work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work()`` on the served app's event loop (where its database pool lives)."""

    async def call() -> T:
        return await work()

    return client.blocking_portal.call(call)


async def create_user(
    settings: Settings,
    email: str,
    role: Role,
    *,
    organisation_id: str | None = None,
    volunteer_id: str | None = None,
    password: str = PASSWORD,
) -> TestUser:
    """An active account with a password (as ``esp-portal user add`` makes it)."""
    service = AccountService(settings, PasswordHashing(settings))
    created = await service.create_user(
        email, role, organisation_id=organisation_id, volunteer_id=volunteer_id, password=password
    )
    secret = None
    if created.otpauth_uri:
        row = (
            await UserAccount.select(UserAccount.totp_secret)
            .where(UserAccount.id == created.id)
            .first()
        )
        assert row is not None
        secret = row["totp_secret"]
    return TestUser(created.id, created.email, role, password, secret)


_last_step: dict[str, int] = {}


def fresh_code(secret: str) -> str:
    """A TOTP code this process has not used yet (the server refuses a code's reuse).

    Uses the current 30 s step, or the next one (the server accepts one step of drift); waits
    when both are taken.
    """
    while True:
        current = int(time.time() // 30)
        step = max(current, _last_step.get(secret, -1) + 1)
        if step <= current + 1:
            _last_step[secret] = step
            return pyotp.TOTP(secret).at(step * 30)
        time.sleep(1)


async def sign_in(
    client: AsyncTestClient[Any],
    email: str,
    password: str,
    totp_secret: str | None = None,
) -> dict[str, Any]:
    """Sign in through ``/api/auth/login``; the client then sends the CSRF header itself."""
    body: dict[str, Any] = {"email": email, "password": password}
    if totp_secret:
        body["otp"] = fresh_code(totp_secret)
    response = await client.post("/api/auth/login", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    client.headers[CSRF_HEADER] = data["csrf_token"]
    return data


async def sign_in_as(client: AsyncTestClient[Any], user: TestUser) -> dict[str, Any]:
    return await sign_in(client, user.email, user.password, user.totp_secret)


async def sign_out(client: AsyncTestClient[Any]) -> None:
    response = await client.post("/api/auth/logout")
    assert response.status_code == 200, response.text
    client.headers.pop(CSRF_HEADER, None)
    client.cookies.clear()


def fields_named(response: Any) -> set[str]:
    """The field names a problem-details response blames."""
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json"), body
    return {error["field"] for error in body.get("errors", [])}
