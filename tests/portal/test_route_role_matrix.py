"""Every route the app registers × every kind of caller, against an explicit table.

The table below names, for each ``(method, path template)``, the callers that get in. The test
asks the real app (both databases) as each caller: anonymous, each of the six roles signed in
with a session cookie (and its CSRF token), and an integration token of each scope. A caller in
the row must not be turned away (no 401/403, no redirect to sign-in); a caller outside it must
be: 401 or 403 problem details on the API, a redirect to sign-in or the 403 page on the web
pages. A route the app registers without a row here fails the test, so adding a route means
deciding who may call it.

Path parameters are filled with ids that exist nowhere, so an admitted caller typically gets a
404 or a 400 (bad body): what matters here is only whether the guard let it through.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from portal.accounts.tables import Role
from portal.organisations.tables import Organisation, OrganisationKind, Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings
from tests.support.auth import CSRF_HEADER, PASSWORD, TestUser, create_user, fresh_code
from tests.support.served import BASE_URL

ANON = "anonymous"
VOL = "volunteer"
EMP = "employer"
DPO = "dpo"
COORD = "coordinator"
FORCE = "police_force"
PARTNER = "partner"
TOKEN_WRITE = "token:duties:write"
TOKEN_READ = "token:duties:read"
CALLERS = (ANON, VOL, EMP, DPO, COORD, FORCE, PARTNER, TOKEN_WRITE, TOKEN_READ)

EVERYONE = frozenset(CALLERS)
NOBODY_BUT = frozenset  # readability: NOBODY_BUT({COORD})
SIGNED_IN = frozenset({VOL, EMP, DPO, COORD, FORCE, PARTNER})
IDENTIFIED = SIGNED_IN | {TOKEN_WRITE, TOKEN_READ}
COORDINATOR = frozenset({COORD})
COORDINATOR_OR_DPO = frozenset({COORD, DPO})

#: Who gets in, per route. Keep in the order the app registers them (API, ledger, web, schema).
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    # health and auth
    ("GET", "/health"): EVERYONE,
    ("GET", "/ready"): EVERYONE,
    ("POST", "/api/auth/activate"): EVERYONE,
    ("POST", "/api/auth/login"): EVERYONE,
    ("POST", "/api/auth/logout"): SIGNED_IN,
    ("GET", "/api/auth/me"): IDENTIFIED,
    # the public ledger: hashes only
    ("GET", "/ledger/checkpoint"): EVERYONE,
    ("GET", "/ledger/checkpoint/witnessed"): EVERYONE,
    ("GET", "/ledger/key"): EVERYONE,
    ("GET", "/ledger/proof/inclusion"): EVERYONE,
    ("GET", "/ledger/proof/consistency"): EVERYONE,
    # Any identified caller reaches the handler, which answers 404 unless the caller is the DPO
    # or the volunteer whose entry it is (tests/ledger/test_ledger_http.py checks each case).
    ("GET", "/ledger/entries/{index:str}"): IDENTIFIED,
    # vocabulary
    ("GET", "/api/purposes"): EVERYONE,
    ("GET", "/api/privacy-notices"): EVERYONE,
    # coordinator API
    ("GET", "/api/coordinator/employers"): COORDINATOR,
    ("POST", "/api/coordinator/employers"): COORDINATOR,
    ("GET", "/api/coordinator/employers/{employer_id:str}"): COORDINATOR,
    ("GET", "/api/coordinator/volunteers"): COORDINATOR,
    ("POST", "/api/coordinator/volunteers"): COORDINATOR,
    ("GET", "/api/coordinator/volunteers/{volunteer_id:str}"): COORDINATOR,
    ("PATCH", "/api/coordinator/volunteers/{volunteer_id:str}"): COORDINATOR,
    ("POST", "/api/coordinator/volunteers/{volunteer_id:str}/status"): COORDINATOR,
    ("POST", "/api/coordinator/volunteers/import"): COORDINATOR,
    ("GET", "/api/coordinator/account-actions"): COORDINATOR,
    ("POST", "/api/coordinator/employments"): COORDINATOR,
    ("POST", "/api/coordinator/employments/{employment_id:str}/end"): COORDINATOR,
    ("GET", "/api/coordinator/users"): COORDINATOR,
    ("POST", "/api/coordinator/users"): COORDINATOR,
    ("POST", "/api/coordinator/users/{user_id:str}/invitation"): COORDINATOR,
    ("GET", "/api/coordinator/tokens"): COORDINATOR,
    ("POST", "/api/coordinator/tokens"): COORDINATOR,
    ("POST", "/api/coordinator/tokens/{token_id:str}/revoke"): COORDINATOR,
    ("GET", "/api/coordinator/agreements"): COORDINATOR_OR_DPO,
    ("POST", "/api/coordinator/agreements"): COORDINATOR,
    ("GET", "/api/coordinator/agreements/{agreement_id:str}"): COORDINATOR_OR_DPO,
    ("GET", "/api/coordinator/agreements/{agreement_id:str}/versions"): COORDINATOR_OR_DPO,
    ("GET", "/api/coordinator/duties"): COORDINATOR,
    ("POST", "/api/coordinator/duties/import"): COORDINATOR,
    ("GET", "/api/coordinator/duties/{duty_id:str}"): COORDINATOR,
    ("POST", "/api/coordinator/duties/{duty_id:str}/corrections"): COORDINATOR,
    ("POST", "/api/coordinator/leave-policies"): COORDINATOR,
    ("GET", "/api/coordinator/leave-policies/{employer_id:str}"): COORDINATOR,
    ("POST", "/api/coordinator/volunteers/{volunteer_id:str}/awards"): COORDINATOR,
    ("GET", "/api/coordinator/volunteers/{volunteer_id:str}/awards"): COORDINATOR,
    ("POST", "/api/coordinator/volunteers/{volunteer_id:str}/application/milestones"): COORDINATOR,
    ("GET", "/api/coordinator/volunteers/{volunteer_id:str}/application"): COORDINATOR,
    ("POST", "/api/coordinator/applications/import"): COORDINATOR,
    # volunteer API
    ("GET", "/api/volunteer/consents"): NOBODY_BUT({VOL}),
    ("POST", "/api/volunteer/consents"): NOBODY_BUT({VOL}),
    ("POST", "/api/volunteer/consents/withdraw"): NOBODY_BUT({VOL}),
    ("GET", "/api/volunteer/disclosures"): NOBODY_BUT({VOL}),
    ("GET", "/api/volunteer/disclosures/bundle"): NOBODY_BUT({VOL}),
    ("GET", "/api/volunteer/duties"): NOBODY_BUT({VOL}),
    ("GET", "/api/volunteer/duties/{duty_id:str}"): NOBODY_BUT({VOL}),
    ("GET", "/api/volunteer/hours"): NOBODY_BUT({VOL}),
    ("GET", "/api/volunteer/leave"): NOBODY_BUT({VOL}),
    ("POST", "/api/volunteer/leave-requests"): NOBODY_BUT({VOL}),
    ("POST", "/api/volunteer/leave-requests/{request_id:str}/withdraw"): NOBODY_BUT({VOL}),
    ("GET", "/api/volunteer/awards"): NOBODY_BUT({VOL}),
    ("GET", "/api/volunteer/application"): NOBODY_BUT({VOL}),
    # employer API
    ("GET", "/api/employer/staff"): NOBODY_BUT({EMP}),
    ("GET", "/api/employer/staff/{volunteer_id:str}"): NOBODY_BUT({EMP}),
    ("GET", "/api/employer/notices"): NOBODY_BUT({EMP}),
    ("POST", "/api/employer/notices/{notice_id:str}/acknowledge"): NOBODY_BUT({EMP}),
    ("GET", "/api/employer/leave-policy"): NOBODY_BUT({EMP}),
    ("GET", "/api/employer/leave-requests"): NOBODY_BUT({EMP}),
    ("POST", "/api/employer/leave-requests/{leave_request_id:str}/approve"): NOBODY_BUT({EMP}),
    ("POST", "/api/employer/leave-requests/{leave_request_id:str}/decline"): NOBODY_BUT({EMP}),
    ("GET", "/api/employer/hours/report"): NOBODY_BUT({EMP}),
    ("GET", "/api/employer/hours/report.csv"): NOBODY_BUT({EMP}),
    ("GET", "/api/employer/hours/staff/{volunteer_id:str}"): NOBODY_BUT({EMP}),
    # another police force's and a partner's API
    ("GET", "/api/police-force/people"): NOBODY_BUT({FORCE}),
    ("GET", "/api/police-force/people/{volunteer_id:str}"): NOBODY_BUT({FORCE}),
    ("GET", "/api/partner/applicants"): NOBODY_BUT({PARTNER}),
    ("GET", "/api/partner/applicants/{volunteer_id:str}"): NOBODY_BUT({PARTNER}),
    ("GET", "/api/police-force/notices"): NOBODY_BUT({FORCE}),
    ("POST", "/api/police-force/notices/{notice_id:str}/acknowledge"): NOBODY_BUT({FORCE}),
    ("GET", "/api/partner/notices"): NOBODY_BUT({PARTNER}),
    ("POST", "/api/partner/notices/{notice_id:str}/acknowledge"): NOBODY_BUT({PARTNER}),
    # DPO API
    ("GET", "/api/dpo/ledger"): NOBODY_BUT({DPO}),
    ("GET", "/api/dpo/ledger/export"): NOBODY_BUT({DPO}),
    ("GET", "/api/dpo/refusals"): NOBODY_BUT({DPO}),
    ("GET", "/api/dpo/agreements/ending"): NOBODY_BUT({DPO}),
    ("GET", "/api/dpo/subjects/{volunteer_id:str}/report"): NOBODY_BUT({DPO}),
    ("GET", "/api/dpo/subjects/{volunteer_id:str}/report.csv"): NOBODY_BUT({DPO}),
    ("GET", "/api/dpo/volume"): NOBODY_BUT({DPO}),
    ("GET", "/api/dpo/volume/{employer_id:str}/{purpose:str}"): NOBODY_BUT({DPO}),
    ("GET", "/api/dpo/alerts"): NOBODY_BUT({DPO}),
    ("POST", "/api/dpo/alerts/{alert_id:str}/acknowledge"): NOBODY_BUT({DPO}),
    ("POST", "/api/dpo/volunteers/search"): NOBODY_BUT({DPO}),
    # erasure requests (Art. 17): the volunteer's own, and the DPO's list and decisions
    ("GET", "/api/volunteer/erasure-requests"): NOBODY_BUT({VOL}),
    ("POST", "/api/volunteer/erasure-requests"): NOBODY_BUT({VOL}),
    ("GET", "/api/dpo/erasure-requests"): NOBODY_BUT({DPO}),
    ("POST", "/api/dpo/erasure-requests"): NOBODY_BUT({DPO}),
    ("POST", "/api/dpo/erasure-requests/{request_key:str}/decide"): NOBODY_BUT({DPO}),
    ("POST", "/api/dpo/erasure-requests/{request_key:str}/complete"): NOBODY_BUT({DPO}),
    # the duty management system
    ("POST", "/api/integrations/duties"): NOBODY_BUT({TOKEN_WRITE}),
    # web pages open to all
    ("GET", "/static/{file_path:path}"): EVERYONE,
    ("HEAD", "/static/{file_path:path}"): EVERYONE,
    ("GET", "/"): EVERYONE,
    ("GET", "/accessibility"): EVERYONE,
    ("GET", "/sign-in"): EVERYONE,
    ("POST", "/sign-in"): EVERYONE,
    ("GET", "/sign-in/code"): EVERYONE,
    ("POST", "/sign-in/code"): EVERYONE,
    ("POST", "/sign-out"): EVERYONE,
    ("GET", "/activate"): EVERYONE,
    ("POST", "/activate"): EVERYONE,
    ("GET", "/forgot-password"): EVERYONE,
    ("POST", "/forgot-password"): EVERYONE,
    # volunteer pages
    ("GET", "/volunteer"): NOBODY_BUT({VOL}),
    ("GET", "/volunteer/hours"): NOBODY_BUT({VOL}),
    ("GET", "/volunteer/sharing"): NOBODY_BUT({VOL}),
    ("POST", "/volunteer/sharing/give"): NOBODY_BUT({VOL}),
    ("POST", "/volunteer/sharing/withdraw"): NOBODY_BUT({VOL}),
    ("GET", "/volunteer/sharing/history"): NOBODY_BUT({VOL}),
    ("GET", "/volunteer/disclosures"): NOBODY_BUT({VOL}),
    ("GET", "/volunteer/leave"): NOBODY_BUT({VOL}),
    ("POST", "/volunteer/leave"): NOBODY_BUT({VOL}),
    ("POST", "/volunteer/leave/{leave_request_id:str}/withdraw"): NOBODY_BUT({VOL}),
    ("GET", "/volunteer/contact"): NOBODY_BUT({VOL}),
    ("POST", "/volunteer/contact"): NOBODY_BUT({VOL}),
    ("GET", "/volunteer/messages"): NOBODY_BUT({VOL}),
    # employer pages
    ("GET", "/employer"): NOBODY_BUT({EMP}),
    ("GET", "/employer/staff"): NOBODY_BUT({EMP}),
    ("GET", "/employer/staff/{volunteer_id:str}"): NOBODY_BUT({EMP}),
    ("GET", "/employer/leave"): NOBODY_BUT({EMP}),
    ("POST", "/employer/leave/{leave_request_id:str}/{decision:str}"): NOBODY_BUT({EMP}),
    ("GET", "/employer/reports"): NOBODY_BUT({EMP}),
    ("GET", "/employer/notices"): NOBODY_BUT({EMP}),
    ("POST", "/employer/notices/{notice_id:str}/acknowledge"): NOBODY_BUT({EMP}),
    # another police force's and a partner's pages
    ("GET", "/police-force"): NOBODY_BUT({FORCE}),
    ("GET", "/police-force/people"): NOBODY_BUT({FORCE}),
    ("GET", "/police-force/people/{volunteer_id:str}"): NOBODY_BUT({FORCE}),
    ("GET", "/partner"): NOBODY_BUT({PARTNER}),
    ("GET", "/partner/applicants"): NOBODY_BUT({PARTNER}),
    ("GET", "/partner/applicants/{volunteer_id:str}"): NOBODY_BUT({PARTNER}),
    ("GET", "/police-force/notices"): NOBODY_BUT({FORCE}),
    ("POST", "/police-force/notices/{notice_id:str}/acknowledge"): NOBODY_BUT({FORCE}),
    ("GET", "/partner/notices"): NOBODY_BUT({PARTNER}),
    ("POST", "/partner/notices/{notice_id:str}/acknowledge"): NOBODY_BUT({PARTNER}),
    # DPO pages
    ("GET", "/dpo"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/ledger"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/subjects"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/refusals"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/agreements"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/integrity"): NOBODY_BUT({DPO}),
    ("POST", "/dpo/integrity/verify"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/search"): NOBODY_BUT({DPO}),
    ("POST", "/dpo/search"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/messages"): NOBODY_BUT({DPO}),
    # coordinator pages
    ("GET", "/coordinator"): COORDINATOR,
    ("GET", "/coordinator/employers"): COORDINATOR,
    ("POST", "/coordinator/employers"): COORDINATOR,
    ("GET", "/coordinator/employers/{employer_id:str}"): COORDINATOR,
    ("POST", "/coordinator/employers/{employer_id:str}/agreements"): COORDINATOR,
    ("GET", "/coordinator/volunteers"): COORDINATOR,
    ("POST", "/coordinator/volunteers"): COORDINATOR,
    ("GET", "/coordinator/volunteers/{volunteer_id:str}"): COORDINATOR,
    ("POST", "/coordinator/volunteers/{volunteer_id:str}/employments"): COORDINATOR,
    ("POST", "/coordinator/volunteers/{volunteer_id:str}/status"): COORDINATOR,
    ("GET", "/coordinator/volunteers/import"): COORDINATOR,
    ("POST", "/coordinator/volunteers/import"): COORDINATOR,
    (
        "POST",
        "/coordinator/volunteers/{volunteer_id:str}/employments/{employment_id:str}/end",
    ): COORDINATOR,
    ("GET", "/coordinator/duties/import"): COORDINATOR,
    ("POST", "/coordinator/duties/import"): COORDINATOR,
    ("GET", "/coordinator/users"): COORDINATOR,
    ("POST", "/coordinator/users"): COORDINATOR,
    ("POST", "/coordinator/users/{user_id:str}/invitation"): COORDINATOR,
    ("POST", "/coordinator/users/{user_id:str}/{action:str}"): COORDINATOR,
    ("GET", "/coordinator/tokens"): COORDINATOR,
    ("POST", "/coordinator/tokens"): COORDINATOR,
    ("POST", "/coordinator/tokens/{token_id:str}/revoke"): COORDINATOR,
    ("GET", "/coordinator/organisations"): COORDINATOR,
    ("POST", "/coordinator/organisations"): COORDINATOR,
    ("GET", "/coordinator/organisations/{organisation_id:str}"): COORDINATOR,
    ("POST", "/coordinator/organisations/{organisation_id:str}/agreements"): COORDINATOR,
    ("POST", "/coordinator/organisations/{organisation_id:str}/users"): COORDINATOR,
    ("POST", "/coordinator/organisations/{organisation_id:str}/links"): COORDINATOR,
    ("GET", "/coordinator/calls"): COORDINATOR,
    ("POST", "/coordinator/calls/{message_id:str}/done"): COORDINATOR,
    # public statements
    ("GET", "/privacy"): EVERYONE,
    ("GET", "/privacy/{version:str}"): EVERYONE,
    ("GET", "/cookies"): EVERYONE,
    # consent oversight
    ("GET", "/dpo/notices"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/volume"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/volume/{employer_id:str}/{purpose:str}"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/alerts"): NOBODY_BUT({DPO}),
    ("POST", "/dpo/alerts/{alert_id:str}/acknowledge"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/retention"): NOBODY_BUT({DPO}),
    ("POST", "/dpo/retention/runs"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/retention/runs/{run_id:str}"): NOBODY_BUT({DPO}),
    ("POST", "/dpo/retention/runs/{run_id:str}/approve"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/objections"): NOBODY_BUT({DPO}),
    ("GET", "/dpo/statistics"): NOBODY_BUT({DPO}),
    ("GET", "/coordinator/statistics"): COORDINATOR,
    ("GET", "/coordinator/volunteers/{volunteer_id:str}/awards"): COORDINATOR,
    ("POST", "/coordinator/volunteers/{volunteer_id:str}/awards"): COORDINATOR,
    ("GET", "/volunteer/awards"): NOBODY_BUT({VOL}),
    ("GET", "/coordinator/volunteers/{volunteer_id:str}/application"): COORDINATOR,
    ("POST", "/coordinator/volunteers/{volunteer_id:str}/application"): COORDINATOR,
    ("GET", "/coordinator/applications/import"): COORDINATOR,
    ("POST", "/coordinator/applications/import"): COORDINATOR,
    ("GET", "/volunteer/application"): NOBODY_BUT({VOL}),
    ("POST", "/dpo/objections/{objection_id:str}/decide"): NOBODY_BUT({DPO}),
    ("GET", "/volunteer/objections"): NOBODY_BUT({VOL}),
    ("POST", "/volunteer/objections"): NOBODY_BUT({VOL}),
    ("GET", "/volunteer/erasure"): NOBODY_BUT({VOL}),
    ("POST", "/volunteer/erasure"): NOBODY_BUT({VOL}),
    ("GET", "/dpo/erasure"): NOBODY_BUT({DPO}),
    ("POST", "/dpo/erasure"): NOBODY_BUT({DPO}),
    ("POST", "/dpo/erasure/{request_key:str}/decide"): NOBODY_BUT({DPO}),
    ("POST", "/dpo/erasure/{request_key:str}/complete"): NOBODY_BUT({DPO}),
    # the OpenAPI document
    ("GET", "/schema"): EVERYONE,
    ("GET", "/schema/openapi.json"): EVERYONE,
    ("GET", "/schema/{path:str}"): EVERYONE,
}

#: Requests that end the caller's session when admitted: the caller signs in again after them.
SESSION_ENDING = {("POST", "/api/auth/logout"), ("POST", "/sign-out")}
#: Pages whose form token comes from the page itself (before sign-in, a double-submit cookie).
FORM_PAGE_FOR = {
    "/sign-in": "/sign-in",
    "/sign-in/code": "/sign-in",
    "/activate": "/sign-in",
    "/forgot-password": "/forgot-password",
}

UNKNOWN = str(uuid.UUID(int=0x5EED))
PARAMETER_VALUES = {
    "index": "0",
    "file_path": "portal.js",
    "path": "nothing",
    "decision": "approve",
}
_PARAMETER = re.compile(r"\{(\w+):\w+\}")
_FORM_TOKEN = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


def _concrete(template: str) -> str:
    return _PARAMETER.sub(lambda m: PARAMETER_VALUES.get(m.group(1), UNKNOWN), template)


def _is_api(template: str) -> bool:
    return template.startswith(("/api/", "/ledger/", "/schema")) or template in {
        "/health",
        "/ready",
    }


def registered_routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method != "OPTIONS":
                    found.add((method, route.path))
    return found


@dataclass
class Caller:
    name: str
    client: httpx.AsyncClient
    user: TestUser | None = None
    token: str | None = None
    csrf: str | None = None

    async def sign_in(self) -> None:
        assert self.user is not None
        body: dict[str, Any] = {"email": self.user.email, "password": self.user.password}
        if self.user.totp_secret:
            body["otp"] = fresh_code(self.user.totp_secret)
        response = await self.client.post("/api/auth/login", json=body)
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]

    async def form_token(self, path: str) -> str | None:
        """The form token a browser would post: the session's, or the sign-in page's."""
        if self.csrf is not None:
            return self.csrf
        page = await self.client.get(FORM_PAGE_FOR.get(path, "/sign-in"))
        match = _FORM_TOKEN.search(page.text)
        return match.group(1) if match else None

    async def ask(self, method: str, template: str) -> httpx.Response:
        path = _concrete(template)
        headers: dict[str, str] = {}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        unsafe = method not in {"GET", "HEAD"}
        if _is_api(template):
            if unsafe and self.csrf is not None:
                headers[CSRF_HEADER] = self.csrf
            kwargs: dict[str, Any] = {"json": {}} if unsafe else {}
        else:
            token = await self.form_token(template) if unsafe else None
            kwargs = {"data": {"csrf_token": token}} if token else {}
        return await self.client.request(method, path, headers=headers, **kwargs)


def _turned_away(template: str, response: httpx.Response) -> bool:
    if response.status_code in {401, 403}:
        return True
    if _is_api(template):
        return False
    location = response.headers.get("location", "")
    # A guarded page sends the anonymous to sign in and back; other redirects are the page's own
    # answer (the code step without a pending sign-in, sign-out, the home page's role switch).
    return response.status_code in {302, 303} and location.startswith("/sign-in?next=")


def _check_refusal(caller: Caller, method: str, template: str, response: httpx.Response) -> None:
    """How a caller is turned away: problem details on the API, a page or redirect on the web."""
    where = (caller.name, method, template, response.status_code, response.text[:200])
    if _is_api(template):
        assert response.headers["content-type"].startswith("application/problem+json"), where
        expected = 401 if caller.name == ANON else 403
        assert response.status_code == expected, where
    elif response.status_code == 403:
        assert response.headers["content-type"].startswith("text/html"), where


@pytest.fixture
def matrix_settings(database: TestDatabase, tmp_path: Path) -> Settings:
    # Each caller signs in several times (after each session-ending route): lift the per-address
    # limit so the limiter, tested on its own elsewhere, does not turn callers away here.
    return make_settings(database, tmp_path / "data", login_rate_limit_per_minute=10_000)


async def _callers(settings: Settings, stack: AsyncExitStack) -> AsyncIterator[Caller]:
    employer = Organisation(name="Matrix Employer", kind=OrganisationKind.EMPLOYER.value)
    await employer.save()
    force = Organisation(name="Matrix Police", kind=OrganisationKind.POLICE_FORCE.value)
    await force.save()
    partner = Organisation(name="Matrix Assessments", kind=OrganisationKind.PARTNER.value)
    await partner.save()
    volunteer = Volunteer(display_name="Matrix Volunteer", email="matrix@volunteer.example")
    await volunteer.save()
    users = {
        VOL: await create_user(
            settings, "vol@example.org", Role.VOLUNTEER, volunteer_id=str(volunteer.id)
        ),
        EMP: await create_user(
            settings, "hr@example.org", Role.EMPLOYER, organisation_id=str(employer.id)
        ),
        FORCE: await create_user(
            settings, "force@example.org", Role.POLICE_FORCE, organisation_id=str(force.id)
        ),
        PARTNER: await create_user(
            settings, "partner@example.org", Role.PARTNER, organisation_id=str(partner.id)
        ),
        DPO: await create_user(settings, "dpo@example.org", Role.DPO),
        COORD: await create_user(settings, "coord@example.org", Role.COORDINATOR),
    }
    # One app, one client (cookie jar) per caller.
    from portal.app import create_app

    app = create_app(settings, configure_logs=False)
    await stack.enter_async_context(app.lifespan())
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    clients = {
        name: await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url=BASE_URL, follow_redirects=False)
        )
        for name in CALLERS
    }
    coordinator = Caller(COORD, clients[COORD], users[COORD])
    await coordinator.sign_in()
    tokens = {}
    for name, scope in ((TOKEN_WRITE, "duties:write"), (TOKEN_READ, "duties:read")):
        issued = await coordinator.client.post(
            "/api/coordinator/tokens",
            json={"name": name, "scopes": [scope], "valid_days": 1},
            headers={CSRF_HEADER: coordinator.csrf or ""},
        )
        assert issued.status_code == 201, issued.text
        tokens[name] = issued.json()["token"]
    for name in CALLERS:
        if name == COORD:
            yield coordinator
        elif name in users:
            caller = Caller(name, clients[name], users[name])
            await caller.sign_in()
            yield caller
        else:
            yield Caller(name, clients[name], token=tokens.get(name))


async def test_every_route_has_a_row(matrix_settings: Settings) -> None:
    from portal.app import create_app

    registered = registered_routes(create_app(matrix_settings, configure_logs=False))
    assert registered - EXPECTED.keys() == set(), "routes without a row in EXPECTED"
    assert EXPECTED.keys() - registered == set(), "rows for routes the app no longer has"
    assert PASSWORD  # the shared test password the users above sign in with


async def test_each_caller_gets_in_exactly_where_the_table_says(
    matrix_settings: Settings, engine: Any
) -> None:
    wrong: list[tuple[str, str, str, int]] = []
    async with AsyncExitStack() as stack:
        async for caller in _callers(matrix_settings, stack):
            for (method, template), allowed in EXPECTED.items():
                response = await caller.ask(method, template)
                assert response.status_code < 500, (caller.name, method, template, response.text)
                refused = _turned_away(template, response)
                if (caller.name in allowed) == refused:
                    wrong.append((caller.name, method, template, response.status_code))
                elif refused:
                    _check_refusal(caller, method, template, response)
                ended = (method, template) in SESSION_ENDING and caller.name in allowed
                if caller.user is not None and ended:
                    caller.csrf = None
                    caller.client.cookies.clear()
                    await caller.sign_in()
    assert wrong == [], "callers let in or turned away against the table:\n" + "\n".join(
        map(str, wrong)
    )
