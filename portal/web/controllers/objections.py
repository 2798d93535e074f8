"""Objection pages: a volunteer objects to a public-task purpose and reads the DPO's decision;
the DPO works through the queue, upholding or rejecting each objection with reasons.

The DPO's queue shows the volunteer's pseudonymous ledger subject and their reasons (written to
the DPO), never other personal data: reading a person's record stays with the subject report,
through the gate.
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
from portal.auth.identity import Identity
from portal.auth.requests import AppRequest
from portal.consent.objections import (
    REASONS_MAX,
    ObjectionService,
    objections_of,
    open_objections,
)
from portal.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.request_context import request_id
from portal.vocabulary import RECIPIENT_AUDIENCES, vocabulary
from portal.web.forms import add_service_errors, field_text, query_text
from portal.web.pages import FormErrors, NavItem, register_navigation, render, see_other

register_navigation(Role.DPO, NavItem("/dpo/objections", "Objections"))


def _objectable() -> list[Any]:
    return [
        p
        for p in vocabulary().purposes
        if not p.consent_required and p.audience in RECIPIENT_AUDIENCES
    ]


def _volunteer(request: AppRequest) -> Identity:
    identity = caller(request)
    if not identity.volunteer_id:
        raise Forbidden("This account is not linked to a volunteer record")
    return identity


class VolunteerObjectionPages(Controller):
    path = "/volunteer/objections"
    guards = [requires_role(Role.VOLUNTEER)]
    include_in_schema = False

    @get("/", name="web.volunteer.objections")
    async def page(self, request: AppRequest) -> Template:
        chosen = query_text(request, "purpose", 80)
        return await self._page(request, FormErrors(), {"purpose": chosen, "reasons": ""})

    async def _page(
        self,
        request: AppRequest,
        errors: FormErrors,
        values: dict[str, str],
        status: int = 200,
    ) -> Template:
        identity = _volunteer(request)
        assert identity.volunteer_id
        return await render(
            request,
            "volunteer/objections.html",
            status=status,
            errors=errors,
            values=values,
            purposes=_objectable(),
            objections=await objections_of(identity.volunteer_id),
            raised=query_text(request, "raised", 4) == "1",
            reasons_max=REASONS_MAX,
        )

    @post("/", name="web.volunteer.object")
    async def object(
        self, request: AppRequest, ledger: NamedDependency[Ledger]
    ) -> Template | Redirect:
        identity = _volunteer(request)
        assert identity.volunteer_id
        form = await request.form()
        values = {
            "purpose": field_text(form, "purpose", 80),
            "reasons": field_text(form, "reasons", REASONS_MAX + 100),
        }
        errors = FormErrors()
        if not values["purpose"]:
            errors.add("purpose", "Select what you object to")
        try:
            if not errors:
                await ObjectionService(ledger, request.app.state.settings).raise_objection(
                    identity.volunteer_id,
                    identity.user_id,
                    values["purpose"],
                    values["reasons"],
                    request_id=request_id(request),
                )
        except InvalidInput as exc:
            add_service_errors(errors, exc, {"purpose": "purpose", "reasons": "reasons"}, "reasons")
        except Conflict as exc:
            errors.add("purpose", exc.detail)
        if errors:
            return await self._page(request, errors, values, 400)
        return see_other("/volunteer/objections?raised=1")


class DpoObjectionPages(Controller):
    path = "/dpo/objections"
    guards = [requires_role(Role.DPO)]
    include_in_schema = False

    @get("/", name="web.dpo.objections")
    async def queue(self, request: AppRequest) -> Template:
        return await self._queue(request, FormErrors(), {}, "")

    async def _queue(
        self,
        request: AppRequest,
        errors: FormErrors,
        values: dict[str, str],
        failed: str,
        status: int = 200,
    ) -> Template:
        waiting = await open_objections()
        return await render(
            request,
            "dpo/objections.html",
            status=status,
            errors=errors,
            values=values,
            failed=failed,
            waiting=waiting,
            decided=query_text(request, "decided", 20),
            reasons_max=REASONS_MAX,
        )

    @post("/{objection_id:str}/decide", name="web.dpo.decide_objection")
    async def decide(
        self,
        request: AppRequest,
        ledger: NamedDependency[Ledger],
        objection_id: FromPath[str],
    ) -> Template | Redirect:
        identity = caller(request)
        form = await request.form()
        outcome = field_text(form, "outcome", 20)
        reasons = field_text(form, "reasons", REASONS_MAX + 100)
        prefix = f"o-{objection_id[:36]}"
        errors = FormErrors()
        if outcome not in {"upheld", "rejected"}:
            errors.add(f"{prefix}-outcome", "Select whether you uphold or reject the objection")
        try:
            if not errors:
                await ObjectionService(ledger, request.app.state.settings).decide(
                    objection_id, outcome, reasons, identity.user_id, request_id=request_id(request)
                )
        except InvalidInput as exc:
            add_service_errors(
                errors,
                exc,
                {"outcome": f"{prefix}-outcome", "reasons": f"{prefix}-reasons"},
                f"{prefix}-reasons",
            )
        except Conflict:
            return see_other("/dpo/objections")
        except NotFound as exc:
            raise NotFound("No objection with this id") from exc
        if errors:
            values = {"outcome": outcome, "reasons": reasons}
            return await self._queue(request, errors, values, objection_id[:36], 400)
        return see_other(f"/dpo/objections?decided={outcome}")
