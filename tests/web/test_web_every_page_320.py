"""No sideways scrolling at 320 px, on every page of every role (WCAG 2.2 SC 1.4.10 Reflow).

The pages are not a hand list: they come from the app's own route table (every GET route behind
the pages router, found by its CSRF hook) and the guards on each (``requires_role`` names the
roles it admits). The demo data set is loaded, then each demo login (and an anonymous visitor)
starts from every page its role may open and follows, like a visitor would, every link to a
page and every GET form with its default answers, once per route and set of query names. Each
page it lands on must be no wider than the 320 px window: ``document.documentElement``'s
scroll width at most 320. At the end every GET page route must have been measured for at least
one role: a page nothing links to fails the test by name (link it, or add a start below).
Both databases.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyotp
import pytest

from tests.conftest import TestDatabase, make_settings
from tests.web.browser import BrowserThread
from tests.web.webharness import Served, serve_app

WIDTH = 320
ANONYMOUS = "anonymous"
#: Most pages one login visits (a runaway crawl fails rather than hangs).
MOST_PAGES = 120
#: Pages reached only through a form field a visitor types into: role -> paths ({volunteer}:
#: a demo volunteer's id).
EXTRA_STARTS: dict[str, tuple[str, ...]] = {
    "dpo": ("/dpo/subjects?volunteer={volunteer}",),
}
_PARAMETER = re.compile(r"\{(\w+):(\w+)\}")


@dataclass(frozen=True)
class PageRoute:
    template: str
    pattern: re.Pattern[str]
    #: roles the guards admit; None when the page is open to everyone
    roles: frozenset[str] | None

    @property
    def has_parameters(self) -> bool:
        return "{" in self.template

    def admits(self, role: str) -> bool:
        return self.roles is None or role in self.roles


#: Every role a signed-in user can have (a page that only asks for sign-in admits them all).
SIGNED_IN_ROLES = frozenset(
    {"volunteer", "employer", "police_force", "partner", "dpo", "coordinator"}
)


def page_routes(app: Any) -> list[PageRoute]:
    """Every GET route of the pages router, with the roles its guards admit."""
    from portal.web.csrf import check_csrf

    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" not in handler.http_methods or handler.resolve_before_request() is not (
                check_csrf
            ):
                continue
            roles: frozenset[str] | None = None
            for layer in handler.ownership_layers:
                for guard in getattr(layer, "guards", None) or []:
                    admitted = getattr(guard, "roles", None)
                    if admitted is not None:
                        roles = frozenset(admitted) if roles is None else roles & set(admitted)
                    elif getattr(guard, "__name__", "") == "requires_sign_in":
                        roles = roles or SIGNED_IN_ROLES
            regex = _PARAMETER.sub(lambda m: ".+" if m.group(2) == "path" else "[^/]+", route.path)
            found.append(PageRoute(route.path, re.compile(f"^{regex}$"), roles))
    # Plain paths before templates, so /employer/staff is not taken for /employer/{x}.
    return sorted(found, key=lambda r: (r.has_parameters, r.template))


def route_of(routes: list[PageRoute], path: str) -> PageRoute | None:
    return next((r for r in routes if r.pattern.match(path)), None)


@pytest.fixture
def demo_served(database: TestDatabase, tmp_path: Path) -> Iterator[tuple[Served, Any]]:
    """The portal on this test's database with the demo data set loaded before it starts."""
    from portal.demo import load_demo

    loaded: list[Any] = []

    def settings_for(base_url: str) -> Any:
        settings = make_settings(
            database, tmp_path / "data", base_url=base_url, login_rate_limit_per_minute=10_000
        )
        loaded.append(asyncio.run(load_demo(settings)))
        return settings

    for served in serve_app(settings_for):
        yield served, loaded[0]


def _sign_in(page: Any, served: Served, login: Any) -> None:
    page.goto(served.url("/sign-in"))
    page.get_by_label("Email address").fill(login.email)
    page.get_by_label("Password", exact=True).fill(login.password)
    page.get_by_role("button", name="Continue").click()
    if login.totp_secret:
        page.get_by_label("Enter the code from your authenticator app").fill(
            pyotp.TOTP(login.totp_secret).now()
        )
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    assert "/sign-in" not in page.url, f"{login.email} could not sign in: {page.url}"


#: Same-origin links and the URL each GET form submits with its answers as they stand (the
#: first choice of a radio group nobody has chosen yet).
_TARGETS = """() => {
  const urls = [...document.querySelectorAll('a[href]:not([download])')].map(a => a.href);
  for (const form of document.querySelectorAll('form')) {
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'get') continue;
    const data = new FormData(form);
    for (const radio of form.querySelectorAll('input[type=radio]')) {
      if (!data.has(radio.name)) data.set(radio.name, radio.value);
    }
    const params = new URLSearchParams();
    for (const [k, v] of data) if (typeof v === 'string') params.append(k, v);
    const action = new URL(form.getAttribute('action') || location.href, location.href);
    action.search = params.toString();
    urls.push(action.href);
  }
  return urls;
}"""

_WIDEST = """(width) => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 0.5)
  .slice(-4)
  .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ends at `
            + `${Math.round(e.getBoundingClientRect().right)}px`)"""


@dataclass
class Crawl:
    served: Served
    routes: list[PageRoute]
    role: str
    measured: set[str]
    too_wide: list[str]

    def key(self, url: str) -> tuple[str, frozenset[str]] | None:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.served.base_url:
            return None
        route = route_of(self.routes, parts.path)
        if route is None or not route.admits(self.role):
            return None
        return route.template, frozenset(k for k, _ in parse_qsl(parts.query))

    def run(self, page: Any, starts: list[str]) -> int:
        queue = deque(self.served.url(path) for path in starts)
        seen: set[tuple[str, frozenset[str]]] = set()
        visited = 0
        while queue:
            url = queue.popleft()
            key = self.key(url)
            if key is None or key in seen:
                continue
            seen.add(key)
            visited += 1
            assert visited <= MOST_PAGES, f"{self.role}: more than {MOST_PAGES} pages"
            response = page.goto(url)
            assert response is not None and response.status < 500, (url, response)
            page.wait_for_load_state("load")
            if "/sign-in" in page.url and "sign-in" not in url:
                continue  # sent to sign in: not this role's page after all
            self.measured.add(key[0])
            width = page.evaluate("() => document.documentElement.scrollWidth")
            if width > WIDTH:
                self.too_wide.append(
                    f"{self.role} {urlsplit(url).path}?{urlsplit(url).query}: {width}px wide "
                    f"({'; '.join(page.evaluate(_WIDEST, WIDTH))})"
                )
            for target in page.evaluate(_TARGETS):
                if self.key(target) not in seen:
                    queue.append(target)
        return visited


def _starts(routes: list[PageRoute], role: str, volunteer_id: str) -> list[str]:
    plain = [r.template for r in routes if not r.has_parameters and r.admits(role)]
    extra = [p.format(volunteer=volunteer_id) for p in EXTRA_STARTS.get(role, ())]
    return plain + extra


@pytest.mark.slow
def test_every_page_of_every_role_fits_320_px(
    demo_served: tuple[Served, Any], database: TestDatabase, shared_browser: BrowserThread
) -> None:
    from portal.demo.data import demo_id

    served, demo = demo_served
    routes = page_routes(served.app)
    assert len(routes) > 20, routes  # the route table was read, not an empty list
    volunteer_id = str(demo_id("volunteer", 0))
    measured: set[str] = set()
    too_wide: list[str] = []
    logins = [(ANONYMOUS, None)] + [(login.role, login) for login in demo.logins]
    roles = {role for role, _ in logins}
    assert roles >= {ANONYMOUS, "volunteer", "employer", "dpo", "coordinator"}, roles
    assert roles >= {"police_force", "partner"}, roles  # each recipient kind's demo user
    with shared_browser.use() as browser:
        for role, login in logins:
            context = browser.new_context(viewport={"width": WIDTH, "height": 640}, locale="en-GB")
            context.set_default_timeout(15_000)
            try:
                page = context.new_page()
                if login is not None:
                    _sign_in(page, served, login)
                crawl = Crawl(served, routes, role, measured, too_wide)
                crawl.run(page, _starts(routes, role, volunteer_id))
            finally:
                context.close()
    never = sorted(r.template for r in routes if r.template not in measured)
    assert not never, f"pages never reached, so never measured at {WIDTH} px: {never}"
    assert not too_wide, "pages wider than 320 px:\n" + "\n".join(too_wide)
