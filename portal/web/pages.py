"""Rendering a page: the common context every template gets, and the GOV.UK error model.

Every page is rendered through :func:`render`, which adds who is signed in, the navigation for
their role, the CSRF token for the page's forms, the force's name and the service name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from portal.accounts.tables import Role
from portal.auth.identity import Identity
from portal.auth.requests import AppRequest
from portal.organisations.tables import Organisation, OrganisationKind
from portal.web.csrf import form_token, session_identity

SERVICE_NAME = "Employer Supported Policing"
DEFAULT_FORCE_NAME = "Special Constabulary"
ROLE_LABELS = {
    Role.VOLUNTEER: "Special Constable",
    Role.EMPLOYER: "Employer",
    Role.DPO: "Data protection officer",
    Role.COORDINATOR: "ESP coordinator",
    Role.POLICE_FORCE: "Another police force",
    Role.PARTNER: "Partner",
}
ROLE_HOMES = {
    Role.VOLUNTEER: "/volunteer",
    Role.EMPLOYER: "/employer",
    Role.DPO: "/dpo",
    Role.COORDINATOR: "/coordinator",
    Role.POLICE_FORCE: "/police-force",
    Role.PARTNER: "/partner",
}
#: Pages cannot be cached anywhere: most show personal data.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class NavItem:
    href: str
    text: str


#: Navigation per role. A page that is not finished is not listed here.
NAVIGATION: dict[Role, list[NavItem]] = {
    Role.VOLUNTEER: [NavItem("/volunteer", "Home")],
    Role.EMPLOYER: [NavItem("/employer", "Home")],
    Role.DPO: [NavItem("/dpo", "Home")],
    Role.COORDINATOR: [NavItem("/coordinator", "Home")],
    Role.POLICE_FORCE: [NavItem("/police-force", "Home")],
    Role.PARTNER: [NavItem("/partner", "Home")],
}


def register_navigation(role: Role, *items: NavItem) -> None:
    """Role page modules add their finished pages to the navigation when they are imported."""
    known = {item.href for item in NAVIGATION[role]}
    NAVIGATION[role].extend(item for item in items if item.href not in known)


def home_for(identity: Identity | None) -> str:
    if identity is None or identity.role is None:
        return "/sign-in"
    return ROLE_HOMES[identity.role]


def _navigation(identity: Identity | None, path: str) -> list[dict[str, Any]]:
    if identity is None or identity.role is None:
        return []
    items = NAVIGATION[identity.role]
    # The longest matching prefix is the current section.
    best = max(
        (i for i in items if path == i.href or path.startswith(i.href.rstrip("/") + "/")),
        key=lambda i: len(i.href),
        default=None,
    )
    return [
        {
            "href": item.href,
            "text": item.text,
            "current": item is best and path == item.href,
            "active": item is best,
        }
        for item in items
    ]


_FORCE_NAME_TTL = 300.0


async def force_name(request: AppRequest) -> str:
    """The force organisation's name (cached per app for a few minutes), or a neutral default."""
    state = request.app.state
    cached: tuple[float, str] | None = state.get("web_force_name")
    now = time.monotonic()
    if cached and now - cached[0] < _FORCE_NAME_TTL:
        return cached[1]
    try:
        row = (
            await Organisation.select(Organisation.name)
            .where(Organisation.kind == OrganisationKind.FORCE.value)
            .first()
        )
    except Exception:  # an error page must render even when the database is down
        return DEFAULT_FORCE_NAME
    name = str(row["name"]) if row else DEFAULT_FORCE_NAME
    state["web_force_name"] = (now, name)
    return name


@dataclass
class FormErrors:
    """GOV.UK errors: a summary linking to each field, and each field's own message.

    ``field`` is the id of the input the summary links to (the first input of a group).
    """

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, field_id: str, message: str) -> None:
        if not any(existing == field_id for existing, _ in self.items):
            self.items.append((field_id, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def message(self, field_id: str) -> dict[str, str] | None:
        for existing, text in self.items:
            if existing == field_id:
                return {"text": text}
        return None

    @property
    def summary(self) -> list[dict[str, str]]:
        return [{"text": text, "href": f"#{field_id}"} for field_id, text in self.items]


def render_now(
    request: AppRequest,
    template: str,
    *,
    status: int = 200,
    errors: FormErrors | None = None,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    """Render without touching the database (error pages use this; so does :func:`render`)."""
    identity = session_identity(request)
    token, new_cookie = form_token(request)
    all_cookies = list(cookies or [])
    if new_cookie is not None:
        all_cookies.append(new_cookie)
    path = request.url.path
    cached: tuple[float, str] | None = request.app.state.get("web_force_name")
    base = {
        "identity": identity,
        "role_label": ROLE_LABELS.get(identity.role) if identity and identity.role else None,
        "home_url": home_for(identity) if identity else "/",
        "nav": _navigation(identity, path),
        "csrf_token": token,
        "service_name": SERVICE_NAME,
        "force_name": cached[1] if cached else DEFAULT_FORCE_NAME,
        "current_path": path,
        "errors": errors or FormErrors(),
        "request_id": str(request.scope.get("state", {}).get("request_id", "")),
    }
    return Template(
        template_name=template,
        context={**base, **context},
        status_code=status,
        cookies=all_cookies,
        headers=NO_STORE,
        media_type="text/html",
    )


async def render(
    request: AppRequest,
    template: str,
    *,
    status: int = 200,
    errors: FormErrors | None = None,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    await force_name(request)
    return render_now(request, template, status=status, errors=errors, cookies=cookies, **context)


def see_other(location: str, cookies: list[Cookie] | None = None) -> Redirect:
    """303 after a successful form post (post/redirect/get)."""
    return Redirect(location, status_code=303, cookies=cookies or [], headers=NO_STORE)


def safe_next(value: str | None) -> str | None:
    """A local path to return to after signing in, or None (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ch in value for ch in "\r\n\t") or value.startswith(("/sign-in", "/sign-out")):
        return None
    return value
