"""``/api/employer``: an employer's own staff through the disclosure gate, and notices."""

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
from portal.disclosure.gate import DisclosureGate, Recipient, Released
from portal.disclosure.notices import NoticeService
from portal.disclosure.schemas import StaffMember, StaffPageOut
from portal.receipts import ReceiptOut
from portal.request_context import request_id

EMPLOYER = requires_role(Role.EMPLOYER)
#: Query parameter types; the default is given where used (``categories: Categories = None``).
Purpose = Annotated[
    str,
    QueryParameter(
        name="purpose",
        min_length=1,
        max_length=80,
        pattern=r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$",
        description="why you need the data: a purpose code your agreement names",
    ),
]
Categories = Annotated[
    str | None,
    QueryParameter(
        name="categories",
        max_length=400,
        pattern=r"^[a-z0-9.,-]*$",
        description="optional comma-separated categories, to receive less than permitted",
    ),
]


def provide_notices(
    ledger: NamedDependency[Ledger], gate: NamedDependency[DisclosureGate]
) -> NoticeService:
    return NoticeService(ledger, gate)


def _categories(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [c.strip() for c in value.split(",") if c.strip()]


def _member(released: Released) -> StaffMember:
    return StaffMember(
        volunteer_id=released.volunteer_id,
        purpose=released.purpose,
        categories=list(released.categories),
        data=released.data,
        receipt=ReceiptOut.of(released.receipt),
    )


class EmployerStaffController(Controller):
    path = "/api/employer/staff"
    tags = ["employer"]

    @get("/", guards=[EMPLOYER], summary="Your staff who take part, projected to what is permitted")
    async def list_staff(
        self,
        request: AppRequest,
        gate: NamedDependency[DisclosureGate],
        purpose: Purpose,
        categories: Categories = None,
        after: Annotated[
            str | None, QueryParameter(max_length=64, description="next_cursor")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> StaffPageOut:
        identity = caller(request)
        page = await gate.disclose_staff(
            Recipient.of(identity),
            purpose,
            request_id=request_id(request),
            limit=limit,
            after=after,
            categories=_categories(categories),
        )
        return StaffPageOut(
            items=[_member(r) for r in page.items], next_cursor=page.next_cursor, limit=limit
        )

    @get("/{volunteer_id:str}", guards=[EMPLOYER], summary="One staff member, or 404")
    async def get_staff_member(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        gate: NamedDependency[DisclosureGate],
        purpose: Purpose,
        categories: Categories = None,
    ) -> StaffMember:
        identity = caller(request)
        released = await gate.disclose_one(
            Recipient.of(identity),
            purpose,
            volunteer_id,
            request_id=request_id(request),
            categories=_categories(categories),
        )
        return _member(released)


class EmployerNoticeController(Controller):
    path = "/api/employer/notices"
    tags = ["employer"]
    dependencies = {"notices": Provide(provide_notices, sync_to_thread=False)}

    @get("/", guards=[EMPLOYER], summary="Withdrawal notices addressed to your organisation")
    async def list_notices(
        self,
        request: AppRequest,
        notices: NamedDependency[NoticeService],
        pending: Annotated[bool, QueryParameter(description="only unacknowledged notices")] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> WithdrawalNoticePage:
        identity = caller(request)
        return await notices.list_for(
            Recipient.of(identity), pending_only=pending, limit=limit, offset=offset
        )

    @post(
        "/{notice_id:str}/acknowledge",
        guards=[EMPLOYER],
        status_code=HTTP_200_OK,
        summary="Acknowledge a withdrawal notice (you have stopped using the data)",
    )
    async def acknowledge(
        self,
        request: AppRequest,
        notice_id: FromPath[str],
        notices: NamedDependency[NoticeService],
    ) -> Acknowledged:
        identity = caller(request)
        return await notices.acknowledge(
            Recipient.of(identity), notice_id, request_id=request_id(request)
        )


CONTROLLERS = [EmployerStaffController, EmployerNoticeController]
