"""``esp-portal user list|disable|enable|reset-password|reset-totp`` on both databases.

The real command runs against the test database (in this process through the console script's
own entry point, and in a real subprocess once per command, where stdin, exit codes and the
process boundary are real too); the effects are checked with
the portal's own sign-in and session services: a disabled account and a reset password stop
working at once (and every session ends), a reset authenticator's old codes stop working and the
one-time link shows the new secret once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import AccountService
from portal.accounts.tables import UserAccount
from portal.auth.login import LoginFailed, LoginService
from portal.auth.sessions import SessionStore
from portal.errors import NotFound
from portal.organisations.tables import Organisation, OrganisationKind
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.support.cli import cli_env, run_cli_in_process

PASSWORD = "a long and unusual passphrase"
NEW_PASSWORD = "another quite unusual passphrase"


def _cli(env: dict[str, str], *args: str, stdin: str = "", subprocess: bool = False) -> Any:
    """``esp-portal user ARGS``: in this process, or as a real subprocess when asked."""
    if subprocess:
        return run_cli("user", *args, env=env, input=stdin)
    return run_cli_in_process("user", *args, env=env, input=stdin)


def _token(link: str) -> str:
    return parse_qs(urlsplit(link.strip()).query)["token"][0]


async def test_disable_enable_and_reset_password(
    database: TestDatabase, settings: Settings, tmp_path: Path, engine: Any
) -> None:
    env = cli_env(database, tmp_path)
    added = _cli(env, "add", "dpo@example.org", "--role", "dpo", "--password-stdin", stdin=PASSWORD)
    assert added.returncode == 0, added.stderr
    user_id, uri = added.stdout.splitlines()
    secret = pyotp.parse_uri(uri).secret
    login = LoginService(settings, PasswordHashing(settings))
    sessions = SessionStore(settings)

    listed = _cli(env, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [f"{user_id}\tdpo\tactive\tdpo@example.org"]
    assert _cli(env, "list", "--role", "employer").stdout == ""

    signed = await login.login("dpo@example.org", PASSWORD, pyotp.TOTP(secret).now(), "t")
    assert await sessions.resolve(signed.session.token) is not None

    # Disabling and resetting a password run as real processes: a change made by another
    # process must end this process's sessions at once.
    disabled = _cli(env, "disable", "DPO@example.org", subprocess=True)
    assert disabled.returncode == 0, disabled.stderr
    assert await sessions.resolve(signed.session.token) is None  # the session ended at once
    assert "disabled" in _cli(env, "list").stdout
    with pytest.raises(LoginFailed):
        await login.login("dpo@example.org", PASSWORD, pyotp.TOTP(secret).now(), "t")
    refused = _cli(env, "reset-password", user_id)
    assert refused.returncode != 0 and "disabled" in refused.stderr
    assert _cli(env, "enable", user_id).returncode == 0

    # Sign in again with the next code step (each code works once), then reset the password.
    rows = await UserAccount.select(UserAccount.totp_last_step).where(UserAccount.id == user_id)
    # The next unused step still in the ±1 window: after a slow step (a loaded machine) the
    # current step is already past the last one used.
    step = max(int(rows[0]["totp_last_step"]) + 1, int(time.time() // 30))
    code = pyotp.TOTP(secret).generate_otp(step)
    signed = await login.login("dpo@example.org", PASSWORD, code, "t")
    reset = _cli(env, "reset-password", "dpo@example.org", subprocess=True)
    assert reset.returncode == 0, reset.stderr
    link = reset.stdout.strip()
    assert link.startswith(settings.base_url + "/activate?token=")
    assert "old password no longer works" in reset.stderr
    assert await sessions.resolve(signed.session.token) is None
    with pytest.raises(LoginFailed):  # the old password stops working at once
        await login.login(
            "dpo@example.org", PASSWORD, pyotp.TOTP(secret).generate_otp(step + 1), "t"
        )
    accounts = AccountService(settings, PasswordHashing(settings))
    chosen_id, shown_uri = await accounts.activate(_token(link), NEW_PASSWORD)
    assert chosen_id == user_id and shown_uri is None  # a password reset never re-shows the secret
    with pytest.raises(NotFound):  # one-time
        await accounts.activate(_token(link), NEW_PASSWORD)

    for bad, message in (
        (["disable", "nobody@example.org"], "No account"),
        (["enable", "0c9c0f86-0000-4000-8000-000000000000"], "No account"),
        (["reset-totp"], "Missing argument"),
    ):
        result = _cli(env, *bad)
        assert result.returncode != 0 and message in result.stderr, (bad, result.stderr)


async def test_reset_totp_makes_the_person_enrol_again(
    database: TestDatabase, settings: Settings, tmp_path: Path, engine: Any
) -> None:
    env = cli_env(database, tmp_path)
    added = _cli(
        env, "add", "coord@example.org", "--role", "coordinator", "--password-stdin", stdin=PASSWORD
    )
    assert added.returncode == 0, added.stderr
    user_id, uri = added.stdout.splitlines()
    old = pyotp.parse_uri(uri).secret
    login = LoginService(settings, PasswordHashing(settings))
    await login.login("coord@example.org", PASSWORD, pyotp.TOTP(old).now(), "t")

    reset = _cli(env, "reset-totp", user_id)
    assert reset.returncode == 0, reset.stderr
    row = await UserAccount.select(UserAccount.totp_secret).where(UserAccount.id == user_id).first()
    assert row is not None and row["totp_secret"] != old
    accounts = AccountService(settings, PasswordHashing(settings))
    _, shown = await accounts.activate(_token(reset.stdout), NEW_PASSWORD)
    assert shown is not None
    new = pyotp.parse_uri(shown).secret
    assert new == row["totp_secret"]
    with pytest.raises(LoginFailed):  # the lost app's codes no longer work
        await login.login("coord@example.org", NEW_PASSWORD, pyotp.TOTP(old).now(), "t")
    signed = await login.login("coord@example.org", NEW_PASSWORD, pyotp.TOTP(new).now(), "t")
    assert signed.user_id == user_id

    employer = Organisation(name="Greenway", kind=OrganisationKind.EMPLOYER.value)
    await employer.save()
    hr = _cli(
        env,
        "add",
        "hr@example.org",
        "--role",
        "employer",
        "--employer",
        str(employer.id),
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert hr.returncode == 0, hr.stderr
    no_app = _cli(env, "reset-totp", "hr@example.org")
    assert no_app.returncode != 0 and "without an authenticator" in no_app.stderr
