"""``/api/coordinator/volunteers/{id}/awards`` and ``/api/volunteer/awards``: recording awards and
reading them back. Employers never read awards here: they reach them only through the gate, as the
``recognition`` category of a staff read."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from portal.accounts.roles import Role
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.errors import Forbidden
from portal.recognition.schemas import AwardCreate, AwardList, AwardOut
from portal.recognition.services import RecognitionService

COORDINATOR = requires_role(Role.COORDINATOR)
VOLUNTEER = requires_role(Role.VOLUNTEER)


def provide_recognition() -> RecognitionService:
    return RecognitionService()


_SERVICE = {"recognition": Provide(provide_recognition, sync_to_thread=False)}


class CoordinatorAwardController(Controller):
    path = "/api/coordinator/volunteers/{volunteer_id:str}/awards"
    tags = ["recognition"]
    dependencies = _SERVICE

    @post(
        "/",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Record an award or long-service record",
    )
    async def record(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        data: JSONBody[AwardCreate],
        recognition: NamedDependency[RecognitionService],
    ) -> AwardOut:
        return await recognition.record(volunteer_id, data, caller(request).user_id)

    @get("/", guards=[COORDINATOR], summary="A volunteer's awards, newest first")
    async def list_awards(
        self, volunteer_id: FromPath[str], recognition: NamedDependency[RecognitionService]
    ) -> AwardList:
        return await recognition.awards_of(volunteer_id)


class VolunteerAwardController(Controller):
    path = "/api/volunteer/awards"
    tags = ["recognition"]
    dependencies = _SERVICE

    @get("/", guards=[VOLUNTEER], summary="Your awards, newest first")
    async def my_awards(
        self, request: AppRequest, recognition: NamedDependency[RecognitionService]
    ) -> AwardList:
        volunteer_id = caller(request).volunteer_id
        if not volunteer_id:
            raise Forbidden("This account is not linked to a volunteer record")
        return await recognition.awards_of(volunteer_id)


CONTROLLERS = [CoordinatorAwardController, VolunteerAwardController]
