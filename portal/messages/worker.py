"""Delivering the outbox: claim due messages, send each through the transport, record the outcome.

Claiming is safe across processes. On PostgreSQL the due rows are selected ``FOR UPDATE SKIP
LOCKED``, so two workers never take the same row and neither waits for the other; on SQLite the
claim runs in an ``IMMEDIATE`` transaction, which takes the write lock before reading. A claim
marks the row ``sending`` with a lease (``ESP_MESSAGES_LEASE_SECONDS``): a worker killed mid-send
leaves a row whose lease runs out and another worker takes it again, handing the transport the same
idempotency key, so the provider sees one message.

A failed send is retried with exponential backoff until ``ESP_MESSAGES_MAX_ATTEMPTS``; a permanent
refusal (an address the server rejects) is not retried. A message to a volunteer goes only
through a :class:`~portal.messages.disclosing.GatedTransport` (their address is a disclosure);
the gate's refusal makes it ``refused``. A message holding a secret link has its bodies emptied
once it is finished (``SECRET_TEMPLATES``). Logs carry the message id, template,
channel, status and attempt count: never an address, a number or a body.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import TransactionType

from portal.clock import Clock, utcnow
from portal.messages.disclosing import Refused
from portal.messages.outbox import SECRET_TEMPLATES
from portal.messages.periodic import Job, run_due_jobs
from portal.messages.retention import purge_bodies
from portal.messages.tables import OutboxMessage
from portal.messages.transports import Outgoing, Transport, TransportError
from portal.settings import Settings

log = structlog.get_logger(__name__)

MAX_BACKOFF = timedelta(hours=6)
CLAIMED = (
    OutboxMessage.id,
    OutboxMessage.idempotency_key,
    OutboxMessage.template,
    OutboxMessage.channel,
    OutboxMessage.recipient,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.attempts,
    OutboxMessage.volunteer,
    OutboxMessage.security,
)


def _now() -> datetime:
    return datetime.now(UTC)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failed ones: doubling, capped at 6 hours."""
    delay = timedelta(seconds=settings.messages_retry_base_seconds * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


async def _select_and_mark(settings: Settings, limit: int, *, lock: bool) -> list[dict[str, Any]]:
    now = _now()
    due = (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)
    lapsed = (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now)
    query = (
        OutboxMessage.select(*CLAIMED)
        .where(due | lapsed)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    )
    if lock:
        query = query.lock_rows("UPDATE", skip_locked=True, of=(OutboxMessage,))
    rows = await query
    if rows:
        await OutboxMessage.update(
            {
                OutboxMessage.status: "sending",
                OutboxMessage.claimed_until: now
                + timedelta(seconds=settings.messages_lease_seconds),
                OutboxMessage.attempts: OutboxMessage.attempts + 1,
            }
        ).where(OutboxMessage.id.is_in([row["id"] for row in rows]))
    for row in rows:
        row["attempts"] += 1
    return list(rows)


async def claim_due(settings: Settings, limit: int = 50) -> list[dict[str, Any]]:
    """Take up to ``limit`` due messages for this worker (see the module docstring)."""
    engine = OutboxMessage._meta.db
    if isinstance(engine, PostgresEngine):
        async with engine.transaction():
            return await _select_and_mark(settings, limit, lock=True)
    async with engine.transaction(transaction_type=TransactionType.immediate):
        return await _select_and_mark(settings, limit, lock=False)


@dataclass(frozen=True)
class Outcome:
    status: str
    error: str = ""
    provider_ref: str = ""


async def _record(row: dict[str, Any], outcome: Outcome, settings: Settings) -> None:
    values: dict[Any, Any] = {
        OutboxMessage.status: outcome.status,
        OutboxMessage.claimed_until: None,
        OutboxMessage.last_error: outcome.error[:200],
    }
    if outcome.status == "sent":
        values[OutboxMessage.sent_at] = _now()
        values[OutboxMessage.provider_ref] = outcome.provider_ref[:200]
    elif outcome.status == "pending":
        values[OutboxMessage.next_attempt_at] = _now() + backoff(settings, row["attempts"])
    if outcome.status != "pending" and row["template"] in SECRET_TEMPLATES:
        # the one-time link must not outlive its delivery in plain text
        values[OutboxMessage.body_text] = ""
        values[OutboxMessage.body_html] = ""
        values[OutboxMessage.purged_at] = _now()
    await OutboxMessage.update(values).where(OutboxMessage.id == row["id"])
    log.info(
        "message.delivery",
        message_id=str(row["id"]),
        template=row["template"],
        channel=row["channel"],
        status=outcome.status,
        attempts=row["attempts"],
        error=outcome.error,
    )


async def deliver(row: dict[str, Any], transport: Transport, settings: Settings) -> Outcome:
    """Send one claimed message and record what happened to it."""
    message = Outgoing(
        idempotency_key=row["idempotency_key"],
        channel=row["channel"],
        recipient=row["recipient"],
        subject=row["subject"],
        text=row["body_text"],
        html=row["body_html"],
        message_id=str(row["id"]),
        volunteer_id=str(row.get("volunteer") or ""),
        security=bool(row.get("security")),
    )
    try:
        if message.volunteer_id and not getattr(transport, "gated", False):
            raise TransportError("a message to a volunteer is sent only through the gate")
        ref = await transport.send(message)
        outcome = Outcome(status="sent", provider_ref=ref)
    except Refused as exc:
        outcome = Outcome(status="refused", error=str(exc))
    except TransportError as exc:
        final = exc.permanent or row["attempts"] >= settings.messages_max_attempts
        outcome = Outcome(status="failed" if final else "pending", error=str(exc))
    except Exception as exc:  # a transport bug must not leave the row claimed until the lease ends
        final = row["attempts"] >= settings.messages_max_attempts
        outcome = Outcome(status="failed" if final else "pending", error=type(exc).__name__)
    await _record(row, outcome, settings)
    return outcome


async def run_once(settings: Settings, transport: Transport, limit: int = 50) -> int:
    """Claim and deliver one batch; returns how many messages were tried.

    Up to ``ESP_MESSAGES_CONCURRENCY`` messages of the batch are in flight at once: delivery
    waits on the provider (a network round trip, an fsync), not on this process.
    """
    rows = await claim_due(settings, limit)
    gate = asyncio.Semaphore(settings.messages_concurrency)

    async def one(row: dict[str, Any]) -> None:
        async with gate:
            await deliver(row, transport, settings)

    await asyncio.gather(*(one(row) for row in rows))
    return len(rows)


#: How often a running worker empties message bodies past their retention.
PURGE_EVERY_SECONDS = 3600.0


async def _purge_if_due(settings: Settings, due: float) -> float:
    """Purge bodies past retention when ``due`` (a monotonic time) has come; the next due time."""
    now = time.monotonic()
    if now < due:
        return due
    try:
        await purge_bodies(settings, _now())
    except Exception:  # the database went away for a moment: try again next time
        log.exception("message.purge_error")
    return now + PURGE_EVERY_SECONDS


async def run_forever(
    settings: Settings,
    transport: Transport,
    stop: asyncio.Event,
    jobs: Sequence[Job] = (),
    clock: Clock = utcnow,
) -> None:
    """Deliver until ``stop`` is set, sleeping ``ESP_MESSAGES_POLL_SECONDS`` when nothing is due.

    Between batches it runs the periodic ``jobs`` whose period has not run yet
    (:mod:`portal.messages.periodic`): at most one claim per job per poll; and hourly it empties
    message bodies past ``ESP_MESSAGES_BODY_RETENTION_DAYS``.
    """
    purge_due = 0.0
    while not stop.is_set():
        purge_due = await _purge_if_due(settings, purge_due)
        try:
            if jobs:
                await run_due_jobs(settings, jobs, clock())
            tried = await run_once(settings, transport)
        except Exception:  # the database went away for a moment: log and keep the worker alive
            log.exception("message.worker_error")
            tried = 0
        if tried:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.messages_poll_seconds)
