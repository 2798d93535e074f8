"""Retention runs on both databases with the clock moved forward two years: the dry run counts
exactly what the schedule says has passed its time (and erases nothing), approval erases exactly
that and nothing younger, both are ledgered, the ledger still verifies, and bad requests
(unknown or malformed run, a second approval, an approver who is not a DPO) are refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ledger import Ledger
from ledger.tables import LedgerEntry
from portal.accounts.tables import UserAccount
from portal.disclosure.tables import DisclosureRefusal
from portal.erasure.for_retention import ScheduledErasure
from portal.erasure.plan import STEPS
from portal.erasure.tables import ErasureRequest
from portal.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.messages.tables import OutboxMessage
from portal.organisations.tables import Volunteer
from portal.retention.finding import REDUCED_DOMAIN
from portal.retention.services import RetentionService
from portal.retention.tables import RetentionRun, RetentionStep
from portal.settings import Settings
from tests.conftest import run_cli
from tests.retention.retention_world import BASE, LATER, RetentionWorld, build_world

#: The app role's delete: no privilege (PostgreSQL) or the append-only trigger (SQLite).
REJECTED = "append-only|permission denied"


def found(view: Any) -> dict[str, int | None]:
    return {k.code: k.found for k in view.kinds if k.handling == "rows"}


async def snapshot() -> dict[str, Any]:
    """Everything the run may touch, to compare before and after."""
    return {
        "refusals": sorted(
            str(r["id"]) for r in await DisclosureRefusal.select(DisclosureRefusal.id)
        ),
        "messages": {
            str(r["id"]): (r["volunteer"], r["body_text"])
            for r in await OutboxMessage.select(
                OutboxMessage.id, OutboxMessage.volunteer, OutboxMessage.body_text
            )
        },
        "volunteers": {
            str(r["id"]): (r["email"], r["phone"])
            for r in await Volunteer.select(Volunteer.id, Volunteer.email, Volunteer.phone)
        },
        "accounts": {
            str(r["id"]): (r["email"], r["is_active"])
            for r in await UserAccount.select(
                UserAccount.id, UserAccount.email, UserAccount.is_active
            )
        },
        "requests": {
            str(r["id"]): {k: v for k, v in r.items() if k != "id"}
            for r in await ErasureRequest.select(
                ErasureRequest.id,
                ErasureRequest.volunteer,
                ErasureRequest.statement,
                ErasureRequest.recorded_by,
                ErasureRequest.status,
                ErasureRequest.ground,
                ErasureRequest.received_on,
                ErasureRequest.decided_at,
            )
        },
    }


@pytest.fixture
async def world(engine: Any, settings: Settings) -> RetentionWorld:
    return await build_world(settings)


async def test_a_dry_run_counts_what_has_passed_its_time_and_erases_nothing(
    world: RetentionWorld, ledger: Ledger
) -> None:
    before = await snapshot()
    view = await RetentionService(ledger, clock=lambda: LATER).dry_run(
        requested_by=world.dpo.id, channel="web"
    )

    assert found(view) == {
        "refusals": 1, "messages": 1, "contact": 3, "accounts": 2, "erasure-requests": 1,
    }  # fmt: skip
    due = {(p.volunteer, p.rule) for p in view.persons_due}
    assert due == {
        (world.volunteers["applicant"], "application"),
        (world.volunteers["veteran"], "identity"),
    }
    assert await snapshot() == before
    kept = {k.code for k in view.kinds if k.handling == "kept"}
    assert kept == {"consents", "objections", "disclosures"}
    assert view.found_index is not None
    entry = await ledger.get_entry(view.found_index)
    assert (entry.kind, entry.purpose, entry.subject) == ("retention.run", "dpo.audit", "")
    details = entry.document()["details"]
    assert details["step"] == "found" and details["persons_due"] == 2
    assert set(details["counts"]) == {
        "refusals:1", "messages:1", "contact:3", "accounts:2", "erasure-requests:1",
        "persons.application:1", "persons.identity:1",
    }  # fmt: skip
    for key in world.volunteers.values():  # counts only, never a person
        assert key.encode() not in entry.body


async def test_a_clock_short_of_each_period_finds_nothing_of_it(
    world: RetentionWorld, ledger: Ledger
) -> None:
    # 89 days after BASE nothing made at BASE has reached its time: the messages are 89 days
    # old, the applicant and the served leaver left 89 days ago; only the veteran's contact
    # details (left five years before BASE) are past 12 months, and nobody is past six years
    view = await RetentionService(ledger, clock=lambda: BASE + dt.timedelta(days=89)).dry_run(
        requested_by=world.dpo.id, channel="web"
    )
    assert found(view) == {
        "refusals": 0, "messages": 0, "contact": 1, "accounts": 0, "erasure-requests": 0,
    }  # fmt: skip
    assert view.persons_due == ()


async def test_approval_erases_exactly_what_the_run_found_and_the_ledger_verifies(
    world: RetentionWorld, ledger: Ledger, settings: Settings
) -> None:
    service = RetentionService(ledger, clock=lambda: LATER)
    run = await service.dry_run(requested_by=world.dpo.id, channel="web")
    before = await snapshot()

    done = await service.approve(run.id, approver=world.dpo.id, channel="web")

    assert {k.code: k.erased for k in done.kinds if k.handling == "rows"} == found(run)
    after = await snapshot()
    assert after["refusals"] == [world.refusals["young"]]
    old, young, pending = (world.messages[k] for k in ("old", "young", "pending"))
    assert after["messages"][old] == ("", "")
    assert after["messages"][young] == before["messages"][young]
    assert after["messages"][pending] == before["messages"][pending]
    reduced = {
        name
        for name, key in world.volunteers.items()
        if after["volunteers"][key][0].endswith(REDUCED_DOMAIN)
    }
    assert reduced == {"applicant", "served", "veteran"}
    assert all(after["volunteers"][world.volunteers[n]][1] == "" for n in reduced)
    for name in ("recent", "serving"):
        key = world.volunteers[name]
        assert after["volunteers"][key] == before["volunteers"][key]
    closed = {n for n, user in world.accounts.items() if not after["accounts"][user.id][1]}
    assert closed == {"applicant", "served"}
    assert after["accounts"][world.dpo.id] == before["accounts"][world.dpo.id]
    # persons due stay listed (the person eraser is not wired in here)
    assert {p.volunteer for p in done.persons_due} == {
        world.volunteers["applicant"],
        world.volunteers["veteran"],
    }
    assert done.persons_erased == 0
    assert done.approved_by == world.dpo.id and done.erased_index is not None
    entries = await LedgerEntry.select(LedgerEntry.idx).where(LedgerEntry.kind == "retention.run")
    assert sorted(e["idx"] for e in entries) == [run.found_index, done.erased_index]
    erased = (await ledger.get_entry(done.erased_index)).document()["details"]
    assert erased["step"] == "erased" and erased["decided_by"] == world.dpo.id
    # nothing in the ledger went, and it verifies
    assert await ledger.size() == done.erased_index + 1
    verified = run_cli("ledger", "verify", env=cli_env_for(settings))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # a second run at the same clock finds nothing left of the row kinds
    again = await service.dry_run(requested_by=world.dpo.id, channel="web")
    assert found(again) == {
        "refusals": 0, "messages": 0, "contact": 0, "accounts": 0, "erasure-requests": 0,
    }  # fmt: skip


async def test_approval_reduces_an_erasure_request_past_two_years_as_erasure_would(
    world: RetentionWorld, ledger: Ledger
) -> None:
    """A request decided more than two years ago loses its person, their words and their own
    account, exactly the columns erasing the person empties; the decision and dates stay. One
    decided a month ago, and one still pending for years, are kept as they are."""
    service = RetentionService(ledger, clock=lambda: LATER)
    run = await service.dry_run(requested_by=world.dpo.id, channel="web")
    before = (await snapshot())["requests"]

    done = await service.approve(run.id, approver=world.dpo.id, channel="web")

    assert {k.code: k.erased for k in done.kinds}["erasure-requests"] == 1
    after = (await snapshot())["requests"]
    old, young, pending = (world.requests[k] for k in ("old", "young", "pending"))
    assert after[old] == {
        **before[old], "volunteer": None, "statement": "", "recorded_by": "",
    }  # fmt: skip
    assert before[old]["volunteer"] is not None and before[old]["statement"]
    assert after[young] == before[young] and after[pending] == before[pending]
    (step,) = [s for s in STEPS if s.table == "erasure_request"]
    for column in ("volunteer = NULL", "statement = ''", "recorded_by = CASE"):
        assert column in step.sqlite  # the same reduction as erasing the person


async def test_approval_hands_each_person_due_to_erasure(
    world: RetentionWorld, ledger: Ledger, settings: Settings
) -> None:
    """Wired as the web and the CLI wire it: the persons due are erased on approval, each with
    its own erasure record and entry, and nobody else is; the ledger still verifies."""
    service = RetentionService(ledger, clock=lambda: LATER, eraser=ScheduledErasure(ledger, "web"))
    run = await service.dry_run(requested_by=world.dpo.id, channel="web")
    due = {p.volunteer for p in run.persons_due}
    assert due == {world.volunteers["applicant"], world.volunteers["veteran"]}

    done = await service.approve(run.id, approver=world.dpo.id, channel="web")

    assert done.persons_erased == 2
    left = {str(r["id"]) for r in await Volunteer.select(Volunteer.id)}
    assert not (due & left)
    assert {world.volunteers[n] for n in ("recent", "serving", "served")} <= left
    erasures = await LedgerEntry.select(LedgerEntry.idx).where(
        LedgerEntry.kind == "erasure.recorded"
    )
    assert len(erasures) == 2
    verified = run_cli("ledger", "verify", env=cli_env_for(settings))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def cli_env_for(settings: Settings) -> dict[str, str]:
    return {
        "ESP_DATABASE_URL": settings.database_url,
        "ESP_MIGRATION_DATABASE_URL": settings.migration_database_url,
        "ESP_DATA_DIR": str(settings.data_dir),
        "ESP_LOG_FORMAT": "json",
    }


async def test_bad_approvals_are_refused_and_change_nothing(
    world: RetentionWorld, ledger: Ledger
) -> None:
    service = RetentionService(ledger, clock=lambda: LATER)
    run = await service.dry_run(requested_by=world.dpo.id, channel="web")
    before = await snapshot()

    with pytest.raises(NotFound, match="No retention run has this id"):
        await service.approve(
            "6f1c1d2e-0000-4000-8000-000000000000", approver=world.dpo.id, channel="web"
        )
    with pytest.raises(InvalidInput) as bad:
        await service.approve("not-a-run", approver=world.dpo.id, channel="web")
    assert bad.value.extra["errors"][0]["field"] == "run_id"
    with pytest.raises(Forbidden, match="data protection officer"):
        await service.approve(run.id, approver=world.coordinator.id, channel="web")
    with pytest.raises(Forbidden, match="data protection officer"):
        await service.approve(run.id, approver=world.accounts["recent"].id, channel="web")
    await UserAccount.update({UserAccount.is_active: False}).where(UserAccount.id == world.dpo.id)
    with pytest.raises(Forbidden, match="active data protection officer"):
        await service.approve(run.id, approver=world.dpo.id, channel="web")
    await UserAccount.update({UserAccount.is_active: True}).where(UserAccount.id == world.dpo.id)
    assert await snapshot() == before
    assert (await service.get(run.id)).approved_at is None

    await service.approve(run.id, approver=world.dpo.id, channel="web")
    with pytest.raises(Conflict, match="already approved"):
        await service.approve(run.id, approver=world.dpo.id, channel="web")


async def test_refusals_go_only_through_the_owner_procedure_of_an_approved_run(
    world: RetentionWorld, ledger: Ledger, owner_sql: Any, database: Any
) -> None:
    """The application cannot delete a refused attempt itself: not directly, not by marking a
    step of an unapproved run as erasing, and (PostgreSQL) not even while a step is erasing."""
    service = RetentionService(ledger, clock=lambda: LATER)
    run = await service.dry_run(requested_by=world.dpo.id, channel="web")
    step = (
        await RetentionStep.select(RetentionStep.id)
        .where((RetentionStep.run == run.id) & (RetentionStep.record_kind == "refusals"))
        .first()
    )
    with pytest.raises(Exception, match=REJECTED):
        await DisclosureRefusal.delete(force=True)
    # the owner too: outside the procedure the trigger rejects the delete
    with pytest.raises(Exception, match="append-only"):
        await owner_sql("DELETE FROM disclosure_refusal")
    with pytest.raises(Exception, match="not found in an approved run"):
        if database.kind == "postgres":
            await RetentionStep.raw("SELECT esp_portal_retention_erase({})", step["id"])
        else:
            await RetentionStep.update({RetentionStep.state: "erasing"}).where(
                RetentionStep.id == step["id"]
            )
    if database.kind == "postgres":
        # an approved run's step marked erasing by hand: the app role still cannot delete
        await RetentionRun.update({RetentionRun.approved_at: LATER}).where(
            RetentionRun.id == run.id
        )
        await RetentionStep.update({RetentionStep.state: "erasing"}).where(
            RetentionStep.id == step["id"]
        )
        with pytest.raises(Exception, match=REJECTED):
            await DisclosureRefusal.delete(force=True)
    assert await DisclosureRefusal.count() == 2
