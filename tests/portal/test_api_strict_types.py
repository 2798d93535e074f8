"""Strict JSON types at the API edge: booleans are not numbers, numbers are not strings (both DBs).

Each wrong type is refused (400) naming the field, and nothing is written; the right types, with
dates and times written as JSON strings, are still accepted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import IntegrationToken, Role
from portal.organisations.tables import Organisation
from portal.settings import Settings
from tests.support.auth import create_user, fields_named, in_app, serve, sign_in_as

API = "/api/coordinator"


@pytest.fixture
async def client(settings: Settings, engine: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    coordinator = await create_user(settings, "coordinator@example.org", Role.COORDINATOR)
    async with serve(settings) as client:
        await sign_in_as(client, coordinator)
        yield client


async def test_wrong_json_types_are_refused_naming_the_field(
    client: AsyncTestClient[Any],
) -> None:
    token = {"name": "duty system", "scopes": ["duties:write"], "valid_days": 30}
    organisations = await in_app(client, Organisation.count)
    cases: list[tuple[str, dict[str, Any], str]] = [
        (f"{API}/tokens", {**token, "valid_days": True}, "valid_days"),
        (f"{API}/tokens", {**token, "valid_days": "30"}, "valid_days"),
        (f"{API}/tokens", {**token, "name": 5}, "name"),
        (f"{API}/employers", {"name": 12345}, "name"),
        (f"{API}/employers", {"name": True}, "name"),
    ]
    for path, body, field in cases:
        answer = await client.post(path, json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert field in fields_named(answer), (body, answer.text)
    assert await in_app(client, IntegrationToken.count) == 0
    assert await in_app(client, Organisation.count) == organisations

    made = await client.post(f"{API}/tokens", json=token)
    assert made.status_code == 201, made.text
    employer = await client.post(f"{API}/employers", json={"name": "Acme Ltd"})
    assert employer.status_code == 201, employer.text
    # A date still travels as a JSON string.
    volunteer = await client.post(
        f"{API}/volunteers", json={"display_name": "A Special", "email": "a@example.org"}
    )
    assert volunteer.status_code == 201, volunteer.text
    link = await client.post(
        f"{API}/employments",
        json={
            "volunteer_id": volunteer.json()["id"],
            "employer_id": employer.json()["id"],
            "starts_on": "2026-01-01",
        },
    )
    assert link.status_code == 201, link.text


async def test_sign_in_refuses_a_number_for_the_email(settings: Settings, engine: Any) -> None:
    async with serve(settings) as client:
        answer = await client.post("/api/auth/login", json={"email": 5, "password": True})
        assert answer.status_code == 400, answer.text
        assert {"email", "password"} <= fields_named(answer)
