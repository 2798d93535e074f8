"""``/api/volunteer/consents``: a volunteer's own consents (give, withdraw, state, history)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from ledger import Ledger
from portal.accounts.roles import Role
from portal.apisupport import API_CHANNEL, MAX_OFFSET
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.consent.schemas import (
    ConsentGive,
    ConsentGiven,
    ConsentOverview,
    ConsentWithdraw,
    ConsentWithdrawn,
)
from portal.consent.services import ConsentService
from portal.request_context import request_id
from portal.settings import Settings

VOLUNTEER = requires_role(Role.VOLUNTEER)


def provide_consents(
    ledger: NamedDependency[Ledger], settings: NamedDependency[Settings]
) -> ConsentService:
    return ConsentService(ledger, settings=settings)


class VolunteerConsentController(Controller):
    path = "/api/volunteer/consents"
    tags = ["volunteer"]
    dependencies = {"consents": Provide(provide_consents, sync_to_thread=False)}

    @get("/", guards=[VOLUNTEER], summary="Your consents: current state and full history")
    async def overview(
        self,
        request: AppRequest,
        consents: NamedDependency[ConsentService],
        limit: Annotated[
            int, QueryParameter(ge=1, le=500, description="history items per page")
        ] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> ConsentOverview:
        identity = caller(request)
        return await consents.overview(identity, limit, offset)

    @post(
        "/",
        guards=[VOLUNTEER],
        status_code=HTTP_201_CREATED,
        summary="Consent to share categories with an employer for a purpose",
    )
    async def give(
        self,
        request: AppRequest,
        data: JSONBody[ConsentGive],
        consents: NamedDependency[ConsentService],
    ) -> ConsentGiven:
        identity = caller(request)
        return await consents.give(
            identity, data, request_id=request_id(request), channel=API_CHANNEL
        )

    @post(
        "/withdraw",
        guards=[VOLUNTEER],
        status_code=HTTP_200_OK,
        summary="Withdraw consent (some categories, or all when none are named)",
    )
    async def withdraw(
        self,
        request: AppRequest,
        data: JSONBody[ConsentWithdraw],
        consents: NamedDependency[ConsentService],
    ) -> ConsentWithdrawn:
        identity = caller(request)
        return await consents.withdraw(
            identity, data, request_id=request_id(request), channel=API_CHANNEL
        )


CONTROLLERS = [VolunteerConsentController]
