"""Property-based run of the whole OpenAPI document, signed in as each role, on both databases.

Schemathesis generates requests for every documented operation; each is sent to the real app
(Litestar's test client, session cookie and CSRF header set) and must not answer 5xx, and every
documented response must match its schema. A small world (an employer with an agreement, a
volunteer who works there and consents) is seeded first so that some requests succeed.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal.accounts.services import AccountService
from portal.accounts.tables import Role, UserAccount
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.app import create_app
from portal.auth.passwords import PasswordHashing
from portal.organisations.tables import (
    Employment,
    Organisation,
    OrganisationKind,
    Volunteer,
)
from portal.settings import Settings
from tests.support.auth import BASE_URL, CSRF_HEADER, PASSWORD, fresh_code

#: Optional path regex to narrow a local run (CI runs the whole document).
ONLY = os.environ.get("ESP_OPENAPI_PATHS", "")
SKIP = os.environ.get("ESP_OPENAPI_SKIP_PATHS", "")
EXAMPLES = int(os.environ.get("ESP_OPENAPI_EXAMPLES", "150"))
#: Requests that would end or replace the session under test; they are exercised anonymously.
SESSION_CHANGING = {("POST", "/api/auth/logout"), ("POST", "/api/auth/login")}
ROLES = [None, Role.VOLUNTEER, Role.EMPLOYER, Role.DPO, Role.COORDINATOR]


async def _seed(app: Any, settings: Settings, role: Role | None) -> dict[str, Any]:
    employer = Organisation(name="Fuzz Employer", kind=OrganisationKind.EMPLOYER.value)
    await employer.save()
    volunteer = Volunteer(display_name="Fuzz Volunteer", email="fuzz@volunteer.example")
    await volunteer.save()
    await Employment(
        volunteer=volunteer.id,
        employer=employer.id,
        starts_on=dt.date.today() - dt.timedelta(days=10),
    ).save()
    created_agreement = await AgreementService(app.state.ledger).record(
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
    agreement_id = created_agreement.agreement.id
    known = {"volunteer_id": str(volunteer.id), "agreement_id": agreement_id}
    if role is None:
        return {"known": known}
    links: dict[str, Any] = {}
    if role is Role.EMPLOYER:
        links["organisation_id"] = str(employer.id)
    if role is Role.VOLUNTEER:
        links["volunteer_id"] = str(volunteer.id)
    email = f"{role.value}@fuzz.example"
    created = await AccountService(settings, PasswordHashing(settings)).create_user(
        email, role, password=PASSWORD, **links
    )
    row = (
        await UserAccount.select(UserAccount.totp_secret)
        .where(UserAccount.id == created.id)
        .first()
    )
    return {"email": email, "totp_secret": row["totp_secret"] if row else None, "known": known}


def _send(client: TestClient[Any], case: Any) -> Any:
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    extra: dict[str, Any] = {}
    if "json" in kwargs:
        extra["json"] = kwargs["json"]
    elif "data" in kwargs:
        data = kwargs["data"]
        extra["content" if isinstance(data, bytes | str) else "data"] = data
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()}
    headers.pop("Cookie", None)
    return client.request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers, **extra
    )


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_every_operation_answers_without_5xx_and_as_documented(
    settings: Settings, role: Role | None
) -> None:
    app = create_app(settings)
    with TestClient(app=app, base_url=BASE_URL) as client:

        async def seed() -> dict[str, Any]:
            return await _seed(app, settings, role)

        user = client.blocking_portal.call(seed)
        if role is not None:
            body = {"email": user["email"], "password": PASSWORD}
            if user["totp_secret"]:
                body["otp"] = fresh_code(user["totp_secret"])
            login = client.post("/api/auth/login", json=body)
            assert login.status_code == 200, login.text
            client.headers[CSRF_HEADER] = login.json()["csrf_token"]
        document = client.get("/schema/openapi.json").json()
        schema = schemathesis.openapi.from_dict(document)
        if ONLY:
            schema = schema.include(path_regex=ONLY)
        if SKIP:
            schema = schema.exclude(path_regex=SKIP)

        strategy = st.one_of(
            schema.as_strategy(),
            schema.as_strategy(
                path_parameters=user["known"], query={"purpose": "esp.programme-management"}
            ),
        )

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            if role is not None and (case.method.upper(), case.path) in SESSION_CHANGING:
                return
            response = _send(client, case)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        run()
