"""``esp-portal retention run``: the dry run (default) and erasure on a DPO's approval.

A dry run erases nothing: it records what has passed its time and prints the counts per record
kind with the run's id. ``--approve RUN_ID --dpo EMAIL`` erases what that recorded run found,
as the DPO whose account the email names (docs/RETENTION.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from portal.cli.common import cli_settings, fail, run, with_app_engine
from portal.errors import PortalError

if TYPE_CHECKING:
    from portal.retention.services import RunView


@click.group("retention")
def retention() -> None:
    """Retention: find what has passed its time under the schedule; erase it on approval."""


@retention.command("run")
@click.option(
    "--approve",
    "approve",
    metavar="RUN_ID",
    default=None,
    help="Erase what this recorded dry run found (needs --dpo).",
)
@click.option(
    "--dpo",
    "dpo_email",
    metavar="EMAIL",
    default=None,
    help="The approving data protection officer's account email.",
)
def run_command(approve: str | None, dpo_email: str | None) -> None:
    """Dry run by default: count what has passed its time per record kind and record the run."""
    from portal.erasure.for_retention import ScheduledErasure
    from portal.ledgering import build_ledger
    from portal.retention.approvers import dpo_account
    from portal.retention.services import RetentionService
    from portal.retention.tables import RetentionRun

    if approve is not None and not dpo_email:
        fail("--approve needs --dpo EMAIL: the data protection officer approving the run", 2)
    if approve is None and dpo_email:
        fail("--dpo is only for --approve RUN_ID", 2)
    settings = cli_settings()

    async def work() -> RunView:
        ledger = build_ledger(settings, RetentionRun._meta.db)
        await ledger.start()
        try:
            service = RetentionService(ledger, eraser=ScheduledErasure(ledger, "cli"))
            if approve is None:
                return await service.dry_run(requested_by="cli", channel="cli")
            approver = await dpo_account(dpo_email or "")
            return await service.approve(approve, approver=approver, channel="cli")
        finally:
            await ledger.close()

    try:
        view = run(with_app_engine(settings, work))
    except PortalError as exc:
        fail(exc.detail)
    _print(view)


def _print(view: RunView) -> None:
    done = view.approved_at is not None
    click.echo(
        f"Retention run {view.id} (schedule {view.schedule_version}, "
        f"as of {view.found_at.isoformat(timespec='seconds')}): "
        + ("erased on approval" if done else "dry run, nothing erased")
    )
    click.echo(f"{'Record kind':<14} {'Past its time':>13} {'Erased':>7}  Kept")
    for kind in view.kinds:
        if kind.handling == "rows":
            erased = "" if kind.erased is None else str(kind.erased)
            click.echo(f"{kind.code:<14} {kind.found or 0:>13} {erased:>7}  {kind.in_words}")
    for rule, count in sorted(view.persons_by_rule().items()):
        click.echo(f"{'persons.' + rule:<14} {count:>13} {'':>7}  erasure of the whole person")
    click.echo(f"Persons due for erasure: {len(view.persons_due)}")
    for person in view.persons_due:
        click.echo(f"  {person.volunteer}  {person.rule}  left on {person.left_on.isoformat()}")
    if done:
        click.echo(
            f"Approved by {view.approved_by}; ledger entries {view.found_index} (found) and "
            f"{view.erased_index} (erased); persons handed to erasure: {view.persons_erased}."
        )
    else:
        click.echo(
            f"Ledger entry {view.found_index}. To erase it: "
            f"esp-portal retention run --approve {view.id} --dpo EMAIL"
        )
