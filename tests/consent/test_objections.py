"""Objections to public-task purposes and the DPO's decisions, on both databases.

- Gate case: an upheld objection makes the gate refuse that purpose for that volunteer (reason
  ``objection_upheld``, recorded for the DPO), in a single read and in the staff list, while a
  pending or rejected objection changes nothing and other volunteers and purposes are unaffected.
- Every objection and decision is ledgered and append-only (triggers on both engines, including
  SQLite's INSERT OR REPLACE; the PostgreSQL app role may only SELECT and INSERT).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from typing import Any

import asyncpg
import pytest

from ledger.tables import LedgerEntry
from portal.consent.objections import ObjectionService, objections_of, open_objections
from portal.disclosure.gate import DisclosureGate, Recipient, decide
from portal.disclosure.sources import CategorySources
from portal.disclosure.tables import DisclosureRefusal, RefusalReason
from portal.errors import Conflict, InvalidInput, NotFound
from portal.vocabulary import vocabulary
from tests.support import disclosure_world as world

PM = "esp.programme-management"
LV = "esp.leave-verification"
REASONS = "I do not want my employer told about my police service."


async def _scene(ledger: Any) -> tuple[str, world.Person, world.Person]:
    employer_id = await world.employer("Objection Ltd")
    await world.agreement(ledger, employer_id, {PM: ["identity", "status"], LV: ["identity"]})
    olive = await world.volunteer("Olive Objector")
    other = await world.volunteer("Otto Other")
    for person in (olive, other):
        await world.employ(person, employer_id)
    await world.consent_event(olive, employer_id, LV, ["identity"])
    return employer_id, olive, other


async def _staff(gate: DisclosureGate, recipient: Recipient, purpose: str) -> set[str]:
    page = await gate.disclose_staff(recipient, purpose, request_id="list", limit=10)
    return {item.volunteer_id for item in page.items}


async def test_an_upheld_objection_makes_the_gate_refuse_that_purpose(
    engine: Any, ledger: Any, settings: Any
) -> None:
    employer_id, olive, other = await _scene(ledger)
    gate = DisclosureGate(ledger, CategorySources())
    recipient = Recipient("employer", employer_id, "user-hr", "web")
    service = ObjectionService(ledger, settings)

    first = await service.raise_objection(olive.id, "u-olive", PM, REASONS, request_id="r1")
    assert [o.id for o in await open_objections()] == [first.id]
    # Pending: nothing changes yet.
    assert (await gate.disclose_one(recipient, PM, olive.id, request_id="p")).categories
    with pytest.raises(Conflict):
        await service.raise_objection(olive.id, "u-olive", PM, REASONS, request_id="r1b")
    await service.decide(
        first.id, "rejected", "The scheme cannot run without it.", "dpo-1", request_id="d1"
    )
    assert (await gate.disclose_one(recipient, PM, olive.id, request_id="rej")).categories
    assert await open_objections() == []

    second = await service.raise_objection(
        olive.id, "u-olive", PM, REASONS + " Again.", request_id="r2"
    )
    decided = await service.decide(
        second.id, "upheld", "Your reasons outweigh the need.", "dpo-1", request_id="d2"
    )
    assert decided.outcome == "upheld"
    with pytest.raises(Conflict):
        await service.decide(
            second.id, "rejected", "Changed my mind here.", "dpo-1", request_id="d3"
        )

    with pytest.raises(NotFound):
        await gate.disclose_one(recipient, PM, olive.id, request_id="upheld")
    refused = await DisclosureRefusal.select(DisclosureRefusal.reason).where(
        DisclosureRefusal.request_id == "upheld"
    )
    assert [r["reason"] for r in refused] == ["objection_upheld"]
    assert await _staff(gate, recipient, PM) == {other.id}
    # Another volunteer, and a purpose that relies on consent, are unaffected.
    assert (await gate.disclose_one(recipient, PM, other.id, request_id="other")).categories
    assert (await gate.disclose_one(recipient, LV, olive.id, request_id="lv")).categories == (
        "identity",
    )

    mine = await objections_of(olive.id)
    assert [(o.outcome, o.decision_reasons) for o in mine] == [
        ("upheld", "Your reasons outweigh the need."),
        ("rejected", "The scheme cannot run without it."),
    ]
    kinds = (
        await LedgerEntry.select(LedgerEntry.kind)
        .where(LedgerEntry.kind.like("objection.%"))
        .order_by(LedgerEntry.idx)
    )
    assert [k["kind"] for k in kinds] == [
        "objection.raised",
        "objection.decided",
        "objection.raised",
        "objection.decided",
    ]
    bodies = await LedgerEntry.select(LedgerEntry.body).where(LedgerEntry.kind.like("objection.%"))
    assert all(b"outweigh" not in bytes(b["body"]) for b in bodies)  # reasons stay off the ledger


def test_decide_refuses_an_objected_purpose_with_its_own_reason() -> None:
    from portal.disclosure.gate import AgreementFacts

    today = dt.date(2026, 12, 6)
    agreement = AgreementFacts("a", 1, {PM: ("identity", "status")}, today, today)
    purpose = vocabulary().purpose(PM)
    args: dict[str, Any] = {
        "purpose": purpose,
        "audience": "employer",
        "employed": True,
        "agreement": agreement,
        "consents": {},
        "requested": None,
        "today": today,
        "now": dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC),
    }
    assert decide(**args).permitted == ("identity", "status")
    refused = decide(**args, objected=True)
    assert refused.permitted == () and refused.reason is RefusalReason.OBJECTION_UPHELD


async def test_objection_errors_name_the_field(engine: Any, ledger: Any, settings: Any) -> None:
    _, olive, _ = await _scene(ledger)
    service = ObjectionService(ledger, settings)
    with pytest.raises(InvalidInput) as consent_purpose:
        await service.raise_objection(olive.id, "u", LV, REASONS, request_id="x")
    assert consent_purpose.value.extra["errors"][0]["field"] == "purpose"
    with pytest.raises(InvalidInput) as short:
        await service.raise_objection(olive.id, "u", PM, "no", request_id="x")
    assert short.value.extra["errors"][0]["field"] == "reasons"
    first = await service.raise_objection(olive.id, "u", PM, REASONS, request_id="x")
    with pytest.raises(InvalidInput) as outcome:
        await service.decide(first.id, "maybe", "Some reasons here.", "dpo", request_id="x")
    assert outcome.value.extra["errors"][0]["field"] == "outcome"
    with pytest.raises(NotFound):
        await service.decide(
            str(uuid.uuid4()), "upheld", "Some reasons here.", "dpo", request_id="x"
        )
    assert await LedgerEntry.count().where(LedgerEntry.kind == "objection.decided") == 0


@pytest.mark.parametrize("table", ["objection", "objection_decision"])
async def test_objections_and_decisions_are_append_only(
    database: Any, engine: Any, ledger: Any, owner_sql: Any, table: str, settings: Any
) -> None:
    _, olive, _ = await _scene(ledger)
    service = ObjectionService(ledger, settings)
    first = await service.raise_objection(olive.id, "u", PM, REASONS, request_id="x")
    await service.decide(first.id, "upheld", "Your reasons outweigh.", "dpo", request_id="y")
    attempts = [f"UPDATE {table} SET reasons = 'changed'", f"DELETE FROM {table}"]
    if database.kind == "postgres":
        attempts.append(f"TRUNCATE {table} CASCADE")
    else:
        if table == "objection":
            attempts.append(
                "INSERT OR REPLACE INTO objection (id, volunteer, subject, purpose, reasons, "
                "raised_at, raised_by, ledger_index) SELECT id, volunteer, subject, purpose, "
                "'changed', raised_at, raised_by, ledger_index FROM objection"
            )
        else:
            cols = "id, objection, outcome, reasons, decided_by, decided_at, ledger_index"
            attempts.append(
                f"INSERT OR REPLACE INTO objection_decision ({cols}) "
                f"SELECT '{uuid.uuid4()}', objection, 'rejected', reasons, decided_by, decided_at, "
                "ledger_index FROM objection_decision"
            )
    for statement in attempts:
        with pytest.raises((sqlite3.DatabaseError, asyncpg.PostgresError)) as refused:
            await owner_sql(statement)
        assert "append-only" in str(refused.value)
        if database.kind == "postgres":
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await owner_sql(statement, app_role=True)
    rows = (await owner_sql(f"SELECT reasons FROM {table}"))[0]
    assert len(rows) == 1 and rows[0][0] != "changed"
    if table == "objection_decision":
        assert (await owner_sql("SELECT outcome FROM objection_decision"))[0][0][0] == "upheld"
    if database.kind == "postgres":
        grants = await owner_sql(
            "SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) "
            "FROM information_schema.role_table_grants "
            f"WHERE grantee = 'esp_portal_app' AND table_name = '{table}'"
        )
        assert grants[0][0][0] == "INSERT,SELECT"
