"""The DPO's retention pages: the dry runs, what each found per record kind, and approval.

A dry run here is the same as ``esp-portal retention run``: recorded and ledgered, nothing
erased. Approving a run erases what it found (docs/RETENTION.md); the button names the run,
and the page says what went and which ledger entries record it.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.accounts.roles import Role
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.errors import Conflict
from portal.request_context import request_id
from portal.retention.services import RetentionService
from portal.web.forms import query_int
from portal.web.pages import NavItem, register_navigation, render, see_other

register_navigation(Role.DPO, NavItem("/dpo/retention", "Retention"))

RUNS_SHOWN = 20


class DpoRetentionPages(Controller):
    path = "/dpo/retention"
    guards = [requires_role(Role.DPO)]
    include_in_schema = False

    @get("/", name="web.dpo.retention")
    async def runs(
        self, request: AppRequest, retention: NamedDependency[RetentionService]
    ) -> Template:
        return await render(
            request,
            "dpo/retention.html",
            runs=await retention.recent(RUNS_SHOWN),
            schedule_rows=retention.schedule().kinds,
        )

    @post("/runs", name="web.dpo.retention.dry_run")
    async def dry_run(
        self, request: AppRequest, retention: NamedDependency[RetentionService]
    ) -> Redirect:
        view = await retention.dry_run(
            requested_by=caller(request).user_id, channel="web", request_id=request_id(request)
        )
        return see_other(f"/dpo/retention/runs/{view.id}")

    @get("/runs/{run_id:str}", name="web.dpo.retention.run")
    async def run(
        self,
        request: AppRequest,
        retention: NamedDependency[RetentionService],
        run_id: FromPath[str],
    ) -> Template:
        return await render(
            request,
            "dpo/retention_run.html",
            run=await retention.get(run_id),
            approved=query_int(request, "approved", None, 0, 1),
        )

    @post("/runs/{run_id:str}/approve", name="web.dpo.retention.approve")
    async def approve(
        self,
        request: AppRequest,
        retention: NamedDependency[RetentionService],
        run_id: FromPath[str],
    ) -> Redirect:
        try:
            view = await retention.approve(
                run_id,
                approver=caller(request).user_id,
                channel="web",
                request_id=request_id(request),
            )
        except Conflict:  # approved meanwhile (another tab, another DPO): show it as it is
            view = await retention.get(run_id)
            return see_other(f"/dpo/retention/runs/{view.id}")
        return see_other(f"/dpo/retention/runs/{view.id}?approved=1")
