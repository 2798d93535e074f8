"""Bad input gets a 4xx naming what is wrong, never a 500 (both databases).

Each case here answered 500 once: JSON nested a thousand deep, a NUL character in a text field
(PostgreSQL cannot store it; SQLite stored it), odd static file names, two files in one upload,
and an offset too large for a database integer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role
from portal.hours.tables import DutyRecord
from portal.settings import Settings
from tests.hours import hours_world as w
from tests.support.auth import create_user, fields_named, in_app, serve, sign_in_as

API = "/api/coordinator"
DEEP = "[" * 1000 + "]" * 1000
HUGE = "307990758389662941184"


@pytest.fixture
async def client(settings: Settings, engine: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    coordinator = await create_user(settings, "coordinator@example.org", Role.COORDINATOR)
    async with serve(settings) as client:
        await sign_in_as(client, coordinator)
        yield client


def _problem(answer: Any, *statuses: int) -> dict[str, Any]:
    assert answer.status_code in statuses, (answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_json_nested_a_thousand_deep_is_refused(settings: Settings, engine: Any) -> None:
    async with serve(settings) as anonymous:
        for body in (DEEP, '{"email": ' + DEEP + ', "password": "x"}'):
            answer = await anonymous.post(
                "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
            )
            _problem(answer, 400)
    coordinator = await create_user(settings, "coordinator@example.org", Role.COORDINATOR)
    async with serve(settings) as client:
        await sign_in_as(client, coordinator)
        answer = await client.post(
            f"{API}/tokens",
            content='{"name": "x", "scopes": ' + DEEP + ', "valid_days": 1}',
            headers={"Content-Type": "application/json"},
        )
        _problem(answer, 400)


async def test_a_nul_character_is_refused_naming_the_field(settings: Settings, engine: Any) -> None:
    person = await w.volunteer()
    token = await w.duties_token()
    duty = {
        "volunteer_id": person.id,
        "starts_at": "2026-05-01T18:00+01:00",
        "ends_at": "2026-05-01T23:00+01:00",
        "duty_type": "patrol",
        "esp_leave": False,
        "external_ref": "DMS-1",
    }
    coordinator = await create_user(settings, "coordinator@example.org", Role.COORDINATOR)
    async with serve(settings) as client:
        api = await client.post(
            "/api/auth/login", json={"email": "a\u0000b@example.org", "password": "x" * 12}
        )
        assert "email" in fields_named(api), api.text
        assert api.status_code in (400, 422)
        form = await client.get("/sign-in")
        assert form.status_code == 200
        page = await client.post(
            "/sign-in",
            data={
                "email": "a\u0000b@example.org",
                "password": "x" * 12,
                "csrf_token": client.cookies.get("esp_form") or "",
            },
        )
        assert page.status_code in (400, 422), page.status_code  # not 403: the form was ours

        for field in ("external_ref", "correction_reason"):
            answer = await client.post(
                "/api/integrations/duties",
                json={"duties": [{**duty, field: "D\u00001"}]},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code in (400, 422), answer.text
            assert any(field in name for name in fields_named(answer)), answer.text

        await sign_in_as(client, coordinator)
        line = w.duty_line(person, "2026-03-14T09:00", "2026-03-14T13:00") + ",D\x001"
        upload = await w.upload(client, w.csv_text([line], header=w.HEADER + ",external_ref"))
        problem = _problem(upload, 422)
        assert [(e["line"], e["field"]) for e in problem["errors"]] == [(2, "external_ref")]
        assert await in_app(client, DutyRecord.count) == 0


async def test_static_names_that_are_no_file_are_not_found(settings: Settings, engine: Any) -> None:
    async with serve(settings) as client:
        for path in ("/static/%00", "/static/" + "a" * 5000, "/static/a%00b.css"):
            answer = await client.get(path)
            assert answer.status_code in (400, 404), (path, answer.status_code)


async def test_two_files_in_one_upload_are_refused(client: AsyncTestClient[Any]) -> None:
    body = w.csv_text([])
    answer = await client.post(
        f"{API}/duties/import",
        files=[("file", ("a.csv", body, "text/csv")), ("file", ("b.csv", body, "text/csv"))],
    )
    problem = _problem(answer, 400, 422)
    assert "file" in problem["detail"] or "file" in fields_named(answer)


@pytest.mark.parametrize("listing", ["volunteers", "employers", "users", "tokens"])
async def test_a_huge_offset_is_refused(client: AsyncTestClient[Any], listing: str) -> None:
    answer = await client.get(f"{API}/{listing}", params={"offset": HUGE})
    _problem(answer, 400)
    assert "offset" in fields_named(answer)
