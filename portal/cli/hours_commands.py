"""``esp-portal hours``: import duty records from a CSV file, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from portal.cli.common import cli_settings, fail, report_rejection, run, with_app_engine


@click.group("hours")
def hours() -> None:
    """Service hours: duty imports."""


@hours.command("import")
@click.argument(
    "csv_file",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar (default: when stderr is a terminal).",
)
def import_command(csv_file: Path, progress: bool | None) -> None:
    """Import duty records from CSV_FILE: every line is checked first, and if any is bad
    nothing is imported and every bad line is listed.

    Columns (header line, any order): volunteer_id, start, end, duty_type, esp_leave, and
    optionally external_ref and correction_reason. Times are ISO 8601, e.g. 2026-03-14T09:00
    (UK time) or 2026-03-14T09:00+01:00. Importing the same file again adds nothing.
    """
    from portal.csvimport import ImportRejected
    from portal.hours.imports import import_csv

    settings = cli_settings()
    show = sys.stderr.isatty() if progress is None else progress
    size = csv_file.stat().st_size

    async def work() -> Any:
        with csv_file.open("rb") as stream:
            if not show:
                return await import_csv(stream, created_by="cli", filename=csv_file.name)
            with click.progressbar(
                length=size, label="Checking and importing", file=sys.stderr
            ) as bar:
                done = 0

                def advance(read: int) -> None:
                    nonlocal done
                    bar.update(read - done)
                    done = read

                return await import_csv(
                    stream, created_by="cli", filename=csv_file.name, on_progress=advance
                )

    try:
        result = run(with_app_engine(settings, work))
    except ImportRejected as exc:
        report_rejection(exc.detail, exc.extra["errors"])
    except OSError as exc:
        fail(f"cannot read {csv_file.name}: {exc.strerror or type(exc).__name__}")
    if result.status == "already_imported":
        when = result.imported_at.strftime("%Y-%m-%d %H:%M UTC") if result.imported_at else "?"
        click.echo(
            f"This file was already imported on {when} (batch {result.batch_id}); "
            "nothing was added."
        )
        return
    click.echo(
        f"Imported {csv_file.name}: {result.lines} lines, {result.added} duties added, "
        f"{result.corrected} corrected, {result.unchanged} already recorded "
        f"(batch {result.batch_id})."
    )
