"""DPO pages about consent itself: how many consents stand on each privacy-notice version.

Counts only: no volunteer is named, so nothing here is a disclosure.
"""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from portal.accounts.roles import Role
from portal.auth.guards import requires_role
from portal.auth.requests import AppRequest
from portal.clock import local_date, utcnow
from portal.consent.standing import standing_by_version
from portal.web.pages import NavItem, register_navigation, render

register_navigation(Role.DPO, NavItem("/dpo/notices", "Consent by notice"))


class DpoConsentPages(Controller):
    path = "/dpo"
    guards = [requires_role(Role.DPO)]
    include_in_schema = False

    @get("/notices", name="web.dpo.notices")
    async def notices(self, request: AppRequest) -> Template:
        now = utcnow()
        return await render(
            request, "dpo/notices.html", versions=await standing_by_version(now, local_date(now))
        )
