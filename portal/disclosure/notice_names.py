"""Whose data a withdrawal notice is about: the facts the gate needs to name that person.

A withdrawal notice tells an employer to stop using data it received under consents that have
now been withdrawn (UK GDPR Art. 7(3) and Art. 19). To act on it the employer must know whose
data that is, so the notice names the person, but only when the employer already received the
name in the very disclosures the notice is about: an earlier ``disclosure`` ledger entry to that
organisation, about that subject, for that purpose, that released ``identity`` and relied on one
of the withdrawn consent records. Anything else would tell the employer something new. The gate
(:meth:`portal.disclosure.gate.DisclosureGate.disclose_notice_names`) records each name it
shows as a disclosure before the page leaves the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ledger.tables import LedgerEntry

#: Ledger rows read per step while looking back for the disclosure a notice is about.
_SCAN_PAGE = 200
NAME_CATEGORY = "identity"


@dataclass(frozen=True)
class NoticeSubject:
    """A withdrawal notice as the gate sees it: whose, which purpose, which consents."""

    notice_id: str
    volunteer_id: str
    subject: str
    purpose: str
    consent_ids: tuple[str, ...]
    #: the notice's own ledger index: only what left before it counts
    issued_index: int


async def name_was_received(organisation_id: str, notice: NoticeSubject) -> bool:
    """Whether the organisation received the person's name under the withdrawn consents."""
    withdrawn = set(notice.consent_ids)
    before = notice.issued_index
    while True:
        rows = await (
            LedgerEntry.select(LedgerEntry.idx, LedgerEntry.body)
            .where(
                (LedgerEntry.subject == notice.subject)
                & (LedgerEntry.kind == "disclosure")
                & (LedgerEntry.recipient_org == organisation_id)
                & (LedgerEntry.purpose == notice.purpose)
                & (LedgerEntry.idx < before)
            )
            .order_by(LedgerEntry.idx, ascending=False)
            .limit(_SCAN_PAGE)
        )
        for row in rows:
            body = json.loads(bytes(row["body"]))
            if NAME_CATEGORY in body.get("categories", ()) and withdrawn.intersection(
                body.get("consent_ids", ())
            ):
                return True
        if len(rows) < _SCAN_PAGE:
            return False
        before = int(rows[-1]["idx"])
