"""Erasing one person: their rows go (or are reduced), the ledger keeps every byte, and the
erasure itself is recorded and ledgered without a trace of whose it was.

This is the one entry point: the Art. 17 request workflow and the retention schedule both call
:func:`erase_person`. See docs/ERASURE.md for what is removed, what is kept and why the ledger
still verifies.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from ledger import ErasureRecordedDraft, Ledger, Receipt
from ledger.entries import Channel
from ledger.kinds import ErasureDetails
from portal import memo
from portal.clock import utcnow
from portal.erasure.plan import volunteer_digest
from portal.erasure.procedure import run_plan
from portal.erasure.tables import ErasureRecord
from portal.errors import Conflict, InvalidInput, NotFound
from portal.ledgering import build_ledger, recording
from portal.organisations.tables import Volunteer
from portal.settings import get_settings

log = structlog.get_logger(__name__)

REASON_MAX = 500
#: ``decided_by`` of an erasure no person decided (a scheduled retention run).
SYSTEM = "system"


@dataclass(frozen=True)
class ErasureResult:
    """What an erasure did: its record's id, when, the rows per table, and its ledger receipt."""

    erasure_id: str
    erased_at: datetime
    erased: dict[str, int] = field(default_factory=dict)
    ledger_index: int = 0
    receipt: Receipt | None = None


def _checked_reason(reason: str) -> str:
    text = reason.strip()
    if not text or len(text) > REASON_MAX:
        raise InvalidInput(
            "The reason for an erasure is required (at most 500 characters)",
            errors=[{"field": "reason", "message": f"required, at most {REASON_MAX} characters"}],
        )
    return text


async def _subject_of(volunteer_id: UUID) -> str:
    row = await Volunteer.select(Volunteer.subject).where(Volunteer.id == volunteer_id).first()
    if row is not None:
        return str(row["subject"])
    digest = volunteer_digest(str(volunteer_id))
    if await ErasureRecord.exists().where(ErasureRecord.volunteer_digest == digest):
        raise Conflict("This volunteer's data has already been erased")
    raise NotFound("No volunteer has this id")


async def erase_person(
    volunteer_id: UUID,
    *,
    reason: str,
    decided_by: UUID | None,
    ledger: Ledger | None = None,
    channel: Channel = "system",
    request_id: str = "",
    replay_of: str = "",
    on_erased: Callable[[str], Awaitable[None]] | None = None,
) -> ErasureResult:
    """Erase everything the portal holds about one volunteer, in one transaction with its entry.

    ``decided_by`` is the DPO's account (None: a scheduled retention run). ``ledger`` is the
    running ledger when the caller has one (the app, a command); without it one is built from
    the settings for this call. Raises NotFound for an unknown id, Conflict when already erased,
    InvalidInput for a missing reason; the database is unchanged in each case. ``on_erased``
    runs inside the erasure's transaction with the erasure record's id (an Art. 17 request marks
    itself erased there, so the request and the erasure commit together).
    """
    text = _checked_reason(reason)
    subject = await _subject_of(volunteer_id)
    if ledger is None:
        own = build_ledger(get_settings(), Volunteer._meta.db)
        await own.start()
        try:
            return await _erase(
                own,
                volunteer_id,
                subject,
                text,
                decided_by,
                _How(channel, request_id, replay_of, on_erased),
            )
        finally:
            await own.close()
    return await _erase(
        ledger,
        volunteer_id,
        subject,
        text,
        decided_by,
        _How(channel, request_id, replay_of, on_erased),
    )


@dataclass(frozen=True)
class _How:
    """How an erasure came about: its channel and request, the record it replays, its hook."""

    channel: Channel
    request_id: str
    replay_of: str
    on_erased: Callable[[str], Awaitable[None]] | None


async def _erase(
    ledger: Ledger,
    volunteer_id: UUID,
    subject: str,
    reason: str,
    decided_by: UUID | None,
    how: _How,
) -> ErasureResult:
    erasure_id = str(uuid.uuid4())
    decider = str(decided_by) if decided_by is not None else SYSTEM
    draft = ErasureRecordedDraft(
        channel=how.channel,
        request_id=how.request_id,
        details=ErasureDetails(erasure_id=erasure_id, decided_by=decider),
    )
    now = utcnow()
    engine: Any = Volunteer._meta.db
    async with recording(
        ledger,
        "erasure.failed",
        unavailable="The erasure could not be recorded in the ledger; nothing was erased",
        on_duplicate=lambda: Conflict("This volunteer's data has already been erased"),
        erasure_id=erasure_id,
    ) as tx:
        (receipt,) = await tx.append([draft])
        erased = await run_plan(engine, volunteer_id, subject)
        await ErasureRecord.insert(
            ErasureRecord(
                id=uuid.UUID(erasure_id),
                volunteer_digest=volunteer_digest(str(volunteer_id)),
                reason=reason,
                decided_by=decider,
                erased_at=now,
                erased=erased,
                ledger_index=receipt.index,
                replay_of=how.replay_of,
            )
        )
        if how.on_erased is not None:
            await how.on_erased(erasure_id)
    # Answers this process remembered from the person's data (their computed hours) go too; other
    # processes drop theirs within the memo's age limit (portal.memo).
    memo.forget_everything()
    log.info(
        "erasure.done", erasure_id=erasure_id, ledger_index=receipt.index, rows=sum(erased.values())
    )
    return ErasureResult(erasure_id, now, erased, receipt.index, receipt)
