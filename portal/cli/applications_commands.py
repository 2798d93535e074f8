"""``esp-portal applications``: import application milestones from a CSV file, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from portal.cli.common import cli_settings, fail, report_rejection, run, with_app_engine


@click.group("applications")
def applications() -> None:
    """Applications: milestone imports."""


@applications.command("import")
@click.argument(
    "csv_file",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
def import_command(csv_file: Path) -> None:
    """Import application milestones from CSV_FILE: every line is checked first, and if any is
    bad nothing is imported and every bad line is listed.

    Columns (header line, any order), all required and no others: volunteer (id or email),
    stage, outcome (in_progress, passed, not_passed, withdrawn) and occurred_on (2026-03-14).
    No finding of vetting or a medical is ever held: a file with any other column is refused.
    A milestone recorded already is left as it is, so importing the same file again adds
    nothing.
    """
    from portal.applications.imports import import_milestones
    from portal.csvimport import ImportRejected
    from portal.errors import PortalError

    settings = cli_settings()

    async def work() -> Any:
        with csv_file.open("rb") as stream:
            return await import_milestones(stream, imported_by="cli")

    try:
        result = run(with_app_engine(settings, work))
    except ImportRejected as exc:
        report_rejection(exc.detail, exc.extra["errors"])
    except PortalError as exc:
        fail(exc.detail)
    except OSError as exc:
        fail(f"cannot read {csv_file.name}: {exc.strerror or type(exc).__name__}")
    click.echo(
        f"Imported {csv_file.name}: {result.lines} lines, {result.added} milestones added "
        f"({result.existing} already recorded)."
    )
