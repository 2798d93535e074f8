"""The OpenAPI document states, for every operation, what it can refuse and with which body.

The statuses are derived from each route (``portal.openapi_problems``); these tests pin the rules
to real routes, so a guard or parameter added without its statuses fails here, and the
schemathesis run (``tests/disclosure/test_openapi_properties.py``) checks the answers themselves.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.serialization import decode_json, encode_json, get_serializer

from portal.app import create_app
from portal.settings import load_settings

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("openapi")
    settings = load_settings(database_url=f"sqlite:///{data / 'x.sqlite3'}", data_dir=data)
    app = create_app(settings, configure_logs=False)
    # Serialised as the /schema/openapi.json route serialises it (pydantic examples included).
    raw = encode_json(app.openapi_schema.to_schema(), serializer=get_serializer(app.type_encoders))
    return dict(decode_json(raw))


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_error_status_is_a_problem_document(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert len(operations) >= 60
    for method, path, operation in operations:
        responses = operation["responses"]
        assert "401" in responses, f"{method} {path}: a bad credential is refused anywhere"
        for status, response in responses.items():
            if int(status) < 400 or (path == "/ready" and status == "503"):
                continue
            content = response.get("content", {})
            assert list(content) == ["application/problem+json"], f"{method} {path} {status}"
            schema = content["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ProblemDetails"}
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert set(problem["required"]) == {
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "request_id",
    }


@pytest.mark.parametrize(
    ("method", "path", "present", "absent", "security"),
    [
        # A role guard: sign-in and role refusals, the database failing closed; no body.
        (
            "GET",
            "/api/coordinator/employers",
            {400, 401, 403, 422, 503},
            {404, 409, 413, 415},
            [{"session": []}],
        ),
        # Path parameter: 404. Unsafe with a body: CSRF (403), conflicts, size and type.
        (
            "PATCH",
            "/api/coordinator/volunteers/{volunteer_id}",
            {400, 401, 403, 404, 409, 413, 415, 422, 503},
            set(),
            [{"session": [], "csrf": []}],
        ),
        # A scope guard: a bearer token.
        (
            "POST",
            "/api/integrations/duties",
            {200, 201, 400, 401, 403, 409, 413, 415, 422, 503},
            {404},
            [{"bearer": []}],
        ),
        # Public, no parameters: only a bad credential is refused.
        ("GET", "/api/purposes", {401}, {400, 403, 404, 422, 503}, None),
        # Declared raises: the sign-in lockout.
        ("POST", "/api/auth/login", {400, 401, 403, 413, 415, 422, 429}, {404}, None),
        # Either credential, the bearer (which wins in the middleware) first.
        ("GET", "/api/auth/me", {401, 403}, {400, 422}, [{"bearer": []}, {"session": []}]),
    ],
)
def test_statuses_follow_from_the_route(
    document: dict[str, Any],
    method: str,
    path: str,
    present: set[int],
    absent: set[int],
    security: list[dict[str, list[str]]] | None,
) -> None:
    operation = document["paths"][path][method.lower()]
    documented = {int(status) for status in operation["responses"]}
    assert present <= documented, f"missing {sorted(present - documented)}"
    assert not (absent & documented), f"claims {sorted(absent & documented)}"
    assert operation.get("security") == security
