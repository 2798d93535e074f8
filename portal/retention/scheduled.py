"""The scheduled retention run (``ESP_RETENTION_SCHEDULED_RUN``): a dry run once a day, and an
email to each DPO when it found anything. It never erases: only a DPO's approval does.

A periodic job (``portal.jobs``) runs every ``ESP_JOBS_INTERVAL_SECONDS``; the first period of
each London day makes the run, later periods find that day's scheduled run and do nothing.
"""

from __future__ import annotations

import datetime as dt

import structlog

from portal.accounts.roles import Role
from portal.accounts.tables import UserAccount
from portal.clock import LONDON, local_date
from portal.dbutil import write_transaction
from portal.ledgering import build_ledger
from portal.messages.tables import OutboxMessage
from portal.retention.services import RetentionService
from portal.retention.tables import RetentionRun
from portal.settings import Settings
from portal.staffmail import FORCE_AUDIENCE, StaffAddress, send_to

log = structlog.get_logger(__name__)

SCHEDULER = "scheduler"


async def _dpo_addresses() -> list[StaffAddress]:
    rows = await (
        UserAccount.select(UserAccount.id, UserAccount.email)
        .where((UserAccount.role == Role.DPO.value) & (UserAccount.is_active == True))  # noqa: E712
        .order_by(UserAccount.email)
    )
    return [StaffAddress(str(r["id"]), r["email"]) for r in rows]


async def _ran_today(now: dt.datetime) -> bool:
    today = local_date(now)
    start = dt.datetime(today.year, today.month, today.day, tzinfo=LONDON).astimezone(dt.UTC)
    runs = await RetentionRun.count().where(
        (RetentionRun.requested_by == SCHEDULER) & (RetentionRun.found_at >= start)
    )
    return int(runs) > 0


async def scheduled_dry_run(settings: Settings, now: dt.datetime) -> int:
    """Make today's dry run unless there is one; email the DPOs what it found. How many emails."""
    if await _ran_today(now):
        return 0
    ledger = build_ledger(settings, RetentionRun._meta.db)
    await ledger.start()
    try:
        view = await RetentionService(ledger, clock=lambda: now).dry_run(
            requested_by=SCHEDULER, channel="system"
        )
    finally:
        await ledger.close()
    if not view.rows_found and not view.persons_due:
        return 0
    async with write_transaction(OutboxMessage):
        sent = await send_to(
            settings,
            await _dpo_addresses(),
            kind="retention_due",
            event_key=f"retention-due:{view.id}",
            context={
                "rows": view.rows_found,
                "persons": len(view.persons_due),
                "day": local_date(now).strftime("%-d %B %Y"),
                "link": f"{settings.base_url}/dpo/retention/runs/{view.id}",
            },
            audience=FORCE_AUDIENCE,
        )
    log.info("retention.scheduled_run", run_id=view.id, messages=sent)
    return sent
