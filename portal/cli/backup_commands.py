"""``esp-portal backup`` and ``esp-portal restore`` for the embedded SQLite installation.

Exit status: 0 done; 1 the archive's ledger does not verify (as ``ledger verify``); 2 the command
could not do what was asked (a damaged or foreign archive, a database in the way, PostgreSQL, a
missing key) and nothing was changed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from portal.backup.archive import BackupError
from portal.backup.operations import LedgerNotIntact, restore_backup, take_backup
from portal.cli.common import cli_settings, fail, run
from portal.db import sqlite_path
from portal.migrate import MigrationFailed, migrate
from portal.settings import Settings

EXIT_NOT_INTACT = 1
EXIT_REFUSED = 2


@click.command("backup")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Archive to write (default: backups/esp-portal-<time>.tar.gz in the data directory).",
)
@click.option(
    "--include-signing-key",
    is_flag=True,
    help="Put the ledger signing key in the archive too (then guard the archive like the key).",
)
def backup(output: Path | None, include_signing_key: bool) -> None:
    """Write a consistent snapshot of the SQLite database (safe while the portal runs)."""
    settings = cli_settings()
    try:
        path, manifest = take_backup(settings, output, include_signing_key=include_signing_key)
    except BackupError as exc:
        fail(str(exc), EXIT_REFUSED)
    click.echo(str(path))
    click.echo(f"ledger size {manifest.ledger.size}, root {manifest.ledger.root_hash}")
    if not include_signing_key:
        click.echo(
            f"The ledger signing key ({settings.signing_key_path}) is not in the archive: "
            "keep a copy of it apart from the backups.",
            err=True,
        )


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace the existing database (it is kept aside as <name>.before-restore-<time>).",
)
def restore(archive: Path, force: bool) -> None:
    """Restore a backup once its ledger verifies, bring its schema up to date, then replay every
    erasure recorded in the database it replaces (docs/ERASURE.md)."""
    settings = cli_settings()
    erasures = _recorded_erasures(settings)
    try:
        report = restore_backup(settings, archive, force=force)
    except LedgerNotIntact as exc:
        fail(f"{exc}; nothing was restored", EXIT_NOT_INTACT)
    except BackupError as exc:
        fail(f"{exc}; nothing was restored", EXIT_REFUSED)
    try:
        run(migrate(settings))
    except MigrationFailed as exc:
        fail(f"restored, but migrating the restored database failed: {exc}")
    click.echo(f"Restored; the ledger verifies: size {report.ledger_size}, root {report.root_hash}")
    _replay_erasures(settings, erasures)
    if report.set_aside is not None:
        click.echo(f"The database it replaced is kept at {report.set_aside}")
    if report.key_restored:
        click.echo(f"The ledger signing key was restored to {settings.signing_key_path}")


def _recorded_erasures(settings: Settings) -> list[dict[str, str]]:
    """The erasures recorded in the database a restore replaces (none when there is none)."""
    from portal.erasure.replay import recorded_erasures_at

    if settings.engine_kind != "sqlite" or not sqlite_path(settings.database_url).exists():
        return []
    try:
        return run(recorded_erasures_at(settings.database_url))
    except sqlite3.DatabaseError as exc:
        fail(
            f"cannot read the recorded erasures of the current database ({exc}); export them "
            "from a copy with 'esp-portal erasure export' and restore with that list at hand; "
            "nothing was restored",
            EXIT_REFUSED,
        )
        raise AssertionError("unreachable") from None


def _replay_erasures(settings: Settings, erasures: list[dict[str, str]]) -> None:
    from portal.cli.erasure_commands import replay_on

    if not erasures:
        return
    report = run(replay_on(settings, erasures))
    click.echo(
        f"Replayed {len(erasures)} recorded erasures: {report.erased_again} erased again, "
        f"{report.carried_over} carried over, {report.already_present} already in the backup"
    )
