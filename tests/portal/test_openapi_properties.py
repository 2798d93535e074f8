"""Property-based run of every operation in the OpenAPI document, as each caller, on both databases.

Schemathesis generates requests for each documented operation and sends them to the real app
(in-process over ASGI, its lifespan started once). Four checks hold for every answer:

* ``not_a_server_error`` — never a 5xx;
* ``status_code_conformance`` — the status is one the operation documents;
* ``response_schema_conformance`` — the body matches the documented schema for that status;
* ``ignored_auth`` — an operation that documents a credential refuses a request without it (for
  a signed-in caller, schemathesis replays the request with the credential removed or replaced).

Callers: anonymous, each role signed in (session cookie and CSRF header), and an integration
token. A small world (an employer with an agreement, a volunteer who works there) is seeded first
so that requests with its ids can succeed. Every operation gets ``ESP_OPENAPI_EXAMPLES`` cases;
every failure is collected (not just the first), so one run reports them all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import uuid
from http.cookies import SimpleCookie
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from portal.accounts.tables import Role
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.app import create_app
from portal.auth.sessions import CSRF_HEADER, SESSION_COOKIE
from portal.auth.tokens import KNOWN_SCOPES, issue_token
from portal.organisations.tables import Employment, Organisation, OrganisationKind, Volunteer
from portal.settings import Settings
from tests.support.auth import PASSWORD, create_user, fresh_code
from tests.support.served import serve_app

#: Optional path regexes to narrow a local run (CI runs the whole document).
ONLY = os.environ.get("ESP_OPENAPI_PATHS", "")
SKIP = os.environ.get("ESP_OPENAPI_SKIP_PATHS", "")
#: Cases per operation and caller: 67 operations x 6 callers x 2 databases in CI.
EXAMPLES = int(os.environ.get("ESP_OPENAPI_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, ignored_auth]
#: Requests that would end or replace the session under test; they are exercised anonymously.
SESSION_CHANGING = {("POST", "/api/auth/logout"), ("POST", "/api/auth/login")}
CALLERS = ["anonymous", "volunteer", "employer", "dpo", "coordinator", "integration"]


async def _seed(app: Any, settings: Settings, caller: str) -> dict[str, Any]:
    """The small world, and the credential headers ``caller`` sends (none when anonymous)."""
    employer = Organisation(name="Fuzz Employer", kind=OrganisationKind.EMPLOYER.value)
    await employer.save()
    volunteer = Volunteer(display_name="Fuzz Volunteer", email="fuzz@volunteer.example")
    await volunteer.save()
    await Employment(
        volunteer=volunteer.id,
        employer=employer.id,
        starts_on=dt.date.today() - dt.timedelta(days=10),
    ).save()
    created = await AgreementService(app.state.ledger).record(
        AgreementCreate(
            employer_id=uuid.UUID(str(employer.id)),
            version=1,
            purposes={
                "esp.programme-management": ["identity", "status"],
                "esp.leave-verification": ["identity", "hours.summary"],
            },
            starts_on=dt.date.today() - dt.timedelta(days=1),
            ends_on=dt.date.today() + dt.timedelta(days=20),
            signed_by="Fuzz Signatory",
        ),
        recorded_by="fuzz",
        request_id="fuzz",
        channel="cli",
    )
    known = {
        "volunteer_id": str(volunteer.id),
        "employer_id": str(employer.id),
        "agreement_id": created.agreement.id,
    }
    if caller == "anonymous":
        return {"known": known, "headers": {}}
    if caller == "integration":
        issued = await issue_token("fuzz integration", sorted(KNOWN_SCOPES), 30, None)
        return {"known": known, "headers": {"Authorization": f"Bearer {issued.token}"}}
    role = Role(caller)
    links: dict[str, str] = {}
    if role is Role.EMPLOYER:
        links["organisation_id"] = str(employer.id)
    if role is Role.VOLUNTEER:
        links["volunteer_id"] = str(volunteer.id)
    user = await create_user(settings, f"{caller}@fuzz.example", role, **links)
    return {"known": known, "user": user}


async def _prepare(settings: Settings, caller: str) -> dict[str, Any]:
    """Seed through one served app and sign in over HTTP; the session lives in the database."""
    app = create_app(settings)
    async with serve_app(app) as client:
        world = await _seed(app, settings, caller)
        user = world.pop("user", None)
        if user is not None:
            body = {"email": user.email, "password": PASSWORD}
            if user.totp_secret:
                body["otp"] = fresh_code(user.totp_secret)
            login = await client.post("/api/auth/login", json=body)
            assert login.status_code == 200, login.text
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(login.headers["set-cookie"])
            world["headers"] = {
                "Cookie": f"{SESSION_COOKIE}={cookie[SESSION_COOKIE].value}",
                CSRF_HEADER: login.json()["csrf_token"],
            }
    return world


def _strategy(operation: Any, known: dict[str, str]) -> Any:
    """Generated cases, and cases naming the seeded world's ids where the path takes them."""
    names = set(re.findall(r"{(\w+)}", operation.path))
    seeded = {name: value for name, value in known.items() if name in names}
    strategies = [operation.as_strategy()]
    if seeded:
        strategies.append(operation.as_strategy(path_parameters=seeded))
    return st.one_of(strategies)


@pytest.mark.slow
@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_answers_as_documented(settings: Settings, caller: str) -> None:
    world = asyncio.run(_prepare(settings, caller))
    app = create_app(settings, configure_logs=False)
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    if ONLY:
        schema = schema.include(path_regex=ONLY)
    if SKIP:
        schema = schema.exclude(path_regex=SKIP)
    failures: dict[tuple[str, str], str] = {}
    operations = 0
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            if caller != "anonymous" and (operation.method.upper(), operation.path) in (
                SESSION_CHANGING
            ):
                continue
            operations += 1

            @hypothesis_settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=_strategy(operation, world["known"]))
            def run(case: Any) -> None:
                try:
                    case.call_and_validate(headers=world["headers"], checks=CHECKS)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        key = (case.operation.label, failure.title)
                        failures.setdefault(key, f"{failure.title}: {failure.message}"[:300])

            run()
    finally:
        shutdown_lifespans()
    assert operations >= (1 if ONLY or SKIP else 60)
    report = "\n".join(f"{label}: {text}" for (label, _), text in sorted(failures.items()))
    assert not failures, f"{len(failures)} failures as {caller}:\n{report}"
