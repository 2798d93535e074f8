"""Login CSRF: the API sign-in reads only JSON, and cross-site requests that could set a session
cookie are refused (``Origin`` / ``Sec-Fetch-Site``), on both databases."""

from __future__ import annotations

import json

from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import AccountService
from portal.accounts.tables import Role
from portal.app import create_app
from portal.settings import Settings
from tests.support.served import serve_app

PASSWORD = "correct horse battery staple"
EMAIL = "vol-user@example.org"


async def _volunteer_account(settings: Settings) -> None:
    from portal.organisations.tables import Volunteer

    volunteer = Volunteer(display_name="Test Person", email="tp@example.org")
    await volunteer.save()
    service = AccountService(settings, PasswordHashing(settings))
    await service.create_user(
        EMAIL, Role.VOLUNTEER, volunteer_id=str(volunteer.id), password=PASSWORD
    )


async def test_login_reads_only_json_and_refuses_other_sites(settings: Settings) -> None:
    body = json.dumps({"email": EMAIL, "password": PASSWORD})
    async with serve_app(create_app(settings)) as client:
        await _volunteer_account(settings)
        # What a cross-site HTML form can send (enctype=text/plain): no session.
        plain = await client.post(
            "/api/auth/login", content=body, headers={"Content-Type": "text/plain"}
        )
        assert plain.status_code == 415, plain.text
        assert plain.headers["content-type"].startswith("application/problem+json")
        assert "set-cookie" not in plain.headers
        for headers in (
            {"Origin": "https://evil.example"},
            {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
            {"Origin": "http://portal.test", "Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
        ):
            refused = await client.post(
                "/api/auth/login",
                content=body,
                headers={"Content-Type": "application/json", **headers},
            )
            assert refused.status_code == 403, (headers, refused.text)
            assert "set-cookie" not in refused.headers
        # The sign-in page's form, posted from another site, is refused the same way.
        page = await client.post(
            "/sign-in",
            data={"email": EMAIL, "password": PASSWORD},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert page.status_code == 403
        assert "esp_session=" not in page.headers.get("set-cookie", "")
        # This service's own pages (same origin; Chromium sends Origin "null" under the pages'
        # no-referrer policy) and clients that send neither header still sign in.
        for headers in (
            {"Origin": "http://portal.test", "Sec-Fetch-Site": "same-origin"},
            {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
            {"Origin": "http://portal.test"},
            {},
        ):
            ok = await client.post(
                "/api/auth/login",
                content=body,
                headers={"Content-Type": "application/json; charset=utf-8", **headers},
            )
            assert ok.status_code == 200, (headers, ok.text)
            assert "esp_session=" in ok.headers["set-cookie"]
