"""Expiry paths of every credential, against the served app on both databases.

Session absolute and idle timeouts, integration-token expiry (and that the token is stored only as
a digest), one-time and expiring invitations, and the end of a lockout. Time is moved by writing
the stored timestamps into the past with a direct UPDATE through the app's own engine: the app is
served on the test's event loop (``tests.support.served``), so its pool is usable from the test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx

from portal.accounts.secrets import digest
from portal.accounts.tables import IntegrationToken, Invitation, Role, UserAccount, UserSession
from portal.auth.sessions import SESSION_COOKIE
from portal.auth.tokens import issue_token
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings
from tests.support.auth import PASSWORD, create_user, fresh_code
from tests.support.served import serve

PROBLEM_JSON = "application/problem+json"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    """A problem body without the per-request id."""
    return {k: v for k, v in body.items() if k != "request_id"}


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def _volunteer_user(settings: Settings, email: str) -> str:
    """An active volunteer account with ``PASSWORD`` (no TOTP needed for this role)."""
    volunteer = Volunteer(display_name="Sam Example", email=email)
    await volunteer.save()
    user = await create_user(settings, email, Role.VOLUNTEER, volunteer_id=str(volunteer.id))
    return user.id


async def _login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, otp: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"email": email, "password": password}
    if otp:
        body["otp"] = otp
    return await client.post("/api/auth/login", json=body)


async def _sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, otp: str | None = None
) -> str:
    """Sign in; returns the session cookie value and sets the CSRF header on the client."""
    response = await _login(client, email, password, otp)
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    cookie = response.cookies.get(SESSION_COOKIE)
    assert cookie
    return cookie


async def _session_row(cookie: str) -> dict[str, Any]:
    row = (
        await UserSession.select(
            UserSession.id,
            UserSession.created_at,
            UserSession.last_seen_at,
            UserSession.expires_at,
            UserSession.revoked_at,
        )
        .where(UserSession.token_hash == digest(cookie))
        .first()
    )
    assert row is not None
    return row


async def _age_session(
    cookie: str, *, created_ago: dt.timedelta, last_seen_ago: dt.timedelta, absolute: dt.timedelta
) -> None:
    """Rewrite a session as if it had been created ``created_ago`` and last used ``last_seen_ago``.

    The absolute expiry is stored at creation as ``created_at + absolute``, so it moves with the
    creation time.
    """
    now = _now()
    created = now - created_ago
    updated = (
        await UserSession.update(
            {
                UserSession.created_at: created,
                UserSession.expires_at: created + absolute,
                UserSession.last_seen_at: now - last_seen_ago,
            }
        )
        .where(UserSession.token_hash == digest(cookie))
        .returning(UserSession.id)
    )
    assert len(updated) == 1


# Sessions ----------------------------------------------------------------------------------------


async def test_session_ends_at_its_absolute_timeout(database: TestDatabase, tmp_path: Path) -> None:
    settings = make_settings(
        database, tmp_path / "d", session_absolute_hours=2, session_idle_minutes=30
    )
    absolute = dt.timedelta(hours=2)
    async with serve(settings) as client:
        await _volunteer_user(settings, "abs@example.org")
        cookie = await _sign_in(client, "abs@example.org")
        row = await _session_row(cookie)
        assert row["expires_at"] - row["created_at"] == absolute
        assert (await client.get("/api/auth/me")).status_code == 200

        # Created 1 h 50 min ago and in use a minute ago: still inside both limits.
        await _age_session(
            cookie,
            created_ago=absolute - dt.timedelta(minutes=10),
            last_seen_ago=dt.timedelta(minutes=1),
            absolute=absolute,
        )
        me = await client.get("/api/auth/me")
        assert me.status_code == 200, me.text
        assert me.json()["email"] == "abs@example.org"

        # Created 2 h 1 min ago, though used a minute ago (not idle): past the absolute limit.
        await _age_session(
            cookie,
            created_ago=absolute + dt.timedelta(minutes=1),
            last_seen_ago=dt.timedelta(minutes=1),
            absolute=absolute,
        )
        expired = await client.get("/api/auth/me")
        body = _assert_problem(expired, 401)
        assert body["type"] == "/problems/unauthenticated"
        assert body["instance"] == "/api/auth/me"
        assert "WWW-Authenticate" in expired.headers
        # A cookie-authenticated write with the session's CSRF token is refused too.
        out = await client.post("/api/auth/logout")
        _assert_problem(out, 401)
        # The refusal does not touch the session back to life.
        assert (await _session_row(cookie))["last_seen_at"] < _now() - dt.timedelta(seconds=30)
        assert (await client.get("/api/auth/me")).status_code == 401

        # Signing in again gives a fresh, working session.
        fresh = await _sign_in(client, "abs@example.org")
        assert fresh != cookie
        assert (await client.get("/api/auth/me")).status_code == 200


async def test_session_ends_after_the_idle_timeout(database: TestDatabase, tmp_path: Path) -> None:
    settings = make_settings(
        database, tmp_path / "d", session_absolute_hours=12, session_idle_minutes=20
    )
    absolute = dt.timedelta(hours=12)
    idle = dt.timedelta(minutes=20)
    async with serve(settings) as client:
        await _volunteer_user(settings, "idle@example.org")

        # Used 19 minutes ago: inside the idle window, so it works, and the use counts as activity.
        cookie = await _sign_in(client, "idle@example.org")
        await _age_session(
            cookie,
            created_ago=dt.timedelta(hours=1),
            last_seen_ago=idle - dt.timedelta(minutes=1),
            absolute=absolute,
        )
        before = _now()
        me = await client.get("/api/auth/me")
        assert me.status_code == 200, me.text
        assert me.json()["email"] == "idle@example.org"
        touched = await _session_row(cookie)
        assert touched["last_seen_at"] >= before - dt.timedelta(seconds=1)
        assert touched["revoked_at"] is None
        # Still valid afterwards (the use restarted the idle window).
        assert (await client.get("/api/auth/me")).status_code == 200

        # Last used 21 minutes ago, though created only an hour ago: idle, so it has ended.
        await _age_session(
            cookie,
            created_ago=dt.timedelta(hours=1),
            last_seen_ago=idle + dt.timedelta(minutes=1),
            absolute=absolute,
        )
        body = _assert_problem(await client.get("/api/auth/me"), 401)
        assert body["type"] == "/problems/unauthenticated"
        # Trying again does not revive it: the refused request is not counted as activity.
        assert (await client.get("/api/auth/me")).status_code == 401
        row = await _session_row(cookie)
        assert row["last_seen_at"] <= _now() - idle


# Integration tokens ------------------------------------------------------------------------------


async def test_integration_token_expires_and_is_stored_only_as_a_digest(
    settings: Settings,
) -> None:
    async with serve(settings) as client:
        issued = await issue_token("Rota system", ["duties:read"], 30, None)
        token = issued.token
        assert token.startswith("espi_")
        bearer = {"Authorization": f"Bearer {token}"}

        me = await client.get("/api/auth/me", headers=bearer)
        assert me.status_code == 200, me.text
        assert me.json()["via"] == "token"
        assert me.json()["scopes"] == ["duties:read"]

        # The token itself is in no column of its row: only a digest and a short display prefix.
        row = (
            await IntegrationToken.select(IntegrationToken.token_hash)
            .where(IntegrationToken.id == issued.id)
            .first()
        )
        assert row is not None
        assert row["token_hash"] != token
        assert len(row["token_hash"]) == 64
        assert int(row["token_hash"], 16) >= 0  # hexadecimal
        raw_rows = await IntegrationToken.raw("SELECT * FROM integration_token")
        assert len(raw_rows) == 1
        stored = raw_rows[0]
        assert {"token_hash", "prefix", "expires_at"} <= set(stored)
        for column, value in stored.items():
            assert token not in str(value), f"the token is stored in clear in {column}"
        assert len(str(stored["prefix"])) < len(token) // 2

        # Pushed past its expiry, the same bearer token is refused (not treated as anonymous).
        updated = (
            await IntegrationToken.update(
                {IntegrationToken.expires_at: _now() - dt.timedelta(seconds=1)}
            )
            .where(IntegrationToken.id == issued.id)
            .returning(IntegrationToken.id)
        )
        assert len(updated) == 1
        expired = await client.get("/api/auth/me", headers=bearer)
        body = _assert_problem(expired, 401)
        assert "expired" in body["detail"]
        assert "WWW-Authenticate" in expired.headers
        # Still refused on a route that does not itself need sign-in.
        assert (await client.get("/health", headers=bearer)).status_code == 401


# Invitations -------------------------------------------------------------------------------------


async def test_invitation_works_once_and_expires(settings: Settings) -> None:
    async with serve(settings) as client:
        coordinator = await create_user(settings, "coord@example.org", Role.COORDINATOR)
        assert coordinator.totp_secret
        await _sign_in(client, coordinator.email, otp=fresh_code(coordinator.totp_secret))

        invited: dict[str, dict[str, Any]] = {}
        for email in ("first@example.org", "late@example.org"):
            volunteer = await client.post(
                "/api/coordinator/volunteers", json={"display_name": "Jo Example", "email": email}
            )
            assert volunteer.status_code == 201, volunteer.text
            created = await client.post(
                "/api/coordinator/users",
                json={"email": email, "role": "volunteer", "volunteer_id": volunteer.json()["id"]},
            )
            assert created.status_code == 201, created.text
            invited[email] = created.json()
            assert invited[email]["activated_at"] is None

        # The invitation token is stored only as its digest.
        first = invited["first@example.org"]
        stored = await Invitation.select().where(Invitation.user == first["id"]).first()
        assert stored is not None
        assert stored["token_hash"] == digest(first["activation_token"])
        for column, value in stored.items():
            assert first["activation_token"] not in str(value), column

        # From here on the person, not the coordinator, is using the portal.
        client.cookies.clear()
        client.headers.pop("X-CSRF-Token")

        chosen = "harbour-lantern-quietly-rowing"
        ok = await client.post(
            "/api/auth/activate", json={"token": first["activation_token"], "password": chosen}
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["user_id"] == first["id"]
        assert ok.json()["otpauth_uri"] is None  # volunteers need no code

        # The same link a second time is refused and does not change the password.
        again = await client.post(
            "/api/auth/activate",
            json={"token": first["activation_token"], "password": "someone-else-now-tries-this"},
        )
        body = _assert_problem(again, 404)
        assert body["type"] == "/problems/not-found"
        assert "used" in body["detail"]
        assert (
            await _login(client, "first@example.org", "someone-else-now-tries-this")
        ).status_code == 401
        await _sign_in(client, "first@example.org", chosen)
        assert (await client.get("/api/auth/me")).json()["id"] == first["id"]
        client.cookies.clear()
        client.headers.pop("X-CSRF-Token")

        # An invitation issued longer ago than invitation_hours has expired.
        late = invited["late@example.org"]
        issued_at = _now() - dt.timedelta(hours=settings.invitation_hours, minutes=5)
        moved = (
            await Invitation.update(
                {
                    Invitation.created_at: issued_at,
                    Invitation.expires_at: issued_at
                    + dt.timedelta(hours=settings.invitation_hours),
                }
            )
            .where(Invitation.user == late["id"])
            .returning(Invitation.id)
        )
        assert len(moved) == 1
        late_password = "meadow-kettle-orbit-violet"
        refused = await client.post(
            "/api/auth/activate",
            json={"token": late["activation_token"], "password": late_password},
        )
        body = _assert_problem(refused, 404)
        assert "expired" in body["detail"]
        account = (
            await UserAccount.select(UserAccount.password_hash, UserAccount.activated_at)
            .where(UserAccount.id == late["id"])
            .first()
        )
        assert account == {"password_hash": None, "activated_at": None}
        assert (await _login(client, "late@example.org", late_password)).status_code == 401


# Lockout -----------------------------------------------------------------------------------------


async def test_a_locked_account_looks_like_a_wrong_password_and_unlocks_in_time(
    database: TestDatabase, tmp_path: Path
) -> None:
    settings = make_settings(
        database,
        tmp_path / "d",
        lockout_threshold=3,
        lockout_minutes=15,
        login_rate_limit_per_minute=100,
    )
    async with serve(settings) as client:
        uid = await _volunteer_user(settings, "locked@example.org")
        failures = []
        for _ in range(settings.lockout_threshold):
            failures.append(await _login(client, "locked@example.org", "not the password at all"))
        wrong = _assert_problem(failures[0], 401)
        assert wrong["type"] == "/problems/login-failed"
        for failure in failures:
            assert _comparable(_assert_problem(failure, 401)) == _comparable(wrong)

        row = (
            await UserAccount.select(UserAccount.locked_until).where(UserAccount.id == uid).first()
        )
        assert row is not None and row["locked_until"] is not None
        assert row["locked_until"] > _now() + dt.timedelta(minutes=14)

        # The right password on the locked account gets exactly the wrong-password answer. The
        # product's single sign-in failure text does mention a temporary lock, but deliberately
        # for every failure (unknown email, wrong password, wrong code, locked), so it reveals
        # nothing about this account.
        locked = await _login(client, "locked@example.org", PASSWORD)
        assert _comparable(_assert_problem(locked, 401)) == _comparable(wrong)
        assert locked.headers["content-type"] == failures[0].headers["content-type"]
        unknown = await _login(client, "nobody@example.org", PASSWORD)
        assert _comparable(_assert_problem(unknown, 401)) == _comparable(wrong)
        assert SESSION_COOKIE not in locked.cookies

        # Once the lock's time has passed, the right password works again and clears the lock.
        await UserAccount.update(
            {UserAccount.locked_until: _now() - dt.timedelta(seconds=1)}
        ).where(UserAccount.id == uid)
        await _sign_in(client, "locked@example.org", PASSWORD)
        me = await client.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["id"] == uid
        after = (
            await UserAccount.select(UserAccount.locked_until, UserAccount.failed_logins)
            .where(UserAccount.id == uid)
            .first()
        )
        assert after == {"locked_until": None, "failed_logins": 0}
