"""Site usage is counted only in aggregate: per route template, day and role, and nothing else.

The real app on each database: pages are read anonymously and as a signed-in volunteer (with the
session cookie, a volunteer id in the path and a query string); the counter table then holds
exactly the columns day, route template, role and count, with none of the session token, user id,
volunteer id, query, client address or user agent anywhere in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role
from portal.settings import Settings
from portal.statistics.services import shown, usage
from portal.statistics.tables import PageViewCount
from tests.support import disclosure_world as world
from tests.support.auth import create_user, in_app, serve, sign_in_as


@pytest.fixture
async def client(settings: Settings, engine: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    async with serve(settings) as client:
        yield client


async def test_the_counter_stores_nothing_that_identifies_a_visitor(
    settings: Settings, engine: Any, client: AsyncTestClient[Any]
) -> None:
    person = await in_app(client, lambda: world.volunteer("Vera Visitor"))
    user = await in_app(
        client,
        lambda: create_user(settings, "vera@example.org", Role.VOLUNTEER, volunteer_id=person.id),
    )
    agent = {"user-agent": "UniqueAgent/9.9 (fingerprint-abc123)"}
    for _ in range(3):
        assert (await client.get("/privacy?utm=tracking-xyz", headers=agent)).status_code == 200
    assert (await client.get("/privacy/2025-04", headers=agent)).status_code == 200
    signed_in = await sign_in_as(client, user)
    assert (await client.get("/volunteer", headers=agent)).status_code == 200
    await client.get(f"/employer/staff/{person.id}", headers=agent)  # an id in the path

    rows: list[dict[str, Any]] = await in_app(client, lambda: PageViewCount.select())
    assert {frozenset(r) for r in rows} == {frozenset({"id", "day", "route", "role", "views"})}
    counts = {(r["route"], r["role"]): r["views"] for r in rows}
    assert counts[("/privacy", "anonymous")] == 3
    assert counts[("/privacy/{version}", "anonymous")] == 1
    assert counts[("/volunteer", "volunteer")] == 1
    stored = repr(rows)
    for secret in (
        person.id,
        user.id,
        user.email,
        signed_in["csrf_token"],
        client.cookies.get("esp_session") or "no-cookie",
        "tracking-xyz",
        "2025-04",
        "UniqueAgent",
        "testclient",
        "127.0.0.1",
    ):
        assert secret not in stored, secret
    today = {
        r["day"] if isinstance(r["day"], dt.date) else dt.date.fromisoformat(r["day"]) for r in rows
    }
    assert len(today) == 1


async def test_small_counts_are_shown_as_fewer_than_5(engine: Any) -> None:
    day = dt.date(2026, 12, 1)
    await PageViewCount.insert(
        PageViewCount(day=day, route="/privacy", role="anonymous", views=4),
        PageViewCount(day=day, route="/volunteer", role="volunteer", views=12),
    )
    data = await usage(day, day)
    assert data.days == [(day, 16)]
    assert [(r.route, shown(r.total, threshold=5)) for r in data.routes] == [
        ("/volunteer", "12"),
        ("/privacy", "fewer than 5"),
    ]


def test_the_threshold_is_the_configured_suppression_threshold() -> None:
    # ESP_SUPPRESSION_THRESHOLD governs every aggregate the portal shows, site usage included.
    assert shown(7, threshold=10) == "fewer than 10"
    assert shown(10, threshold=10) == "10"
    assert shown(4, threshold=3) == "4"
    assert shown(2, threshold=3) == "fewer than 3"
