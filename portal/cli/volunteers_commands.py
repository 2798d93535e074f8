"""``esp-portal volunteers``: import volunteers and their employment links from a CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from portal.cli.common import cli_settings, fail, report_rejection, run, with_app_engine


@click.group("volunteers")
def volunteers() -> None:
    """Volunteers: imports."""


@volunteers.command("import")
@click.argument(
    "csv_file",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
def import_command(csv_file: Path) -> None:
    """Import volunteers and employment links from CSV_FILE: every line is checked first, and
    if any is bad nothing is imported and every bad line is listed.

    Columns (header line, any order): email, display_name, and optionally phone, status,
    contact_by_email, contact_by_sms, contact_by_phone (yes/no), employer (id or exact name),
    starts_on and ends_on (2026-03-14). The email is the key: a volunteer already recorded is
    left as recorded, a job already recorded too, so importing the same file again adds nothing.
    """
    from portal.coordinator.imports import import_volunteers
    from portal.csvimport import ImportRejected
    from portal.errors import PortalError

    settings = cli_settings()

    async def work() -> Any:
        with csv_file.open("rb") as stream:
            return await import_volunteers(stream, imported_by="cli")

    try:
        result = run(with_app_engine(settings, work))
    except ImportRejected as exc:
        report_rejection(exc.detail, exc.extra["errors"])
    except PortalError as exc:
        fail(exc.detail)
    except OSError as exc:
        fail(f"cannot read {csv_file.name}: {exc.strerror or type(exc).__name__}")
    click.echo(
        f"Imported {csv_file.name}: {result.lines} lines, {result.volunteers_added} volunteers "
        f"added ({result.volunteers_existing} already recorded), {result.links_added} "
        f"employment links added ({result.links_existing} already recorded)."
    )
