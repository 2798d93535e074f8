"""Counting page views, and the statistics pages the DPO and the coordinator read.

The count is taken after the response is sent (Litestar's ``after_response`` hook on the pages'
router), from the route template and the caller's role only: no cookie, address, user id or
full path is read into it, so nothing a visitor could be recognised by is stored.
"""

from __future__ import annotations

import datetime as dt
import functools

from litestar import Controller, get
from litestar.response import Template
from markupsafe import Markup

from portal.accounts.roles import Role
from portal.auth.guards import requires_role
from portal.auth.requests import AppRequest
from portal.clock import local_date, utcnow
from portal.statistics.services import Usage, count_view, shown, usage
from portal.web.charts import Bar, bar_chart
from portal.web.pages import ROLE_LABELS, NavItem, register_navigation, render

DAYS = 30

register_navigation(Role.DPO, NavItem("/dpo/statistics", "Site statistics"))
register_navigation(Role.COORDINATOR, NavItem("/coordinator/statistics", "Site statistics"))


async def count_page_view(request: AppRequest) -> None:
    """``after_response`` hook: one more view of this page's route template by this role."""
    if request.method != "GET":
        return
    template = request.scope.get("path_template")
    if not isinstance(template, str):
        return
    identity = request.scope.get("user")
    role = (
        identity.role.value if identity is not None and identity.role is not None else "anonymous"
    )
    await count_view(local_date(utcnow()), template, role)


def _chart(data: Usage, threshold: int) -> Markup:
    bars = [
        Bar(
            day.strftime("%d"),
            views if views >= threshold else 0,
            short=views < threshold,
        )
        for day, views in data.days
    ]
    first, last = data.days[0][0], data.days[-1][0]
    return bar_chart(
        "usage-chart",
        "Page views per day",
        f"Page views of the whole portal on each day from {first:%d %B %Y} to {last:%d %B %Y}. "
        f"Days with fewer than {threshold} views are drawn at zero. The table below gives "
        "the figures per page and per kind of user.",
        bars,
        unit="views",
    )


async def _page(request: AppRequest) -> Template:
    today = local_date(utcnow())
    since = today - dt.timedelta(days=DAYS - 1)
    data = await usage(since, today)
    threshold = request.app.state.settings.suppression_threshold
    return await render(
        request,
        "statistics.html",
        data=data,
        chart=_chart(data, threshold),
        shown=functools.partial(shown, threshold=threshold),
        since=since,
        until=today,
        threshold=threshold,
        role_labels={"anonymous": "Not signed in"}
        | {role.value: label for role, label in ROLE_LABELS.items()},
    )


class DpoStatisticsPages(Controller):
    path = "/dpo/statistics"
    guards = [requires_role(Role.DPO)]
    include_in_schema = False

    @get("/", name="web.dpo.statistics")
    async def statistics(self, request: AppRequest) -> Template:
        return await _page(request)


class CoordinatorStatisticsPages(Controller):
    path = "/coordinator/statistics"
    guards = [requires_role(Role.COORDINATOR)]
    include_in_schema = False

    @get("/", name="web.coordinator.statistics")
    async def statistics(self, request: AppRequest) -> Template:
        return await _page(request)
