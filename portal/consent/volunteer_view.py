"""What a volunteer is told about the effects of their own choices.

- Withdrawal notices the force sent to employers on their behalf, and when (if yet) each employer
  acknowledged it: the volunteer can see that the employer was told to stop, and did answer.
- Whether an employer can still see the volunteer's leave requests: an employer reads them only
  through the gate (``esp.leave-verification`` with ``hours.detail``, under an agreement in
  force), so after a withdrawal a pending request is hidden from them, not "pending" with them.

The volunteer is the subject: reading their own records is not a disclosure.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from ledger import Ledger
from portal.agreements.services import AgreementService
from portal.consent.tables import (
    ConsentEvent,
    ConsentState,
    WithdrawalAcknowledgement,
    WithdrawalNotice,
)

LEAVE_PURPOSE = "esp.leave-verification"
LEAVE_CATEGORY = "hours.detail"


@dataclass(frozen=True)
class SentNotice:
    employer_id: str
    purpose: str
    categories: tuple[str, ...]
    issued_at: dt.datetime
    acknowledged_at: dt.datetime | None


def _listed(value: Any) -> tuple[str, ...]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return tuple(str(v) for v in loaded or [])


async def sent_notices(volunteer_id: str) -> list[SentNotice]:
    """Every withdrawal notice sent about this volunteer, newest first, with its answer."""
    rows = (
        await WithdrawalNotice.select()
        .where(WithdrawalNotice.volunteer == volunteer_id)
        .order_by(WithdrawalNotice.ledger_index, ascending=False)
    )
    acks: dict[str, dt.datetime] = {}
    if rows:
        for ack in await WithdrawalAcknowledgement.select(
            WithdrawalAcknowledgement.notice, WithdrawalAcknowledgement.acknowledged_at
        ).where(WithdrawalAcknowledgement.notice.is_in([r["id"] for r in rows])):
            acks[str(ack["notice"])] = ack["acknowledged_at"]
    return [
        SentNotice(
            employer_id=str(r["employer"]),
            purpose=r["purpose"],
            categories=_listed(r["categories"]),
            issued_at=r["issued_at"],
            acknowledged_at=acks.get(str(r["id"])),
        )
        for r in rows
    ]


async def leave_visible(
    ledger: Ledger, volunteer_id: str, employer_ids: list[str], now: dt.datetime
) -> dict[str, bool]:
    """Per employer: can it see this volunteer's leave requests now?"""
    latest: dict[str, dict[str, Any]] = {}
    for row in (
        await ConsentEvent.select(
            ConsentEvent.employer, ConsentEvent.state, ConsentEvent.expires_at
        )
        .where(
            (ConsentEvent.volunteer == volunteer_id)
            & (ConsentEvent.purpose == LEAVE_PURPOSE)
            & (ConsentEvent.category == LEAVE_CATEGORY)
        )
        .order_by(ConsentEvent.ledger_index)
    ):
        latest[str(row["employer"])] = row
    agreements = AgreementService(ledger)
    visible: dict[str, bool] = {}
    for employer_id in employer_ids:
        consent = latest.get(employer_id)
        consented = (
            consent is not None
            and consent["state"] == ConsentState.GIVEN.value
            and (consent["expires_at"] is None or consent["expires_at"] > now)
        )
        agreed = False
        if consented:
            page = await agreements.list_current(1, 0, employer_id=employer_id)
            agreed = any(
                a.state == "in_force" and LEAVE_CATEGORY in a.purposes.get(LEAVE_PURPOSE, [])
                for a in page.items
            )
        visible[employer_id] = consented and agreed
    return visible
