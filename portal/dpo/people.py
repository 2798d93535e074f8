"""The DPO finds a person: by name, email address, volunteer id or subject id, in one box.

The organisations domain finds and ranks the volunteers (``portal.organisations.search``); the
people shown pass through the disclosure gate under ``dpo.audit`` (identity and status), which
appends one ledger entry per person shown before any of it is returned. So the ledger records
*whom* the DPO saw, under the search's request id, and never what was typed: the query may be a
name, and neither the ledger nor the logs hold names. A search that finds nobody shows nobody's
data and appends nothing; it is logged (how the query was read, how many were found).

Employers are the force's own record of whom each person works for, shown so the DPO can tell
two people of the same name apart.
"""

from __future__ import annotations

import structlog

from portal.clock import local_date, utcnow
from portal.disclosure.gate import DPO_AUDIT, DisclosureGate, Recipient
from portal.dpo.schemas import PersonFound, PersonSearchResult
from portal.organisations.search import find_volunteers, read_query
from portal.organisations.services import OrganisationService
from portal.organisations.status import VolunteerStatus

log = structlog.get_logger(__name__)

#: What a search result shows of each person, and what each audit entry records as seen.
SHOWN = ("identity", "status")


def report_url(volunteer_id: str) -> str:
    """The person's subject access report page."""
    return f"/dpo/subjects?volunteer={volunteer_id}"


class PersonSearchService:
    def __init__(self, gate: DisclosureGate, organisations: OrganisationService) -> None:
        self.gate = gate
        self.organisations = organisations

    async def search(
        self, recipient: Recipient, text: str, *, limit: int, request_id: str
    ) -> PersonSearchResult:
        """The people ``text`` finds, best first; each one shown is ledgered first."""
        query = read_query(text)
        found = await find_volunteers(query, limit)
        released = await self.gate.disclose_several_to_force(
            recipient,
            [f.volunteer_id for f in found],
            request_id=request_id,
            purpose_code=DPO_AUDIT,
            categories=SHOWN,
        )
        employers = await self.organisations.employers_of(
            [r.volunteer_id for r in released], local_date(utcnow())
        )
        how = {f.volunteer_id: f for f in found}
        items = [
            PersonFound(
                volunteer_id=r.volunteer_id,
                subject=r.subject,
                display_name=str(r.data.get("display_name") or ""),
                status=VolunteerStatus(str(r.data.get("status"))),
                employers=employers.get(r.volunteer_id, []),
                matched_on=how[r.volunteer_id].matched_on.value,
                score=how[r.volunteer_id].score,
                report_url=report_url(r.volunteer_id),
                audit_index=r.receipt.index,
            )
            for r in released
        ]
        log.info(
            "dpo.person_search",
            matched_on=query.kind.value,
            found=len(items),
            first_index=items[0].audit_index if items else None,
        )
        return PersonSearchResult(matched_on=query.kind.value, items=items)
