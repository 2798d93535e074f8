"""The coordinator API, served by the real app on both databases, signed in with TOTP and CSRF."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role, UserAccount
from portal.organisations.tables import Organisation, OrganisationKind
from portal.settings import Settings
from tests.support.auth import (
    CSRF_HEADER,
    create_user,
    fields_named,
    in_app,
    serve,
    sign_in,
    sign_in_as,
    sign_out,
)

API = "/api/coordinator"
UNKNOWN = str(uuid.uuid4())
#: The coordinator routes of this module (other domains add their own under /api/coordinator).
MINE = tuple(
    f"{API}/{part}" for part in ("employers", "volunteers", "employments", "users", "tokens")
)


@pytest.fixture
async def client(settings: Settings, engine: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    """The served app with a coordinator signed in (password, TOTP code, CSRF header)."""
    coordinator = await create_user(settings, "coordinator@example.org", Role.COORDINATOR)
    async with serve(settings) as client:
        await sign_in_as(client, coordinator)
        yield client


async def _employer(client: AsyncTestClient[Any], name: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/employers", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _volunteer(client: AsyncTestClient[Any], email: str, **extra: Any) -> dict[str, Any]:
    body = {"display_name": "Alex Example", "email": email, **extra}
    response = await client.post(f"{API}/volunteers", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


# Employers ---------------------------------------------------------------------------------------


async def test_employers_are_created_listed_paginated_and_read(
    client: AsyncTestClient[Any],
) -> None:
    nhs = await _employer(
        client,
        "  Northshire NHS Trust ",
        sector="health",
        size_band="large",
        contact_email="HR@Example.org",
    )
    assert nhs["name"] == "Northshire NHS Trust"
    assert nhs["kind"] == "employer"
    assert nhs["size_band"] == "large"
    assert nhs["contact_email"] == "hr@example.org"
    uuid.UUID(nhs["id"])
    for name in ("Bakery", "Council", "Dairy"):
        await _employer(client, name)

    first = (await client.get(f"{API}/employers", params={"limit": 2})).json()
    second = (await client.get(f"{API}/employers", params={"limit": 2, "offset": 2})).json()
    assert first["total"] == second["total"] == 4
    assert (first["limit"], first["offset"], second["offset"]) == (2, 0, 2)
    names = [e["name"] for e in first["items"] + second["items"]]
    assert names == ["Bakery", "Council", "Dairy", "Northshire NHS Trust"]
    beyond = (await client.get(f"{API}/employers", params={"offset": 10})).json()
    assert beyond["items"] == [] and beyond["total"] == 4

    one = await client.get(f"{API}/employers/{nhs['id']}")
    assert one.status_code == 200 and one.json() == nhs


async def test_employer_errors_name_their_field(client: AsyncTestClient[Any]) -> None:
    await _employer(client, "Greenway Supermarkets")
    duplicate = await client.post(f"{API}/employers", json={"name": "GREENWAY supermarkets"})
    assert duplicate.status_code == 409
    assert fields_named(duplicate) == {"name"}

    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"name": "   "}, {"name"}),
        ({"name": "x" * 201}, {"name"}),
        ({"name": "Ok", "contact_email": "not-an-email"}, {"contact_email"}),
        ({"name": "Ok", "size_band": "enormous"}, {"size_band"}),
        ({"name": "Ok", "sector": "s" * 101}, {"sector"}),
        ({"name": "Ok", "colour": "blue"}, {"colour"}),
        ({"name": "Bad\x00name"}, {"name"}),
    ]
    for body, fields in cases:
        response = await client.post(f"{API}/employers", json=body)
        assert response.status_code in (400, 422), (body, response.text)
        assert fields_named(response) == fields, (body, response.json())

    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "many"}):
        response = await client.get(f"{API}/employers", params=params)
        assert response.status_code == 400, (params, response.text)
        assert fields_named(response) == set(params), response.json()

    for bad in ("not-a-uuid", UNKNOWN, "1"):
        response = await client.get(f"{API}/employers/{bad}")
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_force_is_not_an_employer(client: AsyncTestClient[Any]) -> None:
    async def add_force() -> str:
        force = Organisation(name="Northshire Police", kind=OrganisationKind.FORCE.value)
        await force.save()
        return str(force.id)

    force_id = await in_app(client, add_force)
    assert (await client.get(f"{API}/employers/{force_id}")).status_code == 404
    assert (await client.get(f"{API}/employers")).json()["total"] == 0
    clash = await client.post(f"{API}/employers", json={"name": "northshire police"})
    assert clash.status_code == 409


# Volunteers --------------------------------------------------------------------------------------


async def test_volunteers_are_created_listed_read_and_updated(
    client: AsyncTestClient[Any],
) -> None:
    created = await _volunteer(
        client,
        "Sam.Smith@Example.com",
        display_name="Sam Smith",
        phone="07700 900123",
        status="in_training",
        contact_by_sms=True,
    )
    assert created["subject"].startswith("sub_")
    assert created["email"] == "sam.smith@example.com"
    assert created["status"] == "in_training"
    assert (created["contact_by_email"], created["contact_by_sms"]) == (True, True)
    assert created["contact_by_phone"] is False
    assert created["employments"] == []
    other = await _volunteer(client, "ann@example.org", display_name="Ann Other")
    assert other["status"] == "applicant" and other["phone"] is None
    assert other["subject"] != created["subject"]

    listing = (await client.get(f"{API}/volunteers")).json()
    assert listing["total"] == 2
    assert [v["display_name"] for v in listing["items"]] == ["Ann Other", "Sam Smith"]
    # The list carries what the coordinator needs to find someone, not contact details.
    assert set(listing["items"][0]) == {"id", "subject", "display_name", "status"}
    page = (await client.get(f"{API}/volunteers", params={"limit": 1, "offset": 1})).json()
    assert [v["id"] for v in page["items"]] == [created["id"]] and page["total"] == 2
    training = (await client.get(f"{API}/volunteers", params={"status": "in_training"})).json()
    assert [v["id"] for v in training["items"]] == [created["id"]] and training["total"] == 1
    bad_status = await client.get(f"{API}/volunteers", params={"status": "retired"})
    assert bad_status.status_code == 400 and fields_named(bad_status) == {"status"}

    read = await client.get(f"{API}/volunteers/{created['id']}")
    assert read.status_code == 200 and read.json() == created

    patched = await client.patch(
        f"{API}/volunteers/{created['id']}",
        json={"status": "active", "contact_by_email": False, "contact_by_phone": True},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["status"] == "active"
    assert (body["contact_by_email"], body["contact_by_sms"], body["contact_by_phone"]) == (
        False,
        True,
        True,
    )
    assert body["subject"] == created["subject"]
    assert (await client.get(f"{API}/volunteers/{created['id']}")).json() == body


async def test_volunteer_errors_name_their_field(client: AsyncTestClient[Any]) -> None:
    volunteer = await _volunteer(client, "dup@example.org")
    duplicate = await client.post(
        f"{API}/volunteers", json={"display_name": "Someone", "email": "DUP@example.org"}
    )
    assert duplicate.status_code == 409 and fields_named(duplicate) == {"email"}

    good = {"display_name": "Pat Doe", "email": "pat@example.org"}
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"email": "pat@example.org"}, {"display_name"}),
        ({"display_name": "Pat Doe"}, {"email"}),
        ({**good, "email": "pat@"}, {"email"}),
        ({**good, "phone": "call me"}, {"phone"}),
        ({**good, "phone": "123"}, {"phone"}),
        ({**good, "status": "retired"}, {"status"}),
        ({**good, "contact_by_sms": "sometimes"}, {"contact_by_sms"}),
        ({**good, "warrant_number": "1234"}, {"warrant_number"}),
        ({"display_name": "", "email": "x"}, {"display_name", "email"}),
    ]
    for body, fields in cases:
        response = await client.post(f"{API}/volunteers", json=body)
        assert response.status_code == 400, (body, response.text)
        assert fields_named(response) == fields, (body, response.json())

    url = f"{API}/volunteers/{volunteer['id']}"
    patches: list[tuple[dict[str, Any], int, set[str]]] = [
        ({}, 422, {"body"}),
        ({"status": None}, 422, {"status"}),
        ({"status": "retired"}, 400, {"status"}),
        ({"display_name": "New"}, 400, {"display_name"}),
        ({"contact_by_phone": "yes please"}, 400, {"contact_by_phone"}),
    ]
    for body, status, fields in patches:
        response = await client.patch(url, json=body)
        assert response.status_code == status, (body, response.text)
        assert fields_named(response) == fields, (body, response.json())

    for bad in ("nope", UNKNOWN):
        assert (await client.get(f"{API}/volunteers/{bad}")).status_code == 404
        response = await client.patch(f"{API}/volunteers/{bad}", json={"status": "active"})
        assert response.status_code == 404


# Employment links --------------------------------------------------------------------------------


async def test_employment_links(client: AsyncTestClient[Any]) -> None:
    volunteer = await _volunteer(client, "two.jobs@example.org")
    shop = await _employer(client, "Corner Shop")
    bank = await _employer(client, "High Street Bank")

    def link(employer: dict[str, Any], starts_on: str, ends_on: str | None = None) -> Any:
        body = {"volunteer_id": volunteer["id"], "employer_id": employer["id"]}
        body["starts_on"] = starts_on
        if ends_on:
            body["ends_on"] = ends_on
        return client.post(f"{API}/employments", json=body)

    first = await link(shop, "2020-01-01")
    assert first.status_code == 201, first.text
    job = first.json()
    assert job["volunteer_id"] == volunteer["id"] and job["employer_id"] == shop["id"]
    assert (job["starts_on"], job["ends_on"]) == ("2020-01-01", None)

    # A second employer at the same time is fine.
    assert (await link(bank, "2022-06-01")).status_code == 201
    # The same pair again while the first link is open is not.
    overlap = await link(shop, "2023-01-01")
    assert overlap.status_code == 409
    assert overlap.json()["employment_id"] == job["id"]
    assert (await link(shop, "2019-01-01", "2020-01-01")).status_code == 409

    ended = await client.post(f"{API}/employments/{job['id']}/end", json={"ends_on": "2021-12-31"})
    assert ended.status_code == 200, ended.text
    assert ended.json()["ends_on"] == "2021-12-31"
    again = await client.post(f"{API}/employments/{job['id']}/end", json={"ends_on": "2022-01-31"})
    assert again.status_code == 409
    # After the end, the same employer may take the volunteer on again; and earlier periods fit.
    assert (await link(shop, "2022-01-01")).status_code == 201
    assert (await link(shop, "2015-01-01", "2019-12-31")).status_code == 201
    assert (await link(shop, "2019-06-01", "2019-07-01")).status_code == 409

    detail = (await client.get(f"{API}/volunteers/{volunteer['id']}")).json()
    assert len(detail["employments"]) == 4
    assert {e["employer_id"] for e in detail["employments"]} == {shop["id"], bank["id"]}
    assert [e["starts_on"] for e in detail["employments"]] == sorted(
        e["starts_on"] for e in detail["employments"]
    )


async def test_employment_errors_name_their_field(client: AsyncTestClient[Any]) -> None:
    volunteer = await _volunteer(client, "links@example.org")
    employer = await _employer(client, "Swiftline Logistics")
    good = {
        "volunteer_id": volunteer["id"],
        "employer_id": employer["id"],
        "starts_on": "2024-02-01",
    }
    cases: list[tuple[dict[str, Any], int, set[str]]] = [
        ({**good, "volunteer_id": UNKNOWN}, 422, {"volunteer_id"}),
        ({**good, "employer_id": UNKNOWN}, 422, {"employer_id"}),
        (
            {**good, "volunteer_id": UNKNOWN, "employer_id": UNKNOWN},
            422,
            {"volunteer_id", "employer_id"},
        ),
        ({**good, "volunteer_id": employer["id"]}, 422, {"volunteer_id"}),
        ({**good, "employer_id": volunteer["id"]}, 422, {"employer_id"}),
        ({**good, "ends_on": "2024-01-31"}, 422, {"ends_on"}),
        ({**good, "volunteer_id": "v-1"}, 400, {"volunteer_id"}),
        ({**good, "starts_on": "yesterday"}, 400, {"starts_on"}),
        ({**good, "starts_on": "2024-02-30"}, 400, {"starts_on"}),
        ({"volunteer_id": volunteer["id"], "employer_id": employer["id"]}, 400, {"starts_on"}),
        ({**good, "hours": 12}, 400, {"hours"}),
    ]
    for body, status, fields in cases:
        response = await client.post(f"{API}/employments", json=body)
        assert response.status_code == status, (body, response.text)
        assert fields_named(response) == fields, (body, response.json())
    detail = (await client.get(f"{API}/volunteers/{volunteer['id']}")).json()
    assert detail["employments"] == []  # nothing was written by the refused requests

    job = (await client.post(f"{API}/employments", json=good)).json()
    early = await client.post(f"{API}/employments/{job['id']}/end", json={"ends_on": "2024-01-01"})
    assert early.status_code == 422 and fields_named(early) == {"ends_on"}
    missing = await client.post(f"{API}/employments/{job['id']}/end", json={})
    assert missing.status_code == 400 and fields_named(missing) == {"ends_on"}
    for bad in ("zzz", UNKNOWN):
        response = await client.post(f"{API}/employments/{bad}/end", json={"ends_on": "2025-01-01"})
        assert response.status_code == 404


async def test_the_force_cannot_be_linked_as_an_employer(client: AsyncTestClient[Any]) -> None:
    volunteer = await _volunteer(client, "force.link@example.org")

    async def add_force() -> str:
        force = Organisation(name="The Force", kind=OrganisationKind.FORCE.value)
        await force.save()
        return str(force.id)

    force_id = await in_app(client, add_force)
    response = await client.post(
        f"{API}/employments",
        json={"volunteer_id": volunteer["id"], "employer_id": force_id, "starts_on": "2024-01-01"},
    )
    assert response.status_code == 422 and fields_named(response) == {"employer_id"}


# Users -------------------------------------------------------------------------------------------


async def test_invited_users_choose_their_own_password(client: AsyncTestClient[Any]) -> None:
    employer = await _employer(client, "Harbour & Vale Bank")
    volunteer = await _volunteer(client, "vol.user@example.org")
    response = await client.post(
        f"{API}/users",
        json={"email": "HR@Example.com", "role": "employer", "employer_id": employer["id"]},
    )
    assert response.status_code == 201, response.text
    invited = response.json()
    assert invited["email"] == "hr@example.com" and invited["role"] == "employer"
    assert invited["employer_id"] == employer["id"] and invited["activated_at"] is None
    token = invited["activation_token"]
    assert invited["activation_path"] == f"/activate?token={token}"
    assert invited["activation_url"].endswith(invited["activation_path"])
    assert not {"password", "password_hash", "totp_secret"} & set(invited)

    vol = await client.post(
        f"{API}/users",
        json={
            "email": "vol.user@example.org",
            "role": "volunteer",
            "volunteer_id": volunteer["id"],
        },
    )
    assert vol.status_code == 201, vol.text
    assert vol.json()["volunteer_id"] == volunteer["id"]

    # Nobody can sign in before activation; the person then sets their password.
    listing = (await client.get(f"{API}/users")).json()
    assert listing["total"] == 3  # the signed-in coordinator too
    for item in listing["items"]:
        assert set(item) == {
            "id",
            "email",
            "role",
            "employer_id",
            "volunteer_id",
            "is_active",
            "activated_at",
            "created_at",
        }
    employers_only = (await client.get(f"{API}/users", params={"role": "employer"})).json()
    assert [u["email"] for u in employers_only["items"]] == ["hr@example.com"]
    page = (await client.get(f"{API}/users", params={"limit": 1, "offset": 2})).json()
    assert len(page["items"]) == 1 and page["total"] == 3

    # A fresh invitation replaces the first: the old link stops working.
    reissued = await client.post(f"{API}/users/{invited['id']}/invitation")
    assert reissued.status_code == 201, reissued.text
    new_token = reissued.json()["activation_token"]
    assert new_token != token and reissued.json()["user_id"] == invited["id"]

    csrf = client.headers.pop(CSRF_HEADER)
    cookies = dict(client.cookies)
    client.cookies.clear()
    password = "a-passphrase-the-hr-person-chose"
    old = await client.post("/api/auth/activate", json={"token": token, "password": password})
    assert old.status_code == 404
    ok = await client.post("/api/auth/activate", json={"token": new_token, "password": password})
    assert ok.status_code == 200, ok.text
    await sign_in(client, "hr@example.com", password)
    me = (await client.get("/api/auth/me")).json()
    assert me["role"] == "employer" and me["organisation_id"] == employer["id"]
    await sign_out(client)
    for key, value in cookies.items():
        client.cookies.set(key, value)
    client.headers[CSRF_HEADER] = csrf
    activated = (await client.get(f"{API}/users", params={"role": "employer"})).json()
    assert activated["items"][0]["activated_at"] is not None


async def test_user_errors_name_their_field(client: AsyncTestClient[Any]) -> None:
    employer = await _employer(client, "Kestrel Software")
    volunteer = await _volunteer(client, "has.account@example.org")
    first = await client.post(
        f"{API}/users",
        json={"email": "v@example.org", "role": "volunteer", "volunteer_id": volunteer["id"]},
    )
    assert first.status_code == 201
    cases: list[tuple[dict[str, Any], int, set[str]]] = [
        ({"email": "x@example.org", "role": "employer"}, 422, {"employer_id"}),
        (
            {"email": "x@example.org", "role": "employer", "employer_id": UNKNOWN},
            422,
            {"employer_id"},
        ),
        (
            {"email": "x@example.org", "role": "employer", "employer_id": volunteer["id"]},
            422,
            {"employer_id"},
        ),
        ({"email": "x@example.org", "role": "volunteer"}, 422, {"volunteer_id"}),
        (
            {"email": "x@example.org", "role": "volunteer", "volunteer_id": UNKNOWN},
            422,
            {"volunteer_id"},
        ),
        (
            {
                "email": "x@example.org",
                "role": "employer",
                "employer_id": employer["id"],
                "volunteer_id": volunteer["id"],
            },
            422,
            {"volunteer_id"},
        ),
        ({"email": "x@example.org", "role": "dpo"}, 400, {"role"}),
        ({"email": "x@example.org", "role": "coordinator"}, 400, {"role"}),
        ({"email": "nope", "role": "employer", "employer_id": employer["id"]}, 400, {"email"}),
        ({"email": "x@example.org", "role": "employer", "employer_id": "7"}, 400, {"employer_id"}),
        (
            {
                "email": "x@example.org",
                "role": "employer",
                "employer_id": employer["id"],
                "password": "I choose for you",
            },
            400,
            {"password"},
        ),
    ]
    for body, status, fields in cases:
        response = await client.post(f"{API}/users", json=body)
        assert response.status_code == status, (body, response.text)
        assert fields_named(response) == fields, (body, response.json())

    same_email = await client.post(
        f"{API}/users",
        json={"email": "V@example.org", "role": "employer", "employer_id": employer["id"]},
    )
    assert same_email.status_code == 409
    second_account = await client.post(
        f"{API}/users",
        json={"email": "v2@example.org", "role": "volunteer", "volunteer_id": volunteer["id"]},
    )
    assert second_account.status_code == 409

    for bad in ("not-an-id", UNKNOWN):
        assert (await client.post(f"{API}/users/{bad}/invitation")).status_code == 404
    # The coordinator cannot take over an oversight account through a reset link.
    me = (await client.get("/api/auth/me")).json()
    refused = await client.post(f"{API}/users/{me['id']}/invitation")
    assert refused.status_code == 403


# Integration tokens ------------------------------------------------------------------------------


async def test_integration_tokens_are_shown_once_and_revocable(
    client: AsyncTestClient[Any],
) -> None:
    issued = await client.post(
        f"{API}/tokens",
        json={"name": "Duty system", "scopes": ["duties:write"], "valid_days": 90},
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()
    assert token["token"].startswith(token["prefix"]) and token["status"] == "active"
    assert token["scopes"] == ["duties:write"]

    listing = await client.get(f"{API}/tokens")
    assert listing.status_code == 200
    assert listing.json()["total"] == 1
    assert token["token"] not in listing.text
    assert "token" not in listing.json()["items"][0]

    csrf = client.headers.pop(CSRF_HEADER)
    cookies = dict(client.cookies)
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    me = await client.get("/api/auth/me", headers=bearer)
    assert me.status_code == 200 and me.json()["via"] == "token"
    # A token has no role: the coordinator API refuses it.
    assert (await client.get(f"{API}/employers", headers=bearer)).status_code == 403
    for key, value in cookies.items():
        client.cookies.set(key, value)
    client.headers[CSRF_HEADER] = csrf

    revoked = await client.post(f"{API}/tokens/{token['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_at"] is not None
    again = await client.post(f"{API}/tokens/{token['id']}/revoke")
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    client.cookies.clear()
    assert (await client.get("/api/auth/me", headers=bearer)).status_code == 401
    for key, value in cookies.items():
        client.cookies.set(key, value)

    for bad in ("x", UNKNOWN):
        assert (await client.post(f"{API}/tokens/{bad}/revoke")).status_code == 404

    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"name": "x", "scopes": ["root"], "valid_days": 1}, {"scopes"}),
        ({"name": "x", "scopes": [], "valid_days": 1}, {"scopes"}),
        ({"name": "x", "scopes": ["duties:read"], "valid_days": 0}, {"valid_days"}),
        ({"name": "x", "scopes": ["duties:read"], "valid_days": 10_000}, {"valid_days"}),
        ({"name": "", "scopes": ["duties:read"], "valid_days": 1}, {"name"}),
        ({"scopes": ["duties:read"], "valid_days": 1}, {"name"}),
        ({"name": "x", "scopes": ["duties:read"], "valid_days": 1, "token": "mine"}, {"token"}),
    ]
    for body, fields in cases:
        response = await client.post(f"{API}/tokens", json=body)
        assert response.status_code == 400, (body, response.text)
        assert fields_named(response) == fields, (body, response.json())
    assert (await client.get(f"{API}/tokens")).json()["total"] == 1


# Who may call ------------------------------------------------------------------------------------


def _coordinator_routes(client: AsyncTestClient[Any]) -> list[tuple[str, str]]:
    routes = []
    for route in client.app.routes:
        handlers = getattr(route, "route_handlers", [])
        owned = any(h.fn.__module__ == "portal.coordinator.controllers" for h in handlers)
        if not route.path.startswith(MINE) or not owned:
            continue  # another domain's route under /api/coordinator (awards, applications)
        path = route.path.replace("{", "").replace("}", "")
        for part in (
            "employer_id:str",
            "volunteer_id:str",
            "employment_id:str",
            "user_id:str",
            "token_id:str",
        ):
            path = path.replace(part, UNKNOWN)
        for method in sorted(getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


async def test_only_a_signed_in_coordinator_gets_in(settings: Settings, engine: Any) -> None:
    employer = Organisation(name="Millbrook Bakery", kind=OrganisationKind.EMPLOYER.value)
    await employer.save()
    dpo = await create_user(settings, "dpo@example.org", Role.DPO)
    hr = await create_user(
        settings, "hr@example.org", Role.EMPLOYER, organisation_id=str(employer.id)
    )
    coordinator = await create_user(settings, "coord@example.org", Role.COORDINATOR)
    async with serve(settings) as client:
        routes = _coordinator_routes(client)
        assert len(routes) == 17, routes
        for method, path in routes:
            response = await client.request(method, path, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        for user in (dpo, hr):
            await sign_in_as(client, user)
            for method, path in routes:
                response = await client.request(method, path, json={})
                assert response.status_code == 403, (user.role, method, path, response.text)
            await sign_out(client)
        # A coordinator's cookie without the CSRF header cannot change anything.
        await sign_in_as(client, coordinator)
        csrf = client.headers.pop(CSRF_HEADER)
        response = await client.post(f"{API}/employers", json={"name": "Forged"})
        assert response.status_code == 403
        client.headers[CSRF_HEADER] = csrf
        assert (await client.get(f"{API}/employers")).json()["total"] == 1

        async def accounts() -> int:
            return int(await UserAccount.count())

        assert await in_app(client, accounts) == 3


async def test_openapi_documents_the_coordinator_routes(settings: Settings) -> None:
    async with serve(settings) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        "/api/coordinator/employers",
        "/api/coordinator/employers/{employer_id}",
        "/api/coordinator/volunteers",
        "/api/coordinator/volunteers/{volunteer_id}",
        "/api/coordinator/employments",
        "/api/coordinator/employments/{employment_id}/end",
        "/api/coordinator/users",
        "/api/coordinator/users/{user_id}/invitation",
        "/api/coordinator/tokens",
        "/api/coordinator/tokens/{token_id}/revoke",
    ):
        assert path in paths, sorted(paths)
    listing = paths["/api/coordinator/employers"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"limit", "offset"}
