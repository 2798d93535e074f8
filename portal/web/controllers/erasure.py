"""Erasure request pages: a volunteer asks for their data to be erased and follows the request;
the DPO records requests received by letter, sees what is due (overdue first in red) and decides.

Approval on the page does what the API does: the volunteer is told, then erased
(:mod:`portal.erasure.requests`). The DPO's list names the volunteer by id and ledger pseudonym
only: reading their record stays with the subject report.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ledger import Ledger
from portal.accounts.roles import Role
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.erasure.requests import (
    EXPLANATION_MAX,
    GROUNDS,
    STATEMENT_MAX,
    ErasureRequests,
)
from portal.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.messages.contact import ContactGate
from portal.messages.disclosing import gated_transport
from portal.request_context import request_id
from portal.web.dates import DateAnswer, read_date
from portal.web.forms import add_service_errors, field_text, query_text
from portal.web.pages import FormErrors, NavItem, register_navigation, render, see_other

register_navigation(Role.DPO, NavItem("/dpo/erasure", "Erasure requests"))


def _service(request: AppRequest, ledger: Ledger, gate: ContactGate) -> ErasureRequests:
    settings = request.app.state.settings
    return ErasureRequests(ledger, settings, gated_transport(settings, gate))


def _volunteer_id(request: AppRequest) -> tuple[str, str]:
    identity = caller(request)
    if not identity.volunteer_id:
        raise Forbidden("This account is not linked to a volunteer record")
    return identity.volunteer_id, identity.user_id


class VolunteerErasurePages(Controller):
    path = "/volunteer/erasure"
    guards = [requires_role(Role.VOLUNTEER)]
    include_in_schema = False

    @get("/", name="web.volunteer.erasure")
    async def page(
        self, request: AppRequest, ledger: NamedDependency[Ledger], gate: NamedDependency[Any]
    ) -> Template:
        return await self._page(request, _service(request, ledger, gate), FormErrors(), "")

    async def _page(
        self,
        request: AppRequest,
        service: ErasureRequests,
        errors: FormErrors,
        statement: str,
        status: int = 200,
    ) -> Template:
        volunteer, _ = _volunteer_id(request)
        requests = await service.mine(volunteer)
        return await render(
            request,
            "volunteer/erasure.html",
            status=status,
            errors=errors,
            statement=statement,
            requests=requests,
            open_request=any(r.status in ("pending", "approved") for r in requests),
            asked=query_text(request, "asked", 4) == "1",
            statement_max=STATEMENT_MAX,
        )

    @post("/", name="web.volunteer.erasure.ask")
    async def ask(
        self, request: AppRequest, ledger: NamedDependency[Ledger], gate: NamedDependency[Any]
    ) -> Template | Redirect:
        volunteer, user = _volunteer_id(request)
        service = _service(request, ledger, gate)
        form = await request.form()
        statement = field_text(form, "statement", STATEMENT_MAX + 100)
        errors = FormErrors()
        try:
            await service.request(
                volunteer,
                made_by="volunteer",
                recorded_by=user,
                statement=statement,
                channel="web",
                request_id=request_id(request),
            )
        except InvalidInput as exc:
            add_service_errors(errors, exc, {"statement": "statement"}, "statement")
        except Conflict as exc:
            errors.add("statement", exc.detail)
        if errors:
            return await self._page(request, service, errors, statement, 400)
        return see_other("/volunteer/erasure?asked=1")


class DpoErasurePages(Controller):
    path = "/dpo/erasure"
    guards = [requires_role(Role.DPO)]
    include_in_schema = False

    @get("/", name="web.dpo.erasure")
    async def queue(
        self, request: AppRequest, ledger: NamedDependency[Ledger], gate: NamedDependency[Any]
    ) -> Template:
        return await self._queue(request, _service(request, ledger, gate), FormErrors(), {}, "")

    async def _queue(
        self,
        request: AppRequest,
        service: ErasureRequests,
        errors: FormErrors,
        values: dict[str, Any],
        failed: str,
        status: int = 200,
    ) -> Template:
        return await render(
            request,
            "dpo/erasure.html",
            status=status,
            errors=errors,
            values=values,
            failed=failed,
            waiting=await service.open_requests(),
            decided=await service.decided(),
            grounds=GROUNDS,
            done=query_text(request, "done", 20),
            dates={"received_on": values["received_on"]} if "received_on" in values else {},
            statement_max=STATEMENT_MAX,
            explanation_max=EXPLANATION_MAX,
        )

    @post("/", name="web.dpo.erasure.record")
    async def record(
        self, request: AppRequest, ledger: NamedDependency[Ledger], gate: NamedDependency[Any]
    ) -> Template | Redirect:
        service = _service(request, ledger, gate)
        form = await request.form()
        received: DateAnswer = read_date(form, "received_on", "The day the request arrived")
        values: dict[str, Any] = {
            "volunteer_id": field_text(form, "volunteer_id", 100),
            "statement": field_text(form, "statement", STATEMENT_MAX + 100),
            "received_on": received,
        }
        errors = FormErrors()
        received.report(errors)
        if not values["volunteer_id"]:
            errors.add("volunteer_id", "Enter the volunteer's id")
        try:
            if not errors:
                await service.request(
                    values["volunteer_id"],
                    made_by="dpo",
                    recorded_by=caller(request).user_id,
                    statement=values["statement"],
                    received_on=received.value,
                    channel="web",
                    request_id=request_id(request),
                )
        except InvalidInput as exc:
            for item in exc.extra.get("errors", []):
                if item.get("field") == "received_on":
                    values["received_on"] = received.with_error(str(item["message"]))
            add_service_errors(
                errors,
                exc,
                {
                    "volunteer_id": "volunteer_id",
                    "statement": "statement",
                    "received_on": "received_on-day",
                },
                "volunteer_id",
            )
        except Conflict as exc:
            errors.add("volunteer_id", exc.detail)
        if errors:
            return await self._queue(request, service, errors, values, "", 400)
        return see_other("/dpo/erasure?done=recorded")

    @post("/{request_key:str}/decide", name="web.dpo.erasure.decide")
    async def decide(
        self,
        request: AppRequest,
        ledger: NamedDependency[Ledger],
        gate: NamedDependency[Any],
        request_key: FromPath[str],
    ) -> Template | Redirect:
        service = _service(request, ledger, gate)
        form = await request.form()
        values = {
            "outcome": field_text(form, "outcome", 20),
            "ground": field_text(form, "ground", 40),
            "explanation": field_text(form, "explanation", EXPLANATION_MAX + 100),
        }
        prefix = f"r-{request_key[:36]}"
        errors = FormErrors()
        who = caller(request).user_id
        try:
            if values["outcome"] == "approve":
                view = await service.approve(
                    request_key, decided_by=who, channel="web", ledger_request=request_id(request)
                )
                done = view.status
            elif values["outcome"] == "refuse":
                await service.refuse(
                    request_key,
                    ground=values["ground"],
                    explanation=values["explanation"],
                    decided_by=who,
                    channel="web",
                    ledger_request=request_id(request),
                )
                done = "refused"
            else:
                errors.add(f"{prefix}-outcome", "Select whether you approve or refuse the request")
        except InvalidInput as exc:
            add_service_errors(
                errors,
                exc,
                {"ground": f"{prefix}-ground", "explanation": f"{prefix}-explanation"},
                f"{prefix}-explanation",
            )
        except Conflict:
            return see_other("/dpo/erasure")
        except NotFound as exc:
            raise NotFound("No erasure request has this id") from exc
        if errors:
            return await self._queue(request, service, errors, values, request_key[:36], 400)
        return see_other(f"/dpo/erasure?done={done}")

    @post("/{request_key:str}/complete", name="web.dpo.erasure.complete")
    async def complete(
        self,
        request: AppRequest,
        ledger: NamedDependency[Ledger],
        gate: NamedDependency[Any],
        request_key: FromPath[str],
    ) -> Redirect:
        service = _service(request, ledger, gate)
        try:
            view = await service.complete(
                request_key, channel="web", ledger_request=request_id(request)
            )
        except Conflict:
            return see_other("/dpo/erasure")
        return see_other(f"/dpo/erasure?done={view.status}")
