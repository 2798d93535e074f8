"""Periodic jobs, run by the messages worker: each job once per period, however many workers run.

Time is cut into periods of ``ESP_JOBS_INTERVAL_SECONDS`` (period ``n`` starts at ``n x interval``
seconds after the epoch). Before a job runs for a period, the worker inserts the ``job_run`` row
for ``(job, period)``; the unique index lets one insert win, so of two workers (two processes, two
machines) one runs the job and the other sees the row and moves on. The row carries a lease: a
worker killed mid-run leaves a row without ``finished_at``, which another worker takes over once
``claimed_until`` has passed. Jobs are idempotent (their messages carry idempotency keys, their
alerts are unique per day), so a job run twice in a period, or re-run after a crash, writes
nothing twice.

A job is a name and a coroutine taking "now" and returning how many things it did. Which jobs
exist is decided above this package (``portal.jobs``), so messages depends on no domain.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import structlog

from portal.dbutil import is_unique_violation
from portal.messages.tables import JobRun
from portal.settings import Settings

log = structlog.get_logger(__name__)

WORKER = f"{socket.gethostname()[:40]}:{os.getpid()}"

Claim = Literal["claimed", "done", "held"]


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run(now)`` does one period's work and returns how much it did."""

    name: str
    run: Callable[[dt.datetime], Awaitable[int]]


@dataclass(frozen=True)
class JobResult:
    job: str
    period: int
    claim: Claim
    done: int | None = None
    error: str = ""


def period_of(settings: Settings, now: dt.datetime) -> int:
    """The period ``now`` falls in."""
    return int(now.timestamp() // settings.jobs_interval_seconds)


async def _take_over(job: str, period: int, now: dt.datetime, until: dt.datetime) -> bool:
    """Take a lapsed, unfinished run of ``job`` for ``period``; true if this worker got it."""
    taken = (
        await JobRun.update(
            {JobRun.claimed_until: until, JobRun.worker: WORKER, JobRun.started_at: now}
        )
        .where(
            (JobRun.job == job)
            & (JobRun.period == period)
            & JobRun.finished_at.is_null()
            & (JobRun.claimed_until < now)
        )
        .returning(JobRun.id)
    )
    return bool(taken)


async def claim(settings: Settings, job: str, period: int, now: dt.datetime) -> Claim:
    """Claim ``job`` for ``period``: ``claimed`` (run it), ``done`` or ``held`` (another has it)."""
    until = now + dt.timedelta(seconds=settings.messages_lease_seconds)
    row = (
        await JobRun.select(JobRun.finished_at, JobRun.claimed_until)
        .where((JobRun.job == job) & (JobRun.period == period))
        .first()
    )
    if row is None:
        try:
            await JobRun.insert(
                JobRun(
                    id=uuid.uuid4(),
                    job=job,
                    period=period,
                    worker=WORKER,
                    started_at=now,
                    claimed_until=until,
                )
            )
            return "claimed"
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
            return "held"  # another worker inserted it first
    if row["finished_at"] is not None:
        return "done"
    return "claimed" if await _take_over(job, period, now, until) else "held"


async def _finish(job: str, period: int, now: dt.datetime, outcome: str) -> None:
    await JobRun.update({JobRun.finished_at: now, JobRun.outcome: outcome[:200]}).where(
        (JobRun.job == job) & (JobRun.period == period)
    )


async def run_job(settings: Settings, job: Job, now: dt.datetime) -> JobResult:
    """Run ``job`` for the period of ``now`` if no worker has (or is doing so now)."""
    period = period_of(settings, now)
    got = await claim(settings, job.name, period, now)
    if got != "claimed":
        return JobResult(job.name, period, got)
    try:
        done = await job.run(now)
    except Exception as exc:  # the lease lapses and a later pass (or worker) tries again
        log.exception("job.failed", job=job.name, period=period)
        return JobResult(job.name, period, got, error=type(exc).__name__)
    await _finish(job.name, period, now, str(done))
    log.info("job.finished", job=job.name, period=period, done=done)
    return JobResult(job.name, period, got, done=done)


async def run_due_jobs(
    settings: Settings, jobs: Sequence[Job], now: dt.datetime
) -> list[JobResult]:
    """Run each job that has not run in the current period (one claim each)."""
    return [await run_job(settings, job, now) for job in jobs]
