"""The web portal's routers, registered through ``portal.routes.DOMAIN_CONTROLLERS``.

Every page lives under one router whose ``before_request`` hook checks the form's CSRF token on
every unsafe request and whose exception handlers answer with HTML pages.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.static_files import create_static_files_router

from portal.auth.requests import AppRequest
from portal.web.controllers.account import AccountPages
from portal.web.controllers.applications import (
    CoordinatorApplicationPages,
    MilestoneImportPages,
    VolunteerApplicationPages,
)
from portal.web.controllers.awards import CoordinatorAwardPages, VolunteerAwardPages
from portal.web.controllers.coordinator import CoordinatorPages
from portal.web.controllers.coordinator_recipients import RecipientOrganisationPages
from portal.web.controllers.dpo import DpoPages
from portal.web.controllers.dpo_consent import DpoConsentPages
from portal.web.controllers.dpo_retention import DpoRetentionPages
from portal.web.controllers.dpo_search import DpoSearchPages
from portal.web.controllers.dpo_volume import DpoVolumePages
from portal.web.controllers.employer import EmployerPages
from portal.web.controllers.erasure import DpoErasurePages, VolunteerErasurePages
from portal.web.controllers.objections import DpoObjectionPages, VolunteerObjectionPages
from portal.web.controllers.privacy import CookiePages, PrivacyPages
from portal.web.controllers.recipient_notices import PartnerNoticePages, PoliceForceNoticePages
from portal.web.controllers.recipients import PartnerPages, PoliceForcePages
from portal.web.controllers.volunteer import VolunteerPages
from portal.web.csrf import check_csrf
from portal.web.errors import PAGE_EXCEPTION_HANDLERS
from portal.web.services import PAGE_DEPENDENCIES
from portal.web.statistics import (
    CoordinatorStatisticsPages,
    DpoStatisticsPages,
    count_page_view,
)

STATIC = Path(__file__).resolve().parent / "static"

PAGES = Router(
    path="/",
    route_handlers=[
        AccountPages,
        VolunteerPages,
        EmployerPages,
        PoliceForcePages,
        PartnerPages,
        PoliceForceNoticePages,
        PartnerNoticePages,
        DpoPages,
        DpoSearchPages,
        CoordinatorPages,
        RecipientOrganisationPages,
        PrivacyPages,
        CookiePages,
        DpoConsentPages,
        DpoVolumePages,
        DpoRetentionPages,
        VolunteerObjectionPages,
        DpoObjectionPages,
        VolunteerErasurePages,
        DpoErasurePages,
        DpoStatisticsPages,
        CoordinatorStatisticsPages,
        CoordinatorAwardPages,
        VolunteerAwardPages,
        CoordinatorApplicationPages,
        MilestoneImportPages,
        VolunteerApplicationPages,
    ],
    dependencies=PAGE_DEPENDENCIES,
    before_request=check_csrf,
    after_response=count_page_view,
    exception_handlers=PAGE_EXCEPTION_HANDLERS,
    include_in_schema=False,
)

#: Longer than any asset name the build writes; a longer one is not a file here.
MAX_STATIC_PATH = 255


async def refuse_impossible_names(request: AppRequest) -> None:
    """A name no file can have (a NUL, too long for the file system) is simply not found,
    rather than reaching the operating system and failing there (a 500)."""
    path = request.scope.get("path", "")
    if "\x00" in path or len(path) > MAX_STATIC_PATH:
        raise NotFoundException("No such file")


STATIC_FILES = create_static_files_router(
    path="/static",
    before_request=refuse_impossible_names,
    directories=[STATIC],
    name="web.static",
    cache_control=CacheControlHeader(max_age=3600, public=True),
    include_in_schema=False,
)

#: What ``DOMAIN_CONTROLLERS`` registers: ``"portal.web.routes:ROUTERS"``.
ROUTERS = [STATIC_FILES, PAGES]
