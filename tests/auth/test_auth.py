"""Sign-in, sessions, CSRF, TOTP, lockout and rate limit, against the served app on both DBs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import argon2
import httpx
import pyotp
import pytest

from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import AccountService
from portal.accounts.tables import Role, UserAccount
from portal.app import create_app
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings
from tests.support.served import serve_app

PASSWORD = "correct horse battery staple"
BASE = "http://portal.test"


async def _user(settings: Settings, email: str, role: Role) -> str:
    service = AccountService(settings, PasswordHashing(settings))
    created = await service.create_user(email, role, password=PASSWORD)
    return created.id


async def _secret(user_id: str) -> str:
    row = await UserAccount.select(UserAccount.totp_secret).where(UserAccount.id == user_id).first()
    assert row is not None and row["totp_secret"]
    return str(row["totp_secret"])


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in {"request_id"}}


async def test_unknown_email_and_wrong_password_get_the_same_answer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Timing is made equal by doing the same work on both paths: one Argon2 verification each
    # (an unknown email is checked against a dummy hash). Counting the verifications states that
    # property exactly; a wall-clock comparison only sampled it and failed on a busy machine.
    verifications: list[str] = []
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(self: argon2.PasswordHasher, hash: str, password: str) -> bool:
        verifications.append(password)
        return real_verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    app = create_app(settings)
    async with serve_app(app, BASE) as client:
        await _user(settings, "vol@example.org", Role.DPO)
        verifications.clear()
        unknown = await client.post(
            "/api/auth/login", json={"email": "nobody@example.org", "password": PASSWORD}
        )
        unknown_verifications = list(verifications)
        verifications.clear()
        wrong = await client.post(
            "/api/auth/login", json={"email": "vol@example.org", "password": "wrong password!!"}
        )
        wrong_verifications = list(verifications)
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert _comparable(unknown.json()) == _comparable(wrong.json())
    assert unknown_verifications == [PASSWORD]
    assert wrong_verifications == ["wrong password!!"]


async def test_login_sets_a_hardened_cookie_and_me_works(settings: Settings) -> None:
    app = create_app(settings)
    async with serve_app(app, BASE) as client:
        uid = await _user(settings, "coord@example.org", Role.COORDINATOR)
        code = pyotp.TOTP(await _secret(uid)).now()
        response = await client.post(
            "/api/auth/login",
            json={"email": "Coord@Example.org ", "password": PASSWORD, "otp": code},
        )
        assert response.status_code == 200, response.text
        cookie = response.headers["set-cookie"]
        assert "esp_session=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain-http base URL
        me = await client.get("/api/auth/me")
        assert me.status_code == 200
        assert me.json()["role"] == "coordinator"
        assert me.json()["id"] == uid


async def test_cookie_is_secure_behind_https(database: TestDatabase, tmp_path: Path) -> None:
    settings = make_settings(database, tmp_path / "d", base_url="https://esp.police.example")
    app = create_app(settings)
    async with serve_app(app, "https://portal.test") as client:
        uid = await _user(settings, "dpo@example.org", Role.DPO)
        code = pyotp.TOTP(await _secret(uid)).now()
        response = await client.post(
            "/api/auth/login", json={"email": "dpo@example.org", "password": PASSWORD, "otp": code}
        )
        assert response.status_code == 200
        assert "Secure" in response.headers["set-cookie"]


async def _volunteer_login(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    from portal.organisations.tables import Volunteer

    volunteer = Volunteer(display_name="Test Person", email="tp@example.org")
    await volunteer.save()
    service = AccountService(settings, PasswordHashing(settings))
    await service.create_user(
        "tp-user@example.org", Role.VOLUNTEER, volunteer_id=str(volunteer.id), password=PASSWORD
    )
    response = await client.post(
        "/api/auth/login", json={"email": "tp-user@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_logout_kills_the_session_server_side(settings: Settings) -> None:
    app = create_app(settings)
    async with serve_app(app, BASE) as client:
        body = await _volunteer_login(client, settings)
        token = [c.value for c in client.cookies.jar if c.name == "esp_session"][-1]
        out = await client.post("/api/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
        assert out.status_code == 200
        # Replaying the old cookie value after logout must not authenticate.
        client.cookies.clear()
        client.cookies.set("esp_session", token)
        me = await client.get("/api/auth/me")
        assert me.status_code == 401


async def test_csrf_header_required_for_cookie_posts(settings: Settings) -> None:
    app = create_app(settings)
    async with serve_app(app, BASE) as client:
        body = await _volunteer_login(client, settings)
        refused = await client.post("/api/auth/logout")
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["detail"]
        wrong = await client.post("/api/auth/logout", headers={"X-CSRF-Token": "x" * 43})
        assert wrong.status_code == 403
        assert (await client.get("/api/auth/me")).status_code == 200
        ok = await client.post("/api/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
        assert ok.status_code == 200


async def test_a_fixated_session_id_is_not_accepted(settings: Settings) -> None:
    app = create_app(settings)
    async with serve_app(app, BASE) as client:
        planted = "attacker-chosen-session-value-0123456789abcdef"
        client.cookies.set("esp_session", planted)
        assert (await client.get("/api/auth/me")).status_code == 401
        await _volunteer_login(client, settings)
        issued = [c.value for c in client.cookies.jar if c.name == "esp_session"]
        assert issued and planted not in issued[-1:]
        client.cookies.clear()
        client.cookies.set("esp_session", planted)
        assert (await client.get("/api/auth/me")).status_code == 401
        client.cookies.clear()
        client.cookies.set("esp_session", issued[-1])
        assert (await client.get("/api/auth/me")).status_code == 200


async def test_totp_is_required_and_cannot_be_replayed(settings: Settings) -> None:
    app = create_app(settings)
    async with serve_app(app, BASE) as client:
        uid = await _user(settings, "dpo@example.org", Role.DPO)
        missing = await client.post(
            "/api/auth/login", json={"email": "dpo@example.org", "password": PASSWORD}
        )
        assert missing.status_code == 401
        assert missing.json()["type"] == "/problems/otp-required"
        bad = await client.post(
            "/api/auth/login",
            json={"email": "dpo@example.org", "password": PASSWORD, "otp": "000000"},
        )
        assert bad.status_code == 401
        code = pyotp.TOTP(await _secret(uid)).now()
        first = await client.post(
            "/api/auth/login", json={"email": "dpo@example.org", "password": PASSWORD, "otp": code}
        )
        assert first.status_code == 200, first.text
        replay = await client.post(
            "/api/auth/login", json={"email": "dpo@example.org", "password": PASSWORD, "otp": code}
        )
        assert replay.status_code == 401


async def test_lockout_after_repeated_failures(database: TestDatabase, tmp_path: Path) -> None:
    settings = make_settings(database, tmp_path / "d", lockout_threshold=3)
    app = create_app(settings)
    async with serve_app(app, BASE) as client:
        uid = await _user(settings, "coord@example.org", Role.COORDINATOR)
        for _ in range(3):
            r = await client.post(
                "/api/auth/login",
                json={"email": "coord@example.org", "password": "not the password"},
            )
            assert r.status_code == 401
        code = pyotp.TOTP(await _secret(uid)).now()
        locked = await client.post(
            "/api/auth/login",
            json={"email": "coord@example.org", "password": PASSWORD, "otp": code},
        )
        assert locked.status_code == 401
        row = (
            await UserAccount.select(UserAccount.locked_until).where(UserAccount.id == uid).first()
        )
        assert row is not None and row["locked_until"] is not None


async def test_rate_limit_per_client_address(database: TestDatabase, tmp_path: Path) -> None:
    settings = make_settings(database, tmp_path / "d", login_rate_limit_per_minute=4)
    app = create_app(settings)
    async with serve_app(app, BASE) as client:
        statuses = []
        for i in range(6):
            r = await client.post(
                "/api/auth/login", json={"email": f"n{i}@example.org", "password": "whatever!!"}
            )
            statuses.append(r.status_code)
    assert statuses[:4] == [401] * 4
    assert statuses[4:] == [429, 429]


async def test_weak_passwords_are_refused(settings: Settings, engine: object) -> None:
    from portal.errors import InvalidInput

    service = AccountService(settings, PasswordHashing(settings))
    for weak in ("short", "password1234", "aaaaaaaaaaaaaaaa"):
        with pytest.raises(InvalidInput) as info:
            await service.create_user("w@example.org", Role.DPO, password=weak)
        assert info.value.extra["errors"][0]["field"] == "password"


async def test_bearer_token_with_unknown_value_is_401(settings: Settings) -> None:
    app = create_app(settings)
    async with serve_app(app, BASE) as client:
        r = await client.get("/api/auth/me", headers={"Authorization": "Bearer espi_nonsense"})
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
