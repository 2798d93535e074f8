"""``/api/employer``: an employer's own staff through the disclosure gate, and notices."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from portal.accounts.roles import Role
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.disclosure.gate import DisclosureGate, Recipient, Released
from portal.disclosure.notice_controllers import EmployerNoticeController
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


CONTROLLERS = [EmployerStaffController, EmployerNoticeController]
