"""Withdrawal-notice pages for another police force's and a partner's users.

The same page and service as an employer's (:mod:`portal.web.notice_pages`): a force that
received data under a volunteer's consent (``force.multi-force-application``) is told when the
consent is withdrawn, lists the notices addressed to its own organisation, and acknowledges them.
A partner's purposes rely on the force's public task, not consent, so its page stays empty until
a purpose of its kind relies on consent; it is there so that no kind of recipient is left out.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.accounts.roles import Role
from portal.auth.guards import requires_role
from portal.auth.requests import AppRequest
from portal.disclosure.notices import NoticeService
from portal.web.notice_pages import FORCE_NOTICES, PARTNER_NOTICES, acknowledge, notices_page
from portal.web.pages import NavItem, register_navigation

register_navigation(Role.POLICE_FORCE, NavItem(FORCE_NOTICES.path, "Notices"))
register_navigation(Role.PARTNER, NavItem(PARTNER_NOTICES.path, "Notices"))


class PoliceForceNoticePages(Controller):
    path = FORCE_NOTICES.path
    guards = [requires_role(Role.POLICE_FORCE)]
    include_in_schema = False

    @get("/", name="web.police_force.notices")
    async def notices(
        self, request: AppRequest, notices: NamedDependency[NoticeService]
    ) -> Template:
        return await notices_page(request, notices, FORCE_NOTICES)

    @post("/{notice_id:str}/acknowledge", name="web.police_force.acknowledge")
    async def acknowledge(
        self, request: AppRequest, notice_id: FromPath[str], notices: NamedDependency[NoticeService]
    ) -> Redirect:
        return await acknowledge(request, notices, notice_id, FORCE_NOTICES)


class PartnerNoticePages(Controller):
    path = PARTNER_NOTICES.path
    guards = [requires_role(Role.PARTNER)]
    include_in_schema = False

    @get("/", name="web.partner.notices")
    async def notices(
        self, request: AppRequest, notices: NamedDependency[NoticeService]
    ) -> Template:
        return await notices_page(request, notices, PARTNER_NOTICES)

    @post("/{notice_id:str}/acknowledge", name="web.partner.acknowledge")
    async def acknowledge(
        self, request: AppRequest, notice_id: FromPath[str], notices: NamedDependency[NoticeService]
    ) -> Redirect:
        return await acknowledge(request, notices, notice_id, PARTNER_NOTICES)
