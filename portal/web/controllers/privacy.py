"""Public statements every visitor can read without signing in: the privacy notice, each version
of it in full with what changed from the one before, and the cookie statement.

A consent is informed only if the whole notice it binds to can be read, so every version that
ever bound a consent stays published at ``/privacy/{version}``. Each version also shows the
retention schedule in force now (``records.json``): how long each kind of record is kept, and why.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from portal.auth.requests import AppRequest
from portal.clock import local_date, utcnow
from portal.errors import NotFound
from portal.settings import Settings
from portal.vocabulary import Purpose, notices, vocabulary
from portal.vocabulary.records import records_held
from portal.web.cookies import cookie_statement
from portal.web.pages import render


class PrivacyPages(Controller):
    path = "/privacy"
    include_in_schema = False

    @get("/", name="web.privacy")
    async def current(self, request: AppRequest) -> Template:
        return await self._notice(request, notices().current(local_date(utcnow())).version)

    @get("/{version:str}", name="web.privacy.version")
    async def version(self, request: AppRequest, version: FromPath[str]) -> Template:
        return await self._notice(request, version[:20])

    @staticmethod
    async def _notice(request: AppRequest, version: str) -> Template:
        every = notices()
        notice = every.get(version)
        current = every.current(local_date(utcnow()))
        if notice is None or notice.published_on > current.published_on:
            raise NotFound("No privacy notice has this version")
        published = [n for n in every.notices if n.published_on <= current.published_on]
        previous = every.previous(notice.version)
        added = set(notice.purposes) - set(previous.purposes if previous else ())
        return await render(
            request,
            "privacy/notice.html",
            notice=notice,
            current=current,
            previous=previous,
            versions=list(reversed(published)),
            purposes_added=_purposes(c for c in notice.purposes if previous and c in added),
            purposes_changed=_purposes(c for c in notice.purposes_changed if c not in added),
            schedule_rows=_schedule_rows(),
        )


def _purposes(codes: Iterable[str]) -> list[Purpose]:
    """The vocabulary's purposes for ``codes`` (a notice names only known ones; tested)."""
    found = (vocabulary().purpose(code) for code in codes)
    return [p for p in found if p is not None]


def _schedule_rows() -> list[dict[str, str]]:
    """The retention schedule in force, each kind of record with how long and why (UK GDPR
    Art. 13(2)(a): the notice says how long data is kept)."""
    held = records_held()
    return [
        {"label": r.label, "in_words": held.retention_in_words(r), "reason": r.retention.reason}
        for r in held.records
    ]


class CookiePages(Controller):
    path = "/cookies"
    include_in_schema = False

    @get("/", name="web.cookies")
    async def cookies(self, request: AppRequest, settings: NamedDependency[Settings]) -> Template:
        return await render(request, "privacy/cookies.html", stated=cookie_statement(settings))
