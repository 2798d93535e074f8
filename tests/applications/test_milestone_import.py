"""Importing application milestones from a CSV file: all or nothing, every bad line named (line,
column, reason), a file carrying a vetting or medical finding refused whole, the same file again
adding nothing; through the API and the command line, on both databases. Imported milestones are
the same milestones as recorded ones: an employer receives them only through the gate."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from portal.applications.tables import Milestone
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.support import disclosure_world as world
from tests.support.auth import in_app
from tests.support.cli import cli_env
from tests.support.disclosure_scene import Scene, consent, disclosure_entries

IMPORT = "/api/coordinator/applications/import"
PROGRESS = "esp.application-progress"
HEADER = "volunteer,stage,outcome,occurred_on"


def _file(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


async def _upload(client: AsyncTestClient[Any], body: bytes) -> Any:
    return await client.post(IMPORT, files={"file": ("milestones.csv", body, "text/csv")})


async def _count(client: AsyncTestClient[Any]) -> int:
    async def count() -> int:
        return await Milestone.count()

    return await in_app(client, count)


def _current(application: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(m["stage"], m["outcome"], m["occurred_on"]) for m in application["current"]]


async def test_a_good_file_is_imported_once_and_reaches_the_employer_only_through_the_gate(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex, sam = scene.staff_a
    await scene.as_user(client, scene.coordinator)
    good = _file(
        f"{alex.email.upper()},received,passed,2026-01-05",
        f"{alex.email},Vetting,PASSED,2026-03-10",
        "",
        f"{alex.email},medical,not_passed,2026-03-12",
        f"{alex.email},training_booked,in_progress,2026-04-20",
        f"{sam.id.upper()},received,in_progress,2026-02-01",
    )
    first = await _upload(client, good)
    assert first.status_code == 201, first.text
    assert first.json() == {"lines": 5, "added": 5, "existing": 0}
    own = (await client.get(f"/api/coordinator/volunteers/{alex.id}/application")).json()
    assert _current(own) == [
        ("received", "passed", "2026-01-05"),
        ("vetting", "passed", "2026-03-10"),
        ("medical", "not_passed", "2026-03-12"),
        ("training_booked", "in_progress", "2026-04-20"),
    ]
    theirs = (await client.get(f"/api/coordinator/volunteers/{sam.id}/application")).json()
    assert _current(theirs) == [("received", "in_progress", "2026-02-01")]

    again = await _upload(client, good)
    assert again.status_code == 200, again.text
    assert again.json() == {"lines": 5, "added": 0, "existing": 5}
    # A later file adds only what is new: a recorded line is left, a new step is added.
    later = _file(
        f"{alex.email},medical,not_passed,2026-03-12",
        f"{alex.email},medical,passed,2026-04-02",
    )
    added = await _upload(client, later)
    assert added.status_code == 201, added.text
    assert added.json() == {"lines": 2, "added": 1, "existing": 1}
    assert await _count(client) == 6

    # The employer sees the imported steps only with consent, through the gate, ledgered,
    # and vetting and medical only as "complete".
    await scene.as_user(client, scene.hr_a)
    before = await client.get("/api/employer/staff", params={"purpose": PROGRESS})
    assert before.status_code == 200, before.text
    assert before.json()["items"] == []
    await scene.as_volunteer(client, alex)
    given = await consent(client, scene.employer_a, ["identity", "application"], PROGRESS)
    assert given.status_code == 201, given.text
    await scene.as_user(client, scene.hr_a)
    page = (await client.get("/api/employer/staff", params={"purpose": PROGRESS})).json()
    [item] = page["items"]
    assert item["volunteer_id"] == alex.id
    assert item["data"]["application_milestones"] == [
        {"stage": "received", "state": "passed", "on": "2026-01-05"},
        {"stage": "vetting", "state": "complete", "on": "2026-03-10"},
        {"stage": "medical", "state": "complete", "on": "2026-04-02"},
        {"stage": "training_booked", "state": "in_progress", "on": "2026-04-20"},
    ]
    entries = [e for e in await disclosure_entries(client) if e["subject"] == alex.subject]
    assert [e["purpose"] for e in entries] == [PROGRESS]
    assert "application" in entries[0]["categories"]


async def test_a_file_with_bad_lines_writes_nothing_and_names_each(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex, sam = scene.staff_a
    await scene.as_user(client, scene.coordinator)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    bad = _file(
        f"{alex.email},vetting,passed,2026-03-10",  # 2: good
        "nobody@example.org,received,passed,2026-01-01",  # 3
        f"{uuid.uuid4()},received,passed,2026-01-01",  # 4
        ",received,passed,2026-01-01",  # 5
        f"{alex.email},interview,passed,2026-01-01",  # 6
        f"{alex.email},medical,failed blood test,2026-01-01",  # 7
        f"{alex.email},received,passed,14/03/2026",  # 8
        f"{alex.email},received,passed,1999-12-31",  # 9
        f"{alex.email},received,passed,{tomorrow}",  # 10
        f"{alex.email},vetting,in_progress,2026-03-10",  # 11: the same step and day as 2
        f"{alex.email},received,passed",  # 12
        f"{alex.email},received,,2026-01-01",  # 13
        f"{sam.id},received,passed,",  # 14
        f"{sam.id},received\x00,passed,2026-01-01",  # 15
    )
    response = await _upload(client, bad)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["detail"] == (
        "The file was rejected and nothing was imported: 13 lines with problems"
    )
    messages = {(e["line"], e["field"]): e["message"] for e in problem["errors"]}
    assert set(messages) == {
        (3, "volunteer"),
        (4, "volunteer"),
        (5, "volunteer"),
        (6, "stage"),
        (7, "outcome"),
        (8, "occurred_on"),
        (9, "occurred_on"),
        (10, "occurred_on"),
        (11, "occurred_on"),
        (12, "line"),
        (13, "outcome"),
        (14, "occurred_on"),
        (15, "stage"),
    }
    assert messages[(3, "volunteer")] == "no volunteer has the email address nobody@example.org"
    assert messages[(4, "volunteer")] == "no volunteer has this id"
    assert messages[(5, "volunteer")].startswith("is empty")
    assert messages[(6, "stage")].startswith("is not a step; use one of received, eligibility")
    # A finding written into a cell is never repeated back, let alone held.
    assert messages[(7, "outcome")].startswith("is not an outcome; use one of in_progress")
    assert "blood" not in response.text
    assert messages[(8, "occurred_on")] == (
        "'14/03/2026' is not a date like 2026-03-14 (year-month-day)"
    )
    assert messages[(9, "occurred_on")] == "must not be before 2000-01-01"
    assert messages[(10, "occurred_on")] == "must be today or earlier"
    assert messages[(11, "occurred_on")].startswith("line 2 already gives this volunteer's vetting")
    assert messages[(12, "line")] == "has 3 values but the header names 4 columns"
    assert messages[(13, "outcome")].startswith("is empty")
    assert messages[(14, "occurred_on")].startswith("is empty")
    assert messages[(15, "stage")] == "contains a NUL character (\\0); remove it"
    assert await _count(client) == 0

    empty = await _upload(client, b"")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    no_lines = await _upload(client, _file())
    assert no_lines.status_code == 422
    assert no_lines.json()["errors"][0]["message"] == "the file has a header line but no milestones"
    good = _file(f"{alex.email},vetting,passed,2026-03-10")
    two = await client.post(
        IMPORT,
        files=[("file", ("a.csv", good, "text/csv")), ("file", ("b.csv", good, "text/csv"))],
    )
    assert two.status_code == 400 and two.json()["errors"][0]["field"] == "file"
    assert await _count(client) == 0


async def test_a_file_carrying_a_finding_is_refused_whole(
    client: AsyncTestClient[Any], scene: Scene
) -> None:
    alex = scene.staff_a[0]
    await scene.as_user(client, scene.coordinator)
    for column in ("finding", "notes"):
        carrying = _file(
            f"{alex.email},received,passed,2026-01-05,",
            f"{alex.email},medical,not_passed,2026-03-12,raised blood pressure",
            header=f"{HEADER},{column}",
        )
        response = await _upload(client, carrying)
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert (error["line"], error["field"]) == (1, column)
        assert "no finding of vetting or a medical" in error["message"]
        assert "pressure" not in response.text
    # A value with no column to go with it: the line is refused (as is the whole file).
    extra = _file(
        f"{alex.email},received,passed,2026-01-05",
        f"{alex.email},vetting,not_passed,2026-03-12,declined: spent conviction",
    )
    response = await _upload(client, extra)
    assert response.status_code == 422, response.text
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [(3, "line")]
    assert "conviction" not in response.text
    assert await _count(client) == 0
    history = (await client.get(f"/api/coordinator/volunteers/{alex.id}/application")).json()
    assert history["history"] == []


async def test_only_the_coordinator_imports(client: AsyncTestClient[Any], scene: Scene) -> None:
    alex = scene.staff_a[0]
    good = _file(f"{alex.email},received,passed,2026-01-05")
    for user in (scene.hr_a, scene.dpo, scene.volunteer_users[alex.id]):
        await scene.as_user(client, user)
        assert (await _upload(client, good)).status_code == 403
    assert await _count(client) == 0


async def test_the_command_line_imports_and_names_bad_lines(
    database: TestDatabase, settings: Settings, tmp_path: Path, engine: Any
) -> None:
    person = await world.volunteer("Cy Clay", status="applicant")
    env = cli_env(database, tmp_path)
    good = tmp_path / "milestones.csv"
    good.write_bytes(
        _file(
            f"{person.email},received,passed,2026-01-05",
            f"{person.id},eligibility,in_progress,2026-01-20",
        )
    )
    done = run_cli("applications", "import", str(good), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "Imported milestones.csv: 2 lines, 2 milestones added (0 already recorded)."
    )
    again = run_cli("applications", "import", str(good), env=env)
    assert again.returncode == 0, again.stderr
    assert "0 milestones added (2 already recorded)" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        _file(
            f"{person.email},assessment,passed,2026-02-01",
            f"{person.email},assesment,passed,2026-02-01",
        )
    )
    refused = run_cli("applications", "import", str(bad), env=env)
    assert refused.returncode == 1
    assert "nothing was imported" in refused.stderr
    assert "line 3, stage: is not a step" in refused.stderr
    assert refused.stdout == ""
    finding = tmp_path / "finding.csv"
    finding.write_bytes(
        _file(f"{person.email},vetting,passed,2026-02-01,none", header=f"{HEADER},finding")
    )
    refused = run_cli("applications", "import", str(finding), env=env)
    assert refused.returncode == 1
    assert "line 1, finding: unknown column 'finding'" in refused.stderr
    assert await Milestone.count() == 2
