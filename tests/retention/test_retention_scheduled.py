"""The scheduled retention run (``ESP_RETENTION_SCHEDULED_RUN``), both databases: a periodic job
only when the setting is on; once a London day it makes a dry run and emails each DPO, and it
never erases anything."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.clock import LONDON, local_date
from portal.disclosure.tables import DisclosureRefusal
from portal.jobs import periodic_jobs
from portal.messages.tables import OutboxMessage
from portal.organisations.tables import Volunteer
from portal.retention.scheduled import scheduled_dry_run
from portal.retention.tables import RetentionRun
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings
from tests.retention.retention_world import LATER, build_world


def test_the_job_runs_only_when_the_setting_is_on(
    database: TestDatabase, settings: Settings, tmp_path: Any
) -> None:
    assert "retention-dry-run" not in [j.name for j in periodic_jobs(settings)]
    on = make_settings(database, tmp_path / "on", retention_scheduled_run=True)
    assert "retention-dry-run" in [j.name for j in periodic_jobs(on)]


async def test_the_scheduled_run_finds_tells_the_dpo_once_a_day_and_erases_nothing(
    engine: Any, settings: Settings
) -> None:
    world = await build_world(settings)
    emails = {r["email"] for r in await Volunteer.select(Volunteer.email)}

    # noon (London) on the moved clock's day, so "later the same day" stays the same day
    noon = dt.datetime.combine(local_date(LATER), dt.time(12), LONDON).astimezone(dt.UTC)
    assert await scheduled_dry_run(settings, noon) == 1

    (run,) = await RetentionRun.select()
    assert (run["channel"], run["requested_by"], run["approved_at"]) == (
        "system",
        "scheduler",
        None,
    )
    (mail,) = await OutboxMessage.select().where(OutboxMessage.template == "retention_due")
    assert mail["recipient"] == world.dpo.email
    assert "8 record(s) past the time" in mail["body_text"]
    assert "2 person(s) due for erasure" in mail["body_text"]
    assert f"/dpo/retention/runs/{run['id']}" in mail["body_text"]
    assert "Nothing has been erased" in mail["body_text"]
    assert await DisclosureRefusal.count() == 2
    assert {r["email"] for r in await Volunteer.select(Volunteer.email)} == emails

    # later the same day: nothing new; the next day: a new dry run (still nothing erased)
    assert await scheduled_dry_run(settings, noon + dt.timedelta(minutes=5)) == 0
    assert await RetentionRun.count() == 1
    await scheduled_dry_run(settings, noon + dt.timedelta(days=1))
    assert await RetentionRun.count() == 2
    assert await DisclosureRefusal.count() == 2
