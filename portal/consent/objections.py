"""Objections where consent is not the basis (UK GDPR Art. 21), and the DPO's decisions.

A volunteer objects to a public-task purpose with their reasons; the objection is recorded
append-only in the same transaction as its ``objection.raised`` ledger entry and waits in the
DPO's queue. The DPO upholds it (the gate then refuses the purpose for that volunteer, reason
``objection_upheld``) or rejects it, giving reasons the volunteer reads; the decision is another
append-only row with its ``objection.decided`` entry. One open objection per volunteer and
purpose at a time; after a rejection the volunteer may object again (new reasons).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from ledger import Ledger
from ledger.kinds import (
    ObjectionDecidedDetails,
    ObjectionDecidedDraft,
    ObjectionDetails,
    ObjectionRaisedDraft,
)
from portal.clock import local_date, utcnow
from portal.consent.objection_tables import Objection, ObjectionDecision, Outcome
from portal.dbutil import is_unique_violation, write_transaction
from portal.errors import Conflict, NotFound, ServiceUnavailable
from portal.fielderrors import field_error
from portal.ids import parse_id
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from portal.staffmail import tell_force_staff
from portal.vocabulary import RECIPIENT_AUDIENCES, Purpose, vocabulary

log = structlog.get_logger(__name__)

REASONS_MIN = 10
REASONS_MAX = 2000


@dataclass(frozen=True)
class ObjectionView:
    id: str
    volunteer_id: str
    purpose: str
    reasons: str
    raised_at: dt.datetime
    ledger_index: int
    outcome: str | None = None
    #: The volunteer's pseudonymous ledger id (what the DPO's queue shows of them).
    subject: str = ""
    decision_reasons: str | None = None
    decided_at: dt.datetime | None = None


def objectable(code: str) -> Purpose:
    """A purpose one can object to: shared with a recipient organisation (an employer, another
    police force, a partner) without consent (public task)."""
    purpose = vocabulary().purpose(code)
    if purpose is None or purpose.consent_required or purpose.audience not in RECIPIENT_AUDIENCES:
        usable = sorted(
            p.code
            for p in vocabulary().purposes
            if not p.consent_required and p.audience in RECIPIENT_AUDIENCES
        )
        raise field_error(
            "purpose",
            "you can object only to a purpose that does not rely on your consent ("
            + ", ".join(usable)
            + "); withdraw consent instead where consent is the basis",
        )
    return purpose


def _reasons(text: str, field: str = "reasons") -> str:
    cleaned = " ".join(text.split())
    if len(cleaned) < REASONS_MIN:
        raise field_error(field, f"give your reasons, in at least {REASONS_MIN} characters")
    if len(cleaned) > REASONS_MAX:
        raise field_error(field, f"keep your reasons to {REASONS_MAX} characters")
    return cleaned


async def _views(rows: list[dict[str, Any]]) -> list[ObjectionView]:
    decisions: dict[str, dict[str, Any]] = {}
    if rows:
        for d in await ObjectionDecision.select().where(
            ObjectionDecision.objection.is_in([r["id"] for r in rows])
        ):
            decisions[str(d["objection"])] = d
    out = []
    for r in rows:
        decision = decisions.get(str(r["id"]))
        out.append(
            ObjectionView(
                id=str(r["id"]),
                volunteer_id=str(r["volunteer"]),
                purpose=r["purpose"],
                reasons=r["reasons"],
                raised_at=r["raised_at"],
                ledger_index=int(r["ledger_index"]),
                outcome=decision["outcome"] if decision else None,
                subject=str(r["subject"]),
                decision_reasons=decision["reasons"] if decision else None,
                decided_at=decision["decided_at"] if decision else None,
            )
        )
    return out


async def objections_of(volunteer_id: str) -> list[ObjectionView]:
    """The volunteer's own objections, newest first, with any decision."""
    rows = (
        await Objection.select()
        .where(Objection.volunteer == volunteer_id)
        .order_by(Objection.ledger_index, ascending=False)
    )
    return await _views(rows)


async def open_objections() -> list[ObjectionView]:
    """The DPO's queue: objections with no decision yet, oldest first."""
    decided = ObjectionDecision.select(ObjectionDecision.objection)
    rows = (
        await Objection.select()
        .where(Objection.id.not_in(decided))
        .order_by(Objection.ledger_index)
    )
    return await _views(rows)


async def upheld_for(purpose: str, volunteer_ids: Sequence[str]) -> set[str]:
    """Which of ``volunteer_ids`` have an upheld objection to ``purpose`` (the gate's fact)."""
    if not volunteer_ids:
        return set()
    upheld = ObjectionDecision.select(ObjectionDecision.objection).where(
        ObjectionDecision.outcome == Outcome.UPHELD.value
    )
    rows = await Objection.select(Objection.volunteer).where(
        (Objection.purpose == purpose)
        & Objection.volunteer.is_in(list(volunteer_ids))
        & Objection.id.is_in(upheld)
    )
    return {str(r["volunteer"]) for r in rows}


class ObjectionService:
    def __init__(self, ledger: Ledger, settings: Settings) -> None:
        self.ledger = ledger
        self.settings = settings

    async def raise_objection(
        self, volunteer_id: str, user_id: str, purpose_code: str, reasons: str, *, request_id: str
    ) -> ObjectionView:
        purpose = objectable(purpose_code)
        text = _reasons(reasons)
        mine = await objections_of(volunteer_id)
        if any(o.purpose == purpose.code and o.outcome != Outcome.REJECTED.value for o in mine):
            raise Conflict(
                "You already have an objection to this purpose that is waiting for a decision "
                "or was upheld",
                errors=[{"field": "purpose", "message": "already objected"}],
            )
        row = await Volunteer.select(Volunteer.subject).where(Volunteer.id == volunteer_id).first()
        if row is None:
            raise NotFound("No volunteer record")
        key = uuid.uuid4()
        now = utcnow()
        draft = ObjectionRaisedDraft(
            purpose=purpose.code,
            lawful_basis=purpose.lawful_basis.value,
            subject=str(row["subject"]),
            categories=purpose.categories,
            request_id=request_id,
            channel="web",
            details=ObjectionDetails(objection_id=str(key)),
        )
        try:
            async with write_transaction(Objection):
                (receipt,) = await self.ledger.append_in_transaction([draft])
                await Objection.insert(
                    Objection(
                        id=key,
                        volunteer=volunteer_id,
                        subject=str(row["subject"]),
                        purpose=purpose.code,
                        reasons=text,
                        raised_at=now,
                        raised_by=user_id,
                        ledger_index=receipt.index,
                    )
                )
                # The DPO and coordinators are told in the same transaction (never the reasons:
                # the DPO reads them on the queue page, signed in).
                await tell_force_staff(
                    self.settings,
                    kind="objection_received",
                    event_key=f"objection:{key}",
                    context={
                        "purpose": purpose.label,
                        "raised_on": local_date(now).strftime("%-d %B %Y"),
                        "link": f"{self.settings.base_url}/dpo/objections",
                    },
                )
        except Exception as exc:
            log.error("objection.raise_failed", error=type(exc).__name__, volunteer_id=volunteer_id)
            raise ServiceUnavailable(
                "The objection could not be recorded in the ledger; nothing was changed. "
                "Try again later."
            ) from None
        log.info(
            "objection.raised",
            volunteer_id=volunteer_id,
            purpose=purpose.code,
            ledger_index=receipt.index,
        )
        return ObjectionView(str(key), volunteer_id, purpose.code, text, now, receipt.index)

    async def decide(
        self, objection_id: str, outcome: str, reasons: str, decided_by: str, *, request_id: str
    ) -> ObjectionView:
        if outcome not in {o.value for o in Outcome}:
            raise field_error("outcome", "choose whether to uphold or reject the objection")
        text = _reasons(reasons)
        key = parse_id(objection_id)
        row = await Objection.select().where(Objection.id == key).first() if key else None
        if row is None:
            raise NotFound("No objection with this id")
        purpose = vocabulary().purpose(row["purpose"])
        assert purpose is not None
        now = utcnow()
        draft = ObjectionDecidedDraft(
            purpose=purpose.code,
            lawful_basis=purpose.lawful_basis.value,
            subject=row["subject"],
            categories=purpose.categories,
            request_id=request_id,
            channel="web",
            details=ObjectionDecidedDetails(
                objection_id=str(key),
                outcome=outcome,
                decided_by=decided_by,
            ),
        )
        if await ObjectionDecision.exists().where(ObjectionDecision.objection == key):
            raise Conflict("This objection is already decided")
        try:
            async with write_transaction(ObjectionDecision):
                (receipt,) = await self.ledger.append_in_transaction([draft])
                await ObjectionDecision.insert(
                    ObjectionDecision(
                        id=uuid.uuid4(),
                        objection=key,
                        outcome=outcome,
                        reasons=text,
                        decided_by=decided_by,
                        decided_at=now,
                        ledger_index=receipt.index,
                    )
                )
        except Exception as exc:
            if is_unique_violation(exc):
                raise Conflict("This objection is already decided") from None
            log.error("objection.decide_failed", error=type(exc).__name__, objection_id=str(key))
            raise ServiceUnavailable(
                "The decision could not be recorded in the ledger; nothing was changed. "
                "Try again later."
            ) from None
        log.info(
            "objection.decided",
            objection_id=str(key),
            outcome=outcome,
            purpose=purpose.code,
            ledger_index=receipt.index,
        )
        (view,) = await _views([row])
        return view
