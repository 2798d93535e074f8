"""Pages for another police force's and a partner's users: their people, through the gate.

A force user sees the specials and applicants linked to their force (a transfer in or out, an
application to more than one force); a partner's user sees the applicants whose application
their organisation processes for the force. Each read goes through ``DisclosureGate`` (the same
service as their API routes, ``portal.recipients.services``), which checks the agreement in
force, the link and any consent, writes one ledger entry per person shown, and only then
returns the data. The two kinds share these pages; only their words and paths differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from portal.accounts.roles import Role
from portal.agreements.services import AgreementService
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.disclosure.gate import DisclosureGate, Recipient
from portal.recipients.services import RecipientReads
from portal.request_context import request_id
from portal.settings import Settings
from portal.vocabulary import Purpose, vocabulary
from portal.web import staffview
from portal.web.controllers.employer import StaffRow
from portal.web.forms import query_text
from portal.web.pages import render

PEOPLE_PAGE = 25


@dataclass(frozen=True)
class KindPages:
    """What differs between a police force's pages and a partner's: paths and words."""

    kind: str
    base: str
    list_path: str
    heading: str
    agreement: str
    person: str
    people: str


FORCE_PAGES = KindPages(
    kind="police_force",
    base="/police-force",
    list_path="/police-force/people",
    heading="Specials and applicants shared with your force",
    agreement="information sharing agreement",
    person="person",
    people="people",
)
PARTNER_PAGES = KindPages(
    kind="partner",
    base="/partner",
    list_path="/partner/applicants",
    heading="Applicants whose application you process",
    agreement="processing contract",
    person="applicant",
    people="applicants",
)


async def _purposes(
    agreements: AgreementService, organisation_id: str
) -> list[tuple[Purpose, list[str]]]:
    """The purposes (and their categories) of the organisation's agreement in force."""
    page = await agreements.list_current(1, 0, employer_id=organisation_id)
    agreement = next((a for a in page.items if a.state == "in_force"), None)
    found = []
    for code, categories in sorted((agreement.purposes if agreement else {}).items()):
        purpose = vocabulary().purpose(code)
        if purpose is not None:
            found.append((purpose, list(categories)))
    return found


def _reads(gate: DisclosureGate, words: KindPages) -> RecipientReads:
    return RecipientReads(gate, "police_force" if words.kind == "police_force" else "partner")


async def _home(
    request: AppRequest, words: KindPages, agreements: AgreementService, unknown: bool = False
) -> Template:
    recipient = Recipient.of(caller(request), channel="web")
    return await render(
        request,
        "recipients/home.html",
        status=400 if unknown else 200,
        words=words,
        purposes=await _purposes(agreements, recipient.organisation_id),
        unknown=unknown,
    )


async def _chosen(request: AppRequest, agreements: AgreementService) -> Purpose | None:
    """The purpose asked for, when the organisation's agreement in force names it."""
    recipient = Recipient.of(caller(request), channel="web")
    code = query_text(request, "purpose", 80)
    purposes = await _purposes(agreements, recipient.organisation_id)
    return next((p for p, _ in purposes if p.code == code), None)


async def _people(
    request: AppRequest, words: KindPages, agreements: AgreementService, gate: DisclosureGate
) -> Template:
    chosen = await _chosen(request, agreements)
    if chosen is None:
        return await _home(request, words, agreements, unknown=True)
    after = query_text(request, "after", 64) or None
    page = await _reads(gate, words).people(
        caller(request),
        chosen.code,
        request_id=request_id(request),
        limit=PEOPLE_PAGE,
        after=after,
        channel="web",
    )
    columns = staffview.table_columns(page.items)
    rows = [
        StaffRow(
            volunteer_id=member.volunteer_id,
            name=str(member.data.get("display_name") or f"Person {number}"),
            cells=[staffview.cell(field, member.data) for field, _ in columns],
        )
        for number, member in enumerate(page.items, start=1)
    ]
    return await render(
        request,
        "recipients/people.html",
        words=words,
        purpose=chosen,
        rows=rows,
        columns=columns,
        next_cursor=page.next_cursor,
        first_page=after is None,
    )


async def _person(
    request: AppRequest,
    words: KindPages,
    volunteer_id: str,
    agreements: AgreementService,
    gate: DisclosureGate,
    settings: Settings,
) -> Template:
    chosen = await _chosen(request, agreements)
    if chosen is None:
        return await _home(request, words, agreements, unknown=True)
    member = await _reads(gate, words).person(
        caller(request), chosen.code, volunteer_id, request_id=request_id(request), channel="web"
    )
    return await render(
        request,
        "recipients/person.html",
        words=words,
        purpose=chosen,
        member=member,
        rows=staffview.member_rows(member.data, settings.monthly_minimum_hours),
        member_receipt=member.receipt,
    )


class PoliceForcePages(Controller):
    path = "/police-force"
    guards = [requires_role(Role.POLICE_FORCE)]
    include_in_schema = False

    @get("/", name="web.police_force.home")
    async def home(
        self, request: AppRequest, agreements: NamedDependency[AgreementService]
    ) -> Template:
        return await _home(request, FORCE_PAGES, agreements)

    @get("/people", name="web.police_force.people")
    async def people(
        self,
        request: AppRequest,
        agreements: NamedDependency[AgreementService],
        gate: NamedDependency[DisclosureGate],
    ) -> Template:
        return await _people(request, FORCE_PAGES, agreements, gate)

    @get("/people/{volunteer_id:str}", name="web.police_force.person")
    async def person(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        agreements: NamedDependency[AgreementService],
        gate: NamedDependency[DisclosureGate],
        settings: NamedDependency[Settings],
    ) -> Template:
        return await _person(request, FORCE_PAGES, volunteer_id, agreements, gate, settings)


class PartnerPages(Controller):
    path = "/partner"
    guards = [requires_role(Role.PARTNER)]
    include_in_schema = False

    @get("/", name="web.partner.home")
    async def home(
        self, request: AppRequest, agreements: NamedDependency[AgreementService]
    ) -> Template:
        return await _home(request, PARTNER_PAGES, agreements)

    @get("/applicants", name="web.partner.applicants")
    async def applicants(
        self,
        request: AppRequest,
        agreements: NamedDependency[AgreementService],
        gate: NamedDependency[DisclosureGate],
    ) -> Template:
        return await _people(request, PARTNER_PAGES, agreements, gate)

    @get("/applicants/{volunteer_id:str}", name="web.partner.applicant")
    async def applicant(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        agreements: NamedDependency[AgreementService],
        gate: NamedDependency[DisclosureGate],
        settings: NamedDependency[Settings],
    ) -> Template:
        return await _person(request, PARTNER_PAGES, volunteer_id, agreements, gate, settings)
