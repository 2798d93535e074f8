"""Small defects seen on the way (issue 15), each pinned by a test that failed before its fix.

The real app is served on both databases; people sign in through /api/auth/login, and page forms
are posted with the session's CSRF token in their ``csrf_token`` field, as a browser posts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import AccountService
from portal.accounts.tables import Role
from portal.settings import Settings
from tests.support.auth import PASSWORD, create_user, in_app, serve, sign_in_as

TODAY = dt.date.today()


@pytest.fixture
async def coordinator(
    settings: Settings, engine: Any
) -> AsyncIterator[tuple[AsyncTestClient[Any], str]]:
    """The served app with a coordinator signed in, and that session's CSRF token."""
    user = await create_user(settings, "coordinator@example.org", Role.COORDINATOR)
    async with serve(settings) as client:
        signed_in = await sign_in_as(client, user)
        yield client, signed_in["csrf_token"]


async def test_a_rejected_import_says_so_once(
    coordinator: tuple[AsyncTestClient[Any], str],
) -> None:
    client, csrf = coordinator
    bad = "volunteer_id,start,end,duty_type,esp_leave\nnobody,yesterday,today,patrol,maybe\n"
    response = await client.post(
        "/coordinator/duties/import",
        data={"csrf_token": csrf},
        files={"file": ("duties.csv", bad.encode(), "text/csv")},
    )
    assert response.status_code == 422, response.text
    assert "nothing was imported" in response.text
    assert "imported: The file was rejected" not in response.text
    assert response.text.count("The file was rejected and nothing was imported") == 2  # summary
    # and the message by the file input: once each, never nested


async def test_the_agreement_form_names_no_raw_field(
    coordinator: tuple[AsyncTestClient[Any], str],
) -> None:
    client, csrf = coordinator
    employer = await client.post("/api/coordinator/employers", json={"name": "Northern Rail"})
    assert employer.status_code == 201, employer.text
    employer_id = employer.json()["id"]
    response = await client.post(
        f"/coordinator/employers/{employer_id}/agreements",
        data={
            "csrf_token": csrf,
            "purpose:esp.programme-management": "identity",
            "starts_on": (TODAY + dt.timedelta(days=10)).isoformat(),
            "ends_on": TODAY.isoformat(),
            "version": "1",
            "signed_by": "R. Manager and C. Constable",
        },
    )
    assert response.status_code == 400, response.text
    assert "before starts_on" not in response.text
    assert "The date the agreement ends must be the same as or after the date it starts" in (
        response.text
    )
    # The API names the field, in words a person reads.
    api = await client.post(
        "/api/coordinator/agreements",
        json={
            "employer_id": employer_id,
            "version": 1,
            "purposes": {"esp.programme-management": ["identity"]},
            "starts_on": (TODAY + dt.timedelta(days=10)).isoformat(),
            "ends_on": TODAY.isoformat(),
            "signed_by": "R. Manager",
        },
    )
    assert api.status_code == 422, api.text
    assert api.json()["errors"] == [
        {"field": "ends_on", "message": "the agreement must not end before it starts"}
    ]


async def test_a_used_activation_link_says_so_at_once(settings: Settings, engine: Any) -> None:
    accounts = AccountService(settings, PasswordHashing(settings))
    created = await accounts.create_user("new.dpo@example.org", Role.DPO, invited_by=None)
    assert created.invitation_token
    token = created.invitation_token
    async with serve(settings) as client:
        fresh = await client.get("/activate", params={"token": token})
        assert fresh.status_code == 200 and 'type="password"' in fresh.text
        await in_app(client, lambda: accounts.activate(token, PASSWORD))
        used = await client.get("/activate", params={"token": token})
        assert used.status_code == 404
        assert "This link has already been used" in used.text
        assert 'type="password"' not in used.text
        unknown = await client.get("/activate", params={"token": "x" * 43})
        assert unknown.status_code == 404 and "This link cannot be used" in unknown.text
