"""ESP leave: requests, approvals through the gate, balances for both sides, immutable history."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import asyncpg
import pytest

from ledger.tables import LedgerEntry
from portal.clock import local_date
from portal.disclosure.tables import DisclosureRefusal
from portal.hours.periods import Month
from portal.hours.tables import LeaveRequest
from portal.settings import Settings
from tests.conftest import TestDatabase
from tests.hours import hours_world as w
from tests.support.auth import in_app, serve, sign_out

LEAVE_CATEGORIES = ["identity", "status", "hours.summary", "hours.detail"]


def _this_month() -> Month:
    return Month.of_date(local_date(dt.datetime.now(dt.UTC)))


def _day(month: Month, day: int, time: str) -> str:
    return f"{month.key}-{day:02d}T{time}"


async def _policy(client: Any, employer_id: str, starts: Month) -> None:
    response = await client.post(
        "/api/coordinator/leave-policies",
        json={
            "employer_id": employer_id,
            "unit": "hours_per_month",
            "amount": 4,
            "paid": True,
            "rollover_months": 2,
            "starts_on": starts.first_day.isoformat(),
        },
    )
    assert response.status_code == 201, response.text


async def _ask(client: Any, employer_id: str, start: str, end: str) -> dict[str, Any]:
    response = await client.post(
        "/api/volunteer/leave-requests",
        json={"employer_id": employer_id, "starts_at": start, "ends_at": end},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_approval_without_consent_or_agreement_is_refused_and_recorded(
    settings: Settings, engine: Any
) -> None:
    month = _this_month()
    with_agreement = await w.employer()
    without_agreement = await w.employer()
    await w.agreement(with_agreement, {w.LEAVE: LEAVE_CATEGORIES})
    person, other = await w.volunteer("Pat Special"), await w.volunteer("Robin Special")
    await w.employ([person], with_agreement)
    await w.employ([other], without_agreement)
    await w.consent([other], without_agreement, LEAVE_CATEGORIES)  # consent, but no agreement
    coordinator = await w.coordinator(settings)
    hr = await w.employer_user(settings, with_agreement)
    hr_other = await w.employer_user(settings, without_agreement)
    me, them = await w.volunteer_user(settings, person), await w.volunteer_user(settings, other)
    async with serve(settings) as client:
        await w.signed_in(client, coordinator)
        await _policy(client, with_agreement, month.plus(-2))
        await _policy(client, without_agreement, month.plus(-2))
        await sign_out(client)

        await w.signed_in(client, me)
        mine = await _ask(client, with_agreement, _day(month, 3, "09:00"), _day(month, 3, "13:00"))
        assert (mine["status"], mine["amount"], mine["unit"]) == ("pending", 4.0, "hours")
        await sign_out(client)
        await w.signed_in(client, them)
        theirs = await _ask(
            client, without_agreement, _day(month, 3, "09:00"), _day(month, 3, "13:00")
        )
        await sign_out(client)

        # No consent: the request is not even listed, and approving it is refused.
        await w.signed_in(client, hr)
        listed = await client.get("/api/employer/leave-requests")
        assert listed.status_code == 200 and listed.json()["items"] == []
        refused = await client.post(f"/api/employer/leave-requests/{mine['id']}/approve")
        assert refused.status_code == 403
        assert "recorded" in refused.json()["detail"]
        # Nor may it be declined: a request the employer may not see looks like a made-up id.
        hidden = await client.post(
            f"/api/employer/leave-requests/{mine['id']}/decline", json={"reason": "no"}
        )
        assert hidden.status_code == 404, hidden.text
        await sign_out(client)
        # No agreement: refused too, although the volunteer consented.
        await w.signed_in(client, hr_other)
        refused = await client.post(f"/api/employer/leave-requests/{theirs['id']}/approve")
        assert refused.status_code == 403
        # Another organisation's request looks like a made-up id, and the try is recorded.
        probes = [
            await client.post(f"/api/employer/leave-requests/{target}/{action}")
            for target in (mine["id"], "00000000-0000-4000-8000-000000000000")
            for action in ("approve", "decline")
        ]
        assert {p.status_code for p in probes} == {404}
        assert len({p.json()["detail"] for p in [*probes, hidden]}) == 1
        assert all("Pat" not in p.text for p in probes)
        await sign_out(client)

        reasons = await in_app(
            client,
            lambda: DisclosureRefusal.select(
                DisclosureRefusal.reason, DisclosureRefusal.subject
            ).where(DisclosureRefusal.purpose == w.LEAVE),
        )
        assert {"reason": "no_consent", "subject": person.subject} in reasons
        assert {"reason": "no_agreement", "subject": other.subject} in reasons
        assert reasons.count({"reason": "outside_organisation", "subject": person.subject}) == 2
        assert reasons.count({"reason": "outside_organisation", "subject": ""}) == 2
        statuses = await in_app(client, lambda: LeaveRequest.select(LeaveRequest.status))
        assert [r["status"] for r in statuses] == ["pending", "pending"]

        # Once the volunteer consents, the employer sees the request and can approve it.
        await in_app(client, lambda: w.consent([person], with_agreement, LEAVE_CATEGORIES))
        await w.signed_in(client, hr)
        listed = await client.get("/api/employer/leave-requests")
        (item,) = listed.json()["items"]
        assert item["display_name"] == "Pat Special" and item["request"]["id"] == mine["id"]
        approved = await client.post(
            f"/api/employer/leave-requests/{mine['id']}/approve", json={"reason": "enjoy"}
        )
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert body["request"]["status"] == "approved"
        assert body["purpose"] == w.LEAVE and body["categories"] == ["hours.detail"]
        entry = await in_app(
            client,
            lambda: (
                LedgerEntry.select(LedgerEntry.purpose, LedgerEntry.subject)
                .where(LedgerEntry.idx == body["receipt"]["index"])
                .first()
            ),
        )
        assert entry == {"purpose": w.LEAVE, "subject": person.subject}
        # Decided requests cannot change.
        again = await client.post(f"/api/employer/leave-requests/{mine['id']}/decline")
        assert again.status_code == 409
        await sign_out(client)

        await w.signed_in(client, me)
        history = (await client.get("/api/volunteer/leave")).json()["requests"][0]["history"]
        assert [(h["event"], h["to_status"]) for h in history] == [
            ("requested", "pending"),
            ("approval_refused", "pending"),
            ("approved", "approved"),
        ]
        assert history[1]["reason"] == "disclosure_refused"
        assert history[2]["ledger_index"] == body["receipt"]["index"]
        withdraw = await client.post(f"/api/volunteer/leave-requests/{mine['id']}/withdraw")
        assert withdraw.status_code == 409


async def test_the_balance_is_the_same_for_the_volunteer_and_the_employer(
    settings: Settings, engine: Any
) -> None:
    month = _this_month()
    org = await w.employer()
    await w.agreement(org, {w.LEAVE: LEAVE_CATEGORIES})
    person = await w.volunteer("Sam Special")
    await w.employ([person], org)
    await w.consent([person], org, LEAVE_CATEGORIES)
    coordinator = await w.coordinator(settings)
    hr = await w.employer_user(settings, org)
    me = await w.volunteer_user(settings, person)
    last = month.prev()
    async with serve(settings) as client:
        await w.signed_in(client, coordinator)
        await _policy(client, org, month.plus(-2))  # 4 h a month, unused hours kept 2 months
        await sign_out(client)
        await w.signed_in(client, me)
        six = await _ask(client, org, _day(last, 10, "09:00"), _day(last, 10, "15:00"))
        two = await _ask(client, org, _day(month, 1, "09:00"), _day(month, 1, "11:00"))
        declined = await _ask(client, org, _day(month, 2, "09:00"), _day(month, 2, "10:00"))
        overlapping = await client.post(
            "/api/volunteer/leave-requests",
            json={
                "employer_id": org,
                "starts_at": _day(month, 1, "10:00"),
                "ends_at": _day(month, 1, "12:00"),
            },
        )
        assert overlapping.status_code == 409
        await sign_out(client)
        await w.signed_in(client, hr)
        ok = await client.post(f"/api/employer/leave-requests/{six['id']}/approve")
        assert ok.status_code == 200, ok.text
        no = await client.post(
            f"/api/employer/leave-requests/{declined['id']}/decline", json={"reason": "busy"}
        )
        assert no.status_code == 200 and no.json()["status"] == "declined"
        # Month -2: 4 granted. Month -1: 4 carried + 4 granted - 6 used = 2.
        # This month: 2 carried + 4 granted, nothing approved yet, 2 pending -> 6 available.
        expected = {
            "carried_in": 2.0,
            "granted": 4.0,
            "used": 0.0,
            "pending": 2.0,
            "over_allowance": 0.0,
            "available": 6.0,
        }
        seen = await client.get(
            f"/api/employer/hours/staff/{person.id}", params={"period": month.key}
        )
        assert seen.status_code == 200, seen.text
        assert seen.json()["leave_unit"] == "hours"
        assert {k: seen.json()["leave"][k] for k in expected} == expected
        await sign_out(client)
        await w.signed_in(client, me)
        mine = (await client.get("/api/volunteer/leave")).json()
        (balance,) = mine["balances"]
        assert {k: balance["current"][k] for k in expected} == expected
        assert balance["policy"]["rollover_months"] == 2
        statuses = {r["id"]: r["status"] for r in mine["requests"]}
        assert statuses == {six["id"]: "approved", two["id"]: "pending", declined["id"]: "declined"}


async def _as_app_role(database: TestDatabase, statement: str) -> None:
    if database.kind == "sqlite":
        connection = sqlite3.connect(database.url.removeprefix("sqlite:///"))
        try:
            connection.execute(statement)
            connection.commit()
        finally:
            connection.close()
        return
    conn = await asyncpg.connect(database.url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def test_history_cannot_be_edited_even_with_sql(
    settings: Settings, engine: Any, database: TestDatabase
) -> None:
    month = _this_month()
    org = await w.employer()
    await w.agreement(org, {w.LEAVE: LEAVE_CATEGORIES})
    person = await w.volunteer()
    await w.employ([person], org)
    await w.consent([person], org, LEAVE_CATEGORIES)
    coordinator = await w.coordinator(settings)
    me = await w.volunteer_user(settings, person)
    async with serve(settings) as client:
        await w.signed_in(client, coordinator)
        await _policy(client, org, month)
        imported = await w.upload(
            client, w.csv_text([w.duty_line(person, "2026-02-02T09:00", "2026-02-02T13:00")])
        )
        assert imported.status_code == 201
        await sign_out(client)
        await w.signed_in(client, me)
        asked = await _ask(client, org, _day(month, 5, "09:00"), _day(month, 5, "12:00"))
        withdrawn = await client.post(f"/api/volunteer/leave-requests/{asked['id']}/withdraw")
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    refused = (sqlite3.Error, asyncpg.PostgresError)
    for statement in (
        "UPDATE duty_record SET minutes = 1",
        "DELETE FROM duty_record",
        "UPDATE leave_request_event SET reason = 'edited'",
        "DELETE FROM leave_request_event",
        "UPDATE esp_leave_policy SET amount = 40",
        f"UPDATE leave_request SET status = 'approved' WHERE id = '{asked['id']}'",
        "DELETE FROM leave_request",
    ):
        with pytest.raises(refused):
            await _as_app_role(database, statement)
    if database.kind == "postgres":
        with pytest.raises(asyncpg.PostgresError):
            await _as_app_role(database, "TRUNCATE duty_record")
