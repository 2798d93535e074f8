"""``esp-portal user add``: accounts from the server, with clear errors for every bad argument."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyotp
import pytest
from click.testing import CliRunner

from portal.accounts.passwords import PasswordHashing
from portal.accounts.tables import Role, UserAccount
from portal.auth.login import LoginService
from portal.cli.main import cli
from portal.organisations.tables import Organisation, OrganisationKind, Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.support.cli import cli_env, run_cli_in_process

PASSWORD = "a long and unusual passphrase"


def _add(
    env: dict[str, str], *args: str, password: str | None = PASSWORD, in_process: bool = False
) -> Any:
    """``esp-portal user add ARGS``: a real subprocess (stdin, exit code and all), or through
    the same entry point in this process where the process boundary is not the point."""
    flags = ["--password-stdin"] if password is not None else []
    run = run_cli_in_process if in_process else run_cli
    return run("user", "add", *args, *flags, env=env, input=password or "")


@pytest.mark.parametrize("role", ["dpo", "coordinator"])
async def test_totp_roles_get_their_otpauth_uri_once(
    role: str, database: TestDatabase, settings: Settings, tmp_path: Path, engine: Any
) -> None:
    result = _add(cli_env(database, tmp_path), f"{role}.person@Example.org", "--role", role)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    user_id, uri = lines
    uuid.UUID(user_id)
    totp = pyotp.parse_uri(uri)
    assert uri.startswith("otpauth://totp/") and totp.interval == 30 and totp.digits == 6
    assert "shown only once" in result.stderr
    row = await UserAccount.select().where(UserAccount.id == user_id).first()
    assert row is not None
    assert row["email"] == f"{role}.person@example.org" and row["role"] == role
    assert row["totp_secret"] == totp.secret and row["activated_at"] is not None
    # The account signs in with the password from stdin and a code from that URI.
    service = LoginService(settings, PasswordHashing(settings))
    signed_in = await service.login(row["email"], PASSWORD, totp.now(), "cli-test")
    assert signed_in.user_id == user_id and signed_in.role is Role(role)


async def test_employer_and_volunteer_accounts_are_linked(
    database: TestDatabase, tmp_path: Path, engine: Any
) -> None:
    employer = Organisation(name="Greenway Supermarkets", kind=OrganisationKind.EMPLOYER.value)
    volunteer = Volunteer(display_name="Sam Example", email="sam@example.org")
    await employer.save()
    await volunteer.save()
    env = cli_env(database, tmp_path)

    hr = _add(env, "hr@example.com", "--role", "employer", "--employer", str(employer.id))
    assert hr.returncode == 0, hr.stderr
    assert len(hr.stdout.splitlines()) == 1 and "otpauth" not in hr.stdout
    vol = _add(
        env,
        "sam@example.org",
        "--role",
        "volunteer",
        "--volunteer",
        str(volunteer.id),
        in_process=True,
    )
    assert vol.returncode == 0, vol.stderr

    rows = {
        r["email"]: r
        for r in await UserAccount.select(
            UserAccount.email, UserAccount.organisation, UserAccount.volunteer, UserAccount.id
        )
    }
    assert str(rows["hr@example.com"]["id"]) == hr.stdout.strip()
    assert rows["hr@example.com"]["organisation"] == employer.id
    assert rows["sam@example.org"]["volunteer"] == volunteer.id

    again = _add(
        env,
        "sam2@example.org",
        "--role",
        "volunteer",
        "--volunteer",
        str(volunteer.id),
        in_process=True,
    )
    assert again.returncode != 0 and "already has an account" in again.stderr


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["x@example.org", "--role", "boss"], PASSWORD, "Invalid value for '--role'"),
        (["x@example.org"], PASSWORD, "Missing option '--role'"),
        (["--role", "dpo"], PASSWORD, "Missing argument 'EMAIL'"),
        (["x@example.org", "--role", "dpo"], None, "--password-stdin is required"),
        (["x@example.org", "--role", "dpo"], "", "no password on stdin"),
        (["x@example.org", "--role", "dpo"], "\n", "no password on stdin"),
        (["not-an-email", "--role", "dpo"], PASSWORD, "not a valid email address"),
        (["x@example.org", "--role", "employer"], PASSWORD, "--employer is required"),
        (["x@example.org", "--role", "volunteer"], PASSWORD, "--volunteer is required"),
        (
            ["x@example.org", "--role", "employer", "--employer", "acme"],
            PASSWORD,
            "--employer: 'acme' is not an id",
        ),
        (
            ["x@example.org", "--role", "dpo", "--employer", str(uuid.uuid4())],
            PASSWORD,
            "--employer is only for role employer",
        ),
        (
            ["x@example.org", "--role", "employer", "--volunteer", str(uuid.uuid4())],
            PASSWORD,
            "--employer is required",
        ),
    ],
)
def test_bad_arguments_are_refused_before_touching_the_database(
    args: list[str], password: str | None, message: str, tmp_path: Path
) -> None:
    # In-process (these never reach the settings or the database), so the table stays fast.
    env = {"ESP_DATA_DIR": str(tmp_path), "ESP_LOG_FORMAT": "json"}
    flags = ["--password-stdin"] if password is not None else []
    result = CliRunner().invoke(cli, ["user", "add", *args, *flags], input=password, env=env)
    assert result.exit_code != 0
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not list(tmp_path.iterdir())  # no database was created


async def test_bad_arguments_that_need_the_database(
    database: TestDatabase, tmp_path: Path, engine: Any
) -> None:
    env = cli_env(database, tmp_path)
    first = _add(env, "taken@example.org", "--role", "dpo")
    assert first.returncode == 0, first.stderr
    cases = [
        (
            ["x@example.org", "--role", "employer", "--employer", str(uuid.uuid4())],
            PASSWORD,
            "--employer: no employer organisation has this id",
        ),
        (
            ["x@example.org", "--role", "volunteer", "--volunteer", str(uuid.uuid4())],
            PASSWORD,
            "--volunteer: no volunteer has this id",
        ),
        (["x@example.org", "--role", "coordinator"], "short", "at least 12 characters"),
        (["x@example.org", "--role", "coordinator"], "password1234", "too common"),
        (["x.longname@example.org", "--role", "dpo"], "my x.longname secret", "email address"),
        (["TAKEN@example.org", "--role", "coordinator"], PASSWORD, "already exists"),
    ]
    for args, password, message in cases:
        # In this process: the refusals are the point (the first account above went through a
        # real subprocess); an unexpected exception still shows as a traceback on stderr.
        result = _add(env, *args, password=password, in_process=True)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert result.stdout == "" and "Traceback" not in result.stderr
    assert await UserAccount.count() == 1


def test_an_unmigrated_database_gets_a_hint(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    env = {"ESP_DATABASE_URL": url, "ESP_DATA_DIR": str(tmp_path), "ESP_LOG_FORMAT": "json"}
    result = _add(env, "x@example.org", "--role", "dpo")
    assert result.returncode != 0
    assert "esp-portal migrate" in result.stderr and "Traceback" not in result.stderr
