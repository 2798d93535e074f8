"""Entry point of the ``esp-portal`` console script; each group lives in its own module."""

from __future__ import annotations

import click

from portal.cli.applications_commands import applications
from portal.cli.backup_commands import backup, restore
from portal.cli.bundle_commands import verify_bundle
from portal.cli.common import cli_settings, fail, run
from portal.cli.demo import demo
from portal.cli.erasure_commands import erasure
from portal.cli.hours_commands import hours
from portal.cli.ledger_commands import ledger
from portal.cli.messages_commands import messages
from portal.cli.retention_commands import retention
from portal.cli.serve import serve
from portal.cli.users import user
from portal.cli.volunteers_commands import volunteers
from portal.cli.witness_commands import witness
from portal.migrate import MigrationFailed, migrate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """ESP Portal: Employer Supported Policing with a verifiable disclosure ledger."""


@cli.command("migrate")
def migrate_command() -> None:
    """Apply pending migrations and set up the PostgreSQL application role (idempotent)."""
    settings = cli_settings()
    try:
        report = run(migrate(settings))
    except MigrationFailed as exc:
        fail(f"migration failed: {exc}")
    role = f", application role {report.app_role}" if report.app_role else ""
    click.echo(f"Database is up to date ({report.engine}{role}).")


# Plain registrations: a renamed or mistyped command module fails at start-up, loudly.
for _command in (
    serve,
    user,
    demo,
    ledger,
    hours,
    volunteers,
    applications,
    witness,
    messages,
    backup,
    restore,
    retention,
    erasure,
):
    cli.add_command(_command)
ledger.add_command(verify_bundle)

if __name__ == "__main__":
    cli()
