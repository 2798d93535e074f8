"""``/api/coordinator/agreements``: data sharing agreements (coordinator records, DPO reads)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from ledger import Ledger
from portal.accounts.roles import Role
from portal.agreements.schemas import (
    AgreementCreate,
    AgreementCreated,
    AgreementOut,
    AgreementPage,
)
from portal.agreements.services import AgreementService
from portal.apisupport import API_CHANNEL, MAX_OFFSET
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.request_context import request_id

COORDINATOR = requires_role(Role.COORDINATOR)
COORDINATOR_OR_DPO = requires_role(Role.COORDINATOR, Role.DPO)


def provide_agreements(ledger: NamedDependency[Ledger]) -> AgreementService:
    return AgreementService(ledger)


class AgreementController(Controller):
    path = "/api/coordinator/agreements"
    tags = ["agreements"]
    dependencies = {"agreements": Provide(provide_agreements, sync_to_thread=False)}

    @post(
        "/",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Record a data sharing agreement (a new version supersedes the previous one)",
    )
    async def record(
        self,
        request: AppRequest,
        data: JSONBody[AgreementCreate],
        agreements: NamedDependency[AgreementService],
    ) -> AgreementCreated:
        identity = caller(request)
        return await agreements.record(
            data,
            recorded_by=identity.user_id,
            request_id=request_id(request),
            channel=API_CHANNEL,
        )

    @get("/", guards=[COORDINATOR_OR_DPO], summary="Each employer's current agreement")
    async def list_agreements(
        self,
        agreements: NamedDependency[AgreementService],
        employer_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> AgreementPage:
        return await agreements.list_current(limit, offset, employer_id)

    @get("/{agreement_id:str}", guards=[COORDINATOR_OR_DPO], summary="One agreement version")
    async def get_agreement(
        self, agreement_id: FromPath[str], agreements: NamedDependency[AgreementService]
    ) -> AgreementOut:
        return await agreements.get(agreement_id)

    @get(
        "/{agreement_id:str}/versions",
        guards=[COORDINATOR_OR_DPO],
        summary="Every version of the agreement with this agreement's employer, newest first",
    )
    async def versions(
        self, agreement_id: FromPath[str], agreements: NamedDependency[AgreementService]
    ) -> list[AgreementOut]:
        return await agreements.versions(agreement_id)


CONTROLLERS = [AgreementController]
