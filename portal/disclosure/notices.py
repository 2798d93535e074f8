"""Withdrawal notices as the employer that received the data sees them (UK GDPR Art. 19).

A volunteer's withdrawal issues the notices (``portal.consent.services``); the recipient lists
and acknowledges them here. An id outside the employer's organisation is refused through the
gate's refusal record, like any other attempt to reach someone else's data, and answers 404.
"""

from __future__ import annotations

from typing import Any

import structlog

from ledger import Ledger
from ledger.kinds import NoticeAcknowledgedDraft, NoticeDetails
from portal.clock import utcnow
from portal.consent.schemas import Acknowledged, WithdrawalNoticeOut, WithdrawalNoticePage
from portal.consent.services import json_list
from portal.consent.tables import WithdrawalAcknowledgement, WithdrawalNotice
from portal.disclosure.gate import DisclosureGate
from portal.disclosure.notice_names import NoticeSubject
from portal.disclosure.recipient import Recipient
from portal.disclosure.tables import RefusalReason
from portal.errors import Conflict, NotFound
from portal.ids import parse_id
from portal.ledgering import recording
from portal.receipts import ReceiptOut

log = structlog.get_logger(__name__)


NOTICE_MESSAGE = (
    "This volunteer has withdrawn consent for {purpose} ({categories}). Stop using the data you "
    "received under it for this purpose, and acknowledge this notice."
)


def _notice_out(row: dict[str, Any], ack: dict[str, Any] | None) -> WithdrawalNoticeOut:
    categories = json_list(row["categories"])
    return WithdrawalNoticeOut(
        id=str(row["id"]),
        volunteer_id=str(row["volunteer"]),
        purpose=row["purpose"],
        categories=categories,
        issued_at=row["issued_at"],
        ledger_index=int(row["ledger_index"]),
        acknowledged_at=ack["acknowledged_at"] if ack else None,
        acknowledged_by=str(ack["acknowledged_by"]) if ack else None,
        message=NOTICE_MESSAGE.format(purpose=row["purpose"], categories=", ".join(categories)),
    )


class NoticeService:
    def __init__(self, ledger: Ledger, gate: DisclosureGate) -> None:
        self.ledger = ledger
        self.gate = gate

    @staticmethod
    async def _acks(notice_ids: list[Any]) -> dict[str, dict[str, Any]]:
        if not notice_ids:
            return {}
        rows = await WithdrawalAcknowledgement.select().where(
            WithdrawalAcknowledgement.notice.is_in(notice_ids)
        )
        return {str(r["notice"]): r for r in rows}

    async def _rows(
        self, recipient: Recipient, *, pending_only: bool
    ) -> list[tuple[dict[str, Any], WithdrawalNoticeOut]]:
        condition = WithdrawalNotice.employer == recipient.organisation_id
        rows = await (
            WithdrawalNotice.select()
            .where(condition)
            .order_by(WithdrawalNotice.ledger_index, ascending=False)
        )
        acks = await self._acks([r["id"] for r in rows])
        found = [(r, _notice_out(r, acks.get(str(r["id"])))) for r in rows]
        if pending_only:
            found = [(r, out) for r, out in found if out.acknowledged_at is None]
        return found

    async def list_for(
        self, recipient: Recipient, *, pending_only: bool, limit: int, offset: int
    ) -> WithdrawalNoticePage:
        items = [out for _row, out in await self._rows(recipient, pending_only=pending_only)]
        return WithdrawalNoticePage(
            items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
        )

    async def list_named(
        self, recipient: Recipient, *, limit: int, offset: int, request_id: str
    ) -> tuple[WithdrawalNoticePage, dict[str, str]]:
        """A page of notices, and the name of the person each notice still to be acknowledged
        is about (by notice id), released through the gate and ledgered (see
        :meth:`DisclosureGate.disclose_notice_names`). An acknowledged notice has done its job:
        it is listed without the name, so reading old notices discloses nothing more."""
        found = await self._rows(recipient, pending_only=False)
        page = found[offset : offset + limit]
        pending = [
            NoticeSubject(
                notice_id=out.id,
                volunteer_id=out.volunteer_id,
                subject=str(row["subject"]),
                purpose=out.purpose,
                consent_ids=tuple(json_list(row["consent_ids"])),
                issued_index=out.ledger_index,
            )
            for row, out in page
            if out.acknowledged_at is None
        ]
        names = (
            await self.gate.disclose_notice_names(recipient, pending, request_id=request_id)
            if pending
            else {}
        )
        listed = WithdrawalNoticePage(
            items=[out for _row, out in page], total=len(found), limit=limit, offset=offset
        )
        return listed, names

    async def acknowledge(
        self, recipient: Recipient, notice_id: str, *, request_id: str
    ) -> Acknowledged:
        key = parse_id(notice_id)
        row = None
        if key is not None:
            row = (
                await WithdrawalNotice.select()
                .where(
                    (WithdrawalNotice.id == key)
                    & (WithdrawalNotice.employer == recipient.organisation_id)
                )
                .first()
            )
        if row is None:
            await self.gate.refuse(
                recipient,
                RefusalReason.OUTSIDE_ORGANISATION,
                purpose="",
                request_id=request_id,
                requested_id=notice_id,
            )
            raise NotFound("No notice with this id is addressed to your organisation")
        if await WithdrawalAcknowledgement.exists().where(WithdrawalAcknowledgement.notice == key):
            raise Conflict("This notice is already acknowledged")
        now = utcnow()
        draft = NoticeAcknowledgedDraft(
            purpose=row["purpose"],
            subject=row["subject"],
            recipient_org=recipient.organisation_id,
            recipient_user=recipient.user_id,
            categories=tuple(json_list(row["categories"])),
            consent_ids=tuple(json_list(row["consent_ids"])),
            request_id=request_id,
            channel=recipient.channel,
            details=NoticeDetails(notice_id=str(key)),
        )
        async with recording(
            self.ledger,
            "notice.acknowledge_failed",
            unavailable="The acknowledgement could not be recorded in the ledger; try again later",
            on_duplicate=lambda: Conflict("This notice is already acknowledged"),
            notice_id=str(key),
        ) as tx:
            (receipt,) = await tx.append([draft])
            await WithdrawalAcknowledgement.insert(
                WithdrawalAcknowledgement(
                    notice=key,
                    acknowledged_by=recipient.user_id,
                    acknowledged_at=now,
                    ledger_index=receipt.index,
                )
            )
        log.info(
            "notice.acknowledged",
            notice_id=str(key),
            organisation_id=recipient.organisation_id,
            user_id=recipient.user_id,
            ledger_index=receipt.index,
        )
        ack = {"acknowledged_at": now, "acknowledged_by": recipient.user_id}
        return Acknowledged(notice=_notice_out(row, ack), receipt=ReceiptOut.of(receipt))
