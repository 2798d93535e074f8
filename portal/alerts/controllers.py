"""``/api/dpo/volume`` and ``/api/dpo/alerts``: daily disclosure volumes and volume alerts."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from ledger import Ledger
from portal.accounts.roles import Role
from portal.alerts.schemas import AlertAcknowledged, AlertPage, VolumePage, VolumeSeries
from portal.alerts.services import VolumeService
from portal.apisupport import API_CHANNEL, MAX_OFFSET
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.request_context import request_id
from portal.settings import Settings

DPO = requires_role(Role.DPO)


def provide_volume(
    settings: NamedDependency[Settings], ledger: NamedDependency[Ledger]
) -> VolumeService:
    return VolumeService(settings, ledger)


class VolumeController(Controller):
    path = "/api/dpo"
    tags = ["dpo"]
    guards = [DPO]
    dependencies = {"volume": Provide(provide_volume, sync_to_thread=False)}

    @get(
        "/volume",
        summary="Disclosures per employer and purpose: today so far, yesterday, the usual level "
        "(median of the alert window) and the agreement's expectation per day",
    )
    async def overview(
        self,
        volume: NamedDependency[VolumeService],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> VolumePage:
        return await volume.overview(limit, offset)

    @get(
        "/volume/{employer_id:str}/{purpose:str}",
        summary="One employer and purpose: each of the last 28 days against usual and expected",
    )
    async def series(
        self,
        volume: NamedDependency[VolumeService],
        employer_id: FromPath[str],
        purpose: FromPath[str],
    ) -> VolumeSeries:
        return await volume.series(employer_id, purpose)

    @get("/alerts", summary="Volume alerts, newest first (show=open: not yet acknowledged)")
    async def alerts(
        self,
        volume: NamedDependency[VolumeService],
        show: Annotated[Literal["open", "all"], QueryParameter()] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> AlertPage:
        return await volume.alerts(open_only=show == "open", limit=limit, offset=offset)

    @post(
        "/alerts/{alert_id:str}/acknowledge",
        summary="Acknowledge a volume alert (recorded in the ledger; once per alert)",
    )
    async def acknowledge(
        self,
        request: AppRequest,
        volume: NamedDependency[VolumeService],
        alert_id: FromPath[str],
    ) -> AlertAcknowledged:
        return await volume.acknowledge(
            alert_id,
            user_id=caller(request).user_id,
            request_id=request_id(request),
            channel=API_CHANNEL,
        )


CONTROLLERS = [VolumeController]
