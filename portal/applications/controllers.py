"""``/api/coordinator/volunteers/{id}/application`` and ``/api/volunteer/application``: recording
milestones and reading an application back. Employers receive milestones only through the gate."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from portal.accounts.roles import Role
from portal.applications.schemas import ApplicationOut, MilestoneCreate, MilestoneOut
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


CONTROLLERS = [CoordinatorApplicationController, VolunteerApplicationController]
