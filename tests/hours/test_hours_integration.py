"""The duty management system's pushes: scoped token, all or nothing, idempotent retries."""

from __future__ import annotations

from typing import Any

from portal.hours.tables import DutyBatch, DutyRecord
from portal.settings import Settings
from tests.hours import hours_world as w
from tests.support.auth import in_app, serve


def _batch(person: w.Person, days: range) -> dict[str, Any]:
    return {
        "duties": [
            {
                "volunteer_id": person.id,
                "starts_at": f"2026-05-{day:02d}T18:00+01:00",
                "ends_at": f"2026-05-{day:02d}T23:00+01:00",
                "duty_type": "patrol",
                "esp_leave": day % 2 == 0,
                "external_ref": f"DMS-{day}",
            }
            for day in days
        ]
    }


async def test_a_retried_batch_is_applied_once(settings: Settings, engine: Any) -> None:
    person = await w.volunteer()
    token = await w.duties_token()
    bearer = {"Authorization": f"Bearer {token}"}
    body = _batch(person, range(1, 6))
    async with serve(settings) as client:
        first = await client.post(
            "/api/integrations/duties", json=body, headers={**bearer, "Idempotency-Key": "k-1"}
        )
        assert first.status_code == 201, first.text
        assert (first.json()["added"], first.json()["replayed"]) == (5, False)
        retry = await client.post(
            "/api/integrations/duties", json=body, headers={**bearer, "Idempotency-Key": "k-1"}
        )
        assert retry.status_code == 200
        assert retry.json()["replayed"] is True
        assert retry.json()["batch_id"] == first.json()["batch_id"]
        assert retry.json()["added"] == 5  # the first answer, again
        assert await in_app(client, DutyRecord.count) == 5
        assert await in_app(client, DutyBatch.count) == 1

        other = await client.post(
            "/api/integrations/duties",
            json=_batch(person, range(6, 8)),
            headers={**bearer, "Idempotency-Key": "k-1"},
        )
        assert other.status_code == 409
        assert "Idempotency-Key" in other.json()["detail"]

        # Without a key, re-sending the same duties still adds nothing (they are recorded).
        plain = await client.post("/api/integrations/duties", json=body, headers=bearer)
        assert plain.status_code == 201 and plain.json()["unchanged"] == 5
        assert await in_app(client, DutyRecord.count) == 5


async def test_a_bad_batch_is_rejected_whole_and_the_scope_is_enforced(
    settings: Settings, engine: Any
) -> None:
    person = await w.volunteer()
    token = await w.duties_token()
    coordinator = await w.coordinator(settings)
    body = _batch(person, range(1, 4))
    body["duties"][1]["ends_at"] = "2026-05-02T17:00+01:00"  # before its start
    body["duties"][2]["volunteer_id"] = "00000000-0000-4000-8000-000000000000"
    async with serve(settings) as client:
        response = await client.post(
            "/api/integrations/duties",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k-2"},
        )
        assert response.status_code == 422
        errors = [(e["item"], e["field"]) for e in response.json()["errors"]]
        assert errors == [(2, "end"), (3, "volunteer_id")]
        assert await in_app(client, DutyRecord.count) == 0
        # A signed-in coordinator is not the integration: the route needs the token's scope.
        await w.signed_in(client, coordinator)
        refused = await client.post("/api/integrations/duties", json=_batch(person, range(1, 2)))
        assert refused.status_code == 403
