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
from portal.disclosure.reminders import remind_unacknowledged
from portal.messages.periodic import Job
from portal.settings import Settings


def periodic_jobs(settings: Settings) -> list[Job]:
    """Every periodic job, bound to the settings."""

    async def volume_alerts(now: dt.datetime) -> int:
        return await VolumeService(settings, clock=lambda: now).check(now)

    async def withdrawal_reminders(now: dt.datetime) -> int:
        return await remind_unacknowledged(settings, now)

    async def agreements_ending(now: dt.datetime) -> int:
        return await tell_agreements_ending(settings, now)

    return [
        Job("volume-alerts", volume_alerts),
        Job("withdrawal-reminders", withdrawal_reminders),
        Job("agreements-ending", agreements_ending),
    ]
