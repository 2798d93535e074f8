"""Consent history, agreements, notices and refusals cannot be edited: the database says no.

Triggers reject UPDATE and DELETE on both engines (and TRUNCATE on PostgreSQL) even for the
owner; on PostgreSQL the application role has no UPDATE/DELETE/TRUNCATE privilege either.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import asyncpg
import pytest

from portal.consent.tables import WithdrawalAcknowledgement, WithdrawalNotice
from portal.disclosure.tables import DisclosureRefusal
from tests.support import disclosure_world as world

TABLES = (
    "consent_event",
    "data_sharing_agreement",
    "withdrawal_notice",
    "withdrawal_notice_ack",
    "disclosure_refusal",
)


async def _one_row_each(ledger: Any) -> None:
    employer_id = await world.employer("Append Only Ltd")
    await world.agreement(ledger, employer_id, {"esp.programme-management": ["status"]})
    person = await world.volunteer("Ada Append")
    await world.consent_event(person, employer_id, "esp.leave-verification", ["identity"])
    notice = WithdrawalNotice(
        employer=employer_id,
        volunteer=person.id,
        subject=person.subject,
        purpose="esp.leave-verification",
        categories=["identity"],
        consent_ids=[str(uuid.uuid4())],
        ledger_index=7,
    )
    await notice.save()
    await WithdrawalAcknowledgement(notice=notice.id, acknowledged_by="u", ledger_index=8).save()
    await DisclosureRefusal(reason="no_consent", purpose="esp.leave-verification").save()


@pytest.mark.parametrize("table", TABLES)
async def test_rows_cannot_be_updated_deleted_or_truncated(
    database: Any, engine: Any, ledger: Any, owner_sql: Any, table: str
) -> None:
    await _one_row_each(ledger)
    assert (await owner_sql(f"SELECT count(*) FROM {table}"))[0][0][0] == 1
    attempts = [f"UPDATE {table} SET id = id", f"DELETE FROM {table}"]
    if database.kind == "postgres":
        attempts.append(f"TRUNCATE {table} CASCADE")
    for statement in attempts:
        # As the owner: the trigger refuses.
        with pytest.raises((sqlite3.DatabaseError, asyncpg.PostgresError)) as refused:
            await owner_sql(statement)
        assert "append-only" in str(refused.value)
        if database.kind == "postgres":
            # As the application role: no privilege in the first place.
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await owner_sql(statement, app_role=True)
    assert (await owner_sql(f"SELECT count(*) FROM {table}"))[0][0][0] == 1


async def test_the_app_role_may_only_read_and_insert(database: Any, owner_sql: Any) -> None:
    if database.kind != "postgres":
        pytest.skip("SQLite has no roles")
    rows = await owner_sql(
        "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) "
        "FROM information_schema.role_table_grants WHERE grantee = 'esp_portal_app' "
        f"AND table_name IN ({', '.join(repr(t) for t in TABLES)}) GROUP BY table_name"
    )
    assert {r[0]: r[1] for r in rows[0]} == dict.fromkeys(TABLES, "INSERT,SELECT")
