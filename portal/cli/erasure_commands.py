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


# ---------------------------------------------------------------------------- Art. 17 requests


def _requests(settings: Any, ledger: Any) -> Any:
    from portal.erasure.requests import ErasureRequests
    from portal.gates import build_gate
    from portal.messages.disclosing import gated_transport

    return ErasureRequests(
        ledger, settings, gated_transport(settings, build_gate(ledger, settings))
    )


def _refused(exc: PortalError) -> Any:
    errors = exc.extra.get("errors") or []
    named = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    fail(f"{exc.detail}" + (f" ({named})" if named else ""))


def _show(view: Any) -> None:
    flag = " OVERDUE" if view.overdue else ""
    click.echo(
        f"{view.id}  {view.status:<8} received {view.received_on.isoformat()}  "
        f"due {view.due_on.isoformat()}{flag}  by {view.made_by}"
        + (f"  volunteer {view.volunteer_id}" if view.volunteer_id else "")
        + (f"  ground {view.ground}" if view.ground else "")
    )


@erasure.command("requests")
def requests_command() -> None:
    """List the erasure requests waiting for a decision or to be carried out, soonest due first."""
    settings = cli_settings()
    views = run(_with_ledger(settings, lambda ledger: _requests(settings, ledger).open_requests()))
    for view in views:
        _show(view)
    click.echo(f"{len(views)} waiting, {sum(v.overdue for v in views)} overdue")


@erasure.command("request")
@click.argument("volunteer_id")
@click.option("--dpo", "dpo_email", required=True, help="Your (the DPO's) account email.")
@click.option(
    "--received-on", type=click.DateTime(["%Y-%m-%d"]), default=None,
    help="The day the request arrived, YYYY-MM-DD (default: today).",
)  # fmt: skip
@click.option("--statement", default="", help="How it arrived (a letter of 3 November ...).")
def request_command(volunteer_id: str, dpo_email: str, received_on: Any, statement: str) -> None:
    """Record an erasure request VOLUNTEER_ID made by letter, phone or in person."""
    from portal.retention.approvers import dpo_account

    settings = cli_settings()

    async def work(ledger: Any) -> Any:
        dpo = await dpo_account(dpo_email)
        return await _requests(settings, ledger).request(
            volunteer_id,
            made_by="dpo",
            recorded_by=dpo,
            statement=statement,
            received_on=received_on.date() if received_on else None,
            channel="cli",
        )

    try:
        view = run(_with_ledger(settings, work))
    except PortalError as exc:
        _refused(exc)
    _show(view)


@erasure.command("decide")
@click.argument("request_id")
@click.option("--dpo", "dpo_email", required=True, help="Your (the DPO's) account email.")
@click.option("--approve", is_flag=True, help="Tell the volunteer, then erase them.")
@click.option("--refuse", "ground", default=None, help="Refuse on this Art. 17(3) ground code.")
@click.option("--explanation", default="", help="Why, in words the volunteer reads (refusal).")
def decide_command(
    request_id: str, dpo_email: str, approve: bool, ground: str | None, explanation: str
) -> None:
    """Decide REQUEST_ID: --approve, or --refuse GROUND --explanation TEXT."""
    from portal.erasure.requests import GROUNDS
    from portal.retention.approvers import dpo_account

    if approve == (ground is not None):
        fail("give exactly one of --approve and --refuse GROUND (" + ", ".join(GROUNDS) + ")", 2)
    settings = cli_settings()

    async def work(ledger: Any) -> Any:
        dpo = await dpo_account(dpo_email)
        service = _requests(settings, ledger)
        if approve:
            return await service.approve(request_id, decided_by=dpo, channel="cli")
        return await service.refuse(
            request_id,
            ground=ground or "",
            explanation=explanation,
            decided_by=dpo,
            channel="cli",
        )

    try:
        view = run(_with_ledger(settings, work))
    except PortalError as exc:
        _refused(exc)
    _show(view)
    if view.status == "approved":
        click.echo(
            "The message to the volunteer has not gone yet; run: esp-portal erasure complete"
        )


@erasure.command("complete")
def complete_command() -> None:
    """Carry out every approved request not yet erased (after a crash or a delayed message)."""
    settings = cli_settings()
    views = run(
        _with_ledger(
            settings, lambda ledger: _requests(settings, ledger).complete_all(channel="cli")
        )
    )
    for view in views:
        _show(view)
    click.echo(
        f"{sum(v.status == 'erased' for v in views)} of {len(views)} approved requests erased"
    )
