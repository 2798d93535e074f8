"""Application pages: the coordinator records milestones of a volunteer's application, one by
one or from a CSV file (all or nothing); the applicant follows their own. They call
:class:`ApplicationService` and :func:`import_milestones`, as the API does."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from portal.accounts.roles import Role
from portal.apisupport import MAX_UPLOAD_BYTES
from portal.applications.imports import import_milestones
from portal.applications.schemas import MilestoneCreate
from portal.applications.services import ApplicationService
from portal.applications.stages import OUTCOME_LABELS, STAGE_LABELS, Outcome, Stage
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.errors import Forbidden
from portal.organisations.services import OrganisationService
from portal.web.forms import query_text
from portal.web.pages import render, see_other
from portal.web.uploads import import_answer
from portal.web.webforms import Answers, Field, WebForm, handle_form

MILESTONE_FORM = WebForm(
    fields=(
        Field("stage", 30, options=tuple(Stage), required="Select which step it is"),
        Field(
            "outcome",
            20,
            options=tuple(Outcome),
            input_id="outcome",
            required="Select where the step has got to",
        ),
        Field(
            "occurred_on",
            kind="date",
            label="The date of this step",
            required="Enter the date of this step",
        ),
    ),
    schema=MilestoneCreate,
    invalid_at="stage",
)


class CoordinatorApplicationPages(Controller):
    path = "/coordinator/volunteers/{volunteer_id:str}/application"
    guards = [requires_role(Role.COORDINATOR)]
    include_in_schema = False

    @get("/", name="web.coordinator.application")
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
        application = await ApplicationService().application_of(volunteer_id)
        return await render(
            request,
            "coordinator/application.html",
            status=status,
            errors=answers.errors,
            values=answers.values,
            dates=answers.dates,
            volunteer=volunteer,
            application=application,
            recorded=query_text(request, "recorded", 4) == "1",
            stages=STAGE_LABELS,
            outcomes=OUTCOME_LABELS,
        )

    @post("/", name="web.coordinator.record_milestone")
    async def record(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        organisations: NamedDependency[OrganisationService],
    ) -> Response[Any]:
        service = ApplicationService()
        recorded_by = caller(request).user_id

        async def act(data: MilestoneCreate) -> Any:
            return await service.record(volunteer_id, data, recorded_by)

        async def again(answers: Answers) -> Template:
            return await self._page(request, volunteer_id, organisations, answers, 400)

        return await handle_form(
            request,
            MILESTONE_FORM,
            act=act,
            done=lambda _: see_other(
                f"/coordinator/volunteers/{volunteer_id}/application?recorded=1"
            ),
            again=again,
        )


class MilestoneImportPages(Controller):
    path = "/coordinator/applications/import"
    guards = [requires_role(Role.COORDINATOR)]
    include_in_schema = False

    @get("/", name="web.coordinator.milestone_import")
    async def page(self, request: AppRequest) -> Template:
        return await render(
            request, "coordinator/milestone_import.html", result=None, rejected=None
        )

    @post(
        "/",
        name="web.coordinator.milestone_import_post",
        request_max_body_size=MAX_UPLOAD_BYTES,
    )
    async def upload(self, request: AppRequest) -> Template:
        async def work(upload: UploadFile) -> Any:
            return await import_milestones(upload.file, imported_by=caller(request).user_id)

        return await import_answer(
            request,
            "coordinator/milestone_import.html",
            "Select a CSV file of application milestones",
            work,
        )


class VolunteerApplicationPages(Controller):
    path = "/volunteer/application"
    guards = [requires_role(Role.VOLUNTEER)]
    include_in_schema = False

    @get("/", name="web.volunteer.application")
    async def page(self, request: AppRequest) -> Template:
        volunteer_id = caller(request).volunteer_id
        if not volunteer_id:
            raise Forbidden("This account is not linked to a volunteer record")
        application = await ApplicationService().application_of(volunteer_id)
        return await render(
            request,
            "volunteer/application.html",
            application=application,
            stages=STAGE_LABELS,
            outcomes=OUTCOME_LABELS,
        )
