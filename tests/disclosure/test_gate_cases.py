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
from portal.disclosure.tables import DisclosureRefusal
from portal.errors import NotFound
from tests.disclosure import disclosure_world as world

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
    gate = DisclosureGate(ledger)
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
    # (purpose, agreement categories, consented categories, requested, released fields)
    (
        "esp.leave-verification",
        ["identity", "status", "hours.summary", "hours.detail"],
        ["identity", "hours.summary"],
        None,
        {"display_name", "hours_summary"},
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
        {"application_stage", "training"},
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
    released = await DisclosureGate(ledger).disclose_one(
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

    gate = DisclosureGate(ledger)
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
