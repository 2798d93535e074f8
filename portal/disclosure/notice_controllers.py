"""The withdrawal-notice API of each kind of recipient organisation, made by one factory.

An employer (``/api/employer/notices``), another police force (``/api/police-force/notices``) and
a partner (``/api/partner/notices``) each list and acknowledge the notices addressed to their own
organisation. The routes differ only in path and role; the rules are :class:`NoticeService`'s,
the same for every kind, so a force is told about a withdrawal exactly as an employer is. Tenant
isolation is the service's: a notice addressed to another organisation is a recorded refusal
and a 404.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_200_OK

from ledger import Ledger
from portal.accounts.roles import Role
from portal.apisupport import MAX_OFFSET
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.consent.schemas import Acknowledged, WithdrawalNoticePage
from portal.disclosure.gate import DisclosureGate
from portal.disclosure.notices import NoticeService
from portal.disclosure.recipient import Recipient
from portal.request_context import request_id


def provide_notices(
    ledger: NamedDependency[Ledger], gate: NamedDependency[DisclosureGate]
) -> NoticeService:
    return NoticeService(ledger, gate)


def notice_controller(route: str, role: Role, tag: str) -> type[Controller]:
    """The notices API at ``route`` for users of ``role`` (their organisation's notices)."""
    guard = requires_role(role)

    class NoticeController(Controller):
        path = route
        tags = [tag]
        dependencies = {"notices": Provide(provide_notices, sync_to_thread=False)}

        @get("/", guards=[guard], summary="Withdrawal notices addressed to your organisation")
        async def list_notices(
            self,
            request: AppRequest,
            notices: NamedDependency[NoticeService],
            pending: Annotated[
                bool, QueryParameter(description="only unacknowledged notices")
            ] = False,
            limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
            offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
        ) -> WithdrawalNoticePage:
            return await notices.list_for(
                Recipient.of(caller(request)), pending_only=pending, limit=limit, offset=offset
            )

        @post(
            "/{notice_id:str}/acknowledge",
            guards=[guard],
            status_code=HTTP_200_OK,
            summary="Acknowledge a withdrawal notice (you have stopped using the data)",
        )
        async def acknowledge(
            self,
            request: AppRequest,
            notice_id: FromPath[str],
            notices: NamedDependency[NoticeService],
        ) -> Acknowledged:
            return await notices.acknowledge(
                Recipient.of(caller(request)), notice_id, request_id=request_id(request)
            )

    name = "".join(word.title() for word in tag.split()) + "NoticeController"
    NoticeController.__name__ = name
    return NoticeController


EmployerNoticeController = notice_controller("/api/employer/notices", Role.EMPLOYER, "employer")
PoliceForceNoticeController = notice_controller(
    "/api/police-force/notices", Role.POLICE_FORCE, "police force"
)
PartnerNoticeController = notice_controller("/api/partner/notices", Role.PARTNER, "partner")
