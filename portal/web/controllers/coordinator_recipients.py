"""The coordinator's pages for other police forces and partners: the organisation, its
agreement, its users and the volunteers linked to it with the reasons of each link.

They call the services the coordinator API uses (``OrganisationService``, ``AgreementService``
through its one agreement path, ``UserAdministration``), so a page can do nothing the API would
refuse, and the error wording of each field is declared once, with the field, below. The pages
for employers stay in :mod:`portal.web.controllers.coordinator`.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from portal.accounts.roles import Role
from portal.agreements.rules import AGREEMENT_KINDS
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.coordinator.schemas import UserCreate
from portal.coordinator.services import UserAdministration
from portal.errors import NotFound
from portal.organisations.links import REASONED_KINDS
from portal.organisations.schemas import EmployerCreate, EmployerOut, EmploymentCreate
from portal.organisations.services import OrganisationService
from portal.request_context import request_id
from portal.vocabulary import Purpose, vocabulary
from portal.web.forms import html_id, query_int, query_text
from portal.web.labels import EMPLOYER_PURPOSE, agreement_kind
from portal.web.pages import NavItem, register_navigation, render, see_other
from portal.web.webforms import Answers, Field, WebForm, handle_form

register_navigation(Role.COORDINATOR, NavItem("/coordinator/organisations", "Forces and partners"))

BASE = "/coordinator/organisations"
#: The kinds these pages record, in the order the list shows them.
KINDS = ("police_force", "partner")
#: Each kind's purposes (its links' reasons and its agreement's purposes).
PURPOSES: dict[str, list[Purpose]] = {
    kind: sorted((p for p in vocabulary().purposes if p.audience == kind), key=lambda p: p.code)
    for kind in KINDS
}
#: Users listed on an organisation's page (a force or partner has a handful).
USERS_SHOWN = 200

ORGANISATION_FORM = WebForm(
    fields=(
        Field("name", 200, required="Enter the organisation's name"),
        Field("kind", 20, required="Select whether it is another police force or a partner"),
        Field("contact_email", 254),
    ),
    schema=EmployerCreate,
    invalid_at="name",
    blank_as_none=True,
)


def _agreement_form(kind: str) -> WebForm[AgreementCreate]:
    """The agreement form of one kind: its purposes, each with what it may share."""
    return WebForm(
        fields=(
            Field(
                "purpose",
                80,
                key="purposes",
                kind="groups",
                options=tuple(p.code for p in PURPOSES[kind]),
                required="Select at least one purpose and what it may share",
            ),
            Field(
                "starts_on",
                kind="date",
                label="The date the agreement starts",
                required="Enter the date the agreement starts",
            ),
            Field(
                "ends_on",
                kind="date",
                label="The date the agreement ends",
                required="Enter the date the agreement ends",
            ),
            Field("version", 10),
            Field("signed_by", 200, required="Enter who signed for the organisation and the force"),
        ),
        schema=AgreementCreate,
        invalid_at="version",
    )


def _link_form(kind: str) -> WebForm[EmploymentCreate]:
    """The form linking a volunteer to an organisation of one kind, with the link's reasons."""
    return WebForm(
        fields=(
            Field("volunteer_id", 64, required="Enter the volunteer's id, from their record"),
            Field(
                "link_starts_on",
                key="starts_on",
                kind="date",
                label="The date the link starts",
                required="Enter the date the link starts",
            ),
            Field(
                "reasons",
                80,
                kind="choices",
                max_items=len(PURPOSES[kind]),
                required="Select what the link is for",
            ),
        ),
        schema=EmploymentCreate,
        invalid_at="volunteer_id",
    )


AGREEMENT_FORMS = {kind: _agreement_form(kind) for kind in KINDS}
LINK_FORMS = {kind: _link_form(kind) for kind in KINDS}
USER_FORM = WebForm(
    fields=(Field("email", 254, required="Enter the person's email address"),),
    schema=UserCreate,
    invalid_at="email",
)


def _check_kind(answers: Answers) -> None:
    kind = answers.values.get("kind")
    if kind and kind not in KINDS:
        answers.add("kind", "Select whether it is another police force or a partner")


def _agreement_dates_in_order(answers: Answers) -> None:
    starts, ends = answers.values.get("starts_on"), answers.values.get("ends_on")
    if starts and ends and ends < starts:  # both ISO dates: text order is date order
        answers.add(
            "ends_on", "The date the agreement ends must be the same as or after the date it starts"
        )


async def _organisation(organisations: OrganisationService, organisation_id: str) -> EmployerOut:
    """A force or a partner (an employer's pages are elsewhere: 404 here)."""
    found = await organisations.get_employer(organisation_id)
    if found.kind not in REASONED_KINDS:
        raise NotFound("No police force or partner has this id")
    return found


class RecipientOrganisationPages(Controller):
    path = BASE
    guards = [requires_role(Role.COORDINATOR)]
    include_in_schema = False

    @get("/", name="web.coordinator.organisations")
    async def organisations(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Template:
        return await self._list_page(request, organisations, Answers())

    async def _list_page(
        self,
        request: AppRequest,
        organisations: OrganisationService,
        answers: Answers,
        status: int = 200,
    ) -> Template:
        found = {kind: (await organisations.list_employers(500, 0, kind)).items for kind in KINDS}
        return await render(
            request,
            "coordinator/organisations.html",
            status=status,
            errors=answers.errors,
            values=answers.values,
            found=found,
            kinds=KINDS,
        )

    @post("/", name="web.coordinator.create_organisation")
    async def create_organisation(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Response[Any]:
        async def again(answers: Answers) -> Template:
            return await self._list_page(request, organisations, answers, 400)

        return await handle_form(
            request,
            ORGANISATION_FORM,
            act=organisations.create_employer,
            done=lambda created: see_other(f"{BASE}/{created.id}?done=created"),
            again=again,
            check=_check_kind,
        )

    @get("/{organisation_id:str}", name="web.coordinator.organisation")
    async def organisation(
        self,
        request: AppRequest,
        organisation_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
        agreements: NamedDependency[AgreementService],
        users: NamedDependency[UserAdministration],
    ) -> Template:
        org = await _organisation(organisations, organisation_id)
        return await self._page(request, org, organisations, agreements, users, {})

    async def _page(
        self,
        request: AppRequest,
        org: EmployerOut,
        organisations: OrganisationService,
        agreements: AgreementService,
        users: UserAdministration,
        failed: dict[str, Answers],
    ) -> Template:
        """The organisation's page; ``failed`` holds the one form posted with errors, by name."""
        current = await agreements.list_current(1, 0, employer_id=org.id)
        versions = await agreements.versions(current.items[0].id) if current.items else []
        agreement = failed.get("agreement") or Answers()
        if not agreement.values and versions:  # a new version starts from the one in force
            agreement.values = {"purposes": versions[0].purposes}
        page = await users.list_users(USERS_SHOWN, 0, Role(org.kind))
        answers = next(iter(failed.values()), Answers())
        return await render(
            request,
            "coordinator/organisation.html",
            status=400 if failed else 200,
            errors=answers.errors,
            agreement=agreement,
            user_answers=failed.get("user") or Answers(),
            link_answers=failed.get("link") or Answers(),
            org=org,
            agreement_name=agreement_kind(AGREEMENT_KINDS[org.kind]),
            versions=versions,
            purposes=PURPOSES[org.kind],
            purpose_labels=EMPLOYER_PURPOSE,
            next_version=(versions[0].version + 1) if versions else 1,
            users=[u for u in page.items if u.employer_id == org.id],
            links=await organisations.links_of(org.id),
            done=query_text(request, "done", 10),
            recorded=query_int(request, "recorded", None, 0, 2**62),
            html_id=html_id,
        )

    @post("/{organisation_id:str}/agreements", name="web.coordinator.organisation_agreement")
    async def record_agreement(
        self,
        request: AppRequest,
        organisation_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
        agreements: NamedDependency[AgreementService],
        users: NamedDependency[UserAdministration],
    ) -> Response[Any]:
        org = await _organisation(organisations, organisation_id)
        form = AGREEMENT_FORMS[org.kind]

        async def record(data: AgreementCreate) -> Any:
            return await agreements.record(
                data,
                recorded_by=caller(request).user_id,
                request_id=request_id(request),
                channel="web",
            )

        async def again(answers: Answers) -> Template:
            return await self._page(
                request, org, organisations, agreements, users, {"agreement": answers}
            )

        return await handle_form(
            request,
            form,
            act=record,
            done=lambda made: see_other(f"{BASE}/{org.id}?recorded={made.receipt.index}"),
            again=again,
            check=_agreement_dates_in_order,
            body=lambda answers: form.body(answers, employer_id=org.id),
        )

    @post("/{organisation_id:str}/users", name="web.coordinator.organisation_user")
    async def invite_user(
        self,
        request: AppRequest,
        organisation_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
        agreements: NamedDependency[AgreementService],
        users: NamedDependency[UserAdministration],
    ) -> Response[Any]:
        org = await _organisation(organisations, organisation_id)

        async def invite(data: UserCreate) -> Any:
            return await users.create(data, invited_by=caller(request).user_id)

        async def invited(done: Any) -> Template:
            return await render(
                request,
                "coordinator/invitation.html",
                email=done.email,
                url=done.activation_url,
                expires_at=done.activation_expires_at,
            )

        async def again(answers: Answers) -> Template:
            return await self._page(
                request, org, organisations, agreements, users, {"user": answers}
            )

        return await handle_form(
            request,
            USER_FORM,
            act=invite,
            done=invited,
            again=again,
            body=lambda answers: USER_FORM.body(answers, role=org.kind, employer_id=org.id),
        )

    @post("/{organisation_id:str}/links", name="web.coordinator.organisation_link")
    async def link(
        self,
        request: AppRequest,
        organisation_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
        agreements: NamedDependency[AgreementService],
        users: NamedDependency[UserAdministration],
    ) -> Response[Any]:
        org = await _organisation(organisations, organisation_id)
        form = LINK_FORMS[org.kind]

        async def again(answers: Answers) -> Template:
            return await self._page(
                request, org, organisations, agreements, users, {"link": answers}
            )

        return await handle_form(
            request,
            form,
            act=organisations.create_employment,
            done=lambda _: see_other(f"{BASE}/{org.id}?done=linked#links"),
            again=again,
            body=lambda answers: form.body(answers, employer_id=org.id),
        )
