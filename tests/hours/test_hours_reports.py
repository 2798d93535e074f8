"""Employer reports: per person through the gate, organisation figures that reveal no one."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from ledger.tables import LedgerEntry
from portal.clock import local_date
from portal.hours.imports import import_csv
from portal.hours.periods import Month
from portal.settings import Settings
from tests.hours import hours_world as w
from tests.support.auth import in_app, serve

CATEGORIES = ["identity", "status", "hours.summary"]


def _last_month() -> Month:
    return Month.of_date(local_date(dt.datetime.now(dt.UTC))).prev()


async def _staff_with_hours(org: str, count: int, month: Month) -> list[w.Person]:
    """``count`` employees; employee i served i+2 hours on the 10th (from 09:00 UTC)."""
    people = await w.volunteers(count)
    await w.employ(people, org)
    lines = [
        w.duty_line(p, f"{month.key}-10T09:00Z", f"{month.key}-10T{11 + i:02d}:00Z")
        for i, p in enumerate(people)
    ]
    await import_csv(io.BytesIO(w.csv_text(lines)), created_by="test")
    return people


async def _disclosures(org: str, channel: str) -> int:
    return int(
        await LedgerEntry.count().where(
            (LedgerEntry.kind == "disclosure")
            & (LedgerEntry.recipient_org == org)
            & (LedgerEntry.channel == channel)
        )
    )


async def test_four_consenting_staff_show_no_organisation_figure(
    settings: Settings, engine: Any
) -> None:
    month = _last_month()
    org = await w.employer()
    await w.agreement(org, {w.LEAVE: CATEGORIES})
    people = await _staff_with_hours(org, 5, month)
    await w.consent(people[:4], org, CATEGORIES)  # the fifth has not consented
    hr = await w.employer_user(settings, org)
    async with serve(settings) as client:
        await w.signed_in(client, hr)
        report = await client.get("/api/employer/hours/report", params={"period": month.key})
        assert report.status_code == 200, report.text
        body = report.json()
        rows = sorted(body["staff"], key=lambda r: r["total_hours"])
        assert [r["total_hours"] for r in rows] == [2.0, 3.0, 4.0, 5.0]
        assert people[4].id not in {r["volunteer_id"] for r in rows}
        assert all(r["display_name"] and r["months_minimum_met"] == 0 for r in rows)
        org_figures = body["organisation"]
        assert org_figures["suppressed"] is True
        assert "fewer than 5" in org_figures["suppressed_reason"]
        assert org_figures["total_hours"] is None and org_figures["staff"] is None
        assert all(m["suppressed"] and m["hours"] is None for m in org_figures["months"])
        # an API call records channel "api", whatever the credential (issue 15)
        assert await in_app(client, lambda: _disclosures(org, "api")) == 4

        exported = await client.get("/api/employer/hours/report.csv", params={"period": month.key})
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(exported.text)))
        assert [r["row"] for r in table] == ["person"] * 4 + ["organisation"]
        assert table[-1]["total_hours"] == "" and table[-1]["display_name"].startswith("suppressed")
        # Each row about a person is a disclosure of its own, on the export channel.
        assert await in_app(client, lambda: _disclosures(org, "export")) == 4


async def test_a_difference_attack_reveals_nothing(settings: Settings, engine: Any) -> None:
    month = _last_month()
    org = await w.employer()
    await w.agreement(org, {w.LEAVE: CATEGORIES})
    people = await _staff_with_hours(org, 11, month)
    await w.consent(people[:6], org, CATEGORIES)
    hr = await w.employer_user(settings, org)

    async def figures(period: str) -> dict[str, Any]:
        response = await client.get("/api/employer/hours/report", params={"period": period})
        assert response.status_code == 200, response.text
        return dict(response.json()["organisation"])

    async with serve(settings) as client:
        await w.signed_in(client, hr)
        first = await figures(month.key)
        assert first["suppressed"] is False
        assert (first["staff"], first["total_hours"]) == (6, 2.0 + 3 + 4 + 5 + 6 + 7)

        # One person withdraws: the next answer would differ by exactly their hours.
        await in_app(client, lambda: w.consent(people[5:6], org, CATEGORIES, state="withdrawn"))
        second = await figures(month.key)
        assert second["suppressed"] is True and second["total_hours"] is None
        assert "differ from an earlier answer" in second["suppressed_reason"]
        (same_month,) = second["months"]
        assert same_month["suppressed"] and same_month["hours"] is None
        # Asking for the whole year instead does not get round it: the month is compared,
        # and the year's totals are withheld with it.
        year = await figures(str(month.year))
        shown = {m["month"]: m for m in year["months"]}
        assert shown[month.key]["suppressed"] is True
        assert year["suppressed"] is True and year["total_hours"] is None
        # Someone joining is the same attack the other way round.
        await in_app(client, lambda: w.consent(people[6:7], org, CATEGORIES))
        assert (await figures(month.key))["suppressed"] is True

        # Once the cohort differs by at least the threshold, figures are shown again.
        await in_app(client, lambda: w.consent(people[7:11], org, CATEGORIES))
        later = await figures(month.key)
        assert later["suppressed"] is False
        assert later["staff"] == 10  # 6 - 1 + 1 + 4: differs from the first answer by 6
