"""Duty values that used to vanish or be changed silently are refused, naming line and field."""

from __future__ import annotations

import io
from typing import Any

import pytest

from portal.csvimport import ImportRejected
from portal.hours.imports import import_csv
from portal.hours.tables import DutyBatch, DutyRecord
from portal.settings import Settings
from tests.hours import hours_world as w
from tests.support.auth import in_app, serve


async def _refused(body: bytes) -> list[dict[str, Any]]:
    with pytest.raises(ImportRejected) as info:
        await import_csv(io.BytesIO(body), created_by="test")
    assert "nothing was imported" in info.value.detail
    assert await DutyRecord.count() == 0 and await DutyBatch.count() == 0
    return list(info.value.extra["errors"])


async def test_a_duty_before_the_accepted_years_is_refused_not_dropped(engine: Any) -> None:
    person = await w.volunteer()
    ok = w.duty_line(person, "2026-03-14T09:00", "2026-03-14T13:00")
    typo = w.duty_line(person, "1926-03-14T09:00", "1926-03-14T13:00")
    errors = await _refused(w.csv_text([ok, typo]))
    assert sorted((e["line"], e["field"]) for e in errors) == [(3, "end"), (3, "start")]
    for error in errors:
        assert "1926-03-14 is out of range" in error["message"]
        assert "between 2000-01-01 and 2099-12-31" in error["message"]
    late = w.duty_line(person, "2126-03-14T09:00", "2126-03-14T13:00")
    errors = await _refused(w.csv_text([late]))
    assert sorted((e["line"], e["field"]) for e in errors) == [(2, "end"), (2, "start")]


async def test_year_one_through_the_integration_api_is_refused(
    settings: Settings, engine: Any
) -> None:
    person = await w.volunteer()
    token = await w.duties_token()
    duty = {
        "volunteer_id": person.id,
        "starts_at": "2026-05-01T18:00+01:00",
        "ends_at": "2026-05-01T23:00+01:00",
        "duty_type": "patrol",
        "esp_leave": False,
    }
    ancient = {**duty, "starts_at": "0001-05-01T18:00+00:00", "ends_at": "0001-05-01T23:00+00:00"}
    async with serve(settings) as client:
        answer = await client.post(
            "/api/integrations/duties",
            json={"duties": [duty, ancient]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 422, answer.text
        errors = answer.json()["errors"]
        assert sorted((e["item"], e["field"]) for e in errors) == [(2, "end"), (2, "start")]
        assert "0001-05-01 is out of range" in errors[0]["message"]
        assert await in_app(client, DutyRecord.count) == 0


async def test_a_line_break_inside_a_quoted_value_is_refused_naming_the_line(
    engine: Any,
) -> None:
    person = await w.volunteer()
    header = w.HEADER + ",external_ref"
    lines = [
        w.duty_line(person, "2026-03-14T09:00", "2026-03-14T13:00") + ",D-1",
        w.duty_line(person, "2026-03-15T09:00", "2026-03-15T13:00") + ',"D\n2"',
        w.duty_line(person, "2026-03-16T09:00", "2026-03-16T13:00") + ",D-3",
    ]
    errors = await _refused(w.csv_text(lines, header=header))
    assert [(e["line"], e["field"]) for e in errors] == [(3, "line")]
    assert "runs on to line 4" in errors[0]["message"]
    assert "line breaks" in errors[0]["message"]
