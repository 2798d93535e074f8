"""``esp-portal erasure``: erase one person, export the recorded erasures, replay them.

Exit status: 0 done; 1 refused (unknown volunteer, already erased, a bad reason or file; nothing
changed); 2 the command could not run (settings, database).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import click

from portal.cli.common import cli_settings, fail, run, with_app_engine
from portal.errors import PortalError


@click.group("erasure")
def erasure() -> None:
    """Erasure of a person's data (UK GDPR Art. 17) and its replay after a restore."""


async def _with_ledger(settings: Any, work: Any) -> Any:
    from portal.ledgering import build_ledger
    from portal.organisations.tables import Volunteer

    async def inner() -> Any:
        ledger = build_ledger(settings, Volunteer._meta.db)
        await ledger.start()
        try:
            return await work(ledger)
        finally:
            await ledger.close()

    return await with_app_engine(settings, inner)


def _uuid(text: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an id (a UUID)", param_hint=name) from None


@erasure.command("person")
@click.argument("volunteer_id")
@click.option("--reason", required=True, help="The legal ground or retention rule (no names).")
@click.option("--decided-by", required=True, help="The DPO account id that decided it.")
def person(volunteer_id: str, reason: str, decided_by: str) -> None:
    """Erase everything held about VOLUNTEER_ID (the ledger keeps its pseudonymous entries)."""
    from portal.erasure.service import erase_person

    settings = cli_settings()
    who = _uuid(volunteer_id, "VOLUNTEER_ID")
    decider = _uuid(decided_by, "--decided-by")

    async def work(ledger: Any) -> Any:
        return await erase_person(
            who, reason=reason, decided_by=decider, ledger=ledger, channel="cli"
        )

    try:
        result = run(_with_ledger(settings, work))
    except PortalError as exc:
        fail(str(exc.detail))
    click.echo(
        f"Erased: record {result.erasure_id}, ledger entry {result.ledger_index}, "
        f"{sum(result.erased.values())} rows"
    )


@erasure.command("export")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="File to write (default: standard output).",
)  # fmt: skip
def export(output: Path | None) -> None:
    """Write the recorded erasures (no personal data) as JSON Lines, to replay after a restore."""
    from portal.erasure.replay import dumps, recorded_erasures

    settings = cli_settings()
    text = dumps(run(with_app_engine(settings, recorded_erasures)))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@erasure.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def replay_command(file: Path) -> None:
    """Erase again everyone an exported list names (after restoring an older database)."""
    from portal.erasure.replay import loads

    settings = cli_settings()
    try:
        records = loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{file}: {exc}")
    report = run(replay_on(settings, records))
    click.echo(
        f"Replayed {len(records)} erasures: {report.erased_again} erased again, "
        f"{report.carried_over} carried over (not in this database), "
        f"{report.already_present} already done"
    )


async def replay_on(settings: Any, records: list[dict[str, str]]) -> Any:
    """Replay ``records`` on the settings' database with a ledger of its own."""
    from portal.erasure.replay import replay

    return await _with_ledger(settings, lambda ledger: replay(records, ledger))
