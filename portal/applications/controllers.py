"""``/api/coordinator/volunteers/{id}/application``, ``/api/coordinator/applications/import`` and
``/api/volunteer/application``: recording milestones (one at a time or a CSV file, all or
nothing) and reading an application back. Employers receive milestones only through the gate."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from portal.accounts.roles import Role
from portal.apisupport import MAX_UPLOAD_BYTES, CsvFileUpload
from portal.applications.imports import import_milestones
from portal.applications.schemas import (
    ApplicationOut,
    MilestoneCreate,
    MilestoneImportOut,
    MilestoneOut,
)
from portal.applications.services import ApplicationService
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.errors import Forbidden

COORDINATOR = requires_role(Role.COORDINATOR)
VOLUNTEER = requires_role(Role.VOLUNTEER)


def provide_applications() -> ApplicationService:
    return ApplicationService()


_SERVICE = {"applications": Provide(provide_applications, sync_to_thread=False)}


class CoordinatorApplicationController(Controller):
    path = "/api/coordinator/volunteers/{volunteer_id:str}/application"
    tags = ["applications"]
    dependencies = _SERVICE

    @post(
        "/milestones",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Record a milestone of an application (a step, its outcome and date)",
    )
    async def record(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        data: JSONBody[MilestoneCreate],
        applications: NamedDependency[ApplicationService],
    ) -> MilestoneOut:
        return await applications.record(volunteer_id, data, caller(request).user_id)

    @get("/", guards=[COORDINATOR], summary="A volunteer's application: each step and its history")
    async def application(
        self, volunteer_id: FromPath[str], applications: NamedDependency[ApplicationService]
    ) -> ApplicationOut:
        return await applications.application_of(volunteer_id)


class MilestoneImportController(Controller):
    path = "/api/coordinator/applications"
    tags = ["applications"]

    @post(
        "/import",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_UPLOAD_BYTES,
        summary="Import application milestones from a CSV file, all or nothing",
        description=(
            "multipart/form-data with the file in field 'file'. Columns, all required: volunteer "
            "(id or email), stage, outcome, occurred_on (2026-03-14). No other column is "
            "accepted: no finding of vetting or a medical is ever held, so a file carrying one "
            "is refused whole. Every line is checked; if any is bad, nothing is imported and "
            "the 422 problem lists every bad line (line, field, message). A milestone recorded "
            "already (same volunteer, step, outcome, day) is left as it is, so the same file "
            "again adds nothing (200)."
        ),
        responses={200: ResponseSpec(MilestoneImportOut, description="Nothing new: nothing added")},
    )
    async def import_milestones(
        self,
        request: AppRequest,
        data: Annotated[CsvFileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[MilestoneImportOut]:
        result = await import_milestones(data.file.file, imported_by=caller(request).user_id)
        body = MilestoneImportOut.model_validate(asdict(result))
        return Response(body, status_code=HTTP_201_CREATED if result.added else HTTP_200_OK)


class VolunteerApplicationController(Controller):
    path = "/api/volunteer/application"
    tags = ["applications"]
    dependencies = _SERVICE

    @get("/", guards=[VOLUNTEER], summary="Your application: each step and its history")
    async def my_application(
        self, request: AppRequest, applications: NamedDependency[ApplicationService]
    ) -> ApplicationOut:
        volunteer_id = caller(request).volunteer_id
        if not volunteer_id:
            raise Forbidden("This account is not linked to a volunteer record")
        return await applications.application_of(volunteer_id)


CONTROLLERS = [
    CoordinatorApplicationController,
    MilestoneImportController,
    VolunteerApplicationController,
]
