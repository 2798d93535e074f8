"""``/api/police-force`` and ``/api/partner``: people linked to the caller's organisation.

Thin: each handler names its purpose and hands the caller to :class:`RecipientReads`, which asks
the disclosure gate. A person the gate holds back is a 404, like any id that names nobody.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from portal.accounts.roles import Role
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.disclosure.gate import DisclosureGate
from portal.disclosure.notice_controllers import (
    PartnerNoticeController,
    PoliceForceNoticeController,
)
from portal.disclosure.schemas import StaffMember, StaffPageOut
from portal.recipients.services import RecipientReads, split_categories
from portal.request_context import request_id

POLICE_FORCE = requires_role(Role.POLICE_FORCE)
PARTNER = requires_role(Role.PARTNER)

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
After = Annotated[str | None, QueryParameter(max_length=64, description="next_cursor")]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]


def provide_force_reads(gate: NamedDependency[DisclosureGate]) -> RecipientReads:
    return RecipientReads(gate, "police_force")


def provide_partner_reads(gate: NamedDependency[DisclosureGate]) -> RecipientReads:
    return RecipientReads(gate, "partner")


class PoliceForcePeopleController(Controller):
    path = "/api/police-force/people"
    tags = ["police force"]
    dependencies = {"reads": Provide(provide_force_reads, sync_to_thread=False)}

    @get(
        "/",
        guards=[POLICE_FORCE],
        summary="Specials and applicants linked to your force (a transfer, an application to "
        "more than one force), projected to what is permitted",
    )
    async def list_people(
        self,
        request: AppRequest,
        reads: NamedDependency[RecipientReads],
        purpose: Purpose,
        categories: Categories = None,
        after: After = None,
        limit: Limit = 50,
    ) -> StaffPageOut:
        return await reads.people(
            caller(request),
            purpose,
            request_id=request_id(request),
            limit=limit,
            after=after,
            categories=split_categories(categories),
        )

    @get("/{volunteer_id:str}", guards=[POLICE_FORCE], summary="One person, or 404")
    async def get_person(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        reads: NamedDependency[RecipientReads],
        purpose: Purpose,
        categories: Categories = None,
    ) -> StaffMember:
        return await reads.person(
            caller(request),
            purpose,
            volunteer_id,
            request_id=request_id(request),
            categories=split_categories(categories),
        )


class PartnerApplicantsController(Controller):
    path = "/api/partner/applicants"
    tags = ["partner"]
    dependencies = {"reads": Provide(provide_partner_reads, sync_to_thread=False)}

    @get(
        "/",
        guards=[PARTNER],
        summary="Applicants whose application your organisation processes for the force, "
        "projected to what is permitted",
    )
    async def list_applicants(
        self,
        request: AppRequest,
        reads: NamedDependency[RecipientReads],
        purpose: Purpose,
        categories: Categories = None,
        after: After = None,
        limit: Limit = 50,
    ) -> StaffPageOut:
        return await reads.people(
            caller(request),
            purpose,
            request_id=request_id(request),
            limit=limit,
            after=after,
            categories=split_categories(categories),
        )

    @get("/{volunteer_id:str}", guards=[PARTNER], summary="One applicant, or 404")
    async def get_applicant(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        reads: NamedDependency[RecipientReads],
        purpose: Purpose,
        categories: Categories = None,
    ) -> StaffMember:
        return await reads.person(
            caller(request),
            purpose,
            volunteer_id,
            request_id=request_id(request),
            categories=split_categories(categories),
        )


CONTROLLERS = [
    PoliceForcePeopleController,
    PartnerApplicantsController,
    PoliceForceNoticeController,
    PartnerNoticeController,
]
