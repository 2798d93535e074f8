"""The erasure procedure: who may run it, what it may touch, and that append-only stays so.

PostgreSQL: the application role holds no DELETE, UPDATE or TRUNCATE on any append-only table
(found by their triggers, not listed by hand), may EXECUTE only the owner's SECURITY DEFINER
procedure, and cannot switch the procedure's setting on to delete anything itself; after the
procedure ran in a transaction, the rest of that transaction is append-only again. The
procedure's steps are the plan's (a frozen copy in the migration). SQLite: the procedure
changes no trigger (marker rows in its own transaction let it through). Both: bad calls change
nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from typing import Any

import asyncpg
import pytest

from portal.consent.tables import ConsentEvent
from portal.erasure import procedure
from portal.erasure.plan import STEPS, for_postgres, volunteer_digest
from portal.erasure.service import erase_person
from portal.erasure.tables import ErasureRecord
from portal.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from portal.organisations.tables import Volunteer
from tests.support import disclosure_world as world

LV = "esp.leave-verification"
LIFT = "append_only_lift"
TRIGGER_NAMES = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
GUARD_FUNCTIONS = (
    "esp_portal_reject_change",
    "hours_reject_change",
    "hours_leave_request_guard",
    "esp_reject_change",
)


async def _two_people(ledger: Any) -> tuple[world.Person, world.Person]:
    employer_id = await world.employer("Erasure Procedure Ltd")
    await world.agreement(ledger, employer_id, {LV: ["identity"]})
    people = (await world.volunteer("Eve Erased"), await world.volunteer("Kit Kept"))
    for person in people:
        await world.employ(person, employer_id)
        await world.consent_event(person, employer_id, LV, ["identity"])
    return people


async def _append_only_tables(owner_sql: Any) -> list[str]:
    functions = ", ".join(f"'{name}'" for name in GUARD_FUNCTIONS)
    rows = await owner_sql(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        f"JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname IN ({functions}) "
        "AND NOT t.tgisinternal"
    )
    return sorted(r[0] for r in rows[0])


async def test_the_app_role_cannot_delete_from_append_only_tables_only_run_the_procedure(
    database: Any, engine: Any, ledger: Any, owner_sql: Any
) -> None:
    if database.kind != "postgres":
        pytest.skip("SQLite has no roles (docs/ERASURE.md says how the procedure runs there)")
    eve, kit = await _two_people(ledger)
    tables = await _append_only_tables(owner_sql)
    assert {"consent_event", "duty_record", "erasure_record", "ledger_entry"} <= set(tables)
    for table in tables:
        (privileges,) = await owner_sql(
            f"SELECT has_table_privilege('esp_portal_app', '{table}', 'DELETE'), "
            f"has_table_privilege('esp_portal_app', '{table}', 'TRUNCATE')"
        )
        assert tuple(privileges[0]) == (False, False), table
    (proc,) = await owner_sql(
        "SELECT p.prosecdef, pg_get_userbyid(p.proowner), "
        "has_function_privilege('esp_portal_app', p.oid, 'EXECUTE'), "
        "has_function_privilege('public', p.oid, 'EXECUTE'), "
        "(SELECT tableowner FROM pg_tables WHERE tablename = 'consent_event') "
        "FROM pg_proc p WHERE p.proname = 'esp_portal_erase_volunteer'"
    )
    secdef, owner, app_may, public_may, table_owner = proc[0]
    assert (secdef, app_may, public_may) == (True, True, False)
    assert owner == table_owner
    # The app role switching the procedure's setting on gains nothing: it has no privilege.
    app = await asyncpg.connect(database.url)
    try:
        await app.execute("SET esp_portal.erasure = 'on'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute(f"DELETE FROM consent_event WHERE volunteer = '{eve.id}'")
        await app.execute("RESET esp_portal.erasure")
        # Through the procedure it can; afterwards the same transaction is append-only again.
        await app.execute("BEGIN")
        counts = await app.fetchval(
            "SELECT esp_portal_erase_volunteer($1, 'erased-x')", uuid.UUID(eve.id)
        )
        assert '"consent_event": 1' in counts and '"volunteer": 1' in counts
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("DELETE FROM consent_event")
        await app.execute("ROLLBACK")
    finally:
        await app.close()
    # The owner, in the procedure's transaction but after it: the triggers refuse again.
    owner = await asyncpg.connect(database.owner_url)
    try:
        await owner.execute("BEGIN")
        await owner.fetchval("SELECT esp_portal_erase_volunteer($1, 'erased-y')", uuid.UUID(kit.id))
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await owner.execute("DELETE FROM consent_event")
        await owner.execute("ROLLBACK")
    finally:
        await owner.close()
    assert await ConsentEvent.count() == 2  # both rolled back with the refused deletes


async def test_the_procedure_runs_exactly_the_plans_steps(database: Any, owner_sql: Any) -> None:
    if database.kind != "postgres":
        pytest.skip("the plan runs from Python on SQLite")
    (rows,) = await owner_sql(
        "SELECT prosrc FROM pg_proc WHERE proname = 'esp_portal_erase_volunteer'"
    )
    source = rows[0][0]
    at = 0
    for step in STEPS:
        found = source.find(for_postgres(step.postgres) + ";", at)
        assert found >= 0, f"the procedure does not run the plan's {step.table} step (in order)"
        at = found


async def test_sqlite_erasure_changes_no_trigger_and_leaves_no_marker(
    database: Any, engine: Any, ledger: Any, owner_sql: Any
) -> None:
    """No trigger is dropped or re-created (the schema version does not move) and the markers
    that let the plan through are gone when the erasure commits."""
    if database.kind != "sqlite":
        pytest.skip("PostgreSQL's triggers consult the owner procedure's setting")
    eve, kit = await _two_people(ledger)
    query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    (before, version) = await owner_sql(query, "PRAGMA schema_version")
    await erase_person(uuid.UUID(eve.id), reason="Art. 17(1)(b)", decided_by=None, ledger=ledger)
    (after, version_after) = await owner_sql(query, "PRAGMA schema_version")
    assert after == before and version_after == version
    assert await owner_sql(f"SELECT COUNT(*) FROM {LIFT}") == [[(0,)]]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        await owner_sql(f"DELETE FROM consent_event WHERE volunteer = '{kit.id}'")


async def test_sqlite_during_an_erasure_every_trigger_stays_and_others_cannot_change_rows(
    database: Any, engine: Any, ledger: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Watched from inside the erasure's transaction, half way through its steps: every trigger
    is still there. Another connection at that moment sees no marker and changes nothing."""
    if database.kind != "sqlite":
        pytest.skip("PostgreSQL's triggers are never touched")
    eve, kit = await _two_people(ledger)
    path = database.url.removeprefix("sqlite:///")
    seen: dict[str, Any] = {}
    original = procedure._raw

    def other_connection() -> dict[str, Any]:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            found: dict[str, Any] = {"triggers": other.execute(TRIGGER_NAMES).fetchall()}
            try:
                other.execute(f"DELETE FROM consent_event WHERE volunteer = '{kit.id}'")
                found["delete"] = "done"
            except sqlite3.DatabaseError as exc:  # locked by the erasure, or append-only
                found["delete"] = str(exc)
            try:
                found["markers"] = other.execute(f"SELECT COUNT(*) FROM {LIFT}").fetchall()
            except sqlite3.OperationalError as exc:  # no marker table (before the migration)
                found["markers"] = str(exc)
            return found
        finally:
            other.close()

    async def watching(sql: str, *args: Any) -> list[dict[str, Any]]:
        rows = await original(sql, *args)
        if sql.startswith("DELETE FROM consent_event") and not seen:
            seen["inside"] = [r["name"] for r in await original(TRIGGER_NAMES)]
            seen["other"] = await asyncio.to_thread(other_connection)
        return rows

    before = [r[0] for r in sqlite3.connect(path).execute(TRIGGER_NAMES).fetchall()]
    monkeypatch.setattr(procedure, "_raw", watching)
    await erase_person(uuid.UUID(eve.id), reason="Art. 17(1)(b)", decided_by=None, ledger=ledger)
    assert seen["inside"] == before
    assert [r[0] for r in seen["other"]["triggers"]] == before
    assert seen["other"]["markers"] == [(0,)]
    assert seen["other"]["delete"] != "done"
    assert await ConsentEvent.count().where(ConsentEvent.volunteer == kit.id) == 1


async def test_bad_requests_change_nothing(database: Any, engine: Any, ledger: Any) -> None:
    eve, _ = await _two_people(ledger)
    with pytest.raises(InvalidInput) as blank:
        await erase_person(uuid.UUID(eve.id), reason="  ", decided_by=None, ledger=ledger)
    assert blank.value.extra["errors"][0]["field"] == "reason"
    with pytest.raises(NotFound):
        await erase_person(uuid.uuid4(), reason="Art. 17(1)(a)", decided_by=None, ledger=ledger)
    assert await Volunteer.count() == 2 and await ErasureRecord.count() == 0
    done = await erase_person(
        uuid.UUID(eve.id), reason="Art. 17(1)(a)", decided_by=None, ledger=ledger
    )
    assert done.erased["volunteer"] == 1
    with pytest.raises(Conflict):
        await erase_person(
            uuid.UUID(eve.id), reason="Art. 17(1)(a)", decided_by=None, ledger=ledger
        )
    record = await ErasureRecord.select().first()
    assert record is not None
    assert (
        record["volunteer_digest"] == volunteer_digest(eve.id) and record["decided_by"] == "system"
    )


async def test_a_table_the_plan_does_not_know_stops_the_erasure_and_nothing_changes(
    database: Any, engine: Any, ledger: Any, owner_sql: Any
) -> None:
    """A new table that names a volunteer (ON DELETE RESTRICT) must be added to the plan: until
    it is, erasing someone it names fails whole: no row gone, no entry, triggers intact."""
    eve, _ = await _two_people(ledger)
    await owner_sql(
        "CREATE TABLE forgotten (id INTEGER PRIMARY KEY, volunteer "
        + ("TEXT" if database.kind == "sqlite" else "uuid")
        + " REFERENCES volunteer (id) ON DELETE RESTRICT)",
        f"INSERT INTO forgotten (id, volunteer) VALUES (1, '{eve.id}')",
    )
    triggers = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    before = await owner_sql(triggers) if database.kind == "sqlite" else None
    size = (await owner_sql("SELECT size FROM ledger_head"))[0][0][0]
    with pytest.raises(ServiceUnavailable):
        await erase_person(
            uuid.UUID(eve.id), reason="Art. 17(1)(a)", decided_by=None, ledger=ledger
        )
    assert await Volunteer.count().where(Volunteer.id == eve.id) == 1
    assert await ConsentEvent.count() == 2 and await ErasureRecord.count() == 0
    assert (await owner_sql("SELECT size FROM ledger_head"))[0][0][0] == size
    if before is not None:
        assert await owner_sql(triggers) == before
    # A ledger that cannot be written: nothing erased either.
    await ledger.close()
    with pytest.raises(ServiceUnavailable):
        await erase_person(
            uuid.UUID(eve.id), reason="Art. 17(1)(a)", decided_by=None, ledger=ledger
        )
    assert await Volunteer.count() == 2
