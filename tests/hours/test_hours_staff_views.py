"""The generic staff views release real hours data for the hours categories they ledger.

A disclosure entry naming ``hours.summary`` or ``hours.detail`` must come with that data: the
staff list and the staff member (API and page) show this London year so far.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest

from ledger.tables import LedgerEntry
from portal import jsonedge
from portal.hours.imports import import_csv
from portal.settings import Settings
from tests.hours import hours_world as w
from tests.support.auth import in_app, serve

CATEGORIES = ["identity", "hours.summary", "hours.detail"]
STAFF = "/api/employer/staff"


def _duty_day() -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    return max(dt.date(today.year, 1, 1), today - dt.timedelta(days=1))


async def _released_categories(org: str) -> list[list[str]]:
    rows = await LedgerEntry.select(LedgerEntry.body).where(
        (LedgerEntry.kind == "disclosure") & (LedgerEntry.recipient_org == org)
    )
    return [json.loads(bytes(r["body"]))["categories"] for r in rows]


async def _consenting(name: str) -> tuple[str, w.Person]:
    """An employer and one employee of it who consented to every category here."""
    org = await w.employer()
    await w.agreement(org, {w.LEAVE: CATEGORIES})
    person = await w.volunteer(name)
    await w.employ([person], org)
    await w.consent([person], org, CATEGORIES)
    return org, person


async def test_staff_api_gives_the_hours_it_records(settings: Settings, engine: Any) -> None:
    org, person = await _consenting("Hours Person")
    day = _duty_day()
    line = w.duty_line(person, f"{day}T09:00Z", f"{day}T13:00Z", esp="yes")
    await import_csv(io.BytesIO(w.csv_text([line])), created_by="test")
    hr = await w.employer_user(settings, org)
    async with serve(settings) as client:
        await w.signed_in(client, hr)
        listing = await client.get(STAFF, params={"purpose": w.LEAVE})
        assert listing.status_code == 200, listing.text
        (item,) = listing.json()["items"]
        one = await client.get(f"{STAFF}/{person.id}", params={"purpose": w.LEAVE})
        assert one.status_code == 200, one.text
        for member in (item, one.json()):
            assert sorted(member["categories"]) == sorted(CATEGORIES)
            summary = member["data"]["hours_summary"]
            assert summary["period"] == str(day.year)
            assert summary["total_hours"] == 4.0 and summary["esp_leave_hours"] == 4.0
            (duty,) = member["data"]["hours_detail"]["duties"]
            assert duty["hours"] == 4.0 and duty["esp_leave"] is True
        narrowed = await client.get(
            f"{STAFF}/{person.id}", params={"purpose": w.LEAVE, "categories": "identity"}
        )
        assert narrowed.status_code == 200
        assert narrowed.json()["data"] == {"display_name": "Hours Person"}
        page = await client.get(f"/employer/staff/{person.id}", params={"purpose": w.LEAVE})
        assert page.status_code == 200, page.text
        assert "Duty records" in page.text and "4 hours" in page.text
        staff_page = await client.get("/employer/staff", params={"purpose": w.LEAVE})
        assert staff_page.status_code == 200 and "Hours Person" in staff_page.text
        recorded = await in_app(client, lambda: _released_categories(org))
    # The list page asked for less than permitted: its entry names no hours.detail.
    assert sorted(recorded, key=len) == [
        ["identity"],
        ["hours.summary", "identity"],
        *[sorted(CATEGORIES)] * 3,
    ]


async def test_another_organisation_gets_404_and_the_attempt_is_recorded(
    settings: Settings, engine: Any
) -> None:
    """Tenant isolation on the hours routes: B asking about A's staff learns nothing."""
    org_a, org_b = await w.employer(), await w.employer()
    for org in (org_a, org_b):
        await w.agreement(org, {w.LEAVE: CATEGORIES})
    person = await w.volunteer("Only At A")
    await w.employ([person], org_a)
    await w.consent([person], org_a, CATEGORIES)
    hr_b = await w.employer_user(settings, org_b)
    async with serve(settings) as client:
        await w.signed_in(client, hr_b)
        for path in (
            f"/api/employer/hours/staff/{person.id}",
            f"{STAFF}/{person.id}",
            f"/employer/staff/{person.id}",
        ):
            response = await client.get(path, params={"purpose": w.LEAVE})
            assert response.status_code == 404, (path, response.text)
            assert "Only At A" not in response.text
        unknown = await client.get(
            "/api/employer/hours/staff/00000000-0000-0000-0000-000000000001",
            params={"purpose": w.LEAVE},
        )
        assert unknown.status_code == 404
        assert (
            unknown.json()["detail"]
            == (
                await client.get(
                    f"/api/employer/hours/staff/{person.id}", params={"purpose": w.LEAVE}
                )
            ).json()["detail"]
        )

        async def recorded() -> tuple[int, list[str]]:
            from portal.disclosure.tables import DisclosureRefusal

            disclosed = await LedgerEntry.count().where(LedgerEntry.kind == "disclosure")
            rows = await DisclosureRefusal.select(DisclosureRefusal.reason).where(
                DisclosureRefusal.recipient_org == org_b
            )
            return int(disclosed), [r["reason"] for r in rows]

        disclosed, reasons = await in_app(client, recorded)
    assert disclosed == 0
    assert len(reasons) >= 4 and set(reasons) == {"outside_organisation"}


async def test_a_huge_duty_list_offset_is_a_400_naming_it(settings: Settings, engine: Any) -> None:
    """Found by the schemathesis run: an offset past 64 bits was a 500 from the database."""
    person = await w.volunteer("Offset Person")
    co = await w.coordinator(settings)
    sc = await w.volunteer_user(settings, person)
    huge = "307990758389662941184"
    async with serve(settings) as client:
        await w.signed_in(client, co)
        listed = await client.get("/api/coordinator/duties", params={"offset": huge})
        assert listed.status_code == 400, listed.text
        assert "offset" in listed.json()["detail"]
        await client.post("/api/auth/logout")
        client.cookies.clear()
        client.headers.pop("X-CSRF-Token", None)
        await w.signed_in(client, sc)
        mine = await client.get("/api/volunteer/duties", params={"offset": huge})
        assert mine.status_code == 400, mine.text
        assert "offset" in mine.json()["detail"]


async def test_the_staff_member_page_decodes_its_duty_records_once(
    settings: Settings, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The duty records reach the page encoded (``portal.jsonedge.EncodedJSON``, shared with
    later reads); the page decodes them once for its template, not at each touch."""
    org, person = await _consenting("Decoded Person")
    day = _duty_day()
    lines = [
        w.duty_line(person, f"{day}T09:00Z", f"{day}T13:00Z", esp="yes"),
        w.duty_line(person, f"{day}T18:00Z", f"{day}T20:30Z", esp="no"),
    ]
    await import_csv(io.BytesIO(w.csv_text(lines)), created_by="test")
    hr = await w.employer_user(settings, org)
    decodes: list[str] = []

    def counting(text: str) -> Any:
        decodes.append(text)
        return decode(text)

    decode = jsonedge._decode
    monkeypatch.setattr(jsonedge, "_decode", counting)
    async with serve(settings) as client:
        await w.signed_in(client, hr)
        for read in ("first", "remembered"):
            decodes.clear()
            page = await client.get(f"/employer/staff/{person.id}", params={"purpose": w.LEAVE})
            assert page.status_code == 200, (read, page.text)
            assert "4 hours" in page.text and "2.5 hours" in page.text, read
            assert "No, own time" in page.text and "Yes" in page.text, read
            assert len(decodes) == 1, (read, len(decodes))
