"""The DPO's volume pages: disclosures per employer and purpose against the usual level and the
agreement's expectation, and the volume alerts to acknowledge.

The pages call ``VolumeService`` as the API does. Acknowledging is one button per alert (keyboard
and screen reader: each button names its alert); the acknowledgement is ledgered before the page
says it is done.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.accounts.roles import Role
from portal.alerts.services import VolumeService
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.errors import Conflict
from portal.request_context import request_id
from portal.web.forms import query_int
from portal.web.pages import NavItem, register_navigation, render, see_other

register_navigation(Role.DPO, NavItem("/dpo/volume", "Volumes"))

VOLUME_PAGE = 50
ALERT_PAGE = 20


class DpoVolumePages(Controller):
    path = "/dpo"
    guards = [requires_role(Role.DPO)]
    include_in_schema = False

    @get("/volume", name="web.dpo.volume")
    async def overview(
        self, request: AppRequest, volume: NamedDependency[VolumeService]
    ) -> Template:
        page_number = query_int(request, "page", 1, 1, 10_000) or 1
        page = await volume.overview(VOLUME_PAGE, (page_number - 1) * VOLUME_PAGE)
        return await render(
            request,
            "dpo/volume.html",
            page=page,
            page_number=page_number,
            pages=max(1, -(-page.total // VOLUME_PAGE)),
            limits=volume.limits,
        )

    @get("/volume/{employer_id:str}/{purpose:str}", name="web.dpo.volume_series")
    async def series(
        self,
        request: AppRequest,
        volume: NamedDependency[VolumeService],
        employer_id: FromPath[str],
        purpose: FromPath[str],
    ) -> Template:
        found = await volume.series(employer_id, purpose)
        return await render(request, "dpo/volume_series.html", series=found, limits=volume.limits)

    @get("/alerts", name="web.dpo.alerts")
    async def alerts(self, request: AppRequest, volume: NamedDependency[VolumeService]) -> Template:
        page_number = query_int(request, "page", 1, 1, 10_000) or 1
        waiting = await volume.alerts(open_only=True, limit=200, offset=0)
        history = await volume.alerts(
            open_only=False, limit=ALERT_PAGE, offset=(page_number - 1) * ALERT_PAGE
        )
        return await render(
            request,
            "dpo/alerts.html",
            waiting=waiting,
            history=history,
            page_number=page_number,
            pages=max(1, -(-history.total // ALERT_PAGE)),
            acknowledged=query_int(request, "acknowledged", None, 0, 2**62),
            limits=volume.limits,
        )

    @post("/alerts/{alert_id:str}/acknowledge", name="web.dpo.acknowledge_alert")
    async def acknowledge(
        self,
        request: AppRequest,
        volume: NamedDependency[VolumeService],
        alert_id: FromPath[str],
    ) -> Redirect:
        try:
            done = await volume.acknowledge(
                alert_id,
                user_id=caller(request).user_id,
                request_id=request_id(request),
                channel="web",
            )
        except Conflict:  # acknowledged meanwhile (another tab, another DPO): nothing to do
            return see_other("/dpo/alerts")
        return see_other(f"/dpo/alerts?acknowledged={done.receipt.index}")
