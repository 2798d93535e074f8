"""The periodic jobs the messages worker runs (``esp-portal messages worker`` and, with
``ESP_MESSAGES_IN_PROCESS``, inside ``esp-portal serve``).

Listed here, above the domains, so the worker in ``portal.messages`` depends on none of them.
Each job is idempotent and runs once per ``ESP_JOBS_INTERVAL_SECONDS`` period across all workers
(:mod:`portal.messages.periodic`).
"""

from __future__ import annotations

import datetime as dt

from portal.agreements.ending_notices import tell_agreements_ending
from portal.alerts.services import VolumeService
from portal.clock import local_date
from portal.contact.digest import enqueue_digests
from portal.disclosure.reminders import remind_unacknowledged
from portal.messages.periodic import Job
from portal.retention.scheduled import scheduled_dry_run
from portal.settings import Settings


def periodic_jobs(settings: Settings) -> list[Job]:
    """Every periodic job, bound to the settings."""

    async def volume_alerts(now: dt.datetime) -> int:
        return await VolumeService(settings, clock=lambda: now).check(now)

    async def withdrawal_reminders(now: dt.datetime) -> int:
        return await remind_unacknowledged(settings, now)

    async def agreements_ending(now: dt.datetime) -> int:
        return await tell_agreements_ending(settings, now)

    async def disclosure_digests(now: dt.datetime) -> int:
        # yesterday's (London) digests; each is keyed by volunteer, day and channel, so the
        # periods after the first of a day write nothing
        return await enqueue_digests(settings, local_date(now) - dt.timedelta(days=1))

    async def retention_dry_run(now: dt.datetime) -> int:
        return await scheduled_dry_run(settings, now)

    jobs = [
        Job("disclosure-digests", disclosure_digests),
        Job("volume-alerts", volume_alerts),
        Job("withdrawal-reminders", withdrawal_reminders),
        Job("agreements-ending", agreements_ending),
    ]
    if settings.retention_scheduled_run:  # a dry run only: erasure waits for the DPO
        jobs.append(Job("retention-dry-run", retention_dry_run))
    return jobs
