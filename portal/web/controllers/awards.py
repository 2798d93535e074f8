"""Award pages: the coordinator records a volunteer's awards; the volunteer reads their own.

The pages call :class:`~portal.recognition.services.RecognitionService`, as the API does. An
employer never reads awards here: they arrive only through the gate, as ``recognition``.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from portal.accounts.roles import Role
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.errors import Forbidden
from portal.organisations.services import OrganisationService
from portal.recognition.kinds import AWARD_KIND_LABELS, AwardKind
from portal.recognition.schemas import AwardCreate
from portal.recognition.services import RecognitionService
from portal.web.forms import query_text
from portal.web.pages import render, see_other
from portal.web.webforms import Answers, Field, WebForm, handle_form

AWARD_FORM = WebForm(
    fields=(
        Field(
            "kind",
            20,
            options=tuple(AwardKind),
            input_id="kind",
            required="Select what kind of recognition it is",
        ),
        Field("title", 120, required="Enter what the award is"),
        Field(
            "awarded_on",
            kind="date",
            label="The date it was awarded",
            required="Enter the date it was awarded",
        ),
    ),
    schema=AwardCreate,
    invalid_at="title",
)


class CoordinatorAwardPages(Controller):
    path = "/coordinator/volunteers/{volunteer_id:str}/awards"
    guards = [requires_role(Role.COORDINATOR)]
    include_in_schema = False

    @get("/", name="web.coordinator.awards")
    async def page(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
    ) -> Template:
        return await self._page(request, volunteer_id, organisations, Answers())

    async def _page(
        self,
        request: AppRequest,
        volunteer_id: str,
        organisations: OrganisationService,
        answers: Answers,
        status: int = 200,
    ) -> Template:
        volunteer = await organisations.get_volunteer(volunteer_id)
        awards = await RecognitionService().awards_of(volunteer_id)
        return await render(
            request,
            "coordinator/awards.html",
            status=status,
            errors=answers.errors,
            values=answers.values,
            dates=answers.dates,
            volunteer=volunteer,
            awards=awards.items,
            kinds=AWARD_KIND_LABELS,
            recorded=query_text(request, "recorded", 4) == "1",
        )

    @post("/", name="web.coordinator.record_award")
    async def record(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
    ) -> Response[Any]:
        service = RecognitionService()
        recorded_by = caller(request).user_id

        async def act(data: AwardCreate) -> Any:
            return await service.record(volunteer_id, data, recorded_by)

        async def again(answers: Answers) -> Template:
            return await self._page(request, volunteer_id, organisations, answers, 400)

        return await handle_form(
            request,
            AWARD_FORM,
            act=act,
            done=lambda _: see_other(f"/coordinator/volunteers/{volunteer_id}/awards?recorded=1"),
            again=again,
        )


class VolunteerAwardPages(Controller):
    path = "/volunteer/awards"
    guards = [requires_role(Role.VOLUNTEER)]
    include_in_schema = False

    @get("/", name="web.volunteer.awards")
    async def page(self, request: AppRequest) -> Template:
        volunteer_id = caller(request).volunteer_id
        if not volunteer_id:
            raise Forbidden("This account is not linked to a volunteer record")
        awards = await RecognitionService().awards_of(volunteer_id)
        return await render(
            request, "volunteer/awards.html", awards=awards.items, kinds=AWARD_KIND_LABELS
        )
