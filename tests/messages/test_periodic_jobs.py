"""Periodic jobs on both databases, with the clock moved: each job runs once per period however
many workers reach it, a crashed run is taken over after its lease, and each job writes its
messages once (withdrawal notice reminders, agreements ending, objections received)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest

from portal.accounts.roles import Role
from portal.agreements.ending_notices import notice_point, tell_agreements_ending
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.consent.objections import ObjectionService
from portal.consent.tables import WithdrawalAcknowledgement, WithdrawalNotice
from portal.disclosure.reminders import remind_unacknowledged
from portal.jobs import periodic_jobs
from portal.messages.periodic import Job, JobResult, claim, period_of, run_due_jobs, run_job
from portal.messages.tables import JobRun, OutboxMessage
from portal.organisations.tables import OrganisationKind
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings, run_cli
from tests.support import disclosure_world as world
from tests.support.auth import create_user
from tests.support.portal_ledger import ledger

__all__ = ["ledger"]

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def _counting_job(name: str, runs: list[dt.datetime], until: asyncio.Event | None = None) -> Job:
    """A job that counts its runs; with ``until``, each run lasts until that event is set."""

    async def run(now: dt.datetime) -> int:
        runs.append(now)
        if until is not None:
            await until.wait()
        return 1

    return Job(name, run)


async def test_a_job_runs_once_per_period_across_workers(engine: Any, settings: Settings) -> None:
    runs: list[dt.datetime] = []
    # Two workers reach the same period at once: one runs it, the other is told it is held. The
    # run lasts until the other worker has its answer (a fixed 50 ms pause was not always long
    # enough on a loaded machine: the other worker then asked after the run and was told "done").
    # Were both to claim the period, neither run would end: the outer limit fails the test.
    answered = asyncio.Event()
    job = _counting_job("count", runs, until=answered)

    async def worker() -> JobResult:
        try:
            return await run_job(settings, job, NOW)
        finally:
            answered.set()

    first, second = await asyncio.wait_for(asyncio.gather(worker(), worker()), 120)
    assert sorted([first.claim, second.claim]) == ["claimed", "held"]
    assert len(runs) == 1
    later_same_period = NOW + dt.timedelta(seconds=settings.jobs_interval_seconds - 1)
    assert period_of(settings, later_same_period) == period_of(settings, NOW)
    assert (await run_job(settings, job, later_same_period)).claim == "done"
    next_period = NOW + dt.timedelta(seconds=settings.jobs_interval_seconds)
    assert (await run_job(settings, job, next_period)).claim == "claimed"
    assert len(runs) == 2
    rows = await JobRun.select().order_by(JobRun.period)
    assert [r["period"] for r in rows] == [
        period_of(settings, NOW),
        period_of(settings, next_period),
    ]
    assert all(r["finished_at"] is not None and r["outcome"] == "1" for r in rows)


async def test_a_run_that_died_is_taken_over_after_its_lease(
    engine: Any, settings: Settings
) -> None:
    period = period_of(settings, NOW)
    assert await claim(settings, "crashy", period, NOW) == "claimed"  # then the worker dies
    assert await claim(settings, "crashy", period, NOW + dt.timedelta(seconds=10)) == "held"
    lapsed = NOW + dt.timedelta(seconds=settings.messages_lease_seconds + 1)
    runs: list[dt.datetime] = []
    result = await run_job(settings, _counting_job("crashy", runs), lapsed)
    assert result.claim == "claimed" and runs == [lapsed]

    async def failing(now: dt.datetime) -> int:
        raise RuntimeError("database went away")

    failed = await run_job(settings, Job("failing", failing), NOW)
    assert failed.error == "RuntimeError"
    [row] = await JobRun.select().where(JobRun.job == "failing")
    assert row["finished_at"] is None  # left for a later pass once the lease runs out


async def _notice(employer_id: str, issued_at: dt.datetime) -> str:
    person = await world.volunteer("Notice Person")
    notice = WithdrawalNotice(
        employer=employer_id,
        volunteer=person.id,
        subject=person.subject,
        purpose="esp.leave-verification",
        categories=["identity"],
        consent_ids=[str(uuid.uuid4())],
        issued_at=issued_at,
        ledger_index=1,
    )
    await notice.save()
    return str(notice.id)


async def test_an_unacknowledged_withdrawal_notice_is_brought_back_once_after_seven_days(
    engine: Any, settings: Settings
) -> None:
    employer_id = await world.employer("Reminded Ltd")
    hr = await create_user(
        settings, "hr@reminded.example", Role.EMPLOYER, organisation_id=employer_id
    )
    other_id = await world.employer("No Accounts Ltd")
    await world_contact(other_id, "contact@noaccounts.example")
    waiting = await _notice(employer_id, NOW)
    done = await _notice(employer_id, NOW)
    await WithdrawalAcknowledgement(notice=done, acknowledged_by=hr.id, ledger_index=2).save()
    await _notice(other_id, NOW)

    assert await remind_unacknowledged(settings, NOW + dt.timedelta(days=6, hours=23)) == 0
    eight_days = NOW + dt.timedelta(days=8)
    assert await remind_unacknowledged(settings, eight_days) == 2
    assert await remind_unacknowledged(settings, eight_days + dt.timedelta(days=1)) == 2
    mail = await OutboxMessage.select().where(OutboxMessage.template == "withdrawal_reminder")
    assert sorted(m["recipient"] for m in mail) == ["contact@noaccounts.example", hr.email]
    assert len({m["idempotency_key"] for m in mail}) == 2  # the second run wrote nothing new
    body = next(m for m in mail if m["recipient"] == hr.email)["body_text"]
    assert "On 1 June 2026 we told Reminded Ltd" in body and "7 days" in body
    assert "/employer/notices" in body and "Notice Person" not in body
    assert waiting in {m["idempotency_key"].split(":")[1] for m in mail}


async def test_a_force_is_reminded_as_an_employer_is_at_its_own_notices_page(
    engine: Any, settings: Settings
) -> None:
    """Another police force's notice goes to the force's own users (role ``police_force``), in
    the force's words, linking to the force's notices page."""
    force_id = await world.organisation("Reminded Police", OrganisationKind.POLICE_FORCE)
    liaison = await create_user(
        settings, "liaison@reminded.example", Role.POLICE_FORCE, organisation_id=force_id
    )
    await _notice(force_id, NOW)
    assert await remind_unacknowledged(settings, NOW + dt.timedelta(days=8)) == 1
    (mail,) = await OutboxMessage.select().where(OutboxMessage.template == "withdrawal_reminder")
    assert mail["recipient"] == liaison.email
    assert "/police-force/notices" in mail["body_text"]
    assert "/employer/notices" not in mail["body_text"]
    assert "a Special Constable or applicant the force shared with yours" in mail["body_text"]
    assert "member of your staff" not in mail["body_text"]
    assert "another police force's contact" in mail["body_text"]


async def world_contact(employer_id: str, email: str) -> None:
    from portal.organisations.tables import Organisation

    await Organisation.update({Organisation.contact_email: email}).where(
        Organisation.id == employer_id
    )


def test_the_notice_point_is_the_smallest_one_reached() -> None:
    assert notice_point(31, (30, 7)) is None
    assert notice_point(30, (30, 7)) == 30
    assert notice_point(12, (30, 7)) == 30
    assert notice_point(7, (30, 7)) == 7
    assert notice_point(0, (30, 7)) == 7


async def test_agreements_ending_in_30_and_7_days_are_told_once_each(
    engine: Any, ledger: Any, settings: Settings
) -> None:
    dpo = await create_user(settings, "dpo@force.example", Role.DPO)
    coordinator = await create_user(settings, "esp@force.example", Role.COORDINATOR)
    ending_id = await world.employer("Ending Ltd")
    renewed_id = await world.employer("Renewed Ltd")
    ends_on = dt.date(2026, 7, 1)
    for employer_id in (ending_id, renewed_id):
        await AgreementService(ledger).record(
            AgreementCreate(
                employer_id=uuid.UUID(employer_id),
                version=1,
                purposes={"esp.programme-management": ["status"]},
                starts_on=dt.date(2026, 1, 1),
                ends_on=ends_on,
                signed_by="A. Signatory",
            ),
            recorded_by="test",
            request_id="setup",
            channel="cli",
        )
    await AgreementService(ledger).record(
        AgreementCreate(
            employer_id=uuid.UUID(renewed_id),
            version=2,
            purposes={"esp.programme-management": ["status"]},
            starts_on=ends_on,
            ends_on=dt.date(2027, 7, 1),
            signed_by="A. Signatory",
        ),
        recorded_by="test",
        request_id="setup",
        channel="cli",
    )

    def at(days_left: int) -> dt.datetime:
        return dt.datetime.combine(ends_on - dt.timedelta(days=days_left), dt.time(9), dt.UTC)

    assert await tell_agreements_ending(settings, at(31)) == 0
    assert await tell_agreements_ending(settings, at(30)) == 2  # DPO and coordinator
    assert await tell_agreements_ending(settings, at(20)) == 2  # same point: nothing new
    assert await tell_agreements_ending(settings, at(6)) == 2  # the 7-day point, missed by a day
    mail = await OutboxMessage.select().where(OutboxMessage.template == "agreement_ending")
    assert len(mail) == 4
    assert sorted({m["recipient"] for m in mail}) == sorted([dpo.email, coordinator.email])
    subjects = sorted({m["subject"] for m in mail})
    assert subjects == [
        "The data sharing agreement with Ending Ltd ends in 30 days",
        "The data sharing agreement with Ending Ltd ends in 6 days",
    ]
    assert all("Renewed Ltd" not in m["body_text"] for m in mail)
    assert "force's data protection officer or ESP coordinator" in mail[0]["body_text"]


async def test_an_objection_tells_the_dpo_and_coordinator_in_its_own_transaction(
    engine: Any, ledger: Any, settings: Settings
) -> None:
    dpo = await create_user(settings, "dpo@force.example", Role.DPO)
    coordinator = await create_user(settings, "esp@force.example", Role.COORDINATOR)
    await create_user(settings, "gone@force.example", Role.DPO)
    from portal.accounts.tables import UserAccount

    await UserAccount.update({UserAccount.is_active: False}).where(
        UserAccount.email == "gone@force.example"
    )
    person = await world.volunteer("Objecting Person")
    service = ObjectionService(ledger, settings)
    reasons = "I would rather my employer did not see my status."
    raised = await service.raise_objection(
        person.id, "u-1", "esp.programme-management", reasons, request_id="r"
    )
    mail = await OutboxMessage.select().where(OutboxMessage.template == "objection_received")
    assert sorted(m["recipient"] for m in mail) == sorted([dpo.email, coordinator.email])
    assert {m["idempotency_key"].split(":")[1] for m in mail} == {raised.id}
    body = mail[0]["body_text"]
    assert "objected to their data being used for" in body and "/dpo/objections" in body
    assert reasons not in body and "Objecting Person" not in body and person.email not in body


async def test_the_worker_command_runs_the_periodic_jobs_once_per_period(
    engine: Any, database: TestDatabase, settings: Settings
) -> None:
    env = {
        "ESP_DATABASE_URL": database.url,
        "ESP_DATA_DIR": str(settings.data_dir),
        "ESP_LOG_FORMAT": "json",
    }
    for _ in range(2):
        done = run_cli("messages", "worker", "--once", env=env)
        assert done.returncode == 0, done.stderr
    rows = await JobRun.select(JobRun.job, JobRun.finished_at)
    assert sorted(r["job"] for r in rows) == [j.name for j in sorted_jobs(settings)]
    assert all(r["finished_at"] is not None for r in rows)


def sorted_jobs(settings: Settings) -> list[Job]:
    return sorted(periodic_jobs(settings), key=lambda j: j.name)


async def test_in_process_mode_runs_the_jobs_too(
    engine: Any, database: TestDatabase, tmp_path: Any
) -> None:
    from portal.messages.inprocess import in_process_worker

    settings = make_settings(
        database, tmp_path / "data", messages_in_process=True, messages_poll_seconds=0.05
    )
    runs: list[dt.datetime] = []
    async with in_process_worker(settings, [_counting_job("inproc", runs)]):
        for _ in range(100):
            if runs:
                break
            await asyncio.sleep(0.05)
    assert len(runs) == 1
    assert await JobRun.count().where(JobRun.job == "inproc") == 1
    await run_due_jobs(settings, [_counting_job("inproc", runs)], runs[0])
    assert len(runs) == 1  # the same period again: not run


@pytest.mark.parametrize("bad", [(), (-1,), (400,), "not a list"])
def test_a_bad_notice_days_setting_is_refused_by_name(bad: Any) -> None:
    from portal.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="ESP_AGREEMENT_ENDING_NOTICE_DAYS"):
        load_settings(agreement_ending_notice_days=bad)
