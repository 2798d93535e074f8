"""Reads by another police force's or a partner's users, each one through the disclosure gate.

The rules of who may see what live in the gate (``portal.disclosure.gate``); this service adds
only the one rule of these routes: each kind of organisation reads through its own routes, so a
force user can never use a partner's route and the other way round, whatever the guard says.
"""

from __future__ import annotations

from collections.abc import Iterable

from ledger.entries import Channel
from portal.apisupport import API_CHANNEL
from portal.auth.identity import Identity
from portal.disclosure.gate import DisclosureGate, Recipient, Released
from portal.disclosure.recipient import RecipientKind
from portal.disclosure.schemas import StaffMember, StaffPageOut
from portal.errors import Forbidden
from portal.receipts import ReceiptOut


def split_categories(value: str | None) -> list[str] | None:
    """``a,b`` from a query string as a list (``None``: every permitted category)."""
    if value is None:
        return None
    return [c.strip() for c in value.split(",") if c.strip()]


def member(released: Released) -> StaffMember:
    return StaffMember(
        volunteer_id=released.volunteer_id,
        purpose=released.purpose,
        categories=list(released.categories),
        data=released.data,
        receipt=ReceiptOut.of(released.receipt),
    )


class RecipientReads:
    """The people linked to the caller's organisation, released by the gate."""

    def __init__(self, gate: DisclosureGate, kind: RecipientKind) -> None:
        self.gate = gate
        self.kind = kind

    def _recipient(self, identity: Identity, channel: Channel) -> Recipient:
        recipient = Recipient.of(identity, channel)
        if recipient.kind != self.kind:
            raise Forbidden(f"Only a {self.kind.replace('_', ' ')} user reads through this route")
        return recipient

    async def people(
        self,
        identity: Identity,
        purpose: str,
        *,
        request_id: str,
        limit: int,
        after: str | None = None,
        categories: Iterable[str] | None = None,
        channel: Channel = API_CHANNEL,
    ) -> StaffPageOut:
        page = await self.gate.disclose_staff(
            self._recipient(identity, channel),
            purpose,
            request_id=request_id,
            limit=limit,
            after=after,
            categories=categories,
        )
        return StaffPageOut(
            items=[member(r) for r in page.items], next_cursor=page.next_cursor, limit=limit
        )

    async def person(
        self,
        identity: Identity,
        purpose: str,
        volunteer_id: str,
        *,
        request_id: str,
        categories: Iterable[str] | None = None,
        channel: Channel = API_CHANNEL,
    ) -> StaffMember:
        released = await self.gate.disclose_one(
            self._recipient(identity, channel),
            purpose,
            volunteer_id,
            request_id=request_id,
            categories=categories,
        )
        return member(released)
