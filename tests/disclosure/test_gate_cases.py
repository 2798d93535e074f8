"""The gate's decision table, on both databases, through the real gate service.

Every combination of employment link (current, ended, none) x agreement (none, active, expired,
wrong purpose, wrong category) x consent (none, given, expired, withdrawn) x lawful basis
(consent: esp.leave-verification; public task: esp.programme-management). The employer asks for
``identity``. The expected outcome is computed here, independently of the gate, and checked with
what was projected, what was refused (and recorded), and what was ledgered.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest

from ledger.tables import LedgerEntry
from portal.disclosure.gate import DisclosureGate, Recipient
from portal.disclosure.sources import CategorySources
from portal.disclosure.tables import DisclosureRefusal
from portal.errors import NotFound
from tests.support import disclosure_world as world

LINKS = ("current", "ended", "none")
AGREEMENTS = ("none", "active", "expired", "wrong_purpose", "wrong_category")
CONSENTS = ("none", "given", "expired", "withdrawn")
BASES = {"consent": "esp.leave-verification", "public_task": "esp.programme-management"}
TODAY = world.TODAY
DAY = dt.timedelta(days=1)

AGREEMENT_PURPOSES = {
    "active": {
        "esp.leave-verification": ["identity", "status", "hours.summary"],
        "esp.programme-management": ["identity", "status"],
    },
    "expired": {
        "esp.leave-verification": ["identity", "status", "hours.summary"],
        "esp.programme-management": ["identity", "status"],
    },
    "wrong_purpose": {"esp.recognition": ["identity", "recognition"]},
    "wrong_category": {
        "esp.leave-verification": ["status", "hours.summary"],
        "esp.programme-management": ["status"],
    },
}


def expected(link: str, agreement: str, consent: str, basis: str) -> str:
    """The oracle: 'allowed' or the refusal reason, in the order the rules are stated."""
    if link != "current":
        return "outside_organisation"
    if agreement == "none":
        return "no_agreement"
    if agreement == "expired":
        return "agreement_expired"
    if agreement == "wrong_purpose":
        return "purpose_not_in_agreement"
    if agreement == "wrong_category":
        return "category_not_in_agreement"
    if basis == "consent":
        return {
            "none": "no_consent",
            "given": "allowed",
            "expired": "consent_expired",
            "withdrawn": "consent_withdrawn",
        }[consent]
    return "allowed"


CASES = list(itertools.product(LINKS, AGREEMENTS, CONSENTS, BASES))


async def _build(ledger: Any) -> tuple[dict[str, str], dict[tuple[str, ...], world.Person]]:
    employers: dict[str, str] = {}
    for variant in AGREEMENTS:
        employers[variant] = await world.employer(f"Employer {variant}")
        if variant == "active":
            await world.agreement(ledger, employers[variant], AGREEMENT_PURPOSES[variant])
        elif variant == "expired":
            await world.agreement(
                ledger,
                employers[variant],
                AGREEMENT_PURPOSES[variant],
                starts_on=TODAY - 90 * DAY,
                ends_on=TODAY - DAY,
            )
        elif variant != "none":
            await world.agreement(ledger, employers[variant], AGREEMENT_PURPOSES[variant])
    people = {}
    for link, agreement, consent, basis in CASES:
        person = await world.volunteer(f"Case {link} {agreement} {consent} {basis}")
        employer_id = employers[agreement]
        if link == "current":
            await world.employ(person, employer_id)
        elif link == "ended":
            await world.employ(person, employer_id, ends_on=TODAY - DAY)
        purpose = BASES[basis]
        categories = ["identity", "status"]
        if consent == "given":
            await world.consent_event(person, employer_id, purpose, categories)
        elif consent == "expired":
            await world.consent_event(
                person, employer_id, purpose, categories, expires_at=world.NOW - DAY
            )
        elif consent == "withdrawn":
            await world.consent_event(person, employer_id, purpose, categories)
            await world.consent_event(person, employer_id, purpose, categories, state="withdrawn")
        people[(link, agreement, consent, basis)] = person
    return employers, people


async def test_every_gate_case_decides_projects_and_records_as_the_table_says(
    engine: Any, ledger: Any
) -> None:
    employers, people = await _build(ledger)
    gate = DisclosureGate(ledger, CategorySources())
    outcomes = {}
    for case in CASES:
        _link, agreement, _consent, basis = case
        person = people[case]
        recipient = Recipient("employer", employers[agreement], "user-hr-1", "web")
        try:
            released = await gate.disclose_one(
                recipient,
                BASES[basis],
                person.id,
                request_id=f"req-{'-'.join(case)}",
                categories=["identity"],
            )
        except NotFound:
            outcomes[case] = ("refused", None)
        else:
            outcomes[case] = ("allowed", released)

    refusals = {
        r["request_id"]: r["reason"]
        for r in await DisclosureRefusal.select(
            DisclosureRefusal.request_id, DisclosureRefusal.reason
        )
    }
    disclosures = await LedgerEntry.select(LedgerEntry.subject, LedgerEntry.body).where(
        LedgerEntry.kind == "disclosure"
    )
    by_subject = {row["subject"]: json.loads(bytes(row["body"])) for row in disclosures}

    wrong = []
    for case in CASES:
        want = expected(*case)
        person = people[case]
        decision, released = outcomes[case]
        request_id = f"req-{'-'.join(case)}"
        if want == "allowed":
            ok = (
                decision == "allowed"
                and released.data == {"display_name": person.display_name}
                and released.categories == ("identity",)
                and request_id not in refusals
                and by_subject.get(person.subject, {}).get("categories") == ["identity"]
            )
            entry = by_subject.get(person.subject, {})
            ok = ok and entry.get("purpose") == BASES[case[3]]
            ok = ok and entry.get("lawful_basis") == case[3]
            ok = ok and len(entry.get("agreement_ids", [])) == 1
            ok = ok and (len(entry.get("consent_ids", [])) == (1 if case[3] == "consent" else 0))
        else:
            ok = (
                decision == "refused"
                and refusals.get(request_id) == want
                and person.subject not in by_subject
            )
        if not ok:
            wrong.append((case, want, decision, refusals.get(request_id)))
    assert not wrong, wrong
    allowed = sum(1 for c in CASES if expected(*c) == "allowed")
    assert len(disclosures) == allowed == 5
    assert len(refusals) == len(CASES) - allowed


PROJECTIONS = [
    # (purpose, agreement categories, consented categories, requested, released fields).
    # No registered sources here: categories only a source fills (hours, training, recognition)
    # are not released, so they are absent although permitted.
    (
        "esp.leave-verification",
        ["identity", "status", "hours.summary", "hours.detail"],
        ["identity", "hours.summary"],
        None,
        {"display_name"},
    ),
    (
        "esp.leave-verification",
        ["status"],
        ["identity", "status", "hours.detail"],
        None,
        {"status"},
    ),
    ("esp.programme-management", ["identity", "status"], [], None, {"display_name", "status"}),
    ("esp.programme-management", ["status"], [], None, {"status"}),
    ("esp.programme-management", ["identity", "status"], [], ["status"], {"status"}),
    (
        "esp.application-progress",
        ["identity", "application", "training"],
        ["application", "training", "status"],
        None,
        {"application_stage", "application_milestones"},  # the application category's fields
    ),
]


@pytest.mark.parametrize("case", range(len(PROJECTIONS)))
async def test_projection_releases_exactly_the_fields_of_the_permitted_categories(
    engine: Any, ledger: Any, case: int
) -> None:
    purpose, agreed, consented, requested, fields = PROJECTIONS[case]
    employer_id = await world.employer("Projection Ltd")
    await world.agreement(ledger, employer_id, {purpose: agreed})
    person = await world.volunteer("Pat Projection", status="in_training")
    await world.employ(person, employer_id)
    if consented:
        await world.consent_event(person, employer_id, purpose, consented)
    released = await DisclosureGate(ledger, CategorySources()).disclose_one(
        Recipient("employer", employer_id, "user-hr", "web"),
        purpose,
        person.id,
        request_id="projection",
        categories=requested,
    )
    assert set(released.data) == fields
    if "display_name" in fields:
        assert released.data["display_name"] == "Pat Projection"
    if "application_stage" in fields:
        assert released.data["application_stage"] == "accepted_in_training"
    entry = json.loads(
        bytes(
            (await LedgerEntry.select(LedgerEntry.body).where(LedgerEntry.kind == "disclosure"))[0][
                "body"
            ]
        )
    )
    assert entry["categories"] == list(released.categories) == sorted(released.categories)
    assert entry["subject"] == person.subject
    assert person.display_name not in json.dumps(entry)


async def test_a_field_provider_fills_released_fields_only_and_runs_before_the_append(
    engine: Any, ledger: Any
) -> None:
    employer_id = await world.employer("Provider Ltd")
    purpose = "esp.leave-verification"
    await world.agreement(ledger, employer_id, {purpose: ["identity", "hours.summary"]})
    person = await world.volunteer("Pip Provider")
    await world.employ(person, employer_id)
    await world.consent_event(person, employer_id, purpose, ["hours.summary"])
    seen: list[Any] = []

    async def provider(subjects: Any) -> dict[str, dict[str, Any]]:
        seen.extend(subjects)
        assert await LedgerEntry.count().where(LedgerEntry.kind == "disclosure") == 0
        return {
            person.id: {
                "hours_summary": {"2026-11": {"esp_leave_minutes": 480}},
                "hours_detail": ["must never leave"],
                "display_name": "must never leave either",
            }
        }

    gate = DisclosureGate(ledger, CategorySources())
    recipient = Recipient("employer", employer_id, "hr", "web")
    released = await gate.disclose_one(
        recipient, purpose, person.id, request_id="provided", provider=provider
    )
    assert seen == [(person.id, ("hours.summary",))]
    assert released.data == {"hours_summary": {"2026-11": {"esp_leave_minutes": 480}}}

    async def failing(subjects: Any) -> dict[str, dict[str, Any]]:
        raise RuntimeError("hours store down")

    with pytest.raises(RuntimeError):
        await gate.disclose_one(recipient, purpose, person.id, request_id="x", provider=failing)
    assert await LedgerEntry.count().where(LedgerEntry.kind == "disclosure") == 1


async def test_a_category_nothing_fills_is_neither_released_nor_ledgered(
    engine: Any, ledger: Any
) -> None:
    """``recognition`` has no source: asked alone it is refused as no_data, with no entry."""
    purpose = "esp.recognition"
    employer_id = await world.employer("Recognition Ltd")
    await world.agreement(ledger, employer_id, {purpose: ["identity", "recognition"]})
    person = await world.volunteer("Rene Recognised")
    await world.employ(person, employer_id)
    await world.consent_event(person, employer_id, purpose, ["identity", "recognition"])
    gate = DisclosureGate(ledger, CategorySources())
    recipient = Recipient("employer", employer_id, "user-hr", "web")
    both = await gate.disclose_one(recipient, purpose, person.id, request_id="both")
    assert both.categories == ("identity",) and both.data == {"display_name": "Rene Recognised"}
    with pytest.raises(NotFound):
        await gate.disclose_one(
            recipient, purpose, person.id, request_id="alone", categories=["recognition"]
        )
    page = await gate.disclose_staff(
        recipient, purpose, request_id="list", limit=10, categories=["recognition"]
    )
    assert page.items == [] and page.next_cursor is None
    bodies = await LedgerEntry.select(LedgerEntry.body).where(LedgerEntry.kind == "disclosure")
    assert [json.loads(bytes(b["body"]))["categories"] for b in bodies] == [["identity"]]
    refused = await DisclosureRefusal.select(DisclosureRefusal.reason).where(
        DisclosureRefusal.request_id == "alone"
    )
    assert [r["reason"] for r in refused] == ["no_data"]


async def test_required_categories_release_all_or_nothing(engine: Any, ledger: Any) -> None:
    purpose = "esp.leave-verification"
    employer_id = await world.employer("Required Ltd")
    await world.agreement(ledger, employer_id, {purpose: ["identity", "hours.detail"]})
    person = await world.volunteer("Rae Required")
    await world.employ(person, employer_id)
    await world.consent_event(person, employer_id, purpose, ["identity"])  # not hours.detail
    gate = DisclosureGate(ledger, CategorySources())
    recipient = Recipient("employer", employer_id, "user-hr", "web")

    async def provide(subjects: Any) -> dict[str, dict[str, Any]]:
        return {v: {"hours_detail": {"duties": []}} for v, _ in subjects}

    with pytest.raises(NotFound):
        await gate.disclose_one(
            recipient,
            purpose,
            person.id,
            request_id="needs-detail",
            categories=["identity", "hours.detail"],
            provider=provide,
            required=["hours.detail"],
        )
    assert await LedgerEntry.count().where(LedgerEntry.kind == "disclosure") == 0
    refused = await DisclosureRefusal.select(DisclosureRefusal.reason).where(
        DisclosureRefusal.request_id == "needs-detail"
    )
    assert [r["reason"] for r in refused] == ["no_consent"]


async def test_agreement_end_is_a_london_date(engine: Any, ledger: Any) -> None:
    """An agreement ending on 15 July has ended at 00:30 BST on the 16th (23:30 UTC the 15th)."""
    purpose = "esp.programme-management"  # public task: no consent in play
    employer_id = await world.employer("Summer Ltd")
    await world.agreement(
        ledger,
        employer_id,
        {purpose: ["identity"]},
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 7, 15),
    )
    person = await world.volunteer("Sam Summer")
    await world.employ(person, employer_id, starts_on=dt.date(2025, 1, 1))
    recipient = Recipient("employer", employer_id, "user-hr", "web")

    def at(text: str) -> DisclosureGate:
        instant = dt.datetime.fromisoformat(text)
        return DisclosureGate(ledger, CategorySources(), clock=lambda: instant)

    late_on_the_15th = await at("2026-07-15T22:30:00+00:00").disclose_one(
        recipient, purpose, person.id, request_id="23:30 BST"
    )
    assert late_on_the_15th.categories == ("identity",)
    with pytest.raises(NotFound):
        await at("2026-07-15T23:30:00+00:00").disclose_one(
            recipient, purpose, person.id, request_id="00:30 BST"
        )
    refused = await DisclosureRefusal.select(DisclosureRefusal.reason).where(
        DisclosureRefusal.request_id == "00:30 BST"
    )
    assert [r["reason"] for r in refused] == ["agreement_expired"]


async def test_versions_dates_and_regiven_consent(engine: Any, ledger: Any) -> None:
    """The cases around time: an agreement not yet in force, a superseding version that drops a
    category, consent withdrawn and given again, and a job that has not started yet; each
    through one read and through the staff list."""
    pm, lv = BASES["public_task"], BASES["consent"]
    gate = DisclosureGate(ledger, CategorySources())

    future = await world.employer("Future Agreement Ltd")
    await world.agreement(ledger, future, {pm: ["identity"]}, starts_on=TODAY + DAY)
    early = await world.volunteer("Early Bird")
    await world.employ(early, future)

    versioned = await world.employer("Versioned Ltd")
    await world.agreement(
        ledger, versioned, {pm: ["identity", "status"], lv: ["identity"]}, version=1
    )
    v2 = await world.agreement(
        ledger, versioned, {pm: ["status"], lv: ["identity"]}, version=2, starts_on=TODAY - DAY
    )
    kept = await world.volunteer("Kept Status", status="in_training")
    regiven = await world.volunteer("Second Thoughts")
    not_yet = await world.volunteer("Starts Monday")
    await world.employ(kept, versioned)
    await world.employ(regiven, versioned)
    await world.employ(not_yet, versioned, starts_on=TODAY + DAY)
    await world.consent_event(regiven, versioned, lv, ["identity"])
    await world.consent_event(regiven, versioned, lv, ["identity"], state="withdrawn")
    await world.consent_event(regiven, versioned, lv, ["identity"])
    await world.consent_event(not_yet, versioned, lv, ["identity"])

    async def one(employer_id: str, purpose: str, person: Any, ask: list[str], tag: str) -> Any:
        try:
            return await gate.disclose_one(
                Recipient("employer", employer_id, "hr", "web"),
                purpose,
                person.id,
                request_id=tag,
                categories=ask,
            )
        except NotFound:
            return None

    assert await one(future, pm, early, ["identity"], "not-in-force") is None
    assert await one(versioned, pm, kept, ["identity"], "dropped-by-v2") is None
    status = await one(versioned, pm, kept, ["status"], "kept-by-v2")
    assert status is not None and status.data == {"status": "in_training"}
    assert status.agreement_ids == (v2,)
    again = await one(versioned, lv, regiven, ["identity"], "regiven")
    assert again is not None and again.data == {"display_name": "Second Thoughts"}
    assert await one(versioned, lv, not_yet, ["identity"], "job-not-started") is None

    reasons = {
        r["request_id"]: r["reason"]
        for r in await DisclosureRefusal.select(
            DisclosureRefusal.request_id, DisclosureRefusal.reason
        )
    }
    assert reasons == {
        "not-in-force": "no_agreement",
        "dropped-by-v2": "category_not_in_agreement",
        "job-not-started": "outside_organisation",
    }

    listed = await gate.disclose_staff(
        Recipient("employer", versioned, "hr", "web"), lv, request_id="list", limit=10
    )
    assert [r.volunteer_id for r in listed.items] == [regiven.id]
    nobody = await gate.disclose_staff(
        Recipient("employer", future, "hr", "web"), pm, request_id="list-future", limit=10
    )
    assert nobody.items == []
