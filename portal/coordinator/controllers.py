"""``/api/coordinator``: the force's ESP coordinator onboards employers, volunteers and people.

Thin controllers: validation at the edge (pydantic), rules in the services, one guard declared on
every route. Ids in paths are UUID strings; a malformed one is answered like an unknown one (404).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from portal.accounts.admin import AccountAdministration
from portal.accounts.roles import Role
from portal.accounts.services import AccountService
from portal.apisupport import API_CHANNEL, MAX_UPLOAD_BYTES, CsvFileUpload
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.coordinator.imports import import_volunteers
from portal.coordinator.schemas import (
    AccountActionPage,
    InvitationOut,
    InvitedUser,
    IssuedTokenOut,
    TokenCreate,
    TokenOut,
    TokenPage,
    UserCreate,
    UserPage,
    VolunteerImportOut,
)
from portal.coordinator.services import TokenAdministration, UserAdministration
from portal.organisations.schemas import (
    EmployerCreate,
    EmployerOut,
    EmployerPage,
    EmploymentCreate,
    EmploymentEnd,
    EmploymentOut,
    RecipientOrgKind,
    StatusChangeIn,
    VolunteerCreate,
    VolunteerOut,
    VolunteerPage,
    VolunteerUpdate,
)
from portal.organisations.services import MAX_SEARCH, OrganisationService
from portal.organisations.status import VolunteerStatus
from portal.settings import Settings

COORDINATOR = requires_role(Role.COORDINATOR)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: Far beyond any list the portal holds, and well inside a database integer (a larger offset
#: overflowed the query: a 500 instead of a 400).
MAX_OFFSET = 1_000_000_000


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int


def provide_page(
    limit: Annotated[
        int, QueryParameter(ge=1, le=MAX_LIMIT, description="Items per page")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Items to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


def provide_organisations() -> OrganisationService:
    return OrganisationService()


def provide_users(
    account_service: NamedDependency[AccountService], settings: NamedDependency[Settings]
) -> UserAdministration:
    return UserAdministration(account_service, settings)


def provide_tokens() -> TokenAdministration:
    return TokenAdministration()


def _caller(request: AppRequest) -> str:
    identity = caller(request)
    return identity.user_id


_PAGE = {"page": Provide(provide_page, sync_to_thread=False)}
_ORGANISATIONS = {"organisations": Provide(provide_organisations, sync_to_thread=False)}


class _Base(Controller):
    tags = ["coordinator"]
    dependencies = {**_PAGE, **_ORGANISATIONS}


class EmployerController(_Base):
    path = "/api/coordinator/employers"

    @post(
        "/",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Onboard an employer (or another police force, a partner: give its kind)",
    )
    async def create_employer(
        self, data: JSONBody[EmployerCreate], organisations: NamedDependency[OrganisationService]
    ) -> EmployerOut:
        return await organisations.create_employer(data)

    @get("/", guards=[COORDINATOR], summary="List employers (or other police forces, partners)")
    async def list_employers(
        self,
        page: NamedDependency[PageRequest],
        organisations: NamedDependency[OrganisationService],
        kind: Annotated[
            RecipientOrgKind,
            QueryParameter(description="employer (default), police_force or partner"),
        ] = RecipientOrgKind.EMPLOYER,
    ) -> EmployerPage:
        return await organisations.list_employers(page.limit, page.offset, kind.value)

    @get("/{employer_id:str}", guards=[COORDINATOR], summary="One employer")
    async def get_employer(
        self, employer_id: FromPath[str], organisations: NamedDependency[OrganisationService]
    ) -> EmployerOut:
        return await organisations.get_employer(employer_id)


class VolunteerController(_Base):
    path = "/api/coordinator/volunteers"

    @post("/", guards=[COORDINATOR], status_code=HTTP_201_CREATED, summary="Record a volunteer")
    async def create_volunteer(
        self, data: JSONBody[VolunteerCreate], organisations: NamedDependency[OrganisationService]
    ) -> VolunteerOut:
        return await organisations.create_volunteer(data)

    @get("/", guards=[COORDINATOR], summary="List the force's volunteers")
    async def list_volunteers(
        self,
        page: NamedDependency[PageRequest],
        organisations: NamedDependency[OrganisationService],
        status: Annotated[
            VolunteerStatus | None, QueryParameter(description="Only this status")
        ] = None,
        name: Annotated[
            str | None,
            QueryParameter(
                max_length=MAX_SEARCH,
                description="Only names containing every word given (case and accents ignored)",
            ),
        ] = None,
    ) -> VolunteerPage:
        return await organisations.list_volunteers(page.limit, page.offset, status, name)

    @post(
        "/import",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_UPLOAD_BYTES,
        summary="Import volunteers and employment links from a CSV file, all or nothing",
        description=(
            "multipart/form-data with the file in field 'file'. Columns: email, display_name "
            "(and optionally phone, status, contact_by_email, contact_by_sms, contact_by_phone, "
            "employer (id or name), starts_on, ends_on). Every line is checked; if any is bad, "
            "nothing is imported and the 422 problem lists every bad line (line, field, "
            "message). The email is the key: a recorded volunteer is left as recorded, a "
            "recorded job (volunteer, employer, first day) too, so the same file again adds "
            "nothing (200)."
        ),
        responses={200: ResponseSpec(VolunteerImportOut, description="Nothing new: nothing added")},
    )
    async def import_volunteers(
        self,
        request: AppRequest,
        data: Annotated[CsvFileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[VolunteerImportOut]:
        result = await import_volunteers(data.file.file, imported_by=_caller(request))
        body = VolunteerImportOut.model_validate(asdict(result))
        status = HTTP_201_CREATED if result.added_anything else HTTP_200_OK
        return Response(body, status_code=status)

    @get("/{volunteer_id:str}", guards=[COORDINATOR], summary="One volunteer and their links")
    async def get_volunteer(
        self, volunteer_id: FromPath[str], organisations: NamedDependency[OrganisationService]
    ) -> VolunteerOut:
        return await organisations.get_volunteer(volunteer_id)

    @patch(
        "/{volunteer_id:str}",
        guards=[COORDINATOR],
        summary="Change a volunteer's status or contact preferences",
    )
    async def update_volunteer(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        data: JSONBody[VolunteerUpdate],
        organisations: NamedDependency[OrganisationService],
    ) -> VolunteerOut:
        return await organisations.update_volunteer(
            volunteer_id, data, by=_caller(request), channel=API_CHANNEL
        )

    @post(
        "/{volunteer_id:str}/status",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Record a change of status with the day it took effect",
        description=(
            "Allowed moves: applicant to in_training or leaver; in_training to active or leaver; "
            "active to leaver; leaver to applicant. The day is not in the future and not before "
            "the previous change. Answers the volunteer with the history, oldest first."
        ),
    )
    async def change_status(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        data: JSONBody[StatusChangeIn],
        organisations: NamedDependency[OrganisationService],
    ) -> VolunteerOut:
        await organisations.statuses.change(
            volunteer_id,
            data.status,
            data.effective_on,
            recorded_by=_caller(request),
            channel=API_CHANNEL,
        )
        return await organisations.get_volunteer(volunteer_id)


class EmploymentController(_Base):
    path = "/api/coordinator/employments"

    @post(
        "/",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Link a volunteer to an employer",
    )
    async def create_employment(
        self, data: JSONBody[EmploymentCreate], organisations: NamedDependency[OrganisationService]
    ) -> EmploymentOut:
        return await organisations.create_employment(data)

    @post(
        "/{employment_id:str}/end",
        guards=[COORDINATOR],
        status_code=HTTP_200_OK,
        summary="End an employment link",
    )
    async def end_employment(
        self,
        employment_id: FromPath[str],
        data: JSONBody[EmploymentEnd],
        organisations: NamedDependency[OrganisationService],
    ) -> EmploymentOut:
        return await organisations.end_employment(employment_id, data.ends_on)


class UserController(_Base):
    path = "/api/coordinator/users"
    dependencies = {**_PAGE, "users": Provide(provide_users, sync_to_thread=False)}

    @post(
        "/",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Create an employer or volunteer account with a one-time activation link",
    )
    async def create_user(
        self,
        request: AppRequest,
        data: JSONBody[UserCreate],
        users: NamedDependency[UserAdministration],
    ) -> InvitedUser:
        return await users.create(data, invited_by=_caller(request))

    @post(
        "/{user_id:str}/invitation",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Issue a fresh activation link (earlier unused links stop working)",
    )
    async def reinvite_user(
        self,
        request: AppRequest,
        user_id: FromPath[str],
        users: NamedDependency[UserAdministration],
    ) -> InvitationOut:
        return await users.reinvite(user_id, invited_by=_caller(request))

    @get("/", guards=[COORDINATOR], summary="List accounts (never their secrets)")
    async def list_users(
        self,
        page: NamedDependency[PageRequest],
        users: NamedDependency[UserAdministration],
        role: Annotated[Role | None, QueryParameter(description="Only this role")] = None,
    ) -> UserPage:
        return await users.list_users(page.limit, page.offset, role)


def provide_account_admin(
    account_service: NamedDependency[AccountService],
) -> AccountAdministration:
    return AccountAdministration(account_service)


class AccountActionController(_Base):
    path = "/api/coordinator/account-actions"
    dependencies = {
        **_PAGE,
        "account_admin": Provide(provide_account_admin, sync_to_thread=False),
    }

    @get(
        "/",
        guards=[COORDINATOR],
        summary="Recorded account administration actions (disable, enable, resets), newest first",
    )
    async def list_account_actions(
        self,
        page: NamedDependency[PageRequest],
        account_admin: NamedDependency[AccountAdministration],
    ) -> AccountActionPage:
        rows, total = await account_admin.actions(page.limit, page.offset)
        return AccountActionPage(
            items=list(rows),
            total=total,
            limit=page.limit,
            offset=page.offset,
        )


class TokenController(_Base):
    path = "/api/coordinator/tokens"
    dependencies = {**_PAGE, "tokens": Provide(provide_tokens, sync_to_thread=False)}

    @post(
        "/",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Issue an integration token (shown once)",
    )
    async def issue_token(
        self,
        request: AppRequest,
        data: JSONBody[TokenCreate],
        tokens: NamedDependency[TokenAdministration],
    ) -> IssuedTokenOut:
        return await tokens.issue(data, created_by=_caller(request))

    @get("/", guards=[COORDINATOR], summary="List integration tokens (never the token)")
    async def list_tokens(
        self, page: NamedDependency[PageRequest], tokens: NamedDependency[TokenAdministration]
    ) -> TokenPage:
        return await tokens.list_tokens(page.limit, page.offset)

    @post(
        "/{token_id:str}/revoke",
        guards=[COORDINATOR],
        status_code=HTTP_200_OK,
        summary="Revoke an integration token (idempotent)",
    )
    async def revoke_token(
        self,
        request: AppRequest,
        token_id: FromPath[str],
        tokens: NamedDependency[TokenAdministration],
    ) -> TokenOut:
        return await tokens.revoke(token_id, revoked_by=_caller(request))


CONTROLLERS: list[type[Controller]] = [
    EmployerController,
    VolunteerController,
    EmploymentController,
    UserController,
    AccountActionController,
    TokenController,
]
