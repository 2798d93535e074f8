"""``esp-portal user``: accounts created by an operator on the server.

This is the one place a password is set directly, and it is read from stdin so that it never
appears in the process list or the shell history. For the dpo and coordinator roles the TOTP
provisioning URI is printed once on stdout; it is not stored anywhere the operator can read again.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import click

from portal.accounts.admin import AccountAdministration, ResetLink
from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import ORGANISATION_OF_ROLE, AccountService, CreatedUser
from portal.accounts.tables import Role
from portal.cli.common import cli_settings, fail, run, with_app_engine
from portal.coordinator.services import activation_path
from portal.errors import PortalError
from portal.ids import parse_id

ROLE_NAMES = [role.value for role in Role]
T = TypeVar("T")


def _error_text(exc: PortalError) -> str:
    errors = exc.extra.get("errors") or []
    if errors:
        return "; ".join(
            e["message"] if e["field"] == "password" else f"{_option(e['field'])}: {e['message']}"
            for e in errors
        )
    return exc.detail


def _option(field: str) -> str:
    return {"employer_id": "--employer", "volunteer_id": "--volunteer"}.get(field, field)


def _check_id(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    key = parse_id(value)
    if key is None:
        fail(f"{option}: '{value}' is not an id (ids are UUIDs, e.g. from the coordinator API)")
    return key


def _read_password() -> str:
    stream = sys.stdin
    if stream.isatty():
        click.echo("Password (end with Ctrl-D): ", err=True, nl=False)
    password: str = stream.read()
    # One trailing newline (from echo or a here-string) is not part of the password.
    if password.endswith("\r\n"):
        password = password[:-2]
    elif password.endswith("\n"):
        password = password[:-1]
    if not password:
        fail(
            "no password on stdin: pipe it in, e.g. `printf '%s' \"$PW\" | esp-portal user add "
            "... --password-stdin`"
        )
    return password


@click.group("user")
def user() -> None:
    """Manage accounts from the server (operators only)."""


@user.command("add")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLE_NAMES),
    help="The account's one role.",
)
@click.option(
    "--employer",
    "employer_id",
    help="Organisation id (roles employer, police_force, partner: one of that kind).",
)
@click.option("--volunteer", "volunteer_id", help="Volunteer record id (role volunteer).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from stdin (required; at least 12 characters, not a common one).",
)
def add(
    email: str,
    role: str,
    employer_id: str | None,
    volunteer_id: str | None,
    password_stdin: bool,
) -> None:
    """Create an account for EMAIL with a password read from stdin.

    Prints the new account's id. For dpo and coordinator it also prints, once, the otpauth://
    URI to add to an authenticator app (TOTP, 30 s, 6 digits): sign-in needs its codes.
    """
    if not password_stdin:
        fail("--password-stdin is required: the password is read from stdin, never an argument")
    chosen = Role(role)
    for_organisation = chosen in ORGANISATION_OF_ROLE
    if for_organisation and not employer_id:
        fail(f"--employer is required for role {role} (the organisation the user acts for)")
    if chosen is Role.VOLUNTEER and not volunteer_id:
        fail("--volunteer is required for role volunteer")
    if employer_id and not for_organisation:
        fail(f"--employer is only for role employer (or police_force, partner), not {role}")
    if volunteer_id and chosen is not Role.VOLUNTEER:
        fail(f"--volunteer is only for role volunteer, not {role}")
    organisation = _check_id(employer_id, "--employer")
    volunteer = _check_id(volunteer_id, "--volunteer")
    from pydantic import TypeAdapter, ValidationError

    from portal.organisations.schemas import Email

    try:
        address = TypeAdapter(Email).validate_python(email)
    except ValidationError as exc:
        fail(f"EMAIL: '{email}' is not a valid email address ({exc.errors()[0]['msg']})")
    password = _read_password()
    settings = cli_settings()

    async def work() -> CreatedUser:
        service = AccountService(settings, PasswordHashing(settings))
        return await service.create_user(
            address,
            chosen,
            organisation_id=organisation,
            volunteer_id=volunteer,
            password=password,
        )

    try:
        created = run(with_app_engine(settings, work))
    except PortalError as exc:
        fail(_error_text(exc))
    except (sqlite3.Error, asyncpg.PostgresError, OSError) as exc:
        fail(
            f"the database is not usable ({type(exc).__name__}); check ESP_DATABASE_URL and run "
            "`esp-portal migrate` first"
        )
    click.echo(created.id)
    if created.otpauth_uri:
        click.echo(created.otpauth_uri)
        click.echo(
            "Add the otpauth:// URI above to an authenticator app now: it is shown only once "
            "and sign-in needs its 6-digit codes.",
            err=True,
        )
    click.echo(f"Created {chosen.value} account {created.id}.", err=True)
    sys.stdout.flush()


def _admin_run(work: Callable[[AccountAdministration], Awaitable[T]]) -> T:
    """Run one administration action on the application database, or exit with its error."""
    settings = cli_settings()

    async def act() -> T:
        return await work(
            AccountAdministration(AccountService(settings, PasswordHashing(settings)))
        )

    try:
        return run(with_app_engine(settings, act))
    except PortalError as exc:
        fail(_error_text(exc))
    except (sqlite3.Error, asyncpg.PostgresError, OSError) as exc:
        fail(
            f"the database is not usable ({type(exc).__name__}); check ESP_DATABASE_URL and run "
            "`esp-portal migrate` first"
        )
    raise AssertionError("unreachable")


def _link(link: ResetLink) -> None:
    """Print the one-time link (stdout: the answer) and how to use it (stderr)."""
    settings = cli_settings()
    click.echo(settings.base_url + activation_path(link.token))
    click.echo(
        f"Give this one-time link to the person; it expires at {link.expires_at:%Y-%m-%d %H:%M} "
        "UTC and works once. Their old password no longer works and their sessions have ended.",
        err=True,
    )


@user.command("list")
@click.option("--role", type=click.Choice(ROLE_NAMES), help="Only accounts with this role.")
def list_users(role: str | None) -> None:
    """List accounts: id, role, state (active, disabled, invited) and email, one a line."""
    rows = _admin_run(lambda admin: admin.list(Role(role) if role else None))
    for row in rows:
        state = "disabled" if not row.is_active else "active" if row.activated else "invited"
        click.echo(f"{row.id}\t{row.role}\t{state}\t{row.email}")
    click.echo(f"{len(rows)} account{'s' if len(rows) != 1 else ''}.", err=True)


@user.command("disable")
@click.argument("who")
def disable(who: str) -> None:
    """Disable the account WHO (id or email): it cannot sign in, and its sessions end now."""
    row = _admin_run(lambda admin: admin.set_active(who, False, by="cli"))
    click.echo(f"Disabled {row.role} account {row.id}.")


@user.command("enable")
@click.argument("who")
def enable(who: str) -> None:
    """Enable the account WHO (id or email) again."""
    row = _admin_run(lambda admin: admin.set_active(who, True, by="cli"))
    click.echo(f"Enabled {row.role} account {row.id}.")


@user.command("reset-password")
@click.argument("who")
def reset_password(who: str) -> None:
    """Reset the password of WHO (id or email): the old one stops working at once.

    Prints a one-time link with which the person chooses a new password.
    """
    _link(_admin_run(lambda admin: admin.reset_password(who)))


@user.command("reset-totp")
@click.argument("who")
def reset_totp(who: str) -> None:
    """Reset the lost authenticator of a dpo or coordinator WHO (id or email).

    The old app's codes stop working; the person chooses a new password through the printed
    one-time link and is shown the new authenticator secret there, once, to enrol again.
    """
    _link(_admin_run(lambda admin: admin.reset_totp(who)))
