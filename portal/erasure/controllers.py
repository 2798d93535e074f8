"""``/api/volunteer/erasure-requests`` and ``/api/dpo/erasure-requests``: Art. 17 requests.

A volunteer asks and reads their own requests; the DPO records requests received another way,
lists what is waiting (soonest due first, overdue flagged) and decides. Approval tells the
volunteer and then erases them (:mod:`portal.erasure.requests`), so its answer is the request as
``erased``, or ``approved`` while the message waits to go (``.../complete`` tries again).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ledger import Ledger
from portal.accounts.roles import Role
from portal.apisupport import API_CHANNEL
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.erasure.requests import ErasureRequests
from portal.erasure.schemas import (
    DecisionIn,
    OwnRequestIn,
    RecordedRequestIn,
    RequestList,
    RequestOut,
)
from portal.errors import Forbidden
from portal.messages.disclosing import gated_transport
from portal.request_context import request_id
from portal.settings import Settings

DPO = requires_role(Role.DPO)
VOLUNTEER = requires_role(Role.VOLUNTEER)


def provide_requests(
    settings: NamedDependency[Settings],
    ledger: NamedDependency[Ledger],
    gate: NamedDependency[Any],
) -> ErasureRequests:
    return ErasureRequests(ledger, settings, gated_transport(settings, gate))


_SERVICE = {"erasure": Provide(provide_requests, sync_to_thread=False)}


class VolunteerErasureController(Controller):
    path = "/api/volunteer/erasure-requests"
    tags = ["erasure"]
    guards = [VOLUNTEER]
    dependencies = _SERVICE

    @get("/", summary="Your erasure requests and what became of each, newest first")
    async def mine(
        self, request: AppRequest, erasure: NamedDependency[ErasureRequests]
    ) -> RequestList:
        identity = caller(request)
        if not identity.volunteer_id:
            raise Forbidden("This account is not linked to a volunteer record")
        return RequestList(
            items=[RequestOut.of(v) for v in await erasure.mine(identity.volunteer_id)]
        )

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Ask for your data to be erased (UK GDPR Art. 17); answered within one month",
    )
    async def ask(
        self,
        request: AppRequest,
        data: JSONBody[OwnRequestIn],
        erasure: NamedDependency[ErasureRequests],
    ) -> RequestOut:
        identity = caller(request)
        if not identity.volunteer_id:
            raise Forbidden("This account is not linked to a volunteer record")
        view = await erasure.request(
            identity.volunteer_id,
            made_by="volunteer",
            recorded_by=identity.user_id,
            statement=data.statement,
            channel=API_CHANNEL,
            request_id=request_id(request),
        )
        return RequestOut.of(view)


class DpoErasureController(Controller):
    path = "/api/dpo/erasure-requests"
    tags = ["erasure"]
    guards = [DPO]
    dependencies = _SERVICE

    @get(
        "/",
        summary="Erasure requests waiting for a decision or to be carried out, soonest due first",
    )
    async def waiting(self, erasure: NamedDependency[ErasureRequests]) -> RequestList:
        return RequestList(items=[RequestOut.of(v) for v in await erasure.open_requests()])

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Record a request the volunteer made another way (a letter, a call)",
    )
    async def record(
        self,
        request: AppRequest,
        data: JSONBody[RecordedRequestIn],
        erasure: NamedDependency[ErasureRequests],
    ) -> RequestOut:
        view = await erasure.request(
            data.volunteer_id,
            made_by="dpo",
            recorded_by=caller(request).user_id,
            statement=data.statement,
            received_on=data.received_on,
            channel=API_CHANNEL,
            request_id=request_id(request),
        )
        return RequestOut.of(view)

    @post(
        "/{request_key:str}/decide",
        status_code=HTTP_200_OK,
        summary="Approve (the volunteer is told, then erased) or refuse with an Art. 17(3) ground",
    )
    async def decide(
        self,
        request: AppRequest,
        request_key: FromPath[str],
        data: JSONBody[DecisionIn],
        erasure: NamedDependency[ErasureRequests],
    ) -> RequestOut:
        who = caller(request).user_id
        if data.outcome == "approve":
            view = await erasure.approve(
                request_key, decided_by=who, channel=API_CHANNEL, ledger_request=request_id(request)
            )
        else:
            view = await erasure.refuse(
                request_key,
                ground=data.ground,
                explanation=data.explanation,
                decided_by=who,
                channel=API_CHANNEL,
                ledger_request=request_id(request),
            )
        return RequestOut.of(view)

    @post(
        "/{request_key:str}/complete",
        status_code=HTTP_200_OK,
        summary="Carry out an approved request whose message had to wait (or after a crash)",
    )
    async def complete(
        self,
        request: AppRequest,
        request_key: FromPath[str],
        erasure: NamedDependency[ErasureRequests],
    ) -> RequestOut:
        view = await erasure.complete(
            request_key, channel=API_CHANNEL, ledger_request=request_id(request)
        )
        return RequestOut.of(view)


CONTROLLERS = [VolunteerErasureController, DpoErasureController]
