"""The DPO finds a person: by name (typos, accents), email, volunteer id or subject id; each
person shown is ledgered under dpo.audit; nobody else may search. Both databases, the real app.

The people are written straight into the tables (as other code paths and older rows are, with no
search key yet): the search must fold them before it looks.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from ledger.tables import LedgerEntry
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from tests.support import disclosure_world as world
from tests.support.auth import fields_named, in_app
from tests.support.disclosure_scene import Scene, build_scene, disclosure_entries

SEARCH = "/api/dpo/volunteers/search"
PEOPLE = (
    "John Smith",
    "Jon Smyth",
    "John Smithson",
    "Joan Smart",
    "John Paul Smith",
    "Zoë Adams",
    "Zoe Adamson",
    "Siobhán O'Brien",
    "Mary Jones",
)


@pytest.fixture
async def scene(settings: Settings, engine: Any, ledger: Any) -> Scene:
    scene = await build_scene(settings, ledger, staff=1)
    people = {name: await world.volunteer(name) for name in PEOPLE}
    await world.employ(people["John Smith"], scene.employer_a)
    await world.employ(
        people["John Smith"],
        scene.employer_b,
        starts_on=dt.date(2018, 1, 1),
        ends_on=dt.date(2020, 12, 31),
    )
    scene.people = people  # type: ignore[attr-defined]
    return scene


def _people(scene: Scene) -> dict[str, world.Person]:
    return scene.people  # type: ignore[attr-defined, no-any-return]


async def _search(client: AsyncTestClient[Any], q: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(SEARCH, json={"q": q, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _names(body: dict[str, Any]) -> list[str]:
    return [item["display_name"] for item in body["items"]]


async def test_names_are_found_despite_typos_and_accents_and_ranked(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await scene.as_user(client, scene.dpo)
    typo = await _search(client, "Jonh Smtih")
    assert typo["matched_on"] == "name"
    assert _names(typo)[0] == "John Smith"
    assert "Mary Jones" not in _names(typo) and "Joan Smart" not in _names(typo)

    ranked = _names(await _search(client, "john smith"))
    # Exact first; a longer surname or an extra name next; one letter out after those.
    assert ranked[0] == "John Smith"
    assert ranked.index("John Paul Smith") < ranked.index("Jon Smyth")
    assert ranked.index("John Smithson") < ranked.index("Jon Smyth")
    scores = [i["score"] for i in (await _search(client, "john smith"))["items"]]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0

    for typed, expected in (
        ("Zoe Adams", "Zoë Adams"),
        ("ZOË ADAMS", "Zoë Adams"),
        ("zoe adamson", "Zoe Adamson"),
        ("Siobhan OBrien", "Siobhán O'Brien"),
        ("siobhán o’brien", "Siobhán O'Brien"),
        ("Siobhan", "Siobhán O'Brien"),
    ):
        assert _names(await _search(client, typed))[0] == expected, typed
    zoe = _names(await _search(client, "Zoe"))
    assert set(zoe[:2]) == {"Zoë Adams", "Zoe Adamson"}

    nobody = await _search(client, "Xavier Quorn")
    assert nobody == {"matched_on": "name", "items": []}


async def test_email_ids_and_subject_ids_find_exactly_one(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    john = _people(scene)["John Smith"]
    await scene.as_user(client, scene.dpo)
    for typed, how in (
        (john.email, "email"),
        (john.email.upper(), "email"),
        (john.id, "volunteer_id"),
        (john.id.upper(), "volunteer_id"),
        (john.subject, "subject"),
        (john.subject[:12], "subject"),
    ):
        body = await _search(client, f" {typed} ")
        assert body["matched_on"] == how, typed
        assert [i["volunteer_id"] for i in body["items"]] == [john.id], typed
        assert body["items"][0]["score"] == 1.0
    for unknown in (
        "nobody@example.org",
        "00000000-0000-4000-8000-000000000000",
        "sub_" + "0" * 32,
    ):
        assert (await _search(client, unknown))["items"] == [], unknown


async def test_a_result_gives_what_the_dpo_needs_and_each_person_shown_is_ledgered(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    john = _people(scene)["John Smith"]
    await scene.as_user(client, scene.dpo)
    before = len(await disclosure_entries(client))
    body = await _search(client, "john smith", limit=3)
    assert len(body["items"]) == 3
    first = body["items"][0]
    assert first["volunteer_id"] == john.id and first["subject"] == john.subject
    assert first["status"] == "active"
    assert first["report_url"] == f"/dpo/subjects?volunteer={john.id}"
    employers = [(e["name"], e["current"]) for e in first["employers"]]
    assert employers == [("Acme Logistics", True), ("Brightwater Council", False)]

    entries = (await disclosure_entries(client))[before:]
    assert [e["subject"] for e in entries] == [i["subject"] for i in body["items"]]
    assert [e["index"] for e in entries] == [i["audit_index"] for i in body["items"]]
    for entry in entries:
        assert entry["purpose"] == "dpo.audit" and entry["lawful_basis"] == "legal_obligation"
        assert entry["recipient_org"] == "force" and entry["recipient_user"] == scene.dpo.id
        assert entry["categories"] == ["identity", "status"] and entry["channel"] == "api"
    assert len({e["request_id"] for e in entries}) == 1
    # The ledger holds whom the DPO saw, never what was typed.

    async def raw_bodies() -> list[bytes]:
        first_index = min(i["audit_index"] for i in body["items"])
        rows = await LedgerEntry.select(LedgerEntry.body).where(LedgerEntry.idx >= first_index)
        return [bytes(r["body"]) for r in rows]

    raws = await in_app(client, raw_bodies)
    assert len(raws) == 3
    for raw in raws:
        assert b"smith" not in raw.lower()
        assert json.loads(raw)["kind"] == "disclosure"

    # Finding nobody shows nobody: nothing is appended.
    count = len(await disclosure_entries(client))
    await _search(client, "Xavier Quorn")
    await _search(client, "nobody@example.org")
    assert len(await disclosure_entries(client)) == count


async def test_a_renamed_person_is_found_by_the_new_name_only(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    mary = _people(scene)["Mary Jones"]
    await scene.as_user(client, scene.dpo)
    assert _names(await _search(client, "Mary Jones")) == ["Mary Jones"]

    async def rename() -> None:
        await Volunteer.update({Volunteer.display_name: "Mairéad Kowalska"}).where(
            Volunteer.id == mary.id
        )

    await in_app(client, rename)
    assert _names(await _search(client, "Mary Jones")) == []
    assert _names(await _search(client, "Mairead Kowalska")) == ["Mairéad Kowalska"]


async def test_a_bad_query_is_a_problem_naming_the_field(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    await scene.as_user(client, scene.dpo)
    for body, field in (
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "a"}, "q"),
        ({"q": "-- !"}, "q"),
        ({"q": "sub_12"}, "q"),
        ({"q": "not@an@email"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": 5}, "q"),
        ({"q": "john", "limit": 0}, "limit"),
        ({"q": "john", "limit": 51}, "limit"),
        ({"q": "john", "name": "x"}, "name"),
    ):
        response = await client.post(SEARCH, json=body)
        assert response.status_code in {400, 422}, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert fields_named(response) == {field}, (body, response.text)


async def test_only_the_dpo_may_search(client: AsyncTestClient[Any], scene: Scene) -> None:
    anonymous = await client.post(SEARCH, json={"q": "John Smith"})
    assert anonymous.status_code == 401
    volunteer = scene.volunteer_users[scene.staff_a[0].id]
    for user in (scene.hr_a, scene.coordinator, volunteer):
        await scene.as_user(client, user)
        refused = await client.post(SEARCH, json={"q": "John Smith"})
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    entries = [e for e in await disclosure_entries(client) if e["purpose"] == "dpo.audit"]
    assert entries == []
