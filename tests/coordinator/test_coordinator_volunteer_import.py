"""Importing volunteers and employment links from a CSV file: all or nothing, every bad line
named (line, column, reason), the email as the key so the same file again adds nothing; through
the API and the command line, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from portal.accounts.tables import Role
from portal.organisations.tables import Employment, Organisation, OrganisationKind, Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.support.auth import create_user, in_app, serve, sign_in_as
from tests.support.cli import cli_env

API = "/api/coordinator/volunteers"
HEADER = "email,display_name,phone,status,contact_by_sms,employer,starts_on,ends_on"


@pytest.fixture
async def client(settings: Settings, engine: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    coordinator = await create_user(settings, "coordinator@example.org", Role.COORDINATOR)
    for name in ("Millbrook Bakery", "Harbour Bank"):
        await Organisation(name=name, kind=OrganisationKind.EMPLOYER.value).save()
    async with serve(settings) as client:
        await sign_in_as(client, coordinator)
        yield client


def _file(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


GOOD = _file(
    "ann@example.org,Ann Ash,07700 900001,active,yes,Millbrook Bakery,2024-01-15,",
    "ann@example.org,Ann Ash,07700 900001,active,yes,harbour bank,2020-05-01,2023-12-31",
    "",
    "bo@example.org,Bó Ní Bhriain,,,,,,",
    "cy@example.org,Cy Clay,,in_training,no,Harbour Bank,2025-09-01,",
)


async def _counts(client: AsyncTestClient[Any]) -> tuple[int, int]:
    async def count() -> tuple[int, int]:
        return await Volunteer.count(), await Employment.count()

    return await in_app(client, count)


async def _upload(client: AsyncTestClient[Any], body: bytes) -> Any:
    return await client.post(f"{API}/import", files={"file": ("volunteers.csv", body, "text/csv")})


async def test_a_good_file_is_imported_once(client: AsyncTestClient[Any]) -> None:
    first = await _upload(client, GOOD)
    assert first.status_code == 201, first.text
    assert first.json() == {
        "lines": 4,
        "volunteers_added": 3,
        "volunteers_existing": 0,
        "links_added": 3,
        "links_existing": 0,
    }
    found = (await client.get(API, params={"name": "bo ni bhriain"})).json()
    assert [v["display_name"] for v in found["items"]] == ["Bó Ní Bhriain"]
    ann_id = (await client.get(API, params={"name": "ann"})).json()["items"][0]["id"]
    ann = (await client.get(f"{API}/{ann_id}")).json()
    assert (ann["status"], ann["phone"], ann["contact_by_sms"]) == ("active", "07700 900001", True)
    assert sorted((e["starts_on"], e["ends_on"]) for e in ann["employments"]) == [
        ("2020-05-01", "2023-12-31"),
        ("2024-01-15", None),
    ]

    again = await _upload(client, GOOD)
    assert again.status_code == 200, again.text
    assert again.json() == {
        "lines": 4,
        "volunteers_added": 0,
        "volunteers_existing": 3,
        "links_added": 0,
        "links_existing": 3,
    }
    # A later file adds only what is new: a job for a recorded volunteer, a new volunteer.
    more = _file(
        "ann@example.org,Ann Ash,07700 900001,active,yes,Harbour Bank,2024-02-01,",
        "di@example.org,Di Dee,,,,,,",
    )
    added = await _upload(client, more)
    assert added.status_code == 201, added.text
    assert (added.json()["volunteers_added"], added.json()["links_added"]) == (1, 1)
    assert await _counts(client) == (4, 4)


async def test_a_file_with_bad_lines_writes_nothing_and_names_each(
    client: AsyncTestClient[Any],
) -> None:
    assert (
        await _upload(client, _file("ed@example.org,Ed Eve,,,,Harbour Bank,2022-01-01,"))
    ).status_code == 201
    bad = _file(
        "fay@example.org,Fay Fox,,,,,,",  # 2: good
        "not-an-email,Gus Gray,,,,,,",  # 3
        "hal@example.org,,,,,,,",  # 4
        "ida@example.org,Ida Ivy,call me,retired,maybe,,,",  # 5
        "jo@example.org,Jo Joy,,,,Nowhere Ltd,2024-01-01,",  # 6
        "kit@example.org,Kit Kay,,,,Harbour Bank,,",  # 7
        "lee@example.org,Lee Lo,,,,,2024-01-01,",  # 8
        "max@example.org,Max Moe,,,,Harbour Bank,2024-13-01,2024-01-01x",  # 9
        "ned@example.org,Ned Nye,,,,Harbour Bank,2024-05-01,2024-04-01",  # 10
        "fay@example.org,Fay Fox-Other,,,,,,",  # 11
        "oz@example.org,Oz Orr,,,,Harbour Bank,2024-01-01,",  # 12
        "oz@example.org,Oz Orr,,,,Harbour Bank,2024-06-01,",  # 13: overlaps line 12
        "ed@example.org,Ed Eve,,,,Harbour Bank,2023-01-01,",  # 14: overlaps the recorded job
        "pam@example.org,Pam Poe",  # 15
    )
    response = await _upload(client, bad)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["detail"] == (
        "The file was rejected and nothing was imported: 12 lines with problems"
    )
    named = {(e["line"], e["field"]) for e in problem["errors"]}
    assert named == {
        (3, "email"),
        (4, "display_name"),
        (5, "phone"),
        (5, "status"),
        (5, "contact_by_sms"),
        (6, "employer"),
        (7, "starts_on"),
        (8, "employer"),
        (9, "starts_on"),
        (9, "ends_on"),
        (10, "ends_on"),
        (11, "email"),
        (13, "starts_on"),
        (14, "starts_on"),
        (15, "line"),
    }
    messages = {(e["line"], e["field"]): e["message"] for e in problem["errors"]}
    assert messages[(4, "display_name")] == "is empty"
    assert messages[(6, "employer")] == "no employer has the id or name 'Nowhere Ltd'"
    assert "on line 12" in messages[(13, "starts_on")]
    assert "recorded from 2022-01-01 to ongoing" in messages[(14, "starts_on")]
    assert messages[(15, "line")] == "has 2 values but the header names 8 columns"
    assert await _counts(client) == (1, 1)

    header = await _upload(client, _file("a@example.org", header="email,name"))
    assert header.status_code == 422
    assert {(e["line"], e["field"]) for e in header.json()["errors"]} == {
        (1, "name"),
        (1, "display_name"),
    }
    empty = await _upload(client, b"")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    two = await client.post(
        f"{API}/import",
        files=[("file", ("a.csv", GOOD, "text/csv")), ("file", ("b.csv", GOOD, "text/csv"))],
    )
    assert two.status_code == 400 and two.json()["errors"][0]["field"] == "file"
    assert await _counts(client) == (1, 1)


async def test_the_command_line_imports_and_names_bad_lines(
    database: TestDatabase, settings: Settings, tmp_path: Path, engine: Any
) -> None:
    await Organisation(name="Harbour Bank", kind=OrganisationKind.EMPLOYER.value).save()
    env = cli_env(database, tmp_path)
    good = tmp_path / "volunteers.csv"
    good.write_bytes(_file("cy@example.org,Cy Clay,,in_training,no,Harbour Bank,2025-09-01,"))
    done = run_cli("volunteers", "import", str(good), env=env)
    assert done.returncode == 0, done.stderr
    assert "1 volunteers added (0 already recorded), 1 employment links added" in done.stdout
    again = run_cli("volunteers", "import", str(good), env=env)
    assert "0 volunteers added (1 already recorded)" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_file("dee@example.org,Dee Dye,,,,Harbour Bank,2025-09-01,", "x,Y,,,,,,"))
    refused = run_cli("volunteers", "import", str(bad), env=env)
    assert refused.returncode == 1
    assert "nothing was imported" in refused.stderr
    assert "line 3, email:" in refused.stderr
    assert refused.stdout == ""
    assert await Volunteer.count() == 1
