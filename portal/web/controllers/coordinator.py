"""Pages for the force's ESP coordinator: employers and their agreements, volunteers and their
employment links, duty imports, users and invitations, integration tokens.

The pages call the services the coordinator API uses (``OrganisationService``,
``AgreementService``, ``UserAdministration``, ``TokenAdministration``, ``import_csv``).
Secrets (activation links, integration tokens) are shown once, in the answer to the form that
made them, and never stored or logged.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from pydantic import ValidationError

from ledger import Ledger
from portal.accounts.services import AccountService
from portal.accounts.tables import Role
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.auth.tokens import KNOWN_SCOPES
from portal.coordinator.schemas import TokenCreate, UserCreate
from portal.coordinator.services import TokenAdministration, UserAdministration
from portal.disclosure.support import request_id
from portal.errors import Conflict, InvalidInput
from portal.organisations.schemas import (
    EmployerCreate,
    EmploymentCreate,
    SizeBand,
    VolunteerCreate,
)
from portal.organisations.services import OrganisationService
from portal.organisations.tables import VolunteerStatus
from portal.settings import Settings
from portal.vocabulary import vocabulary
from portal.web.dates import DateAnswer, read_date
from portal.web.forms import (
    add_service_errors,
    field_list,
    field_text,
    html_id,
    query_int,
    query_text,
)
from portal.web.pages import FormErrors, NavItem, register_navigation, render, see_other

log = structlog.get_logger(__name__)

register_navigation(
    Role.COORDINATOR,
    NavItem("/coordinator/employers", "Employers"),
    NavItem("/coordinator/volunteers", "Volunteers"),
    NavItem("/coordinator/duties/import", "Duty import"),
    NavItem("/coordinator/users", "Users"),
    NavItem("/coordinator/tokens", "Integration tokens"),
)

PAGE = 25
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
EMPLOYER_PURPOSES = [p for p in vocabulary().purposes if p.audience == "employer"]


def _user_id(request: AppRequest) -> str:
    identity = caller(request)
    return identity.user_id


def add_validation_errors(
    errors: FormErrors, exc: ValidationError, fields: dict[str, str], default_field: str
) -> None:
    """Each pydantic error against the page's input (the first location names the field)."""
    for item in exc.errors():
        location = [str(part) for part in item.get("loc", ())]
        name = location[0] if location else ""
        target = fields.get(name, default_field)
        message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
        label = name.replace("_", " ") if name else "this answer"
        errors.add(target, f"Check {label}: {message}")


async def _all_employers() -> list[Any]:
    page = await OrganisationService().list_employers(1000, 0)
    return list(page.items)


class CoordinatorPages(Controller):
    path = "/coordinator"
    guards = [requires_role(Role.COORDINATOR)]
    include_in_schema = False

    @get("/", name="web.coordinator.home")
    async def home(self, request: AppRequest) -> Template:
        organisations = OrganisationService()
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
    async def employers(self, request: AppRequest) -> Template:
        return await self._employers_page(request, FormErrors(), {})

    async def _employers_page(
        self,
        request: AppRequest,
        errors: FormErrors,
        values: dict[str, str],
        status: int = 200,
    ) -> Template:
        page_number = query_int(request, "page", 1, 1, 100_000) or 1
        found = await OrganisationService().list_employers(PAGE, (page_number - 1) * PAGE)
        return await render(
            request,
            "coordinator/employers.html",
            status=status,
            errors=errors,
            values=values,
            page=found,
            page_number=page_number,
            pages=max(1, -(-found.total // PAGE)),
            size_bands=[b.value for b in SizeBand],
            created=query_text(request, "created", 200),
        )

    @post("/employers", name="web.coordinator.create_employer")
    async def create_employer(self, request: AppRequest) -> Template | Redirect:
        form = await request.form()
        values = {
            "name": field_text(form, "name", 200),
            "sector": field_text(form, "sector", 100),
            "size_band": field_text(form, "size_band", 20),
            "contact_email": field_text(form, "contact_email", 254),
        }
        errors = FormErrors()
        if not values["name"]:
            errors.add("name", "Enter the employer's name")
        if not errors:
            try:
                data = EmployerCreate.model_validate({k: v or None for k, v in values.items()})
                created = await OrganisationService().create_employer(data)
            except ValidationError as exc:
                add_validation_errors(errors, exc, {k: k for k in values}, "name")
            except (InvalidInput, Conflict) as exc:
                add_service_errors(errors, _as_input(exc), {k: k for k in values}, "name")
            else:
                return see_other(f"/coordinator/employers/{created.id}?created=1")
        return await self._employers_page(request, errors, values, 400)

    @get("/employers/{employer_id:str}", name="web.coordinator.employer")
    async def employer(
        self,
        request: AppRequest,
        employer_id: FromPath[str],
        ledger: NamedDependency[Ledger],
    ) -> Template:
        return await self._employer_page(request, employer_id, ledger, FormErrors(), {})

    async def _employer_page(
        self,
        request: AppRequest,
        employer_id: str,
        ledger: Ledger,
        errors: FormErrors,
        values: dict[str, Any],
        status: int = 200,
        dates: dict[str, DateAnswer] | None = None,
    ) -> Template:
        employer = await OrganisationService().get_employer(employer_id)
        agreements = AgreementService(ledger)
        current = await agreements.list_current(1, 0, employer_id=employer.id)
        versions = await agreements.versions(current.items[0].id) if current.items else []
        if not values and versions:
            # A new version starts from the one in force.
            values = {"purposes": versions[0].purposes}
        return await render(
            request,
            "coordinator/employer.html",
            status=status,
            errors=errors,
            values=values,
            dates=dates or {},
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
        ledger: NamedDependency[Ledger],
    ) -> Template | Redirect:
        form = await request.form()
        purposes: dict[str, list[str]] = {}
        for purpose in EMPLOYER_PURPOSES:
            chosen = field_list(form, f"purpose:{purpose.code}", 20, 80)
            if chosen:
                purposes[purpose.code] = chosen
        dates = {
            "starts_on": read_date(
                form,
                "starts_on",
                "The date the agreement starts",
                required="Enter the date the agreement starts",
            ),
            "ends_on": read_date(
                form,
                "ends_on",
                "The date the agreement ends",
                required="Enter the date the agreement ends",
            ),
        }
        values: dict[str, Any] = {
            "version": field_text(form, "version", 10),
            "starts_on": dates["starts_on"].iso,
            "ends_on": dates["ends_on"].iso,
            "signed_by": field_text(form, "signed_by", 200),
            "purposes": purposes,
        }
        errors = FormErrors()
        first_purpose = html_id("purpose", EMPLOYER_PURPOSES[0].code)
        if not purposes:
            errors.add(first_purpose, "Select at least one purpose and what it may share")
        for answer in dates.values():
            answer.report(errors)
        if not values["signed_by"]:
            errors.add("signed_by", "Enter who signed for the employer and for the force")
        fields = {
            "version": "version",
            "starts_on": dates["starts_on"].anchor,
            "ends_on": dates["ends_on"].anchor,
            "signed_by": "signed_by",
            "purposes": first_purpose,
        }
        if not errors:
            try:
                data = AgreementCreate.model_validate({"employer_id": employer_id, **values})
                created = await AgreementService(ledger).record(
                    data,
                    recorded_by=_user_id(request),
                    request_id=request_id(request),
                    channel="web",
                )
            except ValidationError as exc:
                add_validation_errors(errors, exc, fields, "version")
            except (InvalidInput, Conflict) as exc:
                add_service_errors(errors, _as_input(exc), fields, "version")
            else:
                return see_other(
                    f"/coordinator/employers/{employer_id}?recorded={created.receipt.index}"
                )
        return await self._employer_page(
            request, employer_id, ledger, errors, values, 400, dates=dates
        )

    # ----------------------------------------------------------------------------- volunteers

    @get("/volunteers", name="web.coordinator.volunteers")
    async def volunteers(self, request: AppRequest) -> Template:
        return await self._volunteers_page(request, FormErrors(), {})

    async def _volunteers_page(
        self,
        request: AppRequest,
        errors: FormErrors,
        values: dict[str, str],
        status: int = 200,
    ) -> Template:
        page_number = query_int(request, "page", 1, 1, 100_000) or 1
        wanted = query_text(request, "status", 20)
        chosen = VolunteerStatus(wanted) if wanted in {s.value for s in VolunteerStatus} else None
        found = await OrganisationService().list_volunteers(PAGE, (page_number - 1) * PAGE, chosen)
        return await render(
            request,
            "coordinator/volunteers.html",
            status=status,
            errors=errors,
            values=values,
            page=found,
            page_number=page_number,
            pages=max(1, -(-found.total // PAGE)),
            wanted=chosen.value if chosen else "",
            statuses=[s.value for s in VolunteerStatus],
        )

    @post("/volunteers", name="web.coordinator.create_volunteer")
    async def create_volunteer(self, request: AppRequest) -> Template | Redirect:
        form = await request.form()
        values = {
            "display_name": field_text(form, "display_name", 200),
            "email": field_text(form, "email", 254),
            "phone": field_text(form, "phone", 40),
            "status": field_text(form, "status", 20) or "applicant",
        }
        errors = FormErrors()
        if not values["display_name"]:
            errors.add("display_name", "Enter the volunteer's name")
        if not values["email"]:
            errors.add("email", "Enter the volunteer's email address")
        if not errors:
            try:
                data = VolunteerCreate.model_validate({k: v or None for k, v in values.items()})
                created = await OrganisationService().create_volunteer(data)
            except ValidationError as exc:
                add_validation_errors(errors, exc, {k: k for k in values}, "display_name")
            except (InvalidInput, Conflict) as exc:
                add_service_errors(errors, _as_input(exc), {k: k for k in values}, "email")
            else:
                return see_other(f"/coordinator/volunteers/{created.id}?created=1")
        return await self._volunteers_page(request, errors, values, 400)

    @get("/volunteers/{volunteer_id:str}", name="web.coordinator.volunteer")
    async def volunteer(self, request: AppRequest, volunteer_id: FromPath[str]) -> Template:
        return await self._volunteer_page(request, volunteer_id, FormErrors(), {})

    async def _volunteer_page(
        self,
        request: AppRequest,
        volunteer_id: str,
        errors: FormErrors,
        values: dict[str, str],
        status: int = 200,
        dates: dict[str, DateAnswer] | None = None,
    ) -> Template:
        volunteer = await OrganisationService().get_volunteer(volunteer_id)
        employers = await _all_employers()
        return await render(
            request,
            "coordinator/volunteer.html",
            status=status,
            errors=errors,
            values=values,
            dates=dates or {},
            volunteer=volunteer,
            employers=employers,
            names={e.id: e.name for e in employers},
            created=query_text(request, "created", 4) == "1",
            linked=query_text(request, "linked", 4) == "1",
        )

    @post("/volunteers/{volunteer_id:str}/employments", name="web.coordinator.link")
    async def link(self, request: AppRequest, volunteer_id: FromPath[str]) -> Template | Redirect:
        form = await request.form()
        started = read_date(
            form,
            "link_starts_on",
            "The date the job started",
            required="Enter the date the job started",
        )
        values = {"employer_id": field_text(form, "employer_id", 64), "starts_on": started.iso}
        errors = FormErrors()
        if not values["employer_id"]:
            errors.add("employer_id", "Select the employer")
        started.report(errors)
        fields = {"employer_id": "employer_id", "starts_on": started.anchor}
        if not errors:
            try:
                data = EmploymentCreate.model_validate({"volunteer_id": volunteer_id, **values})
                await OrganisationService().create_employment(data)
            except ValidationError as exc:
                add_validation_errors(errors, exc, fields, "employer_id")
            except (InvalidInput, Conflict) as exc:
                add_service_errors(errors, _as_input(exc), fields, "employer_id")
            else:
                return see_other(f"/coordinator/volunteers/{volunteer_id}?linked=1")
        return await self._volunteer_page(
            request, volunteer_id, errors, values, 400, dates={"link_starts_on": started}
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
    ) -> Template | Redirect:
        form = await request.form()
        target = html_id("ends_on", employment_id)
        last_day = read_date(
            form,
            "ends_on",
            "The last day of the job",
            required="Enter the last day of the job",
            id=target,
        )
        errors = FormErrors()
        last_day.report(errors)
        if last_day.value is not None:
            try:
                await OrganisationService().end_employment(employment_id, last_day.value)
            except (InvalidInput, Conflict) as exc:
                add_service_errors(errors, _as_input(exc), {}, last_day.anchor)
            else:
                return see_other(f"/coordinator/volunteers/{volunteer_id}")
        return await self._volunteer_page(
            request, volunteer_id, errors, {}, 400, dates={target: last_day}
        )

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
        from portal.hours.imports import ImportRejected, import_csv

        form = await request.form()
        upload = form.get("file")
        errors = FormErrors()
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.add("file", "Select a CSV file of duty records")
            return await render(
                request,
                "coordinator/import.html",
                status=400,
                errors=errors,
                result=None,
                rejected=None,
            )
        try:
            result = await import_csv(
                upload.file, created_by=_user_id(request), filename=upload.filename or ""
            )
        except ImportRejected as exc:
            errors.add("file", f"The file was rejected and nothing was imported: {exc.detail}")
            log.info("web.import_rejected", problems=exc.total_errors)
            return await render(
                request,
                "coordinator/import.html",
                status=422,
                errors=errors,
                result=None,
                rejected=exc,
            )
        return await render(request, "coordinator/import.html", result=result, rejected=None)

    # ----------------------------------------------------------------------------- users

    @get("/users", name="web.coordinator.users")
    async def users(
        self,
        request: AppRequest,
        account_service: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
    ) -> Template:
        return await self._users_page(
            request, UserAdministration(account_service, settings), FormErrors(), {}
        )

    async def _users_page(
        self,
        request: AppRequest,
        admin: UserAdministration,
        errors: FormErrors,
        values: dict[str, str],
        status: int = 200,
        invited: Any = None,
    ) -> Template:
        page_number = query_int(request, "page", 1, 1, 100_000) or 1
        found = await admin.list_users(PAGE, (page_number - 1) * PAGE)
        employers = await _all_employers()
        return await render(
            request,
            "coordinator/users.html",
            status=status,
            errors=errors,
            values=values,
            page=found,
            page_number=page_number,
            pages=max(1, -(-found.total // PAGE)),
            employers=employers,
            names={e.id: e.name for e in employers},
            invited=invited,
        )

    @post("/users", name="web.coordinator.create_user")
    async def create_user(
        self,
        request: AppRequest,
        account_service: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
    ) -> Template:
        admin = UserAdministration(account_service, settings)
        form = await request.form()
        values = {
            "email": field_text(form, "email", 254),
            "role": field_text(form, "role", 20),
            "employer_id": field_text(form, "employer_id", 64),
            "volunteer_id": field_text(form, "volunteer_id", 64),
        }
        errors = FormErrors()
        if not values["email"]:
            errors.add("email", "Enter the person's email address")
        if values["role"] not in {"employer", "volunteer"}:
            errors.add("role", "Select whether this is an employer contact or a volunteer")
        elif values["role"] == "employer" and not values["employer_id"]:
            errors.add("employer_id", "Select the employer this contact works for")
        elif values["role"] == "volunteer" and not values["volunteer_id"]:
            errors.add("volunteer_id", "Enter the volunteer's id, from their record")
        fields = {k: k for k in values}
        if not errors:
            body = {
                "email": values["email"],
                "role": values["role"],
                "employer_id": values["employer_id"] if values["role"] == "employer" else None,
                "volunteer_id": values["volunteer_id"] if values["role"] == "volunteer" else None,
            }
            try:
                invited = await admin.create(
                    UserCreate.model_validate(body), invited_by=_user_id(request)
                )
            except ValidationError as exc:
                add_validation_errors(errors, exc, fields, "email")
            except (InvalidInput, Conflict) as exc:
                add_service_errors(errors, _as_input(exc), fields, "email")
            else:
                return await render(
                    request,
                    "coordinator/invitation.html",
                    email=invited.email,
                    url=invited.activation_url,
                    expires_at=invited.activation_expires_at,
                )
        return await self._users_page(request, admin, errors, values, 400)

    @post("/users/{user_id:str}/invitation", name="web.coordinator.reinvite")
    async def reinvite(
        self,
        request: AppRequest,
        user_id: FromPath[str],
        account_service: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
    ) -> Template:
        admin = UserAdministration(account_service, settings)
        invitation = await admin.reinvite(user_id, invited_by=_user_id(request))
        return await render(
            request,
            "coordinator/invitation.html",
            email=None,
            url=invitation.activation_url,
            expires_at=invitation.expires_at,
        )

    # ----------------------------------------------------------------------------- tokens

    @get("/tokens", name="web.coordinator.tokens")
    async def tokens(self, request: AppRequest) -> Template:
        return await self._tokens_page(request, FormErrors(), {})

    async def _tokens_page(
        self,
        request: AppRequest,
        errors: FormErrors,
        values: dict[str, Any],
        status: int = 200,
    ) -> Template:
        found = await TokenAdministration().list_tokens(200, 0)
        return await render(
            request,
            "coordinator/tokens.html",
            status=status,
            errors=errors,
            values=values,
            tokens=found.items,
            scopes=sorted(KNOWN_SCOPES),
            revoked=query_text(request, "revoked", 4) == "1",
        )

    @post("/tokens", name="web.coordinator.issue_token")
    async def issue_token(self, request: AppRequest) -> Template:
        form = await request.form()
        values: dict[str, Any] = {
            "name": field_text(form, "name", 100),
            "scopes": field_list(form, "scopes", 10, 40),
            "valid_days": field_text(form, "valid_days", 4) or "90",
        }
        errors = FormErrors()
        if not values["name"]:
            errors.add("name", "Enter a name that says which system uses the token")
        if not values["scopes"]:
            errors.add("scopes", "Select what the token may do")
        fields = {"name": "name", "scopes": "scopes", "valid_days": "valid_days"}
        if not errors:
            try:
                issued = await TokenAdministration().issue(
                    TokenCreate.model_validate(values), created_by=_user_id(request)
                )
            except ValidationError as exc:
                add_validation_errors(errors, exc, fields, "name")
            except (InvalidInput, Conflict) as exc:
                add_service_errors(errors, _as_input(exc), fields, "name")
            else:
                return await render(request, "coordinator/token_issued.html", token=issued)
        return await self._tokens_page(request, errors, values, 400)

    @post("/tokens/{token_id:str}/revoke", name="web.coordinator.revoke_token")
    async def revoke_token(self, request: AppRequest, token_id: FromPath[str]) -> Redirect:
        await TokenAdministration().revoke(token_id, revoked_by=_user_id(request))
        return see_other("/coordinator/tokens?revoked=1")


def _as_input(exc: InvalidInput | Conflict) -> InvalidInput:
    if isinstance(exc, InvalidInput):
        return exc
    return InvalidInput(exc.detail, errors=list(exc.extra.get("errors") or []))
