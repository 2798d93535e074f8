"""A volunteer's status changes along the allowed moves, with its date, kept as history; the
coordinator finds volunteers by name and pages through them in a stable order (both databases)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role
from portal.clock import local_date, utcnow
from portal.organisations.status import TRANSITIONS, VolunteerStatus
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from tests.support.auth import create_user, fields_named, in_app, serve, sign_in_as

API = "/api/coordinator/volunteers"


@pytest.fixture
async def client(settings: Settings, engine: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    coordinator = await create_user(settings, "coordinator@example.org", Role.COORDINATOR)
    async with serve(settings) as client:
        await sign_in_as(client, coordinator)
        yield client


async def _volunteer(client: AsyncTestClient[Any], name: str, email: str) -> dict[str, Any]:
    response = await client.post(API, json={"display_name": name, "email": email})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _days_ago(days: int) -> str:
    return (local_date(utcnow()) - dt.timedelta(days=days)).isoformat()


async def test_a_volunteer_moves_from_applicant_to_left_and_back_with_history(
    client: AsyncTestClient[Any],
) -> None:
    person = await _volunteer(client, "Jo Journey", "jo@example.org")
    assert person["status"] == "applicant" and person["status_history"] == []
    assert person["next_statuses"] == ["in_training", "leaver"]
    url = f"{API}/{person['id']}/status"
    journey = [("in_training", 90), ("active", 30), ("leaver", 2), ("applicant", 0)]
    for status, days in journey:
        response = await client.post(url, json={"status": status, "effective_on": _days_ago(days)})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == status
        assert body["next_statuses"] == [s.value for s in TRANSITIONS[VolunteerStatus(status)]]
    history = body["status_history"]
    assert [(h["from_status"], h["to_status"], h["effective_on"]) for h in history] == [
        ("applicant", "in_training", _days_ago(90)),
        ("in_training", "active", _days_ago(30)),
        ("active", "leaver", _days_ago(2)),
        ("leaver", "applicant", _days_ago(0)),
    ]
    assert {h["channel"] for h in history} == {"api"}
    assert len({h["recorded_by"] for h in history}) == 1  # the signed-in coordinator
    assert (await client.get(f"{API}/{person['id']}")).json() == body


async def test_a_change_of_status_that_is_not_allowed_names_its_field(
    client: AsyncTestClient[Any],
) -> None:
    person = await _volunteer(client, "Sam Steps", "sam@example.org")
    url = f"{API}/{person['id']}/status"
    cases: list[tuple[dict[str, Any], int, set[str]]] = [
        ({"status": "active", "effective_on": _days_ago(1)}, 422, {"status"}),  # skips training
        ({"status": "applicant", "effective_on": _days_ago(1)}, 422, {"status"}),  # already
        ({"status": "in_training", "effective_on": _days_ago(-1)}, 422, {"effective_on"}),
        ({"status": "retired", "effective_on": _days_ago(1)}, 400, {"status"}),
        ({"status": "in_training"}, 400, {"effective_on"}),
        ({"status": "in_training", "effective_on": "yesterday"}, 400, {"effective_on"}),
        ({"status": "in_training", "effective_on": _days_ago(1), "note": "x"}, 400, {"note"}),
    ]
    for body, status, fields in cases:
        response = await client.post(url, json=body)
        assert response.status_code == status, (body, response.text)
        assert fields_named(response) == fields, (body, response.json())
    refused = await client.post(url, json={"status": "active", "effective_on": _days_ago(1)})
    assert "can next become in training or left" in refused.json()["errors"][0]["message"]

    ok = await client.post(url, json={"status": "in_training", "effective_on": _days_ago(10)})
    assert ok.status_code == 201
    earlier = await client.post(url, json={"status": "active", "effective_on": _days_ago(11)})
    assert earlier.status_code == 422 and fields_named(earlier) == {"effective_on"}
    # Nothing refused was kept.
    after = (await client.get(f"{API}/{person['id']}")).json()
    assert after["status"] == "in_training" and len(after["status_history"]) == 1
    for bad in ("nope", "5b7e3c5e-0000-4000-8000-000000000000"):
        response = await client.post(
            f"{API}/{bad}/status", json={"status": "in_training", "effective_on": _days_ago(1)}
        )
        assert response.status_code == 404


async def test_patching_the_status_is_a_change_effective_today(
    client: AsyncTestClient[Any],
) -> None:
    person = await _volunteer(client, "Pat Patch", "pat@example.org")
    url = f"{API}/{person['id']}"
    moved = await client.patch(url, json={"status": "in_training"})
    assert moved.status_code == 200, moved.text
    assert [(h["to_status"], h["effective_on"]) for h in moved.json()["status_history"]] == [
        ("in_training", _days_ago(0))
    ]
    same = await client.patch(url, json={"status": "in_training", "contact_by_sms": True})
    assert same.status_code == 200 and len(same.json()["status_history"]) == 1
    assert same.json()["contact_by_sms"] is True
    skipped = await client.patch(url, json={"status": "applicant"})
    assert skipped.status_code == 422 and fields_named(skipped) == {"status"}


async def test_status_history_cannot_be_edited(
    client: AsyncTestClient[Any], database: Any, owner_sql: Any
) -> None:
    person = await _volunteer(client, "Hal History", "hal@example.org")
    await client.post(
        f"{API}/{person['id']}/status", json={"status": "leaver", "effective_on": _days_ago(0)}
    )
    attempts = [
        "UPDATE volunteer_status_change SET to_status = 'active'",
        "DELETE FROM volunteer_status_change",
    ]
    if database.kind == "postgres":
        attempts.append("TRUNCATE volunteer_status_change CASCADE")
    for statement in attempts:
        with pytest.raises((sqlite3.DatabaseError, asyncpg.PostgresError)):
            await owner_sql(statement)
        if database.kind == "postgres":
            with pytest.raises(asyncpg.PostgresError):
                await owner_sql(statement, app_role=True)
    rows = await owner_sql("SELECT to_status FROM volunteer_status_change")
    assert [tuple(r) for r in rows[0]] == [("leaver",)]


async def test_volunteers_are_found_by_name_ignoring_case_and_accents(
    client: AsyncTestClient[Any],
) -> None:
    names = ["Siobhán O'Connor", "Sian Connolly", "Zoë Müller-Smith", "Bob Smith"]
    ids = {}
    for n, name in enumerate(names):
        ids[name] = (await _volunteer(client, name, f"p{n}@example.org"))["id"]

    async def found(text: str, **extra: Any) -> list[str]:
        response = await client.get(API, params={"name": text, **extra})
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == len(page["items"])
        return [v["display_name"] for v in page["items"]]

    assert await found("siobhan") == ["Siobhán O'Connor"]
    assert await found("SIOBHÁN o'connor") == ["Siobhán O'Connor"]
    assert await found("oconnor") == ["Siobhán O'Connor"]
    assert await found("conn") == ["Sian Connolly", "Siobhán O'Connor"]
    assert await found("smith") == ["Bob Smith", "Zoë Müller-Smith"]
    assert await found("zoe muller") == ["Zoë Müller-Smith"]
    assert await found("smith bob") == ["Bob Smith"]
    assert await found("100%") == []
    assert await found("smith", status="leaver") == []
    too_long = await client.get(API, params={"name": "x" * 101})
    assert too_long.status_code == 400 and fields_named(too_long) == {"name"}


async def test_the_list_and_the_person_search_fold_names_alike(
    client: AsyncTestClient[Any],
) -> None:
    # Letters without a decomposition are spelt plainly, as the DPO's search spells them; a
    # row written without its folded name (a direct insert) is found all the same.
    await _volunteer(client, "Søren Ærø", "soren@example.org")

    async def insert() -> None:
        await Volunteer(display_name="Łukasz Nowak", email="lukasz@example.org").save()

    await in_app(client, insert)
    for text, name in (("soren aero", "Søren Ærø"), ("lukasz", "Łukasz Nowak")):
        response = await client.get(API, params={"name": text})
        assert response.status_code == 200, response.text
        assert [v["display_name"] for v in response.json()["items"]] == [name]


async def test_paging_through_volunteers_is_stable(client: AsyncTestClient[Any]) -> None:
    for n in range(7):
        await _volunteer(client, "Same Name" if n % 2 else f"Person {n}", f"v{n}@example.org")
    seen: list[str] = []
    for offset in range(0, 9, 3):
        page = (await client.get(API, params={"limit": 3, "offset": offset})).json()
        assert page["total"] == 7
        seen += [v["id"] for v in page["items"]]
    assert len(seen) == len(set(seen)) == 7
    again = (await client.get(API, params={"limit": 7})).json()
    assert [v["id"] for v in again["items"]] == seen
