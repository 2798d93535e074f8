"""``esp-portal messages``: run the outbox delivery worker, write daily digests, purge bodies."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from typing import TYPE_CHECKING

import click

from portal.cli.common import cli_settings, run, with_app_engine

if TYPE_CHECKING:
    from portal.messages.transports import Transport


@click.group("messages")
def messages() -> None:
    """Messages: deliver the outbox."""


@messages.command("worker")
@click.option(
    "--once", is_flag=True, help="Run the jobs due this period, deliver what is due, then exit."
)
def worker_command(once: bool) -> None:
    """Deliver outbox messages through the configured transport until stopped (SIGTERM/Ctrl-C),
    and run the periodic jobs (volume alerts, reminders) once per ESP_JOBS_INTERVAL_SECONDS.

    Several workers may run at once, on one machine or many: each message is claimed by one.
    """
    from portal.clock import utcnow
    from portal.gates import build_gate
    from portal.jobs import periodic_jobs
    from portal.ledgering import build_ledger
    from portal.messages.disclosing import gated_transport
    from portal.messages.periodic import run_due_jobs
    from portal.messages.worker import run_forever, run_once

    settings = cli_settings()
    jobs = periodic_jobs(settings)

    async def work() -> int:
        from portal.messages.tables import OutboxMessage

        ledger = build_ledger(settings, OutboxMessage._meta.db)
        await ledger.start()
        try:
            return await deliver(gated_transport(settings, build_gate(ledger, settings)))
        finally:
            await ledger.close()

    async def deliver(transport: Transport) -> int:
        if once:
            await run_due_jobs(settings, jobs, utcnow())
            total = 0
            while tried := await run_once(settings, transport):
                total += tried
            return total
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_forever(settings, transport, stop, jobs)
        return 0

    tried = run(with_app_engine(settings, work))
    if once:
        click.echo(f"Tried {tried} message(s).")


@messages.command("digest")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The London day to summarise (YYYY-MM-DD); yesterday when not given.",
)
def digest_command(day: dt.datetime | None) -> None:
    """Write the daily disclosure digest for each volunteer who asked for one.

    Safe to run more than once for a day: each volunteer gets one message per day and channel.
    """
    from portal.clock import local_date, utcnow
    from portal.contact.digest import enqueue_digests

    settings = cli_settings()
    wanted = day.date() if day else local_date(utcnow()) - dt.timedelta(days=1)
    written = run(with_app_engine(settings, lambda: enqueue_digests(settings, wanted)))
    click.echo(f"Wrote {written} digest message(s) for {wanted.isoformat()}.")


@messages.command("purge")
def purge_command() -> None:
    """Empty the wording of finished messages older than ESP_MESSAGES_BODY_RETENTION_DAYS."""
    from portal.clock import utcnow
    from portal.messages.retention import purge_bodies

    settings = cli_settings()
    purged = run(with_app_engine(settings, lambda: purge_bodies(settings, utcnow())))
    click.echo(
        f"Emptied {purged} message(s) older than {settings.messages_body_retention_days} day(s)."
    )
