"""``esp-portal demo``: migrate, load the demo data set (idempotent), print how to sign in.

The demo accounts have published passwords, so the command refuses a database that already holds
accounts it did not create (a real deployment) unless told otherwise.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3

import asyncpg
import click

from portal.cli.common import cli_settings, fail, run
from portal.demo import DemoContext, load_demo
from portal.demo.data import USERS, VOLUNTEER_COUNT
from portal.migrate import MigrationFailed, migrate
from portal.settings import Settings


async def _foreign_accounts(settings: Settings) -> int:
    from portal.accounts.tables import UserAccount
    from portal.db import bind_engine, build_engine, close_engine, open_engine

    engine = build_engine(settings.database_url)
    bind_engine(engine)
    await open_engine(engine)
    try:
        demo_emails = [user.email for user in USERS]
        return int(await UserAccount.count().where(UserAccount.email.not_in(demo_emails)))
    finally:
        await close_engine(engine)


def _report(ctx: DemoContext, settings: Settings) -> None:
    echo = click.echo
    echo(f"Demo data is loaded ({settings.engine_kind}).")
    for name, (present, added) in ctx.counts.items():
        echo(f"  {name + ':':<14}{present:>5}  (added {added})")
    for note in ctx.notes:
        echo(f"  {note}")
    echo("")
    echo("Start the portal with `esp-portal serve`, then sign in on the web at")
    echo(f"  {settings.base_url}/sign-in")
    echo("or through the API with")
    echo(f'  POST {settings.base_url}/api/auth/login  {{"email", "password"[, "otp"]}}')
    echo("")
    echo("Demo sign-ins (published passwords: never load the demo into a real database):")
    for login in ctx.logins:
        echo(f"- role: {login.role}  ({login.note})")
        echo(f"  email:       {login.email}")
        echo(f"  password:    {login.password}")
        if login.totp_secret:
            echo(f"  totp secret: {login.totp_secret}")
            echo(f"  otpauth uri: {login.otpauth_uri}")
    secrets = [login for login in ctx.logins if login.totp_secret]
    if secrets:
        example = secrets[0]
        echo("")
        echo('dpo and coordinator also need a 6-digit code ("otp"): add the otpauth URI to an')
        echo("authenticator app, or print the current code with")
        echo(f"  python -c \"import pyotp; print(pyotp.TOTP('{example.totp_secret}').now())\"")
        echo("Each code is accepted once; wait for the next one (30 s) to sign in again.")
        echo("")
        echo("For example:")
        echo(
            f"  curl -c cookies.txt -H 'content-type: application/json' "
            f'{settings.base_url}/api/auth/login -d \'{{"email": "{example.email}", '
            f'"password": "{example.password}", "otp": "\'$(python -c "import pyotp; '
            f"print(pyotp.TOTP('{example.totp_secret}').now())\")'\"}}'"
        )


@click.command("demo")
@click.option(
    "--allow-existing-accounts",
    is_flag=True,
    help="Load even if the database has accounts the demo did not create "
    "(the demo adds accounts with published passwords).",
)
@click.option(
    "--size",
    type=click.IntRange(min=VOLUNTEER_COUNT),
    default=None,
    help=f"Volunteers in all, at a force's scale (at least {VOLUNTEER_COUNT}; e.g. 3000): "
    "generated volunteers and employers (a tenth as many) with links, agreements and consents "
    "are added on top of the default demo.",
)
def demo(allow_existing_accounts: bool, size: int | None) -> None:
    """Migrate, load a realistic demo data set and print how to sign in as each role.

    The data set is fictional and deterministic: the force, 10 employers of different sectors
    and sizes, 64 volunteers in every status, employment links, demo accounts for every role,
    data sharing agreements with 8 of the employers (one ending within 30 days), volunteers'
    consents and a few withdrawals, some employers' reads of their staff (each a disclosure in
    the ledger), leave policies, a year of duties and leave requests. Running it again adds
    nothing (duties only for the days that have passed since). With --size N the demo grows to N
    volunteers and N/10 employers (3000 loads in well under a minute on SQLite).
    """
    settings = cli_settings()
    progress = io.StringIO()
    try:
        with contextlib.redirect_stdout(progress):  # Piccolo narrates each migration
            run(migrate(settings))
    except MigrationFailed as exc:
        click.echo(progress.getvalue(), err=True)
        fail(f"migration failed: {exc}")
    except (sqlite3.Error, asyncpg.PostgresError, OSError) as exc:
        fail(f"cannot reach the database ({type(exc).__name__}); check ESP_DATABASE_URL")
    try:
        foreign = run(_foreign_accounts(settings))
        if foreign and not allow_existing_accounts:
            fail(
                f"this database already has {foreign} account(s) that the demo did not create. "
                "The demo adds accounts with published passwords: load it into a fresh database "
                "(ESP_DATABASE_URL), or pass --allow-existing-accounts if this is a test system."
            )
        ctx = run(load_demo(settings, size=size or 0))
    except (sqlite3.Error, asyncpg.PostgresError, OSError) as exc:
        fail(
            f"loading the demo data failed ({type(exc).__name__}); fix the cause and run it "
            "again: it adds only what is missing"
        )
    _report(ctx, settings)
