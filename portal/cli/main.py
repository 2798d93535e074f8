"""Entry point of the ``esp-portal`` console script; each group lives in its own module."""

from __future__ import annotations

import click

from portal.cli.common import cli_settings, fail, run
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


def _register_subcommands() -> None:
    """Attach command groups defined in sibling modules (kept apart so each stays small)."""
    import importlib

    for module_name, attr in (
        ("portal.cli.serve", "serve"),
        ("portal.cli.users", "user"),
        ("portal.cli.demo", "demo"),
        ("portal.cli.ledger_commands", "ledger"),
        ("portal.cli.hours_commands", "hours"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            continue
        cli.add_command(getattr(module, attr))
    from portal.cli.bundle_commands import verify_bundle
    from portal.cli.ledger_commands import ledger

    ledger.add_command(verify_bundle)


_register_subcommands()

if __name__ == "__main__":
    cli()
