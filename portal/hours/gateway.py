"""Hours data through the one disclosure gate (``portal.disclosure.gate``).

Every read of hours data by an employer goes through here, and from here only through the gate.
The hours values are computed by a :data:`~portal.disclosure.gate.FieldProvider` that the gate
calls after it has decided who and which categories may be released, and before it appends the
disclosure entries; the gate then projects the provided values to exactly the released
categories, and returns them only once the ledger append is durable (if it fails, nothing
leaves). The fields each category releases (``portal/vocabulary/purposes.json``):

==================  ===================  ==============================================
category            gate field           provided value
==================  ===================  ==============================================
``hours.summary``   ``hours_summary``    totals, monthly minimum, leave used / allowance
``hours.detail``    ``hours_detail``     individual duty records, or leave request(s)
``training``        ``training``         training hours
==================  ===================  ==============================================

Providers are built by the services that know the period and the question (reports, the staff
view, leave requests); they receive only the subjects the gate is about to release, with their
released categories, and compute only what those categories need.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger import Ledger
from portal.disclosure.gate import DisclosureGate, FieldProvider, Recipient, Released
from portal.errors import NotFound

HOURS_CATEGORIES = ("hours.summary", "hours.detail", "training")
#: Staff per gate page: one ledger append (one durable commit) per page.
PAGE = 1000


class HoursGate:
    def __init__(self, ledger: Ledger) -> None:
        self.gate = DisclosureGate(ledger)

    async def one(
        self,
        recipient: Recipient,
        purpose: str,
        volunteer_id: str,
        categories: Iterable[str],
        request_id: str,
        provider: FieldProvider | None = None,
        required: Iterable[str] = (),
    ) -> Released:
        """One staff member, or :class:`NotFound` (the refusal is recorded by the gate)."""
        return await self.gate.disclose_one(
            recipient,
            purpose,
            volunteer_id,
            request_id=request_id,
            categories=list(categories),
            provider=provider,
            required=required,
        )

    async def maybe_one(
        self,
        recipient: Recipient,
        purpose: str,
        volunteer_id: str,
        categories: Iterable[str],
        request_id: str,
        provider: FieldProvider | None = None,
        required: Iterable[str] = (),
    ) -> Released | None:
        try:
            return await self.one(
                recipient, purpose, volunteer_id, categories, request_id, provider, required
            )
        except NotFound:
            return None

    async def staff(
        self,
        recipient: Recipient,
        purpose: str,
        categories: Sequence[str],
        request_id: str,
        provider: FieldProvider | None = None,
    ) -> list[Released]:
        """Every permitted staff member of the recipient organisation (all pages)."""
        released: list[Released] = []
        after: str | None = None
        while True:
            page = await self.gate.disclose_staff(
                recipient,
                purpose,
                request_id=request_id,
                limit=PAGE,
                after=after,
                categories=list(categories),
                provider=provider,
            )
            released.extend(page.items)
            if page.next_cursor is None:
                return released
            after = page.next_cursor


def permits(released: Released, category: str) -> bool:
    return category in released.categories
