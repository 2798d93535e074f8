"""Pages for the force's ESP coordinator: employers and their agreements, volunteers and their
employment links, duty imports, users and invitations, integration tokens.

The pages call the services the coordinator API uses (``OrganisationService``,
``AgreementService``, ``UserAdministration``, ``TokenAdministration``, ``import_csv``).
Secrets (activation links, integration tokens) are shown once, in the answer to the form that
made them, and never stored or logged.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.accounts.admin import ACTIONS as ACTION_LABELS
from portal.accounts.admin import AccountAdministration
from portal.accounts.roles import Role
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.apisupport import MAX_UPLOAD_BYTES
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.auth.tokens import KNOWN_SCOPES
from portal.contact.log import calls_to_make, mark_called
from portal.coordinator.imports import import_volunteers
from portal.coordinator.schemas import TokenCreate, UserCreate
from portal.coordinator.services import (
    TokenAdministration,
    UserAdministration,
    activation_path,
)
from portal.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.hours.imports import import_csv
from portal.organisations.schemas import (
    EmployerCreate,
    EmploymentCreate,
    SizeBand,
    StatusChangeIn,
    VolunteerCreate,
)
from portal.organisations.services import MAX_SEARCH, OrganisationService
from portal.organisations.status import VolunteerStatus
from portal.request_context import request_id
from portal.settings import Settings
from portal.vocabulary import vocabulary
from portal.web.forms import add_service_errors, html_id, query_int, query_text
from portal.web.labels import EMPLOYER_PURPOSE
from portal.web.pages import NavItem, register_navigation, render, see_other
from portal.web.uploads import import_answer
from portal.web.webforms import Answers, Field, FormFields, WebForm, handle_form

register_navigation(
    Role.COORDINATOR,
    NavItem("/coordinator/employers", "Employers"),
    NavItem("/coordinator/volunteers", "Volunteers"),
    NavItem("/coordinator/duties/import", "Duty import"),
    NavItem("/coordinator/users", "Users"),
    NavItem("/coordinator/tokens", "Integration tokens"),
    NavItem("/coordinator/calls", "People to call"),
)

PAGE = 25
#: Account administration actions listed on the users page, newest first.
RECENT_ACTIONS = 20
#: What the users page can do to another account (the path's last part).
ACCOUNT_ACTIONS = frozenset({"disable", "enable", "reset-password", "reset-totp"})
EMPLOYER_PURPOSES = [p for p in vocabulary().purposes if p.audience == "employer"]


def _user_id(request: AppRequest) -> str:
    identity = caller(request)
    return identity.user_id


EMPLOYER_FORM = WebForm(
    fields=(
        Field("name", 200, required="Enter the employer's name"),
        Field("sector", 100),
        Field("size_band", 20),
        Field("contact_email", 254),
    ),
    schema=EmployerCreate,
    invalid_at="name",
    blank_as_none=True,
)
AGREEMENT_FORM = WebForm(
    fields=(
        Field(
            "purpose",
            80,
            key="purposes",
            kind="groups",
            options=tuple(p.code for p in EMPLOYER_PURPOSES),
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
        Field("signed_by", 200, required="Enter who signed for the employer and for the force"),
        *(
            Field(
                f"expected:{p.code}",
                12,
                key=f"expected:{p.code}",
                input_id=html_id("expected", p.code),
                rules=(
                    (
                        lambda text: text.isdigit() and int(text) <= 10_000_000,
                        "Enter the disclosures expected a month as a whole number, like 300",
                    ),
                ),
            )
            for p in EMPLOYER_PURPOSES
        ),
    ),
    schema=AgreementCreate,
    invalid_at="version",
)


def _agreement_body(answers: Answers, employer_id: str) -> dict[str, Any]:
    """The schema's body: the answers, with each purpose's "expected a month" (when given and
    the purpose is chosen) gathered into ``expected``."""
    body = AGREEMENT_FORM.body(answers, employer_id=employer_id)
    chosen = body.get("purposes") or {}
    expected = {}
    for p in EMPLOYER_PURPOSES:
        typed = body.pop(f"expected:{p.code}", "")
        if typed and p.code in chosen:
            expected[p.code] = {"count": int(typed), "per": "month"}
    return {**body, "expected": expected}


def _agreement_dates_in_order(answers: Answers) -> None:
    """The end date before the start date, in the GOV.UK words (never the schema's names)."""
    starts, ends = answers.values.get("starts_on"), answers.values.get("ends_on")
    if starts and ends and ends < starts:  # both ISO dates: text order is date order
        answers.add(
            "ends_on", "The date the agreement ends must be the same as or after the date it starts"
        )


VOLUNTEER_FORM = WebForm(
    fields=(
        Field("display_name", 200, required="Enter the volunteer's name"),
        Field("email", 254, required="Enter the volunteer's email address"),
        Field("phone", 40),
        Field("status", 20, default="applicant"),
    ),
    schema=VolunteerCreate,
    invalid_at="display_name",
    service_errors_at="email",
    blank_as_none=True,
)
STATUS_FORM = WebForm(
    fields=(
        Field("status", 20, required="Select the volunteer's new status"),
        Field(
            "effective_on",
            kind="date",
            label="The date of the change",
            required="Enter the date of the change",
        ),
    ),
    schema=StatusChangeIn,
    invalid_at="status",
)
EMPLOYMENT_FORM = WebForm(
    fields=(
        Field("employer_id", 64, required="Select the employer"),
        Field(
            "link_starts_on",
            key="starts_on",
            kind="date",
            label="The date the job started",
            required="Enter the date the job started",
        ),
    ),
    schema=EmploymentCreate,
    invalid_at="employer_id",
)
USER_FORM = WebForm(
    fields=(
        Field("email", 254, required="Enter the person's email address"),
        Field("role", 20),
        Field("employer_id", 64),
        Field("volunteer_id", 64),
    ),
    schema=UserCreate,
    invalid_at="email",
)
TOKEN_FORM = WebForm(
    fields=(
        Field("name", 100, required="Enter a name that says which system uses the token"),
        Field("scopes", 40, kind="choices", max_items=10, required="Select what the token may do"),
        Field("valid_days", 4, default="90"),
    ),
    schema=TokenCreate,
    invalid_at="name",
)


def _end_form(employment_id: str) -> FormFields:
    """The last-day form of one employment link (each link on the page has its own boxes)."""
    return FormFields(
        (
            Field(
                "ends_on",
                kind="date",
                label="The last day of the job",
                required="Enter the last day of the job",
                input_id=html_id("ends_on", employment_id),
            ),
        )
    )


def _check_user(answers: Answers) -> None:
    """Who the account is for: an employer contact needs the employer, a volunteer the record."""
    role = answers.values["role"]
    if role not in {"employer", "volunteer"}:
        answers.add("role", "Select whether this is an employer contact or a volunteer")
    elif role == "employer" and not answers.values["employer_id"]:
        answers.add("employer_id", "Select the employer this contact works for")
    elif role == "volunteer" and not answers.values["volunteer_id"]:
        answers.add("volunteer_id", "Enter the volunteer's id, from their record")


def _user_body(answers: Answers) -> dict[str, Any]:
    values = answers.values
    return {
        "email": values["email"],
        "role": values["role"],
        "employer_id": values["employer_id"] if values["role"] == "employer" else None,
        "volunteer_id": values["volunteer_id"] if values["role"] == "volunteer" else None,
    }


async def _all_employers(organisations: OrganisationService) -> list[Any]:
    page = await organisations.list_employers(1000, 0)
    return list(page.items)


class CoordinatorPages(Controller):
    path = "/coordinator"
    guards = [requires_role(Role.COORDINATOR)]
    include_in_schema = False

    @get("/", name="web.coordinator.home")
    async def home(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Template:
        employers = await organisations.list_employers(1, 0)
        volunteers = await organisations.list_volunteers(1, 0)
        return await render(
            request,
            "coordinator/home.html",
            employers=employers.total,
            volunteers=volunteers.total,
        )

    # ----------------------------------------------------------------------------- employers

    @get("/employers", name="web.coordinator.employers")
    async def employers(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Template:
        return await self._employers_page(request, organisations, Answers())

    async def _employers_page(
        self,
        request: AppRequest,
        organisations: OrganisationService,
        answers: Answers,
        status: int = 200,
    ) -> Template:
        page_number = query_int(request, "page", 1, 1, 100_000) or 1
        found = await organisations.list_employers(PAGE, (page_number - 1) * PAGE)
        return await render(
            request,
            "coordinator/employers.html",
            status=status,
            errors=answers.errors,
            values=answers.values,
            page=found,
            page_number=page_number,
            pages=max(1, -(-found.total // PAGE)),
            size_bands=[b.value for b in SizeBand],
            created=query_text(request, "created", 200),
        )

    @post("/employers", name="web.coordinator.create_employer")
    async def create_employer(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Response[Any]:
        async def again(answers: Answers) -> Template:
            return await self._employers_page(request, organisations, answers, 400)

        return await handle_form(
            request,
            EMPLOYER_FORM,
            act=organisations.create_employer,
            done=lambda created: see_other(f"/coordinator/employers/{created.id}?created=1"),
            again=again,
        )

    @get("/employers/{employer_id:str}", name="web.coordinator.employer")
    async def employer(
        self,
        request: AppRequest,
        employer_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
        agreements: NamedDependency[AgreementService],
    ) -> Template:
        return await self._employer_page(request, employer_id, organisations, agreements, Answers())

    async def _employer_page(
        self,
        request: AppRequest,
        employer_id: str,
        organisations: OrganisationService,
        agreements: AgreementService,
        answers: Answers,
        status: int = 200,
    ) -> Template:
        employer = await organisations.get_employer(employer_id)
        current = await agreements.list_current(1, 0, employer_id=employer.id)
        versions = await agreements.versions(current.items[0].id) if current.items else []
        values: dict[str, Any] = answers.values
        if not values and versions:
            # A new version starts from the one in force.
            values = {"purposes": versions[0].purposes}
        return await render(
            request,
            "coordinator/employer.html",
            status=status,
            errors=answers.errors,
            values=values,
            dates=answers.dates,
            employer=employer,
            versions=versions,
            purposes=EMPLOYER_PURPOSES,
            next_version=(versions[0].version + 1) if versions else 1,
            created=query_text(request, "created", 4) == "1",
            recorded=query_int(request, "recorded", None, 0, 2**62),
            html_id=html_id,
        )

    @post("/employers/{employer_id:str}/agreements", name="web.coordinator.record_agreement")
    async def record_agreement(
        self,
        request: AppRequest,
        employer_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
        agreements: NamedDependency[AgreementService],
    ) -> Response[Any]:
        async def record(data: AgreementCreate) -> Any:
            return await agreements.record(
                data, recorded_by=_user_id(request), request_id=request_id(request), channel="web"
            )

        async def again(answers: Answers) -> Template:
            return await self._employer_page(
                request, employer_id, organisations, agreements, answers, 400
            )

        return await handle_form(
            request,
            AGREEMENT_FORM,
            act=record,
            done=lambda created: see_other(
                f"/coordinator/employers/{employer_id}?recorded={created.receipt.index}"
            ),
            again=again,
            check=_agreement_dates_in_order,
            body=lambda answers: _agreement_body(answers, employer_id),
        )

    # ----------------------------------------------------------------------------- volunteers

    @get("/volunteers", name="web.coordinator.volunteers")
    async def volunteers(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Template:
        return await self._volunteers_page(request, organisations, Answers())

    async def _volunteers_page(
        self,
        request: AppRequest,
        organisations: OrganisationService,
        answers: Answers,
        status: int = 200,
    ) -> Template:
        page_number = query_int(request, "page", 1, 1, 100_000) or 1
        wanted = query_text(request, "status", 20)
        chosen = VolunteerStatus(wanted) if wanted in {s.value for s in VolunteerStatus} else None
        name = query_text(request, "name", MAX_SEARCH)
        found = await organisations.list_volunteers(
            PAGE, (page_number - 1) * PAGE, chosen, name or None
        )
        return await render(
            request,
            "coordinator/volunteers.html",
            status=status,
            errors=answers.errors,
            values=answers.values,
            page=found,
            page_number=page_number,
            pages=max(1, -(-found.total // PAGE)),
            wanted=chosen.value if chosen else "",
            name=name,
            statuses=[s.value for s in VolunteerStatus],
        )

    @post("/volunteers", name="web.coordinator.create_volunteer")
    async def create_volunteer(
        self, request: AppRequest, organisations: NamedDependency[OrganisationService]
    ) -> Response[Any]:
        async def again(answers: Answers) -> Template:
            return await self._volunteers_page(request, organisations, answers, 400)

        return await handle_form(
            request,
            VOLUNTEER_FORM,
            act=organisations.create_volunteer,
            done=lambda created: see_other(f"/coordinator/volunteers/{created.id}?created=1"),
            again=again,
        )

    @get("/calls", name="web.coordinator.calls")
    async def calls(self, request: AppRequest) -> Template:
        return await render(
            request,
            "coordinator/calls.html",
            calls=await calls_to_make(),
            done=query_text(request, "done", 4) == "1",
        )

    @post("/calls/{message_id:str}/done", name="web.coordinator.call_done")
    async def call_done(self, request: AppRequest, message_id: FromPath[str]) -> Redirect:
        try:
            await mark_called(message_id, caller(request).user_id)
        except Conflict:
            return see_other("/coordinator/calls")
        return see_other("/coordinator/calls?done=1")

    @get("/volunteers/{volunteer_id:str}", name="web.coordinator.volunteer")
    async def volunteer(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
    ) -> Template:
        return await self._volunteer_page(request, volunteer_id, organisations, Answers())

    async def _volunteer_page(
        self,
        request: AppRequest,
        volunteer_id: str,
        organisations: OrganisationService,
        answers: Answers,
        status: int = 200,
    ) -> Template:
        volunteer = await organisations.get_volunteer(volunteer_id)
        employers = await _all_employers(organisations)
        names = {e.id: e.name for e in employers}
        for other in {link.employer_id for link in volunteer.employments} - set(names):
            names[other] = (await organisations.get_employer(other)).name  # a force, a partner
        return await render(
            request,
            "coordinator/volunteer.html",
            status=status,
            errors=answers.errors,
            values=answers.values,
            dates=answers.dates,
            volunteer=volunteer,
            employers=employers,
            names=names,
            purpose_labels=EMPLOYER_PURPOSE,
            created=query_text(request, "created", 4) == "1",
            linked=query_text(request, "linked", 4) == "1",
            status_changed=query_text(request, "status", 4) == "1",
        )

    @post("/volunteers/{volunteer_id:str}/status", name="web.coordinator.change_status")
    async def change_status(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
    ) -> Response[Any]:
        async def change(data: StatusChangeIn) -> Any:
            return await organisations.statuses.change(
                volunteer_id,
                data.status,
                data.effective_on,
                recorded_by=_user_id(request),
                channel="web",
            )

        async def again(answers: Answers) -> Template:
            return await self._volunteer_page(request, volunteer_id, organisations, answers, 400)

        await organisations.get_volunteer(volunteer_id)  # an unknown volunteer: 404, not a form
        return await handle_form(
            request,
            STATUS_FORM,
            act=change,
            done=lambda _: see_other(f"/coordinator/volunteers/{volunteer_id}?status=1#status"),
            again=again,
        )

    @post("/volunteers/{volunteer_id:str}/employments", name="web.coordinator.link")
    async def link(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
    ) -> Response[Any]:
        async def again(answers: Answers) -> Template:
            return await self._volunteer_page(request, volunteer_id, organisations, answers, 400)

        return await handle_form(
            request,
            EMPLOYMENT_FORM,
            act=organisations.create_employment,
            done=lambda _: see_other(f"/coordinator/volunteers/{volunteer_id}?linked=1"),
            again=again,
            body=lambda answers: EMPLOYMENT_FORM.body(answers, volunteer_id=volunteer_id),
        )

    @post(
        "/volunteers/{volunteer_id:str}/employments/{employment_id:str}/end",
        name="web.coordinator.end_link",
    )
    async def end_link(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        employment_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
    ) -> Template | Redirect:
        answers = await _end_form(employment_id).read(request)
        last_day = next(iter(answers.dates.values()))
        if last_day.value is not None:
            try:
                await organisations.end_employment(employment_id, last_day.value)
            except (InvalidInput, Conflict) as exc:
                add_service_errors(answers.errors, _as_input(exc), {}, last_day.anchor)
            else:
                return see_other(f"/coordinator/volunteers/{volunteer_id}")
        answers.values = {}
        return await self._volunteer_page(request, volunteer_id, organisations, answers, 400)

    # ----------------------------------------------------------------------------- duty import

    @get("/duties/import", name="web.coordinator.import")
    async def import_page(self, request: AppRequest) -> Template:
        return await render(request, "coordinator/import.html", result=None, rejected=None)

    @post(
        "/duties/import",
        name="web.coordinator.import_post",
        request_max_body_size=MAX_UPLOAD_BYTES,
    )
    async def import_duties(self, request: AppRequest) -> Template:
        async def work(upload: UploadFile) -> Any:
            return await import_csv(
                upload.file, created_by=_user_id(request), filename=upload.filename or ""
            )

        return await import_answer(
            request, "coordinator/import.html", "Select a CSV file of duty records", work
        )

    @get("/volunteers/import", name="web.coordinator.volunteer_import")
    async def volunteer_import_page(self, request: AppRequest) -> Template:
        return await render(
            request, "coordinator/volunteer_import.html", result=None, rejected=None
        )

    @post(
        "/volunteers/import",
        name="web.coordinator.volunteer_import_post",
        request_max_body_size=MAX_UPLOAD_BYTES,
    )
    async def import_volunteers(self, request: AppRequest) -> Template:
        async def work(upload: UploadFile) -> Any:
            return await import_volunteers(upload.file, imported_by=_user_id(request))

        return await import_answer(
            request, "coordinator/volunteer_import.html", "Select a CSV file of volunteers", work
        )

    # ----------------------------------------------------------------------------- users

    @get("/users", name="web.coordinator.users")
    async def users(
        self,
        request: AppRequest,
        users: NamedDependency[UserAdministration],
        organisations: NamedDependency[OrganisationService],
        account_admin: NamedDependency[AccountAdministration],
    ) -> Template:
        return await self._users_page(request, users, organisations, account_admin, Answers())

    async def _users_page(
        self,
        request: AppRequest,
        admin: UserAdministration,
        organisations: OrganisationService,
        account_admin: AccountAdministration,
        answers: Answers,
        status: int = 200,
    ) -> Template:
        page_number = query_int(request, "page", 1, 1, 100_000) or 1
        found = await admin.list_users(PAGE, (page_number - 1) * PAGE)
        actions, _total = await account_admin.actions(RECENT_ACTIONS, 0)
        employers = await _all_employers(organisations)
        return await render(
            request,
            "coordinator/users.html",
            status=status,
            errors=answers.errors,
            values=answers.values,
            page=found,
            page_number=page_number,
            pages=max(1, -(-found.total // PAGE)),
            employers=employers,
            names={e.id: e.name for e in employers},
            invited=None,
            me=_user_id(request),
            changed=query_text(request, "changed", 10),
            actions=actions,
            action_labels=ACTION_LABELS,
        )

    @post("/users", name="web.coordinator.create_user")
    async def create_user(
        self,
        request: AppRequest,
        users: NamedDependency[UserAdministration],
        organisations: NamedDependency[OrganisationService],
        account_admin: NamedDependency[AccountAdministration],
    ) -> Response[Any]:
        async def invite(data: UserCreate) -> Any:
            return await users.create(data, invited_by=_user_id(request))

        async def invited(done: Any) -> Template:
            return await render(
                request,
                "coordinator/invitation.html",
                email=done.email,
                url=done.activation_url,
                expires_at=done.activation_expires_at,
            )

        async def again(answers: Answers) -> Template:
            return await self._users_page(
                request, users, organisations, account_admin, answers, 400
            )

        return await handle_form(
            request,
            USER_FORM,
            act=invite,
            done=invited,
            again=again,
            check=_check_user,
            body=_user_body,
        )

    @post("/users/{user_id:str}/invitation", name="web.coordinator.reinvite")
    async def reinvite(
        self,
        request: AppRequest,
        user_id: FromPath[str],
        users: NamedDependency[UserAdministration],
    ) -> Template:
        invitation = await users.reinvite(user_id, invited_by=_user_id(request))
        return await render(
            request,
            "coordinator/invitation.html",
            email=None,
            url=invitation.activation_url,
            expires_at=invitation.expires_at,
        )

    @post("/users/{user_id:str}/{action:str}", name="web.coordinator.account_action")
    async def account_action(
        self,
        request: AppRequest,
        user_id: FromPath[str],
        action: FromPath[str],
        account_admin: NamedDependency[AccountAdministration],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        """Disable or enable an account, or reset its password or lost authenticator.

        A reset shows the one-time link once; the old password (or app) stops working at once
        and every session of the account ends. A coordinator never acts on their own account
        here (an operator does, with ``esp-portal user``), so nobody locks themselves out.
        """
        if action not in ACCOUNT_ACTIONS:
            raise NotFound("No such page")
        me = _user_id(request)
        account = await account_admin.find(user_id)
        if account.id == me:
            raise Forbidden("You cannot change your own account here; ask an operator")
        if action in ("disable", "enable"):
            await account_admin.set_active(account.id, action == "enable", by=me, channel="web")
            return see_other(f"/coordinator/users?changed={action}d")
        reset = (
            account_admin.reset_password if action == "reset-password" else account_admin.reset_totp
        )
        # A disabled account: 409, said on the error page.
        link = await reset(account.id, by=me, channel="web")
        return await render(
            request,
            "coordinator/invitation.html",
            email=None,
            reset=action,
            url=settings.base_url + activation_path(link.token),
            expires_at=link.expires_at,
        )

    # ----------------------------------------------------------------------------- tokens

    @get("/tokens", name="web.coordinator.tokens")
    async def tokens(
        self, request: AppRequest, tokens: NamedDependency[TokenAdministration]
    ) -> Template:
        return await self._tokens_page(request, tokens, Answers())

    async def _tokens_page(
        self,
        request: AppRequest,
        tokens: TokenAdministration,
        answers: Answers,
        status: int = 200,
    ) -> Template:
        found = await tokens.list_tokens(200, 0)
        return await render(
            request,
            "coordinator/tokens.html",
            status=status,
            errors=answers.errors,
            values=answers.values,
            tokens=found.items,
            scopes=sorted(KNOWN_SCOPES),
            revoked=query_text(request, "revoked", 4) == "1",
        )

    @post("/tokens", name="web.coordinator.issue_token")
    async def issue_token(
        self, request: AppRequest, tokens: NamedDependency[TokenAdministration]
    ) -> Response[Any]:
        async def issue(data: TokenCreate) -> Any:
            return await tokens.issue(data, created_by=_user_id(request))

        async def issued(token: Any) -> Template:
            return await render(request, "coordinator/token_issued.html", token=token)

        async def again(answers: Answers) -> Template:
            return await self._tokens_page(request, tokens, answers, 400)

        return await handle_form(request, TOKEN_FORM, act=issue, done=issued, again=again)

    @post("/tokens/{token_id:str}/revoke", name="web.coordinator.revoke_token")
    async def revoke_token(
        self,
        request: AppRequest,
        token_id: FromPath[str],
        tokens: NamedDependency[TokenAdministration],
    ) -> Redirect:
        await tokens.revoke(token_id, revoked_by=_user_id(request))
        return see_other("/coordinator/tokens?revoked=1")


def _as_input(exc: InvalidInput | Conflict) -> InvalidInput:
    if isinstance(exc, InvalidInput):
        return exc
    return InvalidInput(exc.detail, errors=list(exc.extra.get("errors") or []))
