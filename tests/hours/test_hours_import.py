"""Duty imports are all or nothing, name every bad line, and never duplicate (both databases)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest

from portal.csvimport import ImportRejected
from portal.hours.imports import import_csv
from portal.hours.tables import DutyBatch, DutyRecord
from portal.settings import Settings
from tests.conftest import TestDatabase, run_cli
from tests.hours import hours_world as w
from tests.support.auth import in_app, serve


async def _counts() -> tuple[int, int]:
    return await DutyRecord.count(), await DutyBatch.count()


async def test_one_bad_line_among_ten_thousand_writes_nothing_and_names_it(engine: Any) -> None:
    people = await w.volunteers(40)
    lines = w.many_lines(people, 10_000)
    good = w.csv_text(lines)
    bad_lines = list(lines)
    # Line numbers count the header: list index 6000 is line 6002 of the file.
    bad_lines[6000] = w.duty_line(people[0], "2025-06-01T12:00", "2025-06-01T11:00")
    with pytest.raises(ImportRejected) as info:
        await import_csv(io.BytesIO(w.csv_text(bad_lines)), created_by="test")
    problems = info.value.extra["errors"]
    assert problems == [{"line": 6002, "field": "end", "message": "is before the start"}]
    assert "nothing was imported" in info.value.detail
    assert await _counts() == (0, 0)

    first = await import_csv(io.BytesIO(good), created_by="test", filename="duties.csv")
    assert (first.status, first.added, first.lines) == ("imported", 10_000, 10_000)
    again = await import_csv(io.BytesIO(good), created_by="test")
    assert again.status == "already_imported" and again.batch_id == first.batch_id
    assert again.added == 0
    assert await _counts() == (10_000, 1)


def _cases(person: str, other: str) -> list[tuple[str, bytes, list[tuple[int, str, str]]]]:
    ok = w.duty_line(person, "2026-02-02T09:00", "2026-02-02T13:00")
    return [
        (
            "missing column",
            w.csv_text(
                [f"{person},2026-02-02T09:00,2026-02-02T13:00,patrol"],
                header="volunteer_id,start,end,duty_type",
            ),
            [(1, "esp_leave", "the required column 'esp_leave' is missing")],
        ),
        (
            "bad date",
            w.csv_text([ok, w.duty_line(person, "2026-02-30T09:00", "2026-03-01T13:00")]),
            [(3, "start", "is not a valid date and time")],
        ),
        (
            "end before start",
            w.csv_text([w.duty_line(person, "2026-02-03T13:00", "2026-02-03T09:00")]),
            [(2, "end", "is before the start")],
        ),
        (
            "unknown volunteer",
            w.csv_text(
                [ok, w.duty_line(str(uuid.uuid4()), "2026-02-03T09:00", "2026-02-03T13:00")]
            ),
            [(3, "volunteer_id", "no volunteer has this id")],
        ),
        (
            "overlap with a recorded duty",
            w.csv_text([w.duty_line(other, "2026-01-05T10:00", "2026-01-05T11:00")]),
            [(2, "start", "overlaps a duty already recorded for this volunteer")],
        ),
        (
            "overlap inside the file",
            w.csv_text([ok, w.duty_line(person, "2026-02-02T12:00", "2026-02-02T18:00")]),
            [
                (2, "start", "overlaps the duty on line 3"),
                (3, "start", "overlaps the duty on line 2"),
            ],
        ),
        (
            "not UTF-8",
            w.csv_text([ok]) + b"\xff\xfe," + person.encode() + b"\n",
            [(3, "line", "is not UTF-8 text")],
        ),
        ("empty file", b"", [(0, "file", "the file is empty")]),
        (
            "header but no duties",
            w.csv_text([]),
            [(0, "file", "the file has a header line but no duties")],
        ),
        (
            "wrong delimiter",
            w.csv_text([ok.replace(",", ";")], header=w.HEADER.replace(",", ";")),
            [(1, "header", "separated by semicolons")],
        ),
        (
            "bad values",
            w.csv_text([f"{person},2026-02-04T09:00,2026-02-04T13:00,walk,maybe"]),
            [
                (2, "duty_type", "'walk' is not a duty type"),
                (2, "esp_leave", "'maybe' is not yes or no"),
            ],
        ),
        (
            "wrong number of values",
            w.csv_text([f"{person},2026-02-04T09:00,2026-02-04T13:00,patrol"]),
            [(2, "line", "has 4 values but the header names 5 columns")],
        ),
    ]


async def test_every_kind_of_bad_input_has_its_own_clear_message(
    settings: Settings, engine: Any
) -> None:
    person = await w.volunteer()
    other = await w.volunteer("Other Special")
    coordinator = await w.coordinator(settings)
    async with serve(settings) as client:
        await w.signed_in(client, coordinator)
        seed = await w.upload(
            client, w.csv_text([w.duty_line(other, "2026-01-05T09:00", "2026-01-05T13:00")])
        )
        assert seed.status_code == 201, seed.text
        for name, body, expected in _cases(person.id, other.id):
            response = await w.upload(client, body)
            assert response.status_code == 422, (name, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert "nothing was imported" in problem["detail"], name
            found = [(e["line"], e["field"], e["message"]) for e in problem["errors"]]
            assert len(found) == len(expected), (name, found)
            for (line, field, words), (got_line, got_field, message) in zip(
                expected, found, strict=True
            ):
                assert (got_line, got_field) == (line, field), (name, found)
                assert words in message, (name, message)
        assert await in_app(client, _counts) == (1, 1)


async def test_the_same_duties_twice_add_nothing_and_corrections_are_versions(
    settings: Settings, engine: Any
) -> None:
    person = await w.volunteer()
    coordinator = await w.coordinator(settings)
    header = w.HEADER + ",external_ref,correction_reason"
    first = [
        w.duty_line(person, "2026-03-01T09:00", "2026-03-01T13:00") + ",D-1,",
        w.duty_line(person, "2026-03-02T09:00", "2026-03-02T13:00") + ",D-2,",
        w.duty_line(person, "2026-03-03T09:00", "2026-03-03T13:00") + ",,",
    ]
    async with serve(settings) as client:
        await w.signed_in(client, coordinator)
        made = await w.upload(client, w.csv_text(first, header=header))
        assert made.status_code == 201 and made.json()["added"] == 3
        again = await w.upload(client, w.csv_text(first, header=header), name="again.csv")
        assert again.status_code == 200
        assert again.json()["status"] == "already_imported"
        assert again.json()["batch_id"] == made.json()["batch_id"]
        # Another file repeating the same duties (re-exported with one more) adds only the new.
        more = [*first, w.duty_line(person, "2026-03-04T09:00", "2026-03-04T13:00") + ",D-4,"]
        overlap = await w.upload(client, w.csv_text(more, header=header))
        assert overlap.status_code == 201
        assert (overlap.json()["added"], overlap.json()["unchanged"]) == (1, 3)

        # A changed duty under a recorded reference needs a reason, then becomes a version.
        changed = w.duty_line(person, "2026-03-01T09:00", "2026-03-01T15:00") + ",D-1,"
        refused = await w.upload(client, w.csv_text([changed], header=header))
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "external_ref"
        assert "give a correction_reason" in refused.json()["errors"][0]["message"]
        fixed = await w.upload(client, w.csv_text([changed + "wrong end time"], header=header))
        assert fixed.status_code == 201 and fixed.json()["corrected"] == 1

        listing = await client.get(
            "/api/coordinator/duties", params={"volunteer_id": person.id, "period": "2026-03"}
        )
        assert listing.status_code == 200
        current = listing.json()["items"]
        assert [d["hours"] for d in current] == [6.0, 4.0, 4.0, 4.0]
        history = await client.get(f"/api/coordinator/duties/{current[0]['duty_id']}")
        versions = history.json()["versions"]
        assert [(v["version"], v["current"], v["hours"]) for v in versions] == [
            (1, False, 4.0),
            (2, True, 6.0),
        ]
        assert versions[1]["reason"] == "wrong end time"
        assert versions[1]["supersedes"] == versions[0]["id"]

        # The coordinator can cancel a duty: a third version, which counts for nothing.
        cancel = await client.post(
            f"/api/coordinator/duties/{current[0]['duty_id']}/corrections",
            json={"cancel": True, "reason": "duty did not take place"},
        )
        assert cancel.status_code == 201, cancel.text
        assert cancel.json()["version"] == 3 and cancel.json()["is_cancelled"] is True
        clash = await client.post(
            f"/api/coordinator/duties/{current[2]['duty_id']}/corrections",
            json={
                "starts_at": "2026-03-02T12:00",
                "ends_at": "2026-03-02T16:00",
                "reason": "moved",
            },
        )
        assert clash.status_code == 409
        assert await in_app(client, DutyRecord.count) == 6


async def test_the_cli_imports_all_or_nothing(
    database: TestDatabase, settings: Settings, engine: Any, tmp_path: Path
) -> None:
    person = await w.volunteer()
    env = {
        "ESP_DATABASE_URL": database.url,
        "ESP_DATA_DIR": str(tmp_path / "data"),
        "ESP_LOG_FORMAT": "json",
    }
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        w.csv_text(
            [
                w.duty_line(person, "2026-04-01T09:00", "2026-04-01T13:00"),
                w.duty_line(person, "2026-04-02T13:00", "2026-04-02T09:00"),
            ]
        )
    )
    good = tmp_path / "good.csv"
    good.write_bytes(w.csv_text([w.duty_line(person, "2026-04-01T09:00", "2026-04-01T13:00")]))
    rejected = run_cli("hours", "import", str(bad), env=env)
    assert rejected.returncode == 1
    assert "nothing was imported" in rejected.stderr
    assert "line 3, end: is before the start" in rejected.stderr
    assert await DutyRecord.count() == 0
    done = run_cli("hours", "import", str(good), "--progress", env=env)
    assert done.returncode == 0, done.stderr
    assert "1 duties added" in done.stdout
    assert "Checking and importing" in done.stderr  # the progress bar, when asked for
    assert await DutyRecord.count() == 1
