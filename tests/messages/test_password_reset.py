"""Self-service password reset, end to end: the sign-in page's link, the same answer for unknown
addresses, the email through the outbox to a real SMTP server (aiosmtpd), the link followed
through the real pages, the old session revoked, the link single use, expiring, rate limited."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from portal.accounts.passwords import PasswordHashing
from portal.accounts.recovery import PasswordRecovery
from portal.accounts.services import AccountService
from portal.accounts.tables import Invitation, Role
from portal.errors import NotFound
from portal.messages.tables import OutboxMessage
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings
from tests.support.served import serve
from tests.support.smtp_server import SmtpServer, running_smtp_server

OLD = "correct horse battery staple"
NEW = "lantern quietly orbits marmalade"
EMAIL = "reset-me@example.org"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    folder = tmp_path / "smtp"
    folder.mkdir()
    yield from running_smtp_server(folder)


async def _volunteer_account(settings: Settings) -> str:
    volunteer = Volunteer(display_name="Reset Person", email=EMAIL)
    await volunteer.save()
    service = AccountService(settings, PasswordHashing(settings))
    created = await service.create_user(
        EMAIL, Role.VOLUNTEER, volunteer_id=str(volunteer.id), password=OLD
    )
    return created.id


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _main(page: httpx.Response) -> str:
    found = re.search(r"<main.*?</main>", page.text, re.S)
    assert found
    return found.group(0)


async def _ask_for_reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    form = await client.get("/forgot-password")
    assert form.status_code == 200
    return await client.post("/forgot-password", data={"email": email, "csrf_token": _csrf(form)})


async def _wait_for_mail(smtp: SmtpServer, count: int) -> None:
    for _ in range(200):
        if len(smtp.mailbox.messages) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} message(s), got {len(smtp.mailbox.messages)}")


async def test_forgot_password_end_to_end_through_smtp_and_the_real_pages(
    engine: Any, database: TestDatabase, tmp_path: Path, smtp: SmtpServer
) -> None:
    settings = make_settings(
        database,
        tmp_path / "data",
        **smtp.settings(),
        messages_in_process=True,
        messages_poll_seconds=0.05,
    )
    await _volunteer_account(settings)
    async with serve(settings) as client:
        login = await client.post("/api/auth/login", json={"email": EMAIL, "password": OLD})
        assert login.status_code == 200, login.text
        old_session = dict(client.cookies)
        assert (await client.get("/api/auth/me")).status_code == 200
        client.cookies.clear()

        sign_in = await client.get("/sign-in")
        assert 'href="/forgot-password"' in sign_in.text and "Forgot your password?" in sign_in.text

        known = await _ask_for_reset(client, EMAIL.upper())
        unknown = await _ask_for_reset(client, "nobody-here@example.org")
        assert known.status_code == unknown.status_code == 200
        assert _main(known) == _main(unknown)
        assert "Check your email" in known.text

        form_page = await client.get("/forgot-password")
        blank = await client.post(
            "/forgot-password", data={"email": "", "csrf_token": _csrf(form_page)}
        )
        assert blank.status_code == 400 and "Enter your email address" in blank.text

        await _wait_for_mail(smtp, 1)
        [mail] = smtp.mailbox.messages
        assert smtp.mailbox.envelopes[0][1] == [EMAIL]
        assert mail["Subject"] == "Reset your ESP Portal password"
        text = mail.get_body(preferencelist=("plain",))
        assert text is not None
        body = text.get_content()
        assert "contact preferences" in body and "From ESP Portal" in body
        link = re.search(r"http://localhost:8000(/activate\?token=\S+)", body)
        assert link, body

        page = await client.get(link.group(1))
        assert page.status_code == 200 and "Choose your password" in page.text
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token
        form = {"token": token.group(1), "password": NEW, "confirm": NEW}
        done = await client.post("/activate", data={**form, "csrf_token": _csrf(page)})
        assert done.status_code == 200, done.text

        again = await client.post("/activate", data={**form, "csrf_token": _csrf(page)})
        assert again.status_code == 404  # single use

        client.cookies.clear()
        client.cookies.update(old_session)
        assert (await client.get("/api/auth/me")).status_code == 401  # signed out everywhere
        client.cookies.clear()
        assert (
            await client.post("/api/auth/login", json={"email": EMAIL, "password": OLD})
        ).status_code == 401
        assert (
            await client.post("/api/auth/login", json={"email": EMAIL, "password": NEW})
        ).status_code == 200

    assert len(smtp.mailbox.messages) == 1  # nothing was sent for the unknown address
    [row] = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.template)
    assert row == {"status": "sent", "template": "password_reset"}


async def test_reset_links_are_rate_limited_and_expire(engine: Any, settings: Settings) -> None:
    user_id = await _volunteer_account(settings)
    recovery = PasswordRecovery(settings)
    for _ in range(settings.password_reset_per_hour + 2):
        await recovery.request_reset(EMAIL)
    await recovery.request_reset("unknown@example.org")
    assert await Invitation.count().where(Invitation.user == user_id) == (
        settings.password_reset_per_hour
    )
    assert await OutboxMessage.count() == settings.password_reset_per_hour

    [row] = await OutboxMessage.select(OutboxMessage.body_text).limit(1)
    token = re.search(r"token=(\S+)", row["body_text"])
    assert token
    expires = await Invitation.select(Invitation.expires_at).first()
    assert expires is not None
    await Invitation.update(
        {Invitation.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}
    ).where(Invitation.user == user_id)
    service = AccountService(settings, PasswordHashing(settings))
    with pytest.raises(NotFound):
        await service.activate(token.group(1), NEW)
