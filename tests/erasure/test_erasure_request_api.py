"""The erasure request API as its callers use it (both databases): the volunteer asks and reads
their request, the DPO lists, records one received by letter, refuses and approves; every bad
input is a 4xx problem naming the field, and nothing changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from portal.accounts.roles import Role
from portal.clock import local_date, utcnow
from portal.erasure.requests import one_month_after
from portal.erasure.tables import ErasureRequest
from portal.organisations.tables import Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings
from tests.support import disclosure_world as world
from tests.support.auth import create_user, in_app, serve, sign_in_as, sign_out

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


async def _ledger_size(client: Any) -> int:
    async def size() -> int:
        return int(await client.app.state.ledger.size())

    return await in_app(client, size)


async def test_ask_refuse_approve_and_bad_input_through_the_api(
    engine: Any, database: TestDatabase, tmp_path: Path
) -> None:
    settings: Settings = make_settings(database, tmp_path / "data")
    person = await world.volunteer("Api Asker")
    other = await world.volunteer("Letter Writer")
    vol = await create_user(settings, "asker@example.org", Role.VOLUNTEER, volunteer_id=person.id)
    dpo = await create_user(settings, "dpo@force.example", Role.DPO)

    async with serve(settings) as client:
        await sign_in_as(client, vol)
        made = await client.post("/api/volunteer/erasure-requests", json={"statement": "Erase me."})
        assert made.status_code == 201, made.text
        request = made.json()
        assert request["status"] == "pending"
        assert request["due_on"] == one_month_after(local_date(utcnow())).isoformat()
        again = await client.post("/api/volunteer/erasure-requests", json={})
        assert again.status_code == 409 and _fields(again) == {"volunteer_id"}
        wrong_type = await client.post("/api/volunteer/erasure-requests", json={"statement": 5})
        assert wrong_type.status_code in (400, 422) and "statement" in wrong_type.text
        mine = await client.get("/api/volunteer/erasure-requests")
        assert [r["id"] for r in mine.json()["items"]] == [request["id"]]
        await sign_out(client)

        await sign_in_as(client, dpo)
        listed = await client.get("/api/dpo/erasure-requests")
        assert [r["id"] for r in listed.json()["items"]] == [request["id"]]
        before = (await _ledger_size(client), await in_app(client, ErasureRequest.count))
        decide = f"/api/dpo/erasure-requests/{request['id']}/decide"
        no_reason = await client.post(decide, json={"outcome": "refuse", "ground": "legal_claims"})
        assert no_reason.status_code == 422 and _fields(no_reason) == {"explanation"}
        bad_ground = await client.post(
            decide, json={"outcome": "refuse", "ground": "", "explanation": "Long enough here."}
        )
        assert bad_ground.status_code == 422 and _fields(bad_ground) == {"ground"}
        bad_outcome = await client.post(decide, json={"outcome": "maybe"})
        assert bad_outcome.status_code in (400, 422) and "outcome" in bad_outcome.text
        unknown = await client.post("/api/dpo/erasure-requests", json={"volunteer_id": UNKNOWN})
        assert unknown.status_code == 422 and _fields(unknown) == {"volunteer_id"}
        future = (local_date(utcnow()) + dt.timedelta(days=2)).isoformat()
        late = await client.post(
            "/api/dpo/erasure-requests", json={"volunteer_id": other.id, "received_on": future}
        )
        assert late.status_code == 422 and _fields(late) == {"received_on"}
        missing = await client.post(f"/api/dpo/erasure-requests/{UNKNOWN}/decide",
                                    json={"outcome": "approve"})  # fmt: skip
        assert missing.status_code == 404
        assert (await _ledger_size(client), await in_app(client, ErasureRequest.count)) == before

        refused = await client.post(
            decide,
            json={
                "outcome": "refuse",
                "ground": "legal_obligation",
                "explanation": "Duty records are kept for six years by law.",
            },
        )
        assert refused.status_code == 200, refused.text
        assert refused.json()["status"] == "refused"
        twice = await client.post(decide, json={"outcome": "approve"})
        assert twice.status_code == 409 and _fields(twice) == {"request_id"}

        letter_day = (local_date(utcnow()) - dt.timedelta(days=35)).isoformat()
        recorded = await client.post(
            "/api/dpo/erasure-requests",
            json={"volunteer_id": other.id, "received_on": letter_day, "statement": "By letter."},
        )
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["overdue"] is True and recorded.json()["made_by"] == "dpo"
        approved = await client.post(
            f"/api/dpo/erasure-requests/{recorded.json()['id']}/decide", json={"outcome": "approve"}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "erased" and approved.json()["told"] == "sent"
        assert approved.json()["volunteer_id"] is None
        assert (await client.get("/api/dpo/erasure-requests")).json()["items"] == []

    assert not await Volunteer.exists().where(Volunteer.id == other.id)
    assert await Volunteer.exists().where(Volunteer.id == person.id)
    # the file transport (the default) holds the message that went before the erasure
    mails = list(settings.outbox_files_dir.glob("*.eml"))
    assert any("being erased" in p.read_text() for p in mails)
