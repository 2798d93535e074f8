"""Volume alerts on both databases, with the clock moved: London days counted by the database,
the rule applied to usual and expected levels, each alert raised once with its email to the DPO
and coordinators, shown per employer and purpose, and acknowledged once with a ledger entry."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from typing import Any

import asyncpg
import pytest

from ledger.tables import LedgerEntry
from portal.accounts.roles import Role
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.alerts.counts import daily_counts
from portal.alerts.services import VolumeService
from portal.errors import Conflict, InvalidInput, NotFound
from portal.messages.tables import OutboxMessage
from portal.settings import Settings
from tests.support import disclosure_world as world
from tests.support.auth import create_user
from tests.support.volume_history import daily, disclosures_at, london

LV = "esp.leave-verification"
PM = "esp.programme-management"
SPIKE_DAY = dt.date(2026, 4, 10)
#: The moved clock: mid-afternoon on the spike day; its 28-day window spans the March clock change.
MOVED = london(SPIKE_DAY, 15)
UTC = dt.UTC


async def _agreement(ledger: Any, employer_id: str, expected: dict[str, Any]) -> str:
    created = await AgreementService(ledger).record(
        AgreementCreate(
            employer_id=uuid.UUID(employer_id),
            version=1,
            purposes={LV: ["identity"], PM: ["status"]},
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 12, 31),
            signed_by="A. Signatory",
            expected=expected,
        ),
        recorded_by="test",
        request_id="setup",
        channel="cli",
    )
    return created.agreement.id


def _history(days: int, per_day: int, before: dt.date = SPIKE_DAY) -> dict[dt.date, int]:
    return {before - dt.timedelta(days=n): per_day for n in range(1, days + 1)}


async def test_counts_are_per_london_day_across_the_clock_change(engine: Any) -> None:
    employer = await world.employer("Clock Change Ltd")
    await disclosures_at(
        employer,
        LV,
        [
            dt.datetime(2026, 3, 27, 0, 0, tzinfo=UTC),  # London midnight (GMT): the 27th
            dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # still the 28th in London (GMT)
            dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # the 29th, before the change
            dt.datetime(2026, 3, 29, 22, 59, tzinfo=UTC),  # 23:59 BST: still the 29th
            dt.datetime(2026, 3, 29, 23, 30, tzinfo=UTC),  # 00:30 BST: the 30th
            dt.datetime(2026, 3, 31, 23, 0, tzinfo=UTC),  # London midnight (BST): 1 April
        ],
    )
    await disclosures_at(employer, PM, [dt.datetime(2026, 3, 30, 12, tzinfo=UTC)])
    counts = await daily_counts(dt.date(2026, 3, 27), dt.date(2026, 3, 31))
    assert counts[(employer, LV)] == {
        dt.date(2026, 3, 27): 1,
        dt.date(2026, 3, 28): 1,
        dt.date(2026, 3, 29): 2,
        dt.date(2026, 3, 30): 1,
    }
    assert counts[(employer, PM)] == {dt.date(2026, 3, 30): 1}
    only = await daily_counts(
        dt.date(2026, 3, 27), dt.date(2026, 4, 1), recipient=employer, purpose=PM
    )
    assert list(only) == [(employer, PM)]


async def test_a_day_far_above_usual_and_expected_raises_one_alert_and_tells_the_staff(
    engine: Any, ledger: Any, settings: Settings
) -> None:
    dpo = await create_user(settings, "dpo@force.example", Role.DPO)
    coordinator = await create_user(settings, "esp@force.example", Role.COORDINATOR)
    busy = await world.employer("Busy Ltd")
    steady = await world.employer("Steady Ltd")
    quiet = await world.employer("Quiet Ltd")
    await _agreement(ledger, busy, {LV: {"count": 300, "per": "month"}})  # 10 a day
    await _agreement(ledger, steady, {LV: {"count": 50, "per": "day"}})
    await _agreement(ledger, quiet, {})
    await daily(busy, LV, {**_history(28, 5), SPIKE_DAY: 40})  # > 3 x 5, >= 20, > 10: alert
    await daily(steady, LV, {**_history(28, 5), SPIKE_DAY: 40})  # within its 50 a day
    await daily(quiet, LV, {**_history(28, 1), SPIKE_DAY: 12})  # below the floor of 20
    await daily(busy, PM, _history(28, 30))  # busy every day: 30 is its usual

    service = VolumeService(settings, ledger, clock=lambda: MOVED)
    assert await service.check(MOVED) == 1
    assert await service.check(MOVED) == 0  # idempotent
    next_day = MOVED + dt.timedelta(days=1)  # the spike is now "yesterday": still one alert
    assert await VolumeService(settings, ledger, clock=lambda: next_day).check(next_day) == 0

    page = await service.alerts(open_only=True, limit=10, offset=0)
    [alert] = page.items
    assert (alert.employer_id, alert.employer_name, alert.purpose) == (busy, "Busy Ltd", LV)
    assert (alert.day, alert.disclosures, alert.usual, alert.expected) == (SPIKE_DAY, 40, 5.0, 10.0)

    mail = await OutboxMessage.select().where(OutboxMessage.template == "volume_alert")
    assert sorted(m["recipient"] for m in mail) == sorted([dpo.email, coordinator.email])
    body = mail[0]["body_text"]
    assert "Busy Ltd received 40 disclosures" in body and "Usually it receives 5 a day" in body
    assert "expects 10 a day" in body and f"/dpo/volume/{busy}/{LV}" in body
    assert "ESP Portal" in body and "/account" in body  # the sender and where to change it
    assert 'href="http://localhost:8000/dpo/volume/' in mail[0]["body_html"]

    series = await service.series(busy, LV)
    assert series.days[0].day == SPIKE_DAY and series.days[0].alert
    assert (series.days[0].disclosures, series.days[0].usual) == (40, 5.0)
    assert series.days[1].disclosures == 5 and not series.days[1].alert
    assert [a.id for a in series.alerts] == [alert.id]

    overview = await service.overview(50, 0)
    rows = {(r.employer_name, r.purpose): r for r in overview.items}
    assert overview.day == SPIKE_DAY and overview.total == 4
    assert (rows[("Busy Ltd", LV)].today, rows[("Busy Ltd", LV)].open_alerts) == (40, 1)
    assert rows[("Busy Ltd", PM)].usual == 30.0 and rows[("Busy Ltd", PM)].today == 0
    assert rows[("Steady Ltd", LV)].expected == 50.0
    assert rows[("Quiet Ltd", LV)].expected is None


async def test_without_a_stated_expectation_usual_and_floor_decide(
    engine: Any, ledger: Any, settings: Settings
) -> None:
    employer = await world.employer("Unstated Ltd")  # no agreement at all
    await daily(employer, LV, {**_history(28, 2), SPIKE_DAY: 20})
    service = VolumeService(settings, ledger, clock=lambda: MOVED)
    assert await service.check(MOVED) == 1
    assert (await service.alerts(open_only=True, limit=5, offset=0)).items[0].expected is None
    # a recipient that is not an employer (the force's own audit reads) is never counted
    await daily("force", "dpo.audit", {SPIKE_DAY: 500})
    assert await service.check(MOVED) == 0


async def test_the_dpo_acknowledges_an_alert_once_and_it_is_ledgered(
    engine: Any, ledger: Any, settings: Settings
) -> None:
    dpo = await create_user(settings, "dpo@force.example", Role.DPO)
    employer = await world.employer("Acknowledged Ltd")
    await daily(employer, LV, {**_history(28, 1), SPIKE_DAY: 30})
    service = VolumeService(settings, ledger, clock=lambda: MOVED)
    assert await service.check(MOVED) == 1
    [alert] = (await service.alerts(open_only=True, limit=5, offset=0)).items

    done = await service.acknowledge(alert.id, user_id=dpo.id, request_id="r-1", channel="web")
    assert done.alert.acknowledged_by == dpo.id and done.alert.acknowledged_at is not None
    stored = await ledger.get_entry(done.receipt.index)
    entry = stored.entry().draft
    assert entry.kind == "alert.acknowledged"
    assert (entry.purpose, entry.recipient_org, entry.recipient_user) == (LV, employer, dpo.id)
    assert entry.details.alert_id == alert.id and entry.details.disclosures == 30
    assert entry.details.day == SPIKE_DAY.isoformat()
    assert (await service.alerts(open_only=True, limit=5, offset=0)).total == 0
    assert (await service.alerts(open_only=False, limit=5, offset=0)).items[0].acknowledged_at

    size = await ledger.size()
    with pytest.raises(Conflict):
        await service.acknowledge(alert.id, user_id=dpo.id, request_id="r-2", channel="web")
    with pytest.raises(NotFound):
        await service.acknowledge(str(uuid.uuid4()), user_id=dpo.id, request_id="r", channel="web")
    with pytest.raises(NotFound):
        await service.acknowledge("not-an-id", user_id=dpo.id, request_id="r", channel="web")
    assert await ledger.size() == size  # nothing recorded for a refused acknowledgement
    assert await LedgerEntry.count().where(LedgerEntry.kind == "alert.acknowledged") == 1


async def test_acknowledgements_cannot_be_changed(
    database: Any, engine: Any, ledger: Any, owner_sql: Any, settings: Settings
) -> None:
    dpo = await create_user(settings, "dpo@force.example", Role.DPO)
    employer = await world.employer("Append Only Alerts Ltd")
    await daily(employer, LV, {SPIKE_DAY: 25})
    service = VolumeService(settings, ledger, clock=lambda: MOVED)
    await service.check(MOVED)
    [alert] = (await service.alerts(open_only=True, limit=5, offset=0)).items
    await service.acknowledge(alert.id, user_id=dpo.id, request_id="r", channel="web")
    attempts = ["UPDATE volume_alert_ack SET acknowledged_by = 'x'", "DELETE FROM volume_alert_ack"]
    if database.kind == "postgres":
        attempts.append("TRUNCATE volume_alert_ack CASCADE")
    for statement in attempts:
        with pytest.raises((sqlite3.DatabaseError, asyncpg.PostgresError)) as refused:
            await owner_sql(statement)
        assert "append-only" in str(refused.value)
        if database.kind == "postgres":
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await owner_sql(statement, app_role=True)
    # one alert per employer, purpose and day, whoever inserts it
    with pytest.raises((sqlite3.DatabaseError, asyncpg.PostgresError)):
        await owner_sql(
            "INSERT INTO volume_alert (id, employer, purpose, day, disclosures, usual, raised_at) "
            f"SELECT '{uuid.uuid4()}', employer, purpose, day, 1, 0, raised_at FROM volume_alert"
        )


async def test_an_expectation_must_name_a_purpose_of_the_agreement(
    engine: Any, ledger: Any
) -> None:
    employer = await world.employer("Expecting Ltd")
    with pytest.raises(InvalidInput) as refused:
        await _agreement(ledger, employer, {"esp.recognition": {"count": 3, "per": "day"}})
    assert refused.value.extra["errors"] == [
        {"field": "expected.esp.recognition", "message": "not a purpose of this agreement"}
    ]
    agreement_id = await _agreement(ledger, employer, {PM: {"count": 90, "per": "month"}})
    stored = await AgreementService(ledger).get(agreement_id)
    assert stored.expected[PM].count == 90 and stored.expected[PM].per == "month"
